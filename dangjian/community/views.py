"""Pages of 村情民意, 矛盾调解 and 乡贤, under /grid/ in the ``grid`` URL namespace."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.accounts.models import User
from dangjian.community import selectors, services
from dangjian.community.access import (
    access_mediation_by_id,
    access_opinion_by_id,
    access_worthy_by_id,
)
from dangjian.community.forms import (
    MediationForm,
    OpinionForm,
    OpinionHandleForm,
    WorthyEditForm,
    WorthyForm,
)
from dangjian.community.models import LocalWorthy, Mediation, OpinionRecord
from dangjian.core.forms import add_validation_error
from dangjian.grid import selectors as grid_selectors
from dangjian.grid import services as grid_services
from dangjian.grid.models import Grid, Household
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
from dangjian.grid.rules import opinion_is_overdue
from dangjian.orgs.access import access_org_by_id, may, scope_roots

OPINION_FILTERS = ("grid", "org", "status", "category")
MEDIATION_FILTERS = ("grid", "org", "outcome", "dispute_type", "place")
WORTHY_FILTERS = ("org", "background", "inactive")


# ── 村情民意 ──────────────────────────────────────────────────────────────────


def _record_grids(request: HttpRequest) -> list[Grid]:
    return grid_selectors.recordable_grids(request.user, within=working_org(request))


def _grid_choices(grids: list[Grid]) -> list[tuple[int, str]]:
    return [(g.pk, f"{g.org.display_name} · {g.name}") for g in grids]


def _chosen_grid(request: HttpRequest, grids: list[Grid]) -> Grid:
    """The grid picked in the form or the URL; the first recordable grid by default."""
    raw = request.POST.get("grid") or request.GET.get("grid") or ""
    if not raw:
        return grids[0]
    chosen = next((g for g in grids if str(g.pk) == raw), None)
    if chosen is None:
        raise PermissionDenied("您不是该网格的网格员，也没有维护该网格的权限")
    return chosen


@login_required
def opinion_list(request: HttpRequest) -> HttpResponse:
    require_grid_scope(request)
    grid = grid_param(request)
    org = None if grid else scope_org(request)
    params = filter_params(request, OPINION_FILTERS)
    page = selectors.opinion_page(
        viewer=request.user, org=org, grid=grid, params=params, cursor=request.GET.get("cursor")
    )
    return more_or_page(
        request,
        "community/opinion_list.html",
        {
            "grid": grid,
            "org": org,
            "page": page,
            "params": params,
            "next_query": next_query(params, page.next_cursor),
            "statuses": OpinionRecord.Status.choices,
            "categories": OpinionRecord.Category.choices,
            "today": timezone.localdate(),
            "can_record": bool(_record_grids(request)),
            "crumbs": crumbs(("村情民意", "")),
        },
    )


@login_required
def opinion_new(request: HttpRequest) -> HttpResponse:
    grids = _record_grids(request)
    if not grids:
        raise PermissionDenied("您没有可登记民意的网格")
    grid = _chosen_grid(request, grids)
    form = OpinionForm(
        request.POST or None,
        grids=_grid_choices(grids),
        households=household_choices(grid),
        initial={"grid": grid.pk, "collected_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        household = Household.objects.filter(grid=grid, pk=data["household"]).first()
        try:
            opinion = services.opinion_record(
                actor=request.user,
                grid=grid,
                collected_on=data["collected_on"],
                category=data["category"],
                content=data["content"],
                household=household,
                collected_by_member=getattr(request.user, "member_record", None)
                if _serves(request.user, grid)
                else None,
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, f"已登记民意，应于 {opinion.due_on:%Y-%m-%d} 前办结或答复")
            return redirect("grid:detail", grid.pk)
    return render_page(
        request,
        "community/record_form.html",
        {
            "form": form,
            "grid": grid,
            "title": "登记村情民意",
            "testid": "opinion-form",
            "cancel_url": reverse("grid:detail", args=[grid.pk]),
            "crumbs": crumbs(("村情民意", reverse("grid:opinions")), ("登记", "")),
        },
    )


def _serves(user: Any, grid: Grid) -> bool:
    member = getattr(user, "member_record", None)
    return member is not None and grid_services.member_serves(member, grid.org)


@login_required
def opinion_detail(request: HttpRequest, opinion_id: int) -> HttpResponse:
    opinion = access_opinion_by_id(request.user, opinion_id)
    grid = opinion.grid
    can_handle = (
        grid_services.may_record_in_grid(request.user, grid)
        if grid
        else may(request.user, "grid.manage", opinion.org)
    ) and opinion.status not in services.CLOSED_OPINION
    form = None
    if can_handle:
        form = OpinionHandleForm(
            request.POST or None,
            initial={"handling": opinion.handling, "handled_on": timezone.localdate()},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.opinion_handle(
                    actor=request.user,
                    opinion=opinion,
                    status=data["status"],
                    handling=data["handling"],
                    result=data["result"],
                    handled_on=data["handled_on"],
                )
            except ValidationError as exc:
                add_validation_error(form, exc)
            else:
                messages.success(request, "已更新办理情况")
                return redirect("grid:opinion_detail", opinion.pk)
    elif request.method == "POST":
        raise PermissionDenied("您不能办理该民意")
    return render_page(
        request,
        "community/opinion_detail.html",
        {
            "opinion": opinion,
            "form": form,
            "overdue": opinion_is_overdue(
                due_on=opinion.due_on, handled_on=opinion.handled_on, today=timezone.localdate()
            ),
            "crumbs": crumbs(("村情民意", reverse("grid:opinions")), (f"民意 #{opinion.pk}", "")),
        },
    )


# ── 矛盾调解 ──────────────────────────────────────────────────────────────────


@login_required
def mediation_list(request: HttpRequest) -> HttpResponse:
    require_grid_scope(request)
    grid = grid_param(request)
    org = None if grid else scope_org(request)
    params = filter_params(request, MEDIATION_FILTERS)
    page = selectors.mediation_page(
        viewer=request.user, org=org, grid=grid, params=params, cursor=request.GET.get("cursor")
    )
    return more_or_page(
        request,
        "community/mediation_list.html",
        {
            "grid": grid,
            "org": org,
            "page": page,
            "params": params,
            "next_query": next_query(params, page.next_cursor),
            "outcomes": Mediation.Outcome.choices,
            "types": Mediation.DisputeType.choices,
            "places": Mediation.Place.choices,
            "can_record": bool(_record_grids(request)),
            "crumbs": crumbs(("矛盾调解", "")),
        },
    )


@login_required
def mediation_new(request: HttpRequest) -> HttpResponse:
    grids = _record_grids(request)
    if not grids:
        raise PermissionDenied("您没有可登记调解的网格")
    grid = _chosen_grid(request, grids)
    me = cast(User, request.user)
    users = list(dict.fromkeys([me, *grid.workers.all()]))
    members = grid_selectors.member_choices(grid.org)
    worthies = selectors.worthy_choices(grid.org)
    form = MediationForm(
        request.POST or None,
        grids=_grid_choices(grids),
        users=user_choices(users),
        members=[(m.pk, m.name) for m in members],
        worthies=[(w.pk, f"{w.name}（{w.get_background_display()} · {w.org.display_name}）")
                  for w in worthies],
        initial={"grid": grid.pk, "mediated_on": timezone.localdate(),
                 "mediator_users": [request.user.pk], "place": Mediation.Place.WORTHY_ROOM},
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            mediation = services.mediation_record(
                actor=request.user,
                grid=grid,
                mediated_on=data["mediated_on"],
                dispute_type=data["dispute_type"],
                parties=data["parties"],
                summary=data["summary"],
                place=data["place"],
                place_detail=data["place_detail"],
                outcome=data["outcome"],
                referred_to=data["referred_to"],
                agreement=data["agreement"],
                mediator_users=[u for u in users if u.pk in data["mediator_users"]],
                mediator_members=[m for m in members if m.pk in data["mediator_members"]],
                worthies=[w for w in worthies if w.pk in data["worthies"]],
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, f"已登记调解：{mediation.get_outcome_display()}")
            return redirect("grid:detail", grid.pk)
    return render_page(
        request,
        "community/record_form.html",
        {
            "form": form,
            "grid": grid,
            "title": "登记矛盾调解",
            "testid": "mediation-form",
            "cancel_url": reverse("grid:detail", args=[grid.pk]),
            "crumbs": crumbs(("矛盾调解", reverse("grid:mediations")), ("登记", "")),
        },
    )


@login_required
def mediation_detail(request: HttpRequest, mediation_id: int) -> HttpResponse:
    mediation = access_mediation_by_id(request.user, mediation_id)
    return render_page(
        request,
        "community/mediation_detail.html",
        {
            "mediation": mediation,
            "users": list(mediation.mediator_users.only("id", "name", "username")),
            "members": list(mediation.mediator_members.only("id", "name")),
            "worthies": list(mediation.worthies.select_related("org")),
            "can_reveal": grid_services.may_reveal_household(request.user, mediation.org),
            "crumbs": crumbs(
                ("矛盾调解", reverse("grid:mediations")), (f"调解 #{mediation.pk}", "")
            ),
        },
    )


@login_required
@require_POST
def mediation_reveal(request: HttpRequest, mediation_id: int) -> HttpResponse:
    mediation = access_mediation_by_id(request.user, mediation_id)
    names = services.mediation_reveal(actor=request.user, mediation=mediation)
    return TemplateResponse(
        request, "grid/_revealed.html", {"values": {"parties": "、".join(names)}}
    )


# ── 乡贤 ──────────────────────────────────────────────────────────────────────


@login_required
def worthy_list(request: HttpRequest) -> HttpResponse:
    require_grid_scope(request)
    org = scope_org(request)
    params = filter_params(request, WORTHY_FILTERS)
    page = selectors.worthy_page(
        viewer=request.user, org=org, params=params, cursor=request.GET.get("cursor")
    )
    return more_or_page(
        request,
        "community/worthy_list.html",
        {
            "org": org,
            "page": page,
            "params": params,
            "next_query": next_query(params, page.next_cursor),
            "backgrounds": LocalWorthy.Background.choices,
            "can_manage": bool(scope_roots(request.user, action="grid.manage")),
            "crumbs": crumbs(("乡贤", "")),
        },
    )


def _worthy_data(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in ("name", "background", "specialty", "joined_on", "note")}


@login_required
def worthy_new(request: HttpRequest) -> HttpResponse:
    if not scope_roots(request.user, action="grid.manage"):
        raise PermissionDenied("您没有登记乡贤的权限")
    orgs = grid_selectors.grid_host_orgs(request.user, within=working_org(request))
    form = WorthyForm(
        request.POST or None,
        orgs=org_choices(orgs),
        initial={"joined_on": timezone.localdate(), "org": request.GET.get("org")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            org = access_org_by_id(request.user, form.cleaned_data["org"], action="grid.manage")
            worthy = services.worthy_create(
                actor=request.user,
                org=org,
                data=_worthy_data(form.cleaned_data),
                phone=form.cleaned_data["phone"],
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, f"已登记乡贤：{worthy.name}")
            return redirect("grid:worthy_detail", worthy.pk)
    return render_page(
        request,
        "grid/simple_form.html",
        {
            "form": form,
            "title": "登记乡贤",
            "cancel_url": reverse("grid:worthies"),
            "crumbs": crumbs(("乡贤", reverse("grid:worthies")), ("登记", "")),
        },
    )


@login_required
def worthy_edit(request: HttpRequest, worthy_id: int) -> HttpResponse:
    worthy = access_worthy_by_id(request.user, worthy_id, action="grid.manage")
    initial = {
        k: getattr(worthy, k) for k in ("name", "background", "specialty", "joined_on", "note")
    }
    form = WorthyEditForm(request.POST or None, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.worthy_update(
                actor=request.user,
                worthy=worthy,
                data=_worthy_data(form.cleaned_data),
                phone=form.cleaned_data["phone"] or None,
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("grid:worthy_detail", worthy.pk)
    url = reverse("grid:worthy_detail", args=[worthy.pk])
    return render_page(
        request,
        "grid/simple_form.html",
        {
            "form": form,
            "title": f"修改乡贤：{worthy.name}",
            "cancel_url": url,
            "crumbs": crumbs(("乡贤", reverse("grid:worthies")), (worthy.name, url), ("修改", "")),
        },
    )


@login_required
def worthy_detail(request: HttpRequest, worthy_id: int) -> HttpResponse:
    worthy = access_worthy_by_id(request.user, worthy_id)
    can_manage = may(request.user, "grid.manage", worthy.org)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("您没有维护乡贤的权限")
        services.worthy_update(
            actor=request.user, worthy=worthy, data={}, is_active=request.POST.get("active") == "1"
        )
        messages.success(request, "已更新聘请状态")
        return redirect("grid:worthy_detail", worthy.pk)
    mediations = list(worthy.mediations.select_related("grid").order_by("-mediated_on", "-id")[:20])
    return render_page(
        request,
        "community/worthy_detail.html",
        {
            "worthy": worthy,
            "mediations": mediations,
            "mediation_total": worthy.mediations.count(),
            "can_manage": can_manage,
            "can_reveal": grid_services.may_reveal_household(request.user, worthy.org),
            "crumbs": crumbs(("乡贤", reverse("grid:worthies")), (worthy.name, "")),
        },
    )


@login_required
@require_POST
def worthy_reveal(request: HttpRequest, worthy_id: int) -> HttpResponse:
    worthy = access_worthy_by_id(request.user, worthy_id)
    values = services.worthy_reveal(actor=request.user, worthy=worthy)
    return TemplateResponse(request, "grid/_revealed.html", {"values": values})
