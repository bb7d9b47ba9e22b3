"""Open311 GeoReport v2, a compatible subset for integrations (JSON, ``.json`` routes).

- ``GET services.json``: the active categories as services.
- ``GET services/<service_code>.json``: a category's definition (its extra questions).
- ``GET requests.json``: requests, newest first; filters ``service_request_id`` (comma list of
  tracking codes), ``service_code``, ``status`` (open|closed), ``start_date``/``end_date``
  (ISO 8601); without dates the last 90 days; at most 1000 rows (the spec's defaults).
- ``GET requests/<service_request_id>.json``: one request, as a one-element list.
- ``POST requests.json``: submit. Needs ``api_key``: an API token of this system (账号 → API
  令牌), whose user holds ``request.handle`` on the grid's organization. ``address_id`` is the
  grid's id (``services`` lists no grids; an integration gets grid ids from its county). The
  phone (``phone``) is required, as for every request; ``first_name``/``last_name`` make the
  resident's name; ``attribute[<code>]`` answers the category's questions; ``media`` (multipart, repeatable) uploads
  photos (the common media extension; re-encoded, EXIF stripped like every photo). The request is
  recorded through ``services.request_submit`` as entered by the token's user on the
  resident's behalf (channel 电话代录, consent noted as coming through the integration).
  ``address_string`` is kept as the place description; ``lat``/``long`` (WGS-84 degrees, both or
  neither, −90…90 and −180…180) are stored to 6 decimals; a bad pair is a 400 and nothing is
  stored.
- ``GET media/<id>``: a request photo for an ``api_key`` whose user may view the request (send
  the key as ``api_key`` or ``Authorization: Bearer``); anyone else gets 403/404.

Reads show public fields only: no resident name or phone, no staff names, and of the history
only the public text (``RequestEvent.public_note``: the step's template, plus a staff note only
when its author marked it public), phone and ID numbers masked. ``description`` and ``address`` (what the resident typed) are shown only to a caller
whose ``api_key`` user may view the request. ``lat``/``long`` are rounded to 3 decimals (about
100 m) for everyone else and exact for that caller. ``media_url`` is null publicly (a resident's
photo is personal data); for that caller it is the ``media/<id>`` URL of the resident's first
photo, else the latest 晒单 photo — behind the same key check, never a bare file link. Errors
are the spec's ``[{"code": <status>, "description": "中文说明"}]``; floods get 429.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.accounts.services import token_authenticate
from dangjian.core.blocklist import BLOCKED_MESSAGE, is_blocked
from dangjian.core.clientip import client_ip
from dangjian.core.files import serve_private_file
from dangjian.core.ratelimit import RateLimitedError, rate_hit
from dangjian.grid.models import Grid
from dangjian.orgs.access import may
from dangjian.service_requests import intake, services
from dangjian.service_requests.access import access_request_by_id
from dangjian.service_requests.models import (
    Channel,
    RequestCategory,
    RequestEvent,
    RequestPhoto,
    RequestState,
    ServiceRequest,
)

DEFAULT_DAYS = 90
MAX_ROWS = 1000
CLOSED_STATES = (RequestState.RATED, RequestState.CLOSED, RequestState.CLOSED_UNRESOLVED)
DATATYPES = {"string": "string", "text": "text", "number": "number"}


def _error(status: int, description: str, **headers: str) -> JsonResponse:
    response = JsonResponse(
        [{"code": status, "description": description}], status=status, safe=False
    )
    for name, value in headers.items():
        response[name] = value
    return response


def _limited(exc: RateLimitedError) -> JsonResponse:
    return _error(429, exc.message, **{"Retry-After": str(exc.retry_after)})


def _api_user(request: HttpRequest) -> Any:
    key = request.POST.get("api_key") or request.GET.get("api_key") or ""
    auth = request.headers.get("Authorization", "")
    if not key and auth.startswith("Bearer "):
        key = auth.removeprefix("Bearer ").strip()
    return token_authenticate(key) if key else None


# --- services -------------------------------------------------------------------------------


def _service(category: RequestCategory) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": bool(category.extra_fields),
        "type": "realtime",
        "keywords": "",
        "group": category.group,
    }


@require_GET
def service_list(request: HttpRequest) -> JsonResponse:
    """GET services.json."""
    rows = RequestCategory.objects.filter(is_active=True).order_by("sort_order", "id")
    return JsonResponse([_service(c) for c in rows], safe=False)


@require_GET
def service_definition(request: HttpRequest, service_code: str) -> JsonResponse:
    """GET services/<service_code>.json."""
    category = RequestCategory.objects.filter(code=service_code, is_active=True).first()
    if category is None:
        return _error(404, "未找到该服务类别")
    attributes = []
    for order, spec in enumerate(category.extra_fields, start=1):
        is_list = spec.get("datatype") == "singlevaluelist"
        attributes.append(
            {
                "variable": True,
                "code": spec["code"],
                "datatype": "singlevaluelist"
                if is_list
                else DATATYPES.get(spec.get("datatype"), "string"),
                "required": bool(spec.get("required")),
                "datatype_description": "",
                "order": order,
                "description": spec.get("label", ""),
                "values": [{"key": v, "name": v} for v in spec.get("values", [])]
                if is_list
                else [],
            }
        )
    return JsonResponse({"service_code": category.code, "attributes": attributes})


# --- requests -------------------------------------------------------------------------------


PUBLIC_PLACES = Decimal("0.001")  # about 100 m: the street, not the doorway


def _coordinate(value: Decimal | None, *, private: bool) -> float | None:
    if value is None:
        return None
    return float(value if private else value.quantize(PUBLIC_PLACES, rounding=ROUND_HALF_UP))


def _request(
    req: ServiceRequest,
    latest: RequestEvent | None,
    *,
    private: bool,
    media_url: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "service_request_id": req.tracking_code,
        "status": "closed" if req.state in CLOSED_STATES else "open",
        "status_notes": _status_notes(latest),
        "service_name": req.category.name,
        "service_code": req.category.code,
        "agency_responsible": req.org.short_name or req.org.name,
        "service_notice": "",
        "requested_datetime": req.submitted_at.isoformat(),
        "updated_datetime": req.updated_at.isoformat(),
        "expected_datetime": req.due_at.isoformat() if req.state not in CLOSED_STATES else None,
        "address": f"{intake.place_name(req.org)} {req.grid.name}",
        "address_id": str(req.grid_id),
        "zipcode": None,
        "lat": _coordinate(req.latitude, private=private),
        "long": _coordinate(req.longitude, private=private),
        "media_url": media_url if private else None,
        "description": None,
    }
    if private:
        out["description"] = req.description
        if req.address:
            out["address"] += f" {req.address}"
    return out


def _status_notes(latest: RequestEvent | None) -> str:
    """The latest public entry's public text, else its step as residents read it."""
    if latest is None:
        return ""
    return intake.public_note(latest) or intake.PUBLIC_STEP.get(latest.action, "")


