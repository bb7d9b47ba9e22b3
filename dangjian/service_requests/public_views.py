"""Residents' pages (no account, phone-first): submit a request, follow it, rate it.

Thin: a form, one intake service, render. A flood answers 429 with a Chinese page (or the
fragment an HTMX request swaps in); bad input re-renders the form with the message.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.clientip import client_ip
from dangjian.core.files import serve_private_file
from dangjian.core.forms import add_validation_error
from dangjian.core.ratelimit import RateLimitedError
from dangjian.service_requests import intake, public_forms
from dangjian.service_requests.models import RequestPhoto, RequestState, ServiceRequest
from dangjian.service_requests.services import request_for_token, request_sms_preference

SESSION_KEY = "public_requests_submitted"
TEMPLATES = "service_requests/public/"


def _limited(
    request: HttpRequest, exc: RateLimitedError, *, fragment: bool = False
) -> HttpResponse:
    template = "limited_fragment.html" if fragment else "limited.html"
    response = TemplateResponse(
        request, TEMPLATES + template, {"message": exc.message, "retry_after": exc.retry_after}
    )
    response.status_code = 429
    response["Retry-After"] = str(exc.retry_after)
    return response


def _private(response: HttpResponse) -> HttpResponse:
    # Pages reached through a private link: not cached, not indexed.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def new_request(request: HttpRequest) -> HttpResponse:
    """点单: the resident's form (POST with ``action=send_code`` only texts the code)."""
    ip = client_ip(request)
    if request.method == "POST" and request.POST.get("action") == "send_code":
        return _send_code(request, fragment=False)
    form = public_forms.IntakeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            req, token = intake.intake_submit(
                category=data["category"],
                grid=data["grid_obj"],
                description=data["description"],
                address=data["address"],
                resident_name=data["resident_name"],
                resident_phone=data["resident_phone"],
                code=data["code"],
                photos=data["photos"],
                extra=data["extra"],
                ip=ip,
            )
        except RateLimitedError as exc:
            return _limited(request, exc)
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            request.session[SESSION_KEY] = {"code": req.tracking_code, "token": token}
            return redirect("public_requests:submitted")
    status = 400 if request.method == "POST" else 200
    # A file input cannot be filled again by the server: say so when photos were sent.
    photos_lost = request.method == "POST" and bool(request.FILES.getlist("photos"))
    response = TemplateResponse(
        request, TEMPLATES + "new.html", {"form": form, "photos_lost": photos_lost}
    )
    response.status_code = status
    return response


@require_POST
def send_code(request: HttpRequest) -> HttpResponse:
    """Text a verification code (the form's "获取验证码" button; HTMX swaps the answer in)."""
    return _send_code(request, fragment=bool(getattr(request, "htmx", False)))


def _send_code(request: HttpRequest, *, fragment: bool) -> HttpResponse:
    phone = request.POST.get("resident_phone", "")
    message, ok = "", False
    try:
        intake.intake_send_code(phone=phone, ip=client_ip(request))
    except RateLimitedError as exc:
        return _limited(request, exc, fragment=fragment)
    except ValidationError as exc:
        message = "；".join(exc.messages)
    else:
        ok = True
        message = "验证码已发送，请查看短信（10 分钟内有效）"
    if fragment:
        response = TemplateResponse(
            request, TEMPLATES + "code_status.html", {"message": message, "ok": ok}
        )
        response.status_code = 200 if ok else 400
        return response
    form = public_forms.IntakeForm(initial=request.POST.dict())
    response = TemplateResponse(
        request, TEMPLATES + "new.html", {"form": form, "code_message": message, "code_ok": ok}
    )
    response.status_code = 200 if ok else 400
    return response


@require_GET
def villages(request: HttpRequest) -> HttpResponse:
    """The village select for a township (HTMX)."""
    form = public_forms.IntakeForm(initial={"township": request.GET.get("township")})
    return TemplateResponse(request, TEMPLATES + "place_selects.html", {"form": form})


@require_GET
def grids(request: HttpRequest) -> HttpResponse:
    """The grid select for a village (HTMX)."""
    form = public_forms.IntakeForm(
        initial={"township": request.GET.get("township"), "village": request.GET.get("village")}
    )
    return TemplateResponse(
        request, TEMPLATES + "place_selects.html", {"form": form, "grid_only": True}
    )


@require_GET
def category_fields(request: HttpRequest) -> HttpResponse:
    """The category's extra questions and notes (HTMX)."""
    form = public_forms.IntakeForm(initial={"category": request.GET.get("category")})
    return TemplateResponse(request, TEMPLATES + "category_fields.html", {"form": form})


