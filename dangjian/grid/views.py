"""Pages of 网格与联户: grids, households, 联户 and statistics (村情民意, 矛盾调解 and 乡贤:
``community.views``; the helpers both use are in ``grid.pages``).

Thin: gate (grid.access / orgs.access) → form → one service or selector → template. Phone-first:
grid workers use these pages at 375 px.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.accounts.models import User
from dangjian.core.excel import xlsx_response
from dangjian.core.forms import add_validation_error
from dangjian.grid import excel, selectors, services
from dangjian.grid.access import (
    access_anchor_by_id,
    access_grid_by_id,
    access_household_by_id,
    access_link_by_id,
    grids_of_worker,
)
from dangjian.grid.forms import (
    AnchorForm,
    GridEditForm,
    GridForm,
    HouseholdEditForm,
    HouseholdForm,
    LinkForm,
)
from dangjian.grid.models import (
    AnchorHousehold,
    Household,
    HouseholdLink,
)
from dangjian.grid.pages import (
    crumbs,
    filter_params,
    grid_param,
    household_choices,
    more_or_page,
    next_query,
    org_choices,
    render_page,
    require_grid_scope,
    scope_org,
    user_choices,
    working_org,
)
from dangjian.grid.rules import grid_rules_for
from dangjian.members.models import Member
from dangjian.orgs.access import access_org_by_id, may, scope_roots
from dangjian.orgs.models import Organization

HOUSEHOLD_FILTERS = ("grid", "org", "tag", "care", "linked", "q", "inactive")
OPINION_FILTERS = ("grid", "org", "status", "category")
MEDIATION_FILTERS = ("grid", "org", "outcome", "dispute_type", "place")
WORTHY_FILTERS = ("org", "background", "inactive")
PERIODS = {"year": "今年以来", "last12": "近一年", "prev_year": "上一年度"}


def _period(key: str, today: dt.date) -> tuple[dt.date, dt.date, str]:
    if key == "last12":
        return today - dt.timedelta(days=364), today, key
    if key == "prev_year":
        return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31), key
    return dt.date(today.year, 1, 1), today, "year"


def _custom_period(start: str, end: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """A period typed on the page (both ends, start ≤ end, at most five years), else None."""
    try:
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    except ValueError:
        return None
    if first > last or (last - first).days > 366 * 5:
        return None
    return first, last


# ── grids ────────────────────────────────────────────────────────────────────


@login_required
def grid_list(request: HttpRequest) -> HttpResponse:
    require_grid_scope(request)
    org = scope_org(request)
    today = timezone.localdate()
    page = selectors.grid_page(
        selectors.grid_filter(viewer=request.user, org=org), cursor=request.GET.get("cursor")
    )
    params = filter_params(request, ("org", "period", "start", "end"))
    start, end, period = _period(request.GET.get("period", ""), today)
    custom = _custom_period(request.GET.get("start", ""), request.GET.get("end", ""), today)
    if custom is not None:
        start, end, period = *custom, "custom"
    stats = selectors.grid_stats(org=org, start=start, end=end, today=today) if org else None
    children = selectors.grid_stats_by_child(org=org, start=start, end=end) if org else []
    mine = list(
        grids_of_worker(request.user)
        .select_related("org")
        .annotate(household_count=selectors.count_of(Household, "grid", is_active=True))
        .order_by("org_path", "name")[:20]
    )
    return more_or_page(
        request,
        "grid/grid_list.html",
        {
            "org": org,
            "page": page,
            "params": params,
            "next_query": next_query(params, page.next_cursor),
            "stats": stats,
            "children": children,
            "period": period,
            "periods": PERIODS,
            "mine": mine,
            "can_manage": bool(scope_roots(request.user, action="grid.manage")),
            "crumbs": crumbs(),
        },
    )


@login_required
def grid_new(request: HttpRequest) -> HttpResponse:
    if not scope_roots(request.user, action="grid.manage"):
        raise PermissionDenied("您没有维护网格的权限")
    orgs = selectors.grid_host_orgs(request.user, within=working_org(request))
    chosen = request.POST.get("org") or request.GET.get("org") or ""
    host = next((o for o in orgs if str(o.pk) == chosen), orgs[0] if orgs else None)
    today = timezone.localdate()
    workers = selectors.worker_candidates(host, today=today) if host else []
    form = GridForm(
        request.POST or None,
        orgs=org_choices(orgs),
        workers=user_choices(workers),
        initial={"org": host.pk if host else None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            org = access_org_by_id(request.user, form.cleaned_data["org"], action="grid.manage")
            grid = services.grid_create(
                actor=request.user,
                org=org,
                name=form.cleaned_data["name"],
                area_description=form.cleaned_data["area_description"],
                workers=User.objects.filter(pk__in=form.cleaned_data["workers"]),
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, f"已设立网格“{grid.name}”")
            return redirect("grid:detail", grid.pk)
    return render_page(
        request,
        "grid/grid_form.html",
        {"form": form, "title": "设立网格", "cancel_url": reverse("grid:list"),
         "crumbs": crumbs(("设立网格", ""))},
    )  # fmt: skip


@login_required
def grid_edit(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = access_grid_by_id(request.user, grid_id, action="grid.manage")
    workers = selectors.worker_candidates(grid.org, today=timezone.localdate())
    current = list(grid.workers.all())
    choices = user_choices(list(dict.fromkeys(current + workers)))
    form = GridEditForm(
        request.POST or None,
        workers=choices,
        initial={
            "name": grid.name,
            "area_description": grid.area_description,
            "workers": [u.pk for u in current],
            "is_active": grid.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.grid_update(
                actor=request.user,
                grid=grid,
                name=form.cleaned_data["name"],
                area_description=form.cleaned_data["area_description"],
                workers=User.objects.filter(pk__in=form.cleaned_data["workers"]),
                is_active=form.cleaned_data["is_active"],
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("grid:detail", grid.pk)
    return render_page(
        request,
        "grid/grid_form.html",
        {
            "form": form,
            "grid": grid,
            "title": f"修改网格：{grid.name}",
            "cancel_url": reverse("grid:detail", args=[grid.pk]),
            "crumbs": crumbs((grid.name, reverse("grid:detail", args=[grid.pk])), ("修改", "")),
        },
    )


@login_required
def grid_detail(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = access_grid_by_id(request.user, grid_id)
    today = timezone.localdate()
    params = filter_params(request, ("tag", "care", "linked", "q"))
    qs = selectors.household_filter(viewer=request.user, grid=grid, params=params)
    page = selectors.household_page(qs, cursor=request.GET.get("cursor"))
    return more_or_page(
        request,
        "grid/grid_detail.html",
        {
            "grid": grid,
            "detail": selectors.grid_detail(grid, today=today),
            "workers": list(grid.workers.only("id", "name", "username")),
            "page": page,
            "params": params,
            "next_query": next_query(params, page.next_cursor),
            "tags": selectors.tag_choices(),
            "can_manage": may(request.user, "grid.manage", grid.org),
            "can_record": grid.is_active and services.may_record_in_grid(request.user, grid),
            "crumbs": crumbs((grid.name, "")),
        },
    )


# ── households ───────────────────────────────────────────────────────────────


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    require_grid_scope(request)
    grid = grid_param(request)
    org = None if grid else scope_org(request)
    params = filter_params(request, HOUSEHOLD_FILTERS)
    qs = selectors.household_filter(viewer=request.user, org=org, grid=grid, params=params)
    page = selectors.household_page(qs, cursor=request.GET.get("cursor"))
    scope = grid.org if grid else org
    return more_or_page(
        request,
        "grid/household_list.html",
        {
            "grid": grid,
            "org": org,
            "page": page,
            "params": params,
            "next_query": next_query(params, page.next_cursor),
            "tags": selectors.tag_choices(),
            "can_export": scope is not None and may(request.user, "grid.manage", scope),
            "export_query": urlencode(params),
            "crumbs": crumbs(("住户", "")),
        },
    )


def _tag_choices() -> list[tuple[str, str]]:
    return [(t.code, t.label) for t in selectors.tag_choices()]


@login_required
def household_new(request: HttpRequest) -> HttpResponse:
    grid = grid_param(request, action="grid.manage")
    if grid is None:
        raise Http404("请从网格页面登记住户")
    form = HouseholdForm(request.POST or None, tags=_tag_choices())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = services.household_create(
                actor=request.user,
                grid=grid,
                data={k: data[k] for k in ("address", "head_name", "size", "note")},
                phone=data["phone"],
                head_id=data["head_id"],
                tags=data["tags"],
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, f"已登记住户：{household.address}")
            return redirect("grid:detail", grid.pk)
    return render_page(
        request,
        "grid/household_form.html",
        {
            "form": form,
            "title": f"登记住户（{grid.name}）",
            "cancel_url": reverse("grid:detail", args=[grid.pk]),
            "crumbs": crumbs((grid.name, reverse("grid:detail", args=[grid.pk])), ("登记住户", "")),
        },
    )


@login_required
def household_edit(request: HttpRequest, household_id: int) -> HttpResponse:
    household = access_household_by_id(request.user, household_id, action="grid.manage")
    initial = {
        "address": household.address,
        "head_name": household.head_name,
        "size": household.size,
        "note": household.note,
        "tags": list(household.tags.values_list("code", flat=True)),
    }
    form = HouseholdEditForm(
        request.POST or None, tags=_tag_choices(), editing=True, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.household_update(
                actor=request.user,
                household=household,
                data={k: data[k] for k in ("address", "head_name", "size", "note")},
                phone=data["phone"] or None,
                head_id=data["head_id"] or None,
                tags=data["tags"],
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("grid:household_detail", household.pk)
    url = reverse("grid:household_detail", args=[household.pk])
    return render_page(
        request,
        "grid/household_form.html",
        {
            "form": form,
            "title": f"修改住户：{household.address}",
            "cancel_url": url,
            "crumbs": crumbs((household.grid.name, reverse("grid:detail", args=[household.grid_id])),
                              (household.address, url), ("修改", "")),
        },
    )  # fmt: skip


@login_required
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    household = access_household_by_id(request.user, household_id)
    grid = household.grid
    return render_page(
        request,
        "grid/household_detail.html",
        {
            "household": household,
            "grid": grid,
            "tags": list(household.tags.all()),
            "links": selectors.household_links(household),
            "opinions": list(household.opinions.order_by("-collected_on", "-id")[:10]),
            "can_manage": may(request.user, "grid.manage", household.org),
            "can_reveal": services.may_reveal_household(request.user, household.org),
            "can_record": services.may_record_in_grid(request.user, grid),
            "crumbs": crumbs((grid.name, reverse("grid:detail", args=[grid.pk])),
                              (household.address, "")),
        },
    )  # fmt: skip


@login_required
@require_POST
def household_status(request: HttpRequest, household_id: int) -> HttpResponse:
    """迁出 (the household's links end) or back on the roll."""
    household = access_household_by_id(request.user, household_id, action="grid.manage")
    active = request.POST.get("active") == "1"
    services.household_update(actor=request.user, household=household, data={}, is_active=active)
    messages.success(request, "已恢复在册" if active else "已登记迁出，联户关系同时结束")
    return redirect("grid:household_detail", household.pk)


@login_required
@require_POST
def household_reveal(request: HttpRequest, household_id: int) -> HttpResponse:
    household = access_household_by_id(request.user, household_id)
    values = services.household_reveal(actor=request.user, household=household)
    return TemplateResponse(request, "grid/_revealed.html", {"values": values})


@login_required
def household_template(request: HttpRequest) -> HttpResponse:
    if not scope_roots(request.user, action="grid.manage"):
        raise PermissionDenied("您没有维护住户的权限")
    return xlsx_response(excel.household_template(), "住户导入模板.xlsx")


@login_required
def household_import(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = access_grid_by_id(request.user, grid_id, action="grid.manage")
    errors: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = ["请选择要导入的 Excel 文件"]
        else:
            try:
                result = excel.household_import(actor=request.user, grid=grid, file=upload)
            except excel.ImportFileError as exc:
                errors = [str(exc)]
            else:
                if not result.errors:
                    messages.success(request, f"已导入 {result.created} 户")
                    return redirect("grid:detail", grid.pk)
                errors = result.errors
    return render_page(
        request,
        "grid/household_import.html",
        {
            "grid": grid,
            "errors": errors,
            "crumbs": crumbs((grid.name, reverse("grid:detail", args=[grid.pk])), ("导入住户", "")),
        },
    )


@login_required
def household_export(request: HttpRequest) -> HttpResponse:
    grid = grid_param(request, action="grid.manage")
    org = None
    if grid is None:
        org = scope_org(request)
        if org is None or not may(request.user, "grid.manage", org):
            raise PermissionDenied("您没有导出住户名册的权限")
    params = filter_params(request, HOUSEHOLD_FILTERS)
    qs = selectors.household_filter(viewer=request.user, org=org, grid=grid, params=params)
    label = grid.name if grid else org.display_name  # type: ignore[union-attr]
    data = excel.household_export(actor=request.user, households=qs, scope_label=label)
    return xlsx_response(data, excel.export_filename(label, today=timezone.localdate()))


# ── 党员中心户 and 联户 ───────────────────────────────────────────────────────


def _member_choices(org: Organization) -> list[tuple[int, str]]:
    return [(m.pk, m.name) for m in selectors.member_choices(org)]


@login_required
def grid_links(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = access_grid_by_id(request.user, grid_id)
    can_manage = may(request.user, "grid.manage", grid.org)
    anchors = list(
        AnchorHousehold.objects.filter(grid=grid, ended_on__isnull=True).select_related(
            "member", "household"
        )
    )
    form = None
    if can_manage:
        form = LinkForm(
            request.POST or None,
            members=_member_choices(grid.org),
            anchors=[(a.pk, f"{a.member.name}（党员中心户）") for a in anchors],
            households=household_choices(grid),
            initial={"started_on": timezone.localdate()},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                member = selectors.member_choices_qs(grid.org).get(pk=data["member"])
                anchor = next((a for a in anchors if a.pk == data["anchor"]), None)
                households = list(
                    Household.objects.filter(grid=grid, pk__in=data["households"]).select_related(
                        "grid__org"
                    )
                )
                links = services.household_link(
                    actor=request.user,
                    member=member,
                    households=households,
                    anchor=anchor,
                    started_on=data["started_on"],
                )
            except Member.DoesNotExist:
                form.add_error("member", "请选择本村（社区）的党员")
            except ValidationError as exc:
                add_validation_error(form, exc)
            else:
                messages.success(request, f"已为{member.name}新增联系 {len(links)} 户")
                return redirect("grid:links", grid.pk)
    elif request.method == "POST":
        raise PermissionDenied("您没有维护联户的权限")
    links = list(
        HouseholdLink.objects.filter(household__grid=grid, ended_on__isnull=True)
        .select_related("member", "household", "anchor")
        .order_by("member__name", "member_id", "household_id")
    )
    by_member: dict[int, dict[str, Any]] = {}
    for link in links:
        row = by_member.setdefault(
            link.member_id, {"member": link.member, "links": [], "anchor": None}
        )
        row["links"].append(link)
    for anchor in anchors:
        by_member.setdefault(anchor.member_id, {"member": anchor.member, "links": []})
        by_member[anchor.member_id]["anchor"] = anchor
    linked = {link.household_id for link in links}
    unlinked = Household.objects.filter(grid=grid, is_active=True).exclude(pk__in=linked).count()
    rules = grid_rules_for(grid.org_path, timezone.localdate())
    return render_page(
        request,
        "grid/grid_links.html",
        {
            "grid": grid,
            "rows": list(by_member.values()),
            "anchors": anchors,
            "unlinked": unlinked,
            "form": form,
            "rules": rules,
            "can_manage": can_manage,
            "crumbs": crumbs((grid.name, reverse("grid:detail", args=[grid.pk])), ("党员联户", "")),
        },
    )


@login_required
@require_POST
def link_end(request: HttpRequest, link_id: int) -> HttpResponse:
    link = access_link_by_id(request.user, link_id, action="grid.manage")
    try:
        services.household_unlink(actor=request.user, link=link)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已结束{link.member.name}与{link.household.address}的联户关系")
    return redirect("grid:links", link.household.grid_id)


@login_required
def anchor_new(request: HttpRequest, grid_id: int) -> HttpResponse:
    grid = access_grid_by_id(request.user, grid_id, action="grid.manage")
    form = AnchorForm(
        request.POST or None,
        members=_member_choices(grid.org),
        households=household_choices(grid),
        initial={"started_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = selectors.member_choices_qs(grid.org).get(pk=data["member"])
            household = Household.objects.filter(grid=grid, pk=data["household"]).first()
            services.anchor_create(
                actor=request.user,
                grid=grid,
                member=member,
                household=household,
                started_on=data["started_on"],
                note=data["note"],
            )
        except Member.DoesNotExist:
            form.add_error("member", "请选择本村（社区）的党员")
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, f"已设{member.name}家为党员中心户")
            return redirect("grid:links", grid.pk)
    return render_page(
        request,
        "grid/simple_form.html",
        {
            "form": form,
            "title": f"设立党员中心户（{grid.name}）",
            "cancel_url": reverse("grid:links", args=[grid.pk]),
            "crumbs": crumbs((grid.name, reverse("grid:detail", args=[grid.pk])),
                              ("设立党员中心户", "")),
        },
    )  # fmt: skip


@login_required
@require_POST
def anchor_end(request: HttpRequest, anchor_id: int) -> HttpResponse:
    anchor = access_anchor_by_id(request.user, anchor_id, action="grid.manage")
    try:
        services.anchor_end(actor=request.user, anchor=anchor)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已撤销{anchor.member.name}的党员中心户")
    return redirect("grid:links", anchor.grid_id)


@login_required
def my_households(request: HttpRequest) -> HttpResponse:
    """党员联户 for the member themself: the households they look after (phone-first)."""
    member = getattr(request.user, "member_record", None)
    if member is None or member.status == Member.Status.FORMER:
        raise PermissionDenied("您的账号没有关联在册党员档案")
    links = list(
        HouseholdLink.objects.filter(member=member, ended_on__isnull=True)
        .select_related("household", "household__grid", "household__org", "anchor")
        .prefetch_related("household__tags")
        .order_by("household__grid_id", "household_id")
    )
    anchor = (
        AnchorHousehold.objects.filter(member=member, ended_on__isnull=True)
        .select_related("grid", "household")
        .first()
    )
    return render_page(
        request,
        "grid/my_households.html",
        {"member": member, "links": links, "anchor": anchor, "nav_active": "my_households",
         "crumbs": [{"label": "我联系的住户", "url": ""}]},
    )  # fmt: skip