def _latest_public_events(ids: list[int]) -> dict[int, RequestEvent]:
    """The newest public event of each request, in one query."""
    latest: dict[int, RequestEvent] = {}
    rows = (
        RequestEvent.objects.filter(request_id__in=ids, is_public=True)
        .only("id", "request_id", "action", "is_public", "public_note")
        .order_by("request_id", "-id")
    )
    for e in rows:
        latest.setdefault(e.request_id, e)
    return latest


def _parse_when(value: str, *, end: bool = False) -> dt.datetime:
    # A bare date means the whole day (fromisoformat would read it as midnight).
    day = parse_date(value) if len(value) == 10 else None
    if day is not None:
        moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    else:
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(value)
        moment = parsed
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _media_photos(ids: list[int]) -> dict[int, RequestPhoto]:
    """The photo shown as each request's ``media_url``, in one query: the resident's first
    photo, else the latest 晒单 photo."""
    chosen: dict[int, RequestPhoto] = {}
    if not ids:
        return chosen
    rows = RequestPhoto.objects.filter(request_id__in=ids).only("id", "request_id", "stage")
    for photo in rows.order_by("request_id", "id"):
        current = chosen.get(photo.request_id)
        if current is None or current.stage != RequestPhoto.Stage.SUBMIT:
            chosen[photo.request_id] = photo
    return chosen


def _render(request: HttpRequest, reqs: list[ServiceRequest], viewer: Any) -> JsonResponse:
    latest = _latest_public_events([r.pk for r in reqs])
    private = {r.pk for r in reqs if viewer is not None and may(viewer, "request.view", r.org)}
    # Photos are personal data (faces, house numbers): looked up only for rows the key may view.
    photos = _media_photos(list(private))
    data = [
        _request(
            r,
            latest.get(r.pk),
            private=r.pk in private,
            media_url=request.build_absolute_uri(reverse("open311:media", args=[photos[r.pk].pk]))
            if r.pk in photos
            else None,
        )
        for r in reqs
    ]
    return JsonResponse(data, safe=False)


def _read_limit(request: HttpRequest) -> None:
    ip = client_ip(request)
    if ip:
        rate_hit(key=f"open311-read:ip:{ip}", limit=intake.limit("track_per_ip"))