@never_cache
@require_GET
def submitted(request: HttpRequest) -> HttpResponse:
    """Shows the tracking code and the private link once, right after submitting."""
    done = request.session.pop(SESSION_KEY, None)
    if not done:
        return redirect("public_requests:track")
    link = request.build_absolute_uri(reverse("public_requests:private", args=[done["token"]]))
    return _private(
        TemplateResponse(
            request,
            TEMPLATES + "submitted.html",
            {"tracking_code": done["code"], "private_link": link, "token": done["token"]},
        )
    )


@never_cache
@require_GET
def track(request: HttpRequest) -> HttpResponse:
    """受理编号查询: the state and the steps, without notes or personal data."""
    form = public_forms.TrackForm(request.GET or None)
    req = None
    if form.is_bound and form.is_valid():
        try:
            intake.intake_lookup_hit(ip=client_ip(request))
        except RateLimitedError as exc:
            return _limited(request, exc)
        code = form.cleaned_data["code"].strip().upper()
        req = (
            ServiceRequest.objects.select_related("category", "org", "grid")
            .filter(tracking_code=code)
            .first()
        )
        if req is None:
            form.add_error("code", "未找到该受理编号，请核对后重新输入")
    context = {
        "form": form,
        "req": req,
        "history": intake.public_history(req, with_notes=False) if req else [],
        "place": intake.place_name(req.org) if req else "",
    }
    return TemplateResponse(request, TEMPLATES + "track.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def private(request: HttpRequest, token: str) -> HttpResponse:
    """私密链接: progress with the public notes, and the rating form once work is reported."""
    ip = client_ip(request)
    try:
        intake.intake_lookup_hit(ip=ip)
    except RateLimitedError as exc:
        return _limited(request, exc)
    req = request_for_token(token)
    if req is None:
        response = TemplateResponse(request, TEMPLATES + "link_invalid.html", {})
        response.status_code = 404
        return _private(response)
    form = public_forms.RatingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                intake.intake_rate(
                    token=token,
                    rating=form.cleaned_data["rating"],
                    reasons=form.cleaned_data["reasons"],
                    ip=ip,
                )
            except RateLimitedError as exc:
                return _limited(request, exc)
            except ValidationError as exc:
                add_validation_error(form, exc)
            else:
                return redirect("public_requests:private", token=token)
        status = 400
    # One query for the counts and the public 晒单 photos (a request has a handful of photos).
    photos = list(
        RequestPhoto.objects.filter(request=req).values_list("id", "stage", "round", "public")
    )
    context = {
        "req": req,
        "token": token,
        "private_link": request.build_absolute_uri(),
        "form": form,
        "can_rate": req.state == RequestState.REPORTED,
        "history": intake.public_history(req, with_notes=True),
        "place": intake.place_name(req.org),
        # Only the photos staff marked 对群众公开, through this link's own gate.
        "public_photos": [{"id": pk, "round": n} for pk, _, n, public in photos if public],
        "photo_count": sum(stage == RequestPhoto.Stage.SUBMIT for _, stage, _, _ in photos),
        "evidence_count": sum(stage == RequestPhoto.Stage.REPORT for _, stage, _, _ in photos),
    }
    response = TemplateResponse(request, TEMPLATES + "private.html", context)
    response.status_code = status
    return _private(response)


@require_POST
def sms_preference(request: HttpRequest, token: str) -> HttpResponse:
    """退订短信 (``receive=0``) or 恢复短信提醒 (``receive=1``) for this request."""
    try:
        intake.intake_lookup_hit(ip=client_ip(request))
    except RateLimitedError as exc:
        return _limited(request, exc)
    receive = request.POST.get("receive") == "1"
    try:
        request_sms_preference(token=token, receive=receive)
    except ValidationError:
        response = TemplateResponse(request, TEMPLATES + "link_invalid.html", {})
        response.status_code = 404
        return _private(response)
    return redirect("public_requests:private", token=token)


@require_GET
def photo(request: HttpRequest, token: str, photo_id: int) -> HttpResponseBase:
    """A 晒单 photo staff marked 对群众公开, to the holder of the request's private link.

    The link is the gate (registered with core.files): another request's link, an expired
    one, or a photo not marked public is a 404. Only misses count against the address's
    look-up limit, so a page of photos costs its resident nothing.
    """
    ip = client_ip(request)
    if intake.intake_lookup_exhausted(ip=ip):
        return _limited(request, RateLimitedError("操作太频繁，请稍后再试", retry_after=600))
    req = request_for_token(token)
    row = (
        RequestPhoto.objects.filter(pk=photo_id, request=req, public=True).first()
        if req is not None
        else None
    )
    if row is None:
        intake.intake_lookup_miss(ip=ip)
        raise Http404("未找到该照片")
    return serve_private_file(request, row.file)
