"""Pages owned by core: error pages, notifications, the holiday calendar, the blocklist."""

from __future__ import annotations

import datetime as dt
import sys

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.core import blocklist, selectors, services
from dangjian.core.forms import DateInput, StyledFormMixin, add_validation_error
from dangjian.core.middleware import busy_response, is_lock_wait
from dangjian.core.models import BlockEntry, CalendarDay


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    """An error page; a signed-in user keeps the sidebar and top bar, so they are not lost."""
    context = {"status": status, "title": title, "message": message}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        try:
            return render(
                request, "errors/error.html", {**context, "layout": "base.html"}, status=status
            )
        except Exception:  # noqa: BLE001 — the layout needs the database; the bare page does not
            import logging  # only on this rare path

            logging.getLogger(__name__).exception("error page layout failed; bare page served")
    # Without the request: no context processors, so nothing here can fail on the database.
    return HttpResponse(render_to_string("errors/error.html", context), status=status)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(request, 404, "页面不存在", "您访问的页面不存在，或您无权查看。")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    detail = str(exception) if str(exception) else "您没有权限执行此操作。"
    return _error(request, 403, "没有权限", detail)


def server_error(request: HttpRequest) -> HttpResponse:
    # A lock wait outside a view (a session saved by middleware, say) gets here, not to
    # DatabaseBusyMiddleware: it is still "busy, try again", not an error.
    if is_lock_wait(sys.exc_info()[1]):
        return busy_response(request)
    return _error(request, 500, "系统出错了", "服务器处理请求时出错，已记录日志。请稍后重试。")


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notes = selectors.notifications_for(viewer=request.user, limit=100)
    return TemplateResponse(
        request,
        "core/notification_list.html",
        {"notifications": notes, "nav_active": "notifications"},
    )


@login_required
def notification_bell(request: HttpRequest) -> HttpResponse:
    count = selectors.notification_unread_count(viewer=request.user)
    return TemplateResponse(request, "core/notification_bell.html", {"unread": count})


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    n = services.notification_mark_read(actor=request.user)
    messages.success(request, f"已将 {n} 条通知标记为已读")
    return redirect("core:notifications")


class CalendarDayForm(StyledFormMixin, forms.Form):
    date = forms.DateField(label="日期", widget=DateInput())
    kind = forms.ChoiceField(label="类型", choices=CalendarDay.Kind.choices)
    name = forms.CharField(label="名称", max_length=50, required=False)


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(services.CALENDAR_PERMISSION):
        raise PermissionDenied("只有组织部管理员可以维护节假日")
    today = dt.date.today()  # noqa: DTZ011 — a year picker, the local date is what is meant
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    year = max(2004, min(year, today.year + 5))
    form = CalendarDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.calendar_day_set(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"已保存 {form.cleaned_data['date']:%Y年%m月%d日}")
            return redirect(f"{request.path}?year={form.cleaned_data['date'].year}")
    days = selectors.calendar_days(year=year)
    return TemplateResponse(
        request,
        "core/calendar.html",
        {
            "form": form,
            "days": days,
            "year": year,
            "years": range(today.year - 2, today.year + 3),
            "nav_active": "calendar",
        },
    )


@login_required
@require_POST
def calendar_delete(request: HttpRequest, date: str) -> HttpResponse:
    try:
        day = dt.date.fromisoformat(date)
        services.calendar_day_delete(actor=request.user, date=day)
    except ValueError:
        messages.error(request, "日期格式不正确")
        return redirect("core:calendar")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("core:calendar")
    messages.success(request, f"已删除 {day:%Y年%m月%d日} 的记录，该日恢复为正常作息")
    return redirect(f"/system/calendar/?year={day.year}")


class BlockEntryForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=BlockEntry.Kind.choices)
    value = forms.CharField(label="手机号或 IP 地址", max_length=64)
    reason = forms.CharField(label="原因", max_length=200)
    days = forms.IntegerField(
        label="期限（天）",
        min_value=1,
        max_value=3650,
        required=False,
        help_text="留空为长期，直到手工解除",
    )


@login_required
def blocklist_page(request: HttpRequest) -> HttpResponse:
    if not blocklist.may_manage_blocklist(request.user):
        raise PermissionDenied("只有县级（根组织）群众诉求管理员可以维护黑名单")
    form = BlockEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        until = timezone.now() + dt.timedelta(days=data["days"]) if data["days"] else None
        try:
            entry = blocklist.block_add(
                actor=request.user,
                kind=data["kind"],
                value=data["value"],
                reason=data["reason"],
                until=until,
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, f"已将{entry.get_kind_display()} {entry.label} 列入黑名单")
            return redirect("core:blocklist")
    show_all = request.GET.get("all") == "1"
    entries = blocklist.block_entries(active_only=not show_all)
    return TemplateResponse(
        request,
        "core/blocklist.html",
        {"form": form, "entries": entries, "show_all": show_all, "now": timezone.now()},
    )


@login_required
@require_POST
def blocklist_lift(request: HttpRequest, entry_id: int) -> HttpResponse:
    try:
        entry = blocklist.block_lift(actor=request.user, entry_id=entry_id)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已解除 {entry.label}")
    return redirect("core:blocklist")
