"""积分 pages: the working organization's board and queue, the passbook, the wall board,
the catalogue, and 星级评定.

Thin: gate (points.access / orgs.access) → form → one service or selector → template.
"""

from __future__ import annotations

import datetime as dt
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
from django.views.decorators.http import require_POST

from dangjian.accounts.workspace import current_grant
from dangjian.core.counting import CappedCount, ListExtent, list_page
from dangjian.core.files import serve_private_file
from dangjian.core.forms import add_validation_error
from dangjian.members.models import Member
from dangjian.orgs.access import access_org_by_id, may, scope_roots
from dangjian.orgs.models import Organization
from dangjian.orgs.selectors import attach_org_places
from dangjian.points import selectors, services
from dangjian.points.access import (
    access_claim_by_id,
    access_entry_by_id,
    access_item_by_id,
    access_points_member,
    access_review_by_id,
    access_scheme_by_id,
    may_edit_scheme,
    own_member,
)
from dangjian.points.forms import (
    AdjustForm,
    AwardForm,
    ClaimForm,
    CloseForm,
    CommitmentForm,
    DecideForm,
    ItemForm,
    ReasonForm,
    SchemeForm,
    StarStartForm,
    points_text,
)
from dangjian.points.models import Commitment, PointsItem, PointsScheme, StarRating, StarReview
from dangjian.points.rules import (
    LOST_CONTACT_RULE,
    catalogue_for,
    parse_period,
    period_label,
    period_param,
    period_window,
)

AWARD_MEMBER_CHOICES = 500
# 张榜 rows per page: a phone shows one card per member, and a page of 20 stays a short scroll.
BOARD_PAGE_SIZE = 20


def _crumbs(*extra: tuple[str, str]) -> list[dict[str, str]]:
    return [{"label": "积分管理", "url": reverse("points:home")}] + [
        {"label": label, "url": url} for label, url in extra
    ]


def _org_for(request: HttpRequest, action: str = "points.view") -> Organization:
    """``?org=`` when given, else the working organization; 404/403 through the access root."""
    raw = request.GET.get("org") or request.POST.get("org") or ""
    if raw.isdigit():
        return access_org_by_id(request.user, int(raw), action=action)
    grant = current_grant(request.user, request.session)
    if grant is None or not scope_roots(request.user, action=action):
        raise PermissionDenied("您没有查看积分的权限")
    org = access_org_by_id(request.user, grant.org_id)
    if not may(request.user, action, org):
        raise PermissionDenied("您没有查看积分的权限")
    return org


def _period(request: HttpRequest) -> tuple[str, dt.date, dt.date]:
    return parse_period(request.GET.get("period", ""), today=timezone.localdate())


def _award_form(request: HttpRequest, org: Organization, data: Any = None) -> AwardForm | None:
    if not may(request.user, "points.award", org):
        return None
    today = timezone.localdate()
    members = list(
        selectors.current_members(org)
        .order_by("org_path", "name", "id")
        .values_list("id", "name", "branch__name")[:AWARD_MEMBER_CHOICES]
    )
    cat = catalogue_for(org, today.year)
    items = [i for i in cat.active_items() if i.mode == PointsItem.Mode.MANUAL]
    choices = [(mid, f"{name}（{branch}）") for mid, name, branch in members]
    return AwardForm(data, members=choices, items=items)


def _home_context(request: HttpRequest, org: Organization, award_form: Any) -> dict[str, Any]:
    kind, start, end = _period(request)
    board = selectors.board(org=org, kind=kind, start=start, end=end)
    can_award = may(request.user, "points.award", org)
    claims = selectors.pending_claims(org=org) if can_award else []
    cat = catalogue_for(org, start.year)
    return {
        "nav_active": "points",
        "org": org,
        "board": board,
        "top": board.rows[:10],
        "period": period_param(kind, start),
        "periods": _period_choices(timezone.localdate()),
        "claims": claims,
        "claims_extent": ListExtent(
            showing=len(claims),
            total=selectors.pending_claims_total(org=org),
            unit="条",
            what="待审核",
            how="审核后其余依次补上，也可选择下级支部分别审核",
        )
        if can_award
        else None,
        "can_award": can_award,
        "award_form": award_form,
        "can_close": cat.base is not None
        and may(request.user, "points.rules", org)
        and (cat.base.scope_id == org.pk or (cat.base.scope is None and org.depth == 1)),
        "close_form": CloseForm(initial={"kind": "month", "start": timezone.localdate()}),
        "crumbs": _crumbs(),
    }


