"""Excel pages: the import page, the template download, the annotated-file download, export.

Thin: gate → one call into ``excel`` → response. A failed import's annotated workbook (full ID
numbers and phones) waits in a private file outside MEDIA_ROOT (0600, core.files), named by
the uploader's id and a random token kept in their session; only that user can fetch it, once,
and the daily job deletes it after IMPORT_ERROR_FILE_TTL_HOURS in any case.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.core.excel import MAX_UPLOAD_BYTES, too_large_message, xlsx_response
from dangjian.core.files import (
    IMPORT_ERRORS,
    private_file_for,
    private_file_keep,
    serve_private_file,
)
from dangjian.core.ratelimit import RateLimitedError
from dangjian.members import excel
from dangjian.members.models import Member
from dangjian.members.selectors import member_filter
from dangjian.orgs.access import orgs_visible_to, scope_q, scope_roots
from dangjian.orgs.models import Organization

ERRORS_SHOWN = 20
SESSION_KEY = "member_import_errors"


def _require_import(viewer: Any) -> None:
    if not scope_roots(viewer, action="member.import"):
        raise PermissionDenied("您没有导入党员的权限")


def _crumbs(*extra: tuple[str, str]) -> list[dict[str, str]]:
    crumbs = [{"label": "党员管理", "url": reverse("members:list")}]
    return crumbs + [{"label": label, "url": url} for label, url in extra]


# --- annotated workbooks waiting for download --------------------------------------------------


def _ttl_seconds() -> int:
    return int(settings.IMPORT_ERROR_FILE_TTL_HOURS) * 3600


def _drop_annotated(user_id: int, token: str) -> None:
    held = private_file_for(area=IMPORT_ERRORS, owner_id=user_id, token=token, suffix=".xlsx")
    if held is not None:
        held.storage.delete(held.name)


def _keep_annotated(request: HttpRequest, data: bytes, filename: str) -> str:
    old = request.session.get(SESSION_KEY)
    if old:
        _drop_annotated(request.user.pk or 0, old.get("token", ""))
    token = private_file_keep(
        area=IMPORT_ERRORS, owner_id=request.user.pk or 0, data=data, suffix=".xlsx"
    )
    request.session[SESSION_KEY] = {"token": token, "filename": filename, "at": time.time()}
    return token


# --- pages ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def member_import_page(request: HttpRequest) -> HttpResponse:
    """Upload a filled template: validate every row, then admit all members or none."""
    _require_import(request.user)
    context: dict[str, Any] = {
        "nav_active": "members",
        "crumbs": _crumbs(("批量导入", "")),
        "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        "dry_run": False,
    }
    if request.method == "POST":
        upload = request.FILES.get("file")
        dry_run = request.POST.get("dry_run") == "1"
        context["dry_run"] = dry_run
        if upload is None:
            context["file_error"] = "请选择要导入的 Excel 文件"
        elif (upload.size or 0) > MAX_UPLOAD_BYTES:
            context["file_error"] = too_large_message(MAX_UPLOAD_BYTES)
        else:
            result = excel.member_import(actor=request.user, file=upload, dry_run=dry_run)
            if result.ok and not dry_run:
                messages.success(request, f"已导入 {result.created} 名党员")
                return redirect(_list_url(request.user, result.branch_ids))
            context.update(result=result, errors=result.errors[:ERRORS_SHOWN])
            context["file_error"] = result.file_error
            if result.annotated is not None:
                stem = Path(upload.name or "党员信息").stem.removesuffix("-错误说明")[:60]
                context["token"] = _keep_annotated(
                    request, result.annotated, f"{stem}-错误说明.xlsx"
                )
        context["upload_name"] = upload.name if upload is not None else ""
    return TemplateResponse(request, "members/import.html", context)


def _list_url(viewer: Any, branch_ids: list[int]) -> str:
    """The member list at the imported branches' lowest common organization."""
    url = reverse("members:list")
    paths = list(Organization.objects.filter(pk__in=branch_ids).values_list("path", flat=True))
    if not paths:
        return url
    common = excel.common_root(set(paths))
    org = orgs_visible_to(viewer).filter(path=common).values_list("pk", flat=True).first()
    # The list page's organization filter is ``org`` (a subtree), see selectors.member_filter.
    return f"{url}?{urlencode({'org': org})}" if org else url


@login_required
@require_GET
def member_import_template(request: HttpRequest) -> HttpResponse:
    """The import template, with the viewer's own branches in its dropdown."""
    _require_import(request.user)
    data = excel.member_template_workbook(viewer=request.user)
    return xlsx_response(data, "党员信息导入模板.xlsx")


@login_required
@require_GET
def member_import_errors(request: HttpRequest, token: str) -> HttpResponseBase:
    """The annotated workbook of this user's last failed import (once, within the TTL)."""
    held = request.session.get(SESSION_KEY) or {}
    stored = private_file_for(
        area=IMPORT_ERRORS, owner_id=request.user.pk or 0, token=token, suffix=".xlsx"
    )
    if stored is None or held.get("token") != token:
        raise Http404("错误说明文件不存在或已下载过，请重新上传文件校验")
    hours = int(settings.IMPORT_ERROR_FILE_TTL_HOURS)
    if time.time() - float(held.get("at", 0)) > _ttl_seconds():
        stored.storage.delete(stored.name)
        request.session.pop(SESSION_KEY, None)
        raise Http404(f"错误说明文件已过期（保留 {hours} 小时），请重新上传文件校验")
    response = serve_private_file(
        request, stored, download_name=held.get("filename") or "党员信息-错误说明.xlsx"
    )
    # Served from an open handle: the file can go now, the response still streams it.
    stored.storage.delete(stored.name)
    request.session.pop(SESSION_KEY, None)
    return response


def _export_queryset(request: HttpRequest) -> QuerySet[Member]:
    """The members the list page shows for the same filters, limited to the export scope."""
    qs, _ = member_filter(viewer=request.user, params=request.GET, surface="member.export")
    return qs.filter(scope_q(request.user, "org_path", action="member.export"))


@login_required
@require_GET
def member_export_view(request: HttpRequest) -> HttpResponse:
    """Download the filtered member list (roster or national 16-item layout).

    Without ``layout`` it shows the choice page; ``reveal=1`` asks for full ID numbers and
    phones, granted per branch by ``may_reveal`` and audited.
    """
    viewer = request.user
    if not scope_roots(viewer, action="member.export"):
        raise PermissionDenied("您没有导出党员名册的权限")
    layout = request.GET.get("layout", "")
    if layout not in excel.EXPORT_LAYOUTS:
        filters = [(k, v) for k, v in request.GET.items() if k not in ("layout", "reveal")]
        return TemplateResponse(
            request,
            "members/export.html",
            {
                "nav_active": "members",
                "crumbs": _crumbs(("导出名册", "")),
                "filters": filters,
                "layouts": [(k, title) for k, (title, _) in excel.EXPORT_LAYOUTS.items()],
                "may_reveal": bool(scope_roots(viewer, action="member.reveal")),
            },
        )
    try:
        queryset = _export_queryset(request)
    except RateLimitedError as exc:  # a search by full ID number past the limit (id_lookup.py)
        messages.error(request, exc.message)
        return redirect("members:list")
    data = excel.member_export(
        viewer=viewer,
        queryset=queryset,
        layout=layout,
        reveal=request.GET.get("reveal") == "1",
    )
    return xlsx_response(data, excel.export_filename(layout))