@csrf_exempt  # authenticated by api_key, never by a cookie
@require_http_methods(["GET", "POST"])
def requests_endpoint(request: HttpRequest) -> JsonResponse:
    """GET requests.json (list) and POST requests.json (submit)."""
    if request.method == "POST":
        return _submit(request)
    try:
        _read_limit(request)
    except RateLimitedError as exc:
        return _limited(exc)
    qs = ServiceRequest.objects.select_related("category", "org", "grid")
    params = request.GET
    ids = [c.strip().upper() for c in params.get("service_request_id", "").split(",") if c.strip()]
    if ids:
        qs = qs.filter(tracking_code__in=ids[:MAX_ROWS])
    else:
        try:
            start = _parse_when(params["start_date"]) if params.get("start_date") else None
            end = _parse_when(params["end_date"], end=True) if params.get("end_date") else None
        except ValueError:
            return _error(400, "start_date / end_date 应为 ISO 8601 日期或时间")
        if start is None:
            start = (end or timezone.now()) - dt.timedelta(days=DEFAULT_DAYS)
        qs = qs.filter(submitted_at__gte=start)
        if end is not None:
            qs = qs.filter(submitted_at__lte=end)
    codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()]
    if codes:
        qs = qs.filter(category__code__in=codes)
    status = params.get("status", "")
    if status:
        wanted = {s.strip() for s in status.split(",")}
        if not wanted <= {"open", "closed"}:
            return _error(400, "status 只能是 open 或 closed")
        if wanted == {"open"}:
            qs = qs.exclude(state__in=CLOSED_STATES)
        elif wanted == {"closed"}:
            qs = qs.filter(state__in=CLOSED_STATES)
    reqs = list(qs.order_by("-submitted_at", "-id")[:MAX_ROWS])
    return _render(request, reqs, _api_user(request))


@require_GET
def request_detail(request: HttpRequest, service_request_id: str) -> JsonResponse:
    """GET requests/<service_request_id>.json."""
    try:
        _read_limit(request)
    except RateLimitedError as exc:
        return _limited(exc)
    req = (
        ServiceRequest.objects.select_related("category", "org", "grid")
        .filter(tracking_code=service_request_id.strip().upper())
        .first()
    )
    if req is None:
        return _error(404, "未找到该诉求")
    return _render(request, [req], _api_user(request))


def _submit(request: HttpRequest) -> JsonResponse:
    user = _api_user(request)
    if user is None:
        return _error(403, "需要有效的 api_key（在“API 令牌”页面创建）")
    try:
        rate_hit(key=f"open311-submit:user:{user.pk}", limit=intake.limit("open311_submit_per_key"))
    except RateLimitedError as exc:
        return _limited(exc)
    data = request.POST
    category = RequestCategory.objects.filter(code=data.get("service_code", "")).first()
    if category is None:
        return _error(400, "service_code 不存在")
    try:
        grid_id = int(data.get("address_id", ""))
    except ValueError:
        return _error(400, "address_id 应为网格编号")
    grid = Grid.objects.select_related("org").filter(pk=grid_id).first()
    if grid is None or not may(user, "request.view", grid.org):
        return _error(400, "address_id 对应的网格不存在，或不在该 api_key 的管理范围内")
    phone = (data.get("phone") or "").strip()
    if phone and is_blocked(phone=phone):
        return _error(403, BLOCKED_MESSAGE)
    name = f"{data.get('last_name', '')}{data.get('first_name', '')}".strip()
    extra = {
        key[len("attribute[") : -1]: value
        for key, value in data.items()
        if key.startswith("attribute[") and key.endswith("]")
    }
    try:
        req, _token = services.request_submit(
            category=category,
            grid=grid,
            description=data.get("description", ""),
            address=data.get("address_string", ""),
            resident_name=name,
            resident_phone=phone,
            channel=Channel.PHONE,
            actor=user,
            consent_note="经 Open311 接口转入，群众已在来源平台提交诉求",
            extra=extra,
            photos=request.FILES.getlist("media"),
            latitude=data.get("lat"),
            longitude=data.get("long"),
        )
    except PermissionDenied as exc:
        return _error(403, str(exc) or "没有权限")
    except ValidationError as exc:
        return _error(400, "；".join(exc.messages))
    notice = f"已受理，受理编号 {req.tracking_code}"
    body = [{"service_request_id": req.tracking_code, "service_notice": notice, "account_id": None}]
    return JsonResponse(body, status=201, safe=False)


@require_GET
def media(request: HttpRequest, photo_id: int) -> HttpResponseBase:
    """GET media/<id>: a request photo (re-encoded, EXIF stripped) for an ``api_key`` whose user
    may view the request — the same gate as the staff photo page; anyone else gets 404."""
    user = _api_user(request)
    if user is None:
        return _error(403, "需要有效的 api_key（在“API 令牌”页面创建）")
    try:
        _read_limit(request)
    except RateLimitedError as exc:
        return _limited(exc)
    row = RequestPhoto.objects.filter(pk=photo_id).first()
    if row is None:
        return _error(404, "未找到该照片")
    try:
        access_request_by_id(user, row.request_id)
    except Http404:
        return _error(404, "未找到该照片")
    try:
        return serve_private_file(request, row.file)
    except Http404:
        return _error(404, "未找到该照片")