def _period_choices(today: dt.date) -> list[tuple[str, str]]:
    out = []
    for kind in ("quarter", "month"):
        day = today
        for _ in range(4 if kind == "quarter" else 3):
            start, _end = period_window(kind, day)
            out.append((period_param(kind, start), period_label(kind, start)))
            day = start - dt.timedelta(days=1)
    out.append((str(today.year), f"{today.year}年"))
    return out


@login_required
def home(request: HttpRequest) -> HttpResponse:
    org = _org_for(request)
    ctx = _home_context(request, org, _award_form(request, org))
    return TemplateResponse(request, "points/home.html", ctx)


@login_required
@require_POST
def award(request: HttpRequest) -> HttpResponse:
    org = _org_for(request, action="points.award")
    form = _award_form(request, org, request.POST)
    if form is not None and form.is_valid():
        member = access_points_member(
            request.user, form.cleaned_data["member"], action="points.award"
        )
        item = (
            PointsItem.objects.select_related("scheme").filter(pk=form.cleaned_data["item"]).first()
        )
        if item is None:
            form.add_error("item", "请选择积分项目")
        else:
            try:
                entry = services.points_award_manual(
                    actor=request.user,
                    member=member,
                    item=item,
                    on=form.cleaned_data["on"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                add_validation_error(form, exc)
            else:
                sign = "加" if entry.points > 0 else "扣"
                messages.success(
                    request, f"已为{member.name}{sign}{points_text(abs(entry.points))[1:]}分"
                )
                return redirect(f"{reverse('points:home')}?org={org.pk}")
    ctx = _home_context(request, org, form)
    return TemplateResponse(request, "points/home.html", ctx, status=400)


@login_required
def board(request: HttpRequest) -> HttpResponse:
    me = own_member(request.user)
    own_branch = (
        me is not None
        and not request.GET.get("org")
        and not may(request.user, "points.view", me.branch)
    )
    # 张榜 is public in the branch: a member sees their own branch's board (read-only).
    org = me.branch if own_branch and me is not None else _org_for(request)
    kind, start, end = _period(request)
    board = selectors.board(org=org, kind=kind, start=start, end=end)
    page = list_page(
        board.rows,
        params=request.GET,
        per_page=BOARD_PAGE_SIZE,
        unit="人",
        # The board reads its top rows only: past them the count is the roll, not the rows.
        total=CappedCount(counted=board.total, cap=max(board.total, 1)),
        how="翻页查看全部"
        if not board.truncated
        else f"翻页查看前 {len(board.rows)} 名，其余按党支部查看",
    )
    if not org.is_branch_level:
        _attach_branch_places(page.rows)
    ctx = {
        "nav_active": "passbook" if own_branch else "points",
        "org": org,
        "board": board,
        "page": page,
        "period": period_param(kind, start),
        "periods": _period_choices(timezone.localdate()),
        "crumbs": [] if own_branch else _crumbs(("张榜晒分", "")),
        "member_view": own_branch,
    }
    return TemplateResponse(request, "points/board.html", ctx)


def _attach_branch_places(rows: list[Any]) -> None:
    """Where each row's member is (镇 › 村党支部), for this page's rows only: two queries."""
    members = (
        Member.objects.filter(pk__in=[r.member_id for r in rows])
        .select_related("branch")
        .only("id", "branch__path", "branch__name", "branch__short_name")
    )
    branch_of = {m.pk: m.branch for m in members}
    attach_org_places(branch_of.values(), org_of=lambda o: o)
    for r in rows:
        r.branch_org = branch_of.get(r.member_id)


@login_required
def board_print(request: HttpRequest) -> HttpResponse:
    org = _org_for(request)
    kind, start, end = _period(request)
    ctx = {
        "org": org,
        "board": selectors.board(org=org, kind=kind, start=start, end=end),
        "printed_on": timezone.localdate(),
    }
    return TemplateResponse(request, "points/board_print.html", ctx)


@login_required
@require_POST
def period_close(request: HttpRequest) -> HttpResponse:
    org = _org_for(request, action="points.rules")
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            period = services.period_close(
                actor=request.user,
                org=org,
                kind=form.cleaned_data["kind"],
                start=form.cleaned_data["start"],
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已结账，冻结了{period.balances.count()}名党员的期末积分")
    else:
        messages.error(request, "请选择周期和日期")
    return redirect(f"{reverse('points:home')}?org={org.pk}")


# --- the passbook ---------------------------------------------------------------------------


def _passbook_context(request: HttpRequest, member: Any, *, own: bool) -> dict[str, Any]:
    today = timezone.localdate()
    year = today.year
    raw_year = request.GET.get("year", "")
    if raw_year.isdigit() and 2000 <= int(raw_year) <= today.year:
        year = int(raw_year)
    book = selectors.passbook(
        member=member, today=today, year=year, cursor=request.GET.get("cursor", "")
    )
    return {
        "nav_active": "passbook" if own else "points",
        "book": book,
        "own": own,
        "year": year,
        "can_award": may(request.user, "points.award", member.branch),
        "next_query": urlencode({"year": year, "cursor": book.next_cursor})
        if book.next_cursor
        else "",
        # The form edits this year's commitment only: a past year's page shows its text, but
        # posting it back must not copy it into this year.
        "commitment_form": CommitmentForm(initial=_commitment_initial(book.commitment))
        if own and year == today.year
        else None,
    }


def _commitment_initial(row: Commitment | None) -> dict[str, Any]:
    """The commitment as its form shows it (and as the stale-form check compares it)."""
    return {"text": row.text if row else ""}


@login_required
def passbook(request: HttpRequest) -> HttpResponse:
    member = own_member(request.user)
    if member is None:
        return TemplateResponse(
            request, "points/passbook_unlinked.html", {"nav_active": "passbook"}
        )
    ctx = _passbook_context(request, member, own=True)
    if getattr(request, "htmx", False) and request.GET.get("cursor"):
        return TemplateResponse(request, "points/passbook.html#entries", ctx)
    return TemplateResponse(request, "points/passbook.html", ctx)


@login_required
def home_card(request: HttpRequest) -> HttpResponse:
    """The home page's 我的积分 card (a member's own figures; loaded after the page)."""
    member = own_member(request.user)
    book = None
    if member is not None:
        today = timezone.localdate()
        book = selectors.passbook(member=member, today=today, year=today.year, cursor="")
    return TemplateResponse(request, "points/_home_card.html", {"book": book})


@login_required
def member_passbook(request: HttpRequest, member_id: int) -> HttpResponse:
    member = access_points_member(request.user, member_id)
    ctx = _passbook_context(request, member, own=False)
    ctx["crumbs"] = _crumbs((member.name, ""))
    if getattr(request, "htmx", False) and request.GET.get("cursor"):
        return TemplateResponse(request, "points/passbook.html#entries", ctx)
    return TemplateResponse(request, "points/passbook.html", ctx)


@login_required
def claim_new(request: HttpRequest) -> HttpResponse:
    member = own_member(request.user)
    if member is None:
        return TemplateResponse(
            request, "points/passbook_unlinked.html", {"nav_active": "passbook"}
        )
    today = timezone.localdate()
    items = [i for i in catalogue_for(member.branch, today.year).active_items() if i.self_report]
    form = ClaimForm(request.POST or None, request.FILES or None, items=items)
    if request.method == "POST" and form.is_valid():
        item = next((i for i in items if i.pk == form.cleaned_data["item"]), None)
        if item is None:
            form.add_error("item", "请选择申报项目")
        else:
            try:
                services.claim_submit(
                    actor=request.user,
                    item=item,
                    on=form.cleaned_data["on"],
                    description=form.cleaned_data["description"],
                    evidence=form.cleaned_data.get("evidence"),
                )
            except ValidationError as exc:
                add_validation_error(form, exc)
            else:
                messages.success(request, "申报已提交，等待支部审核")
                return redirect("points:passbook")
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(
        request,
        "points/claim_form.html",
        {"nav_active": "passbook", "form": form, "items": items},
        status=status,
    )


@login_required
@require_POST
def commitment_edit(request: HttpRequest) -> HttpResponse:
    """亮承诺: the member sets or changes this year's public commitment."""
    member = own_member(request.user)
    if member is None:
        raise PermissionDenied("您的账号未关联党员信息")
    year = timezone.localdate().year
    current = Commitment.objects.filter(member=member, year=year).first()
    form = CommitmentForm(request.POST, initial=_commitment_initial(current))
    if form.is_valid():
        try:
            services.commitment_set(
                actor=request.user,
                member=member,
                year=year,
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "承诺已公开")
    else:
        stale = form.non_field_errors()
        messages.error(request, str(stale[0]) if stale else "请填写承诺内容（不超过300字）")
    return redirect("points:passbook")


@login_required
@require_POST
def claim_decide(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = access_claim_by_id(request.user, claim_id, action="points.award")
    form = DecideForm(request.POST)
    raw_org = request.POST.get("org", "")
    back = reverse("points:home") + (f"?org={raw_org}" if raw_org.isdigit() else "")
    if not form.is_valid():
        messages.error(request, "请选择审核结果")
        return redirect(back)
    try:
        services.claim_decide(
            actor=request.user,
            claim=claim,
            approve=form.cleaned_data["approve"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, f"{claim.member.name}的申报：{'；'.join(exc.messages)}")
    else:
        verdict = "已通过" if form.cleaned_data["approve"] else "未通过"
        messages.success(request, f"{claim.member.name}申报的“{claim.item.name}”{verdict}")
    return redirect(back)


@login_required
@require_POST
def entry_reverse(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = access_entry_by_id(request.user, entry_id, action="points.award")
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.points_entry_reverse(
                actor=request.user, entry=entry, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已冲正")
    else:
        messages.error(request, "请填写冲正原因")
    return redirect("points:member", member_id=entry.member_id)


# --- the catalogue --------------------------------------------------------------------------


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    org = _org_for(request)
    today = timezone.localdate()
    raw_year = request.GET.get("year", "")
    year = int(raw_year) if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100 else today.year
    cat = catalogue_for(org, year)
    schemes = [s for s in (cat.base, *cat.additions) if s is not None]
    can_rules = may(request.user, "points.rules", org)
    own = [s for s in schemes if s.scope_id == org.pk]
    ctx = {
        "nav_active": "points",
        "org": org,
        "year": year,
        "cat": cat,
        "schemes": schemes,
        "items": cat.active_items() + [i for i in cat.items.values() if not i.is_active],
        "editable": {s.pk for s in schemes if may_edit_scheme(request.user, s)},
        # A county adopts its own copy of the default; a township adds items under the county.
        "can_adopt": can_rules and not own and (cat.base is None or cat.base.scope is None),
        "can_add": can_rules
        and not own
        and cat.base is not None
        and cat.base.scope is not None
        and org.depth > 1,
        "item_form": ItemForm(initial={"mode": "manual", "category": "service"}),
        "scheme_rows": [
            (
                s,
                SchemeForm(initial=_scheme_initial(s))
                if s.kind == PointsScheme.Kind.BASE and may_edit_scheme(request.user, s)
                else None,
            )
            for s in schemes
        ],
        "bands": list(cat.base.star_bands.all()) if cat.base else [],
        "crumbs": _crumbs(("积分方案", "")),
    }
    return TemplateResponse(request, "points/catalogue.html", ctx)


@login_required
@require_POST
def scheme_new(request: HttpRequest) -> HttpResponse:
    org = _org_for(request, action="points.rules")
    kind = request.POST.get("kind", "")
    year = int(request.POST["year"]) if request.POST.get("year", "").isdigit() else 0
    try:
        services.scheme_create(actor=request.user, org=org, year=year, kind=kind)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已建立积分方案")
    return redirect(f"{reverse('points:catalogue')}?org={org.pk}&year={year}")


def _scheme_initial(scheme: PointsScheme) -> dict[str, Any]:
    """The scheme as its edit form shows it (and as the stale-form check compares it)."""
    return {f: getattr(scheme, f) for f in SchemeForm.base_fields}


@login_required
@require_POST
def scheme_edit(request: HttpRequest, scheme_id: int) -> HttpResponse:
    scheme = access_scheme_by_id(request.user, scheme_id, for_write=True)
    form = SchemeForm(request.POST, initial=_scheme_initial(scheme))
    if form.is_valid():
        try:
            services.scheme_update(actor=request.user, scheme=scheme, data=form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已保存方案参数")
    else:
        messages.error(
            request, "；".join(map(str, form.non_field_errors())) or "方案参数填写不完整或超出范围"
        )
    org = scheme.scope_id or request.POST.get("org", "")
    return redirect(f"{reverse('points:catalogue')}?org={org}&year={scheme.year}")


@login_required
@require_POST
def item_new(request: HttpRequest, scheme_id: int) -> HttpResponse:
    scheme = access_scheme_by_id(request.user, scheme_id, for_write=True)
    form = ItemForm(request.POST)
    if form.is_valid():
        try:
            services.item_create(actor=request.user, scheme=scheme, data=form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已添加积分项目“{form.cleaned_data['name']}”")
    else:
        errors = [
            f"{form.fields[f].label}：{e[0]}" for f, e in form.errors.items() if f in form.fields
        ]
        messages.error(request, "；".join(errors) or "请完整填写积分项目")
    org = scheme.scope_id or request.POST.get("org", "")
    return redirect(f"{reverse('points:catalogue')}?org={org}&year={scheme.year}")


@login_required
@require_POST
def item_toggle(request: HttpRequest, item_id: int) -> HttpResponse:
    item = access_item_by_id(request.user, item_id, for_write=True)
    try:
        services.item_update(actor=request.user, item=item, data={"is_active": not item.is_active})
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"“{item.name}”已{'启用' if item.is_active else '停用'}")
    org = item.scheme.scope_id or request.POST.get("org", "")
    return redirect(f"{reverse('points:catalogue')}?org={org}&year={item.scheme.year}")


# --- 星级评定 ---------------------------------------------------------------------------------


@login_required
def stars(request: HttpRequest) -> HttpResponse:
    org = _org_for(request)
    reviews = list(
        StarReview.objects.filter(org_path__gte=org.path, org_path__lt=org.path + "~")
        .select_related("org")
        .order_by("-year", "org_path")[:200]
    )
    cat = catalogue_for(org, timezone.localdate().year)
    ctx = {
        "nav_active": "stars",
        "org": org,
        "reviews": reviews,
        "bands": list(cat.base.star_bands.all()) if cat.base else [],
        "scheme": cat.base,
        "can_start": org.is_branch_level and may(request.user, "points.award", org),
        "start_form": StarStartForm(),
        "crumbs": [{"label": "党员星级评定", "url": reverse("points:stars")}],
    }
    return TemplateResponse(request, "points/stars.html", ctx)


@login_required
@require_POST
def star_review_new(request: HttpRequest) -> HttpResponse:
    org = _org_for(request, action="points.award")
    form = StarStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, "评定年度不正确")
        return redirect(f"{reverse('points:stars')}?org={org.pk}")
    try:
        review = services.star_review_start(
            actor=request.user, org=org, year=form.cleaned_data["year"]
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect(f"{reverse('points:stars')}?org={org.pk}")
    return redirect("points:review", review_id=review.pk)


@login_required
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    review = access_review_by_id(request.user, review_id)
    ratings = list(
        StarRating.objects.filter(review=review).select_related("member").order_by("-score", "id")
    )
    cat = catalogue_for(review.org, review.year)
    ctx = {
        "nav_active": "stars",
        "review": review,
        "ratings": ratings,
        "bands": list(cat.base.star_bands.all()) if cat.base else [],
        "unrated_source": (
            LOST_CONTACT_RULE.source if any(r.unrated_reason for r in ratings) else ""
        ),
        "can_adjust": review.state == StarReview.State.DRAFT
        and may(request.user, "points.award", review.org),
        "can_publish": review.state == StarReview.State.DRAFT
        and may(request.user, "points.rules", review.org),
        "can_withdraw": review.state == StarReview.State.PUBLICITY
        and may(request.user, "points.rules", review.org),
        "crumbs": [
            {"label": "党员星级评定", "url": f"{reverse('points:stars')}?org={review.org_id}"},
            {"label": f"{review.org.display_name} {review.year}年", "url": ""},
        ],
    }
    return TemplateResponse(request, "points/review.html", ctx)


@login_required
@require_POST
def rating_adjust(request: HttpRequest, review_id: int, rating_id: int) -> HttpResponse:
    review = access_review_by_id(request.user, review_id, action="points.award")
    rating = (
        StarRating.objects.select_related("member__branch", "review")
        .filter(pk=rating_id, review=review)
        .first()
    )
    form = AdjustForm(request.POST)
    if rating is None:
        messages.error(request, "未找到该评分")
    elif form.is_valid():
        try:
            services.star_rating_adjust(
                actor=request.user,
                rating=rating,
                score=form.cleaned_data["score"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已调整{rating.member.name}的评分")
    else:
        messages.error(request, "评分须在0到100分之间，并填写调整说明")
    return redirect("points:review", review_id=review.pk)


@login_required
@require_POST
def review_publish(request: HttpRequest, review_id: int) -> HttpResponse:
    review = access_review_by_id(request.user, review_id, action="points.rules")
    try:
        review = services.star_review_publish(actor=request.user, review=review)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已公示，公示期至{review.publicity_until:%Y年%m月%d日}")
    return redirect("points:review", review_id=review.pk)


@login_required
@require_POST
def review_withdraw(request: HttpRequest, review_id: int) -> HttpResponse:
    review = access_review_by_id(request.user, review_id, action="points.rules")
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.star_review_withdraw(
                actor=request.user, review=review, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已撤回公示，可重新评分")
    else:
        messages.error(request, "请填写撤回原因")
    return redirect("points:review", review_id=review.pk)


@login_required
def claim_evidence(request: HttpRequest, claim_id: int) -> HttpResponseBase:
    """A claim's evidence photo, to the claimant and those who may see the claim."""
    claim = access_claim_by_id(request.user, claim_id)
    if not claim.evidence:
        raise Http404("该申报没有佐证照片")
    return serve_private_file(request, claim.evidence)
