"""Member pages: the list with filters, the profile with tabs, forms and status changes.

Thin: gate (members.access) → form → one service or selector → template.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts.workspace import current_grant
from dangjian.core.counting import total_text
from dangjian.core.files import serve_private_file
from dangjian.core.forms import add_validation_error
from dangjian.core.paths import subtree_q
from dangjian.core.ratelimit import RateLimitedError
from dangjian.members import selectors, services
from dangjian.members.access import access_dossier_item_by_id, access_member_by_id, may_reveal
from dangjian.members.forms import (
    CheckinForm,
    DateForm,
    LeaveForm,
    LostContactForm,
    MemberEditForm,
    MemberForm,
    MobileForm,
    PlaceForm,
)
from dangjian.members.models import DossierRequirement, Member
from dangjian.members.rules import (
    AGE_BANDS,
    EDUCATION_GROUPS,
    PARTY_AGE_BANDS,
    age_on,
    code_labels,
)
from dangjian.orgs.access import access_org_by_id, may, orgs_visible_to, scope_q, scope_roots
from dangjian.orgs.models import BRANCH_TYPES, Organization

FILTER_KEYS = (
    "org", "q", "category", "standing", "sex", "minority", "education_group", "age_band",
    "party_age_band", "mobile", "lost", "retired", "alert", "status",
)  # fmt: skip


def _require_member_scope(request: HttpRequest) -> None:
    if not scope_roots(request.user, action="member.view"):
        raise PermissionDenied("您没有查看党员信息的权限")


def _branch_choices(viewer: Any, within: Organization | None = None) -> list[tuple[int, str]]:
    # Where the viewer may edit members, as one predicate (not ``may()`` per branch: 600 calls).
    qs = orgs_visible_to(viewer).filter(
        scope_q(viewer, "path", action="member.edit"),
        org_type__in=BRANCH_TYPES,
        dissolved_on__isnull=True,
    )
    if within is not None:
        qs = qs.filter(subtree_q("path", within.path))
    return list(qs.order_by("path").values_list("id", "name")[:2000])


def _org_filter_choices(viewer: Any) -> list[tuple[int, str]]:
    """Organizations to narrow the list to: committees, general branches and branches in scope."""
    qs = (
        orgs_visible_to(viewer)
        .filter(dissolved_on__isnull=True)
        .exclude(org_type=Organization.Type.GROUP)
        .order_by("path")
        .only("id", "name", "short_name", "depth", "path")[:1500]
    )
    rows = list(qs)
    top = min((o.depth for o in rows), default=1)
    return [(o.pk, "　" * (o.depth - top) + o.display_name) for o in rows]


def _working_org(request: HttpRequest) -> Organization | None:
    grant = current_grant(request.user, request.session)
    return access_org_by_id(request.user, grant.org_id) if grant else None


@login_required
@require_http_methods(["GET", "POST"])
def member_list(request: HttpRequest) -> HttpResponse:
    """The filtered list. The filter form posts: a search by a full 公民身份号码 is answered
    from the POST, so the number never enters a URL (and an access log); any other filter is
    redirected to its GET address, which pages and can be bookmarked."""
    _require_member_scope(request)
    source = request.POST if request.method == "POST" else request.GET
    params = {k: source[k] for k in FILTER_KEYS if source.get(k)}
    if request.method == "POST" and not selectors.is_id_query(params.get("q", "")):
        return redirect(f"{reverse('members:list')}?{urlencode(params)}")
    today = timezone.localdate()
    status = 200
    try:
        qs, info = selectors.member_filter(
            viewer=request.user, params=source, today=today, surface="member.list"
        )
    except RateLimitedError as exc:
        messages.error(request, exc.message)
        qs, info, status = Member.objects.none(), selectors.MemberFilter(q=params["q"]), 429
    page = selectors.member_page(qs, cursor=source.get("cursor"))
    if info.by_id_number or status == 429:
        params.pop("q", None)  # links built from params (paging, export) must not carry it
    labels = code_labels("ethnicity")
    rows = [
        {"m": m, "age": age_on(m.birth_date, today), "ethnicity": labels.get(m.ethnicity, "")}
        for m in page.rows
    ]
    count = selectors.member_count(qs)
    context = {
        "nav_active": "members",
        "rows": rows,
        "page": page,
        "count": count,
        "count_text": total_text(count, unit="人"),
        "info": info,
        "params": params,
        "query": urlencode(params),
        "next_query": urlencode({**params, "cursor": page.next_cursor}) if page.next_cursor else "",
        "categories": Member.Category.choices,
        "standings": Member.Standing.choices,
        "education_groups": EDUCATION_GROUPS,
        "age_bands": [b[0] for b in AGE_BANDS],
        "party_age_bands": [b[0] for b in PARTY_AGE_BANDS],
        "alerts": selectors.ALERTS,
        "crumbs": [{"label": "党员管理", "url": ""}],
        "org_choices": _org_filter_choices(request.user),
        "can_create": bool(scope_roots(request.user, action="member.edit")),
        "can_import": bool(scope_roots(request.user, action="member.import")),
        # A one-person search by ID number has nothing to export, and its link would carry it.
        "can_export": bool(scope_roots(request.user, action="member.export"))
        and not info.by_id_number,
    }
    if getattr(request, "htmx", False) and request.GET.get("cursor"):
        return TemplateResponse(request, "members/member_list.html#rows", context)
    return TemplateResponse(request, "members/member_list.html", context, status=status)


@login_required
def member_new(request: HttpRequest) -> HttpResponse:
    if not scope_roots(request.user, action="member.edit"):
        raise PermissionDenied("您没有登记党员的权限")
    branches = _branch_choices(request.user, _working_org(request))
    initial: dict[str, Any] = {"ethnicity": "01", "category": "full"}
    if request.GET.get("branch", "").isdigit():
        initial["branch"] = int(request.GET["branch"])
    form = MemberForm(request.POST or None, creating=True, branches=branches, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            branch = access_org_by_id(
                request.user, form.cleaned_data["branch"], action="member.edit"
            )
            member = services.member_create(
                actor=request.user, branch=branch, data=form.record_data(creating=True)
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, f"已登记党员 {member.name}")
            return redirect("members:detail", member.pk)
    return TemplateResponse(
        request,
        "members/member_form.html",
        {
            "nav_active": "members",
            "form": form,
            "title": "登记党员",
            "crumbs": [
                {"label": "党员管理", "url": reverse("members:list")},
                {"label": "登记党员", "url": ""},
            ],
            "cancel_url": reverse("members:list"),
        },
    )


@login_required
def member_edit(request: HttpRequest, member_id: int) -> HttpResponse:
    member = access_member_by_id(request.user, member_id, action="member.edit")
    fields = [f for f in MemberForm.base_fields if f not in ("id_number", "mobile")]
    initial = {f: getattr(member, f) for f in fields}
    form = MemberEditForm(request.POST or None, creating=False, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(
                actor=request.user, member=member, data=form.record_data(creating=False)
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("members:detail", member.pk)
    return TemplateResponse(
        request,
        "members/member_form.html",
        {
            "nav_active": "members",
            "form": form,
            "member": member,
            "title": f"修改 {member.name} 的信息",
            "crumbs": [
                {"label": "党员管理", "url": reverse("members:list")},
                {"label": member.name, "url": reverse("members:detail", args=[member.pk])},
                {"label": "修改", "url": ""},
            ],
            "cancel_url": reverse("members:detail", args=[member.pk]),
        },
    )


@login_required
def member_detail(request: HttpRequest, member_id: int) -> HttpResponse:
    member = access_member_by_id(request.user, member_id)
    tab = request.GET.get("tab", "basic")
    if tab not in ("basic", "timeline", "dossier", "meetings"):
        tab = "basic"
    today = timezone.localdate()
    can_edit = (
        may(request.user, "member.edit", member.branch) and member.status != Member.Status.FORMER
    )
    context: dict[str, Any] = {
        "nav_active": "members",
        "member": member,
        "tab": tab,
        "age": age_on(member.birth_date, today),
        "party_age": age_on(member.full_member_on or member.joined_on, today),
        "labels": {
            t: code_labels(t).get(getattr(member, f), "")
            for t, f in (
                ("sex", "sex"),
                ("ethnicity", "ethnicity"),
                ("education", "education"),
                ("job", "job"),
                ("marital", "marital"),
                ("health", "health"),
                ("degree", "degree"),
                ("party_post", "party_post"),
            )
        },  # fmt: skip
        "leave_reason": code_labels("decrease").get(member.leave_reason, ""),
        "can_edit": can_edit,
        "can_reveal": may_reveal(request.user, member),
        "can_transfer": may(request.user, "transfer.request", member.branch)
        and member.status == Member.Status.CURRENT,
        "crumbs": [
            {"label": "党员管理", "url": reverse("members:list")},
            {
                "label": member.branch.display_name,
                "url": reverse("members:list") + f"?org={member.branch_id}",
            },
            {"label": member.name, "url": ""},
        ],
    }
    if tab == "timeline":
        context["events"] = selectors.member_timeline(member=member)
    elif tab == "dossier":
        context["dossier"] = selectors.member_dossier(member=member)
    return TemplateResponse(request, "members/member_detail.html", context)


@login_required
@require_POST
def member_reveal_view(request: HttpRequest, member_id: int) -> HttpResponse:
    member = access_member_by_id(request.user, member_id)
    values = services.member_reveal(actor=request.user, member=member)
    return TemplateResponse(request, "members/_revealed.html", {"values": values, "member": member})


STATUS_CHANGES = {
    "confirm_full": "转为正式党员",
    "lost": "登记失联",
    "contact_restored": "恢复联系",
    "mobile": "登记外出流动",
    "mobile_end": "结束外出流动",
    "retired": "标记离退休",
    "unretired": "取消离退休标记",
    "checkin": "在职党员到社区报到",
    "suspend": "停止党籍",
    "restore": "恢复党籍",
    "leave": "党员减少（转入历史库）",
    "place": "调整党支部、党小组",
}


def _status_form(change: str, data: Any, request: HttpRequest, member: Member) -> Any:
    today = {"on": timezone.localdate(), "since": timezone.localdate()}
    form: Any
    if change == "lost":
        return LostContactForm(data, initial=today)
    if change == "mobile":
        form = MobileForm(data, initial=today)
        mobile_branches = orgs_visible_to(request.user).filter(
            is_mobile=True, org_type__in=BRANCH_TYPES
        )
        form.fields["mobile_branch"].choices = [("", "暂无")] + [
            (o.pk, o.name) for o in mobile_branches[:200]
        ]  # type: ignore[attr-defined]
        return form
    if change == "leave":
        return LeaveForm(data, initial=today)
    if change == "checkin":
        form = CheckinForm(data, initial=today)
        communities = orgs_visible_to(request.user).filter(
            sector=Organization.Sector.COMMUNITY, org_type__in=BRANCH_TYPES
        )
        form.fields["community"].choices = [("", "结束报到")] + [
            (o.pk, o.name) for o in communities[:500]
        ]  # type: ignore[attr-defined]
        return form
    if change == "place":
        form = PlaceForm(data, initial={"branch": member.branch_id, "group": member.group_id})
        form.fields["branch"].choices = _branch_choices(request.user, _working_org(request))  # type: ignore[attr-defined]
        groups = orgs_visible_to(request.user).filter(
            parent_id=member.branch_id, org_type=Organization.Type.GROUP
        )
        form.fields["group"].choices = [("", "不编入党小组")] + [(g.pk, g.name) for g in groups]  # type: ignore[attr-defined]
        return form
    if change in ("confirm_full", "suspend", "restore"):
        return DateForm(data, initial=today)
    return None  # no input needed


def _perform(change: str, request: HttpRequest, member: Member, form: Any) -> Member:
    actor, c = request.user, (form.cleaned_data if form is not None else {})
    if change == "confirm_full":
        return services.member_confirm_full(actor=actor, member=member, on=c["on"])
    if change == "lost":
        return services.member_set_lost_contact(actor=actor, member=member, since=c["since"])
    if change == "contact_restored":
        return services.member_set_lost_contact(actor=actor, member=member, since=None)
    if change == "mobile":
        branch = access_org_by_id(actor, c["mobile_branch"]) if c.get("mobile_branch") else None
        return services.member_set_mobile(
            actor=actor,
            member=member,
            destination=c["destination"],
            reason=c["reason"],
            since=c["since"],
            mobile_branch=branch,
        )
    if change == "mobile_end":
        return services.member_end_mobile(actor=actor, member=member)
    if change in ("retired", "unretired"):
        return services.member_set_retired(actor=actor, member=member, retired=change == "retired")
    if change == "checkin":
        community = access_org_by_id(actor, c["community"]) if c.get("community") else None
        return services.member_set_checkin(
            actor=actor, member=member, community=community, since=c.get("since")
        )
    if change in ("suspend", "restore"):
        return services.member_set_standing(
            actor=actor,
            member=member,
            suspended=change == "suspend",
            on=c["on"],
            note=c.get("note", ""),
        )
    if change == "leave":
        return services.member_leave(
            actor=actor,
            member=member,
            on=c["on"],
            decrease_reason=c["decrease_reason"],
            note=c.get("note", ""),
        )
    branch = access_org_by_id(actor, c["branch"], action="member.edit")
    group = access_org_by_id(actor, c["group"]) if c.get("group") else None
    return services.member_place(actor=actor, member=member, branch=branch, group=group)


@login_required
def member_status(request: HttpRequest, member_id: int, change: str) -> HttpResponse:
    if change not in STATUS_CHANGES:
        from django.http import Http404

        raise Http404("未知的操作")
    include_former = change == "restore"
    member = access_member_by_id(
        request.user, member_id, action="member.edit", include_former=include_former
    )
    form = _status_form(change, request.POST or None, request, member)
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            _perform(change, request, member, form)
        except ValidationError as exc:
            if form is None:
                messages.error(request, "；".join(exc.messages))
                return redirect("members:detail", member.pk)
            add_validation_error(form, exc)
        else:
            messages.success(request, f"已办理：{STATUS_CHANGES[change]}")
            return redirect("members:detail", member.pk)
    return TemplateResponse(
        request,
        "members/member_status.html",
        {
            "nav_active": "members",
            "member": member,
            "form": form,
            "change": change,
            "title": STATUS_CHANGES[change],
            "crumbs": [
                {"label": "党员管理", "url": reverse("members:list")},
                {"label": member.name, "url": reverse("members:detail", args=[member.pk])},
                {"label": STATUS_CHANGES[change], "url": ""},
            ],
        },
    )


@login_required
@require_POST
def member_dossier(request: HttpRequest, member_id: int) -> HttpResponse:
    member = access_member_by_id(request.user, member_id, action="member.edit")
    requirement = DossierRequirement.objects.filter(
        pk=request.POST.get("requirement") or 0, is_active=True
    ).first()
    if requirement is None:
        messages.error(request, "未找到该档案材料项")
    else:
        try:
            services.dossier_set(
                actor=request.user,
                member=member,
                requirement=requirement,
                present=request.POST.get("present") == "1",
                scan=request.FILES.get("scan"),
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已更新“{requirement.name}”")
    return redirect(reverse("members:detail", args=[member.pk]) + "?tab=dossier")


@login_required
def dossier_gaps(request: HttpRequest) -> HttpResponse:
    _require_member_scope(request)
    org_id = request.GET.get("org")
    org = (
        access_org_by_id(request.user, int(org_id))
        if org_id and org_id.isdigit()
        else _working_org(request)
    )
    if org is None:
        raise PermissionDenied("您没有查看党员信息的权限")
    rows = selectors.dossier_gaps(viewer=request.user, org=org)
    return TemplateResponse(
        request,
        "members/dossier_gaps.html",
        {
            "nav_active": "members",
            "org": org,
            "rows": rows,
            "crumbs": [
                {"label": "党员管理", "url": reverse("members:list")},
                {"label": "档案补缺", "url": ""},
            ],
        },
    )


@login_required
def dossier_scan(request: HttpRequest, item_id: int) -> HttpResponseBase:
    """A dossier scan, only to those who may see the member (core.files serves it)."""
    item = access_dossier_item_by_id(request.user, item_id)
    if not item.scan:
        raise Http404("未找到扫描件")
    ext = Path(item.scan.name or "").suffix.lower()
    name = f"{item.member.name}-{item.requirement.name}{ext}"
    return serve_private_file(request, item.scan, download_name=name)


@login_required
def dossier_settings_edit(request: HttpRequest) -> HttpResponse:
    """档案必备材料设置: the configurable checklist every dossier is measured against; adds a
    requirement, or (``?edit=<id>``) changes one."""
    from dangjian.members.forms import DossierRequirementEditForm, DossierRequirementForm

    if not request.user.has_perm(services.DOSSIER_PERMISSION):
        raise PermissionDenied("只有组织部管理员可以设置档案必备材料")
    editing = None
    if request.GET.get("edit", "").isdigit():
        editing = DossierRequirement.objects.filter(pk=int(request.GET["edit"])).first()
    initial = (
        {
            f: getattr(editing, f)
            for f in ("name", "source", "sort", "applies_to_probationary", "is_active")
        }
        if editing
        else None
    )
    form_class = DossierRequirementEditForm if editing else DossierRequirementForm
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.dossier_requirement_save(
                actor=request.user, requirement=editing, **form.cleaned_data
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("members:dossier_settings")
    return TemplateResponse(
        request,
        "members/dossier_settings.html",
        {
            "nav_active": "members",
            "form": form,
            "editing": editing,
            "requirements": DossierRequirement.objects.order_by("sort", "id"),
            "crumbs": [
                {"label": "党员管理", "url": reverse("members:list")},
                {"label": "档案必备材料设置", "url": ""},
            ],
        },
    )
