"""民主评议党员: record one result per member and year, and handle a 不合格 result.

Every write checks member.edit on the member's branch, writes the audit log, and (for the
handling of 不合格) puts an event on the member's timeline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.core.audit import audit_record
from dangjian.meetings.models import Meeting, MemberReview
from dangjian.members.models import Member, MemberEvent
from dangjian.members.services import event_record, member_leave
from dangjian.orgs.access import may
from dangjian.orgs.models import BRANCH_TYPES, Organization

Result = MemberReview.Result
Handling = MemberReview.Handling

# 除名 of a member rated 不合格 who will not correct: 党员减少原因 212 劝退除名.
REMOVAL_DECREASE_REASON = "212"


def _check_editable(actor: Any, member: Member) -> None:
    if not may(actor, "member.edit", member.branch):
        raise PermissionDenied("您没有维护该党员民主评议结果的权限")
    if member.status == Member.Status.FORMER:
        raise ValidationError("历史库中的党员不能参加民主评议")


def _check_year(year: int, member: Member) -> None:
    today = timezone.localdate()
    if year > today.year:
        raise ValidationError({"year": f"评议年度不能晚于今年（{today.year}年）"})
    if year < member.joined_on.year:
        raise ValidationError({"year": f"评议年度不能早于入党年份（{member.joined_on.year}年）"})


def _check_result(result: str) -> None:
    if result not in Result.values:
        raise ValidationError({"result": "请选择评议结果：优秀、合格、基本合格或不合格"})


def _check_meeting(meeting: Meeting | None, member: Member) -> None:
    if meeting is not None and meeting.org_id != member.branch_id:
        raise ValidationError({"meeting": "评议会议必须是该党员所在党支部的会议"})


@transaction.atomic
def review_record(
    *,
    actor: Any,
    member: Member,
    year: int,
    result: str,
    note: str = "",
    meeting: Meeting | None = None,
) -> MemberReview:
    """Record a member's 民主评议 result for a year (once; later changes go through review_update)."""
    member = Member.objects.select_related("branch").select_for_update().get(pk=member.pk)
    _check_editable(actor, member)
    _check_year(year, member)
    _check_result(result)
    _check_meeting(meeting, member)
    if MemberReview.objects.filter(member=member, year=year).exists():
        raise ValidationError(
            {"year": f"{member.name}{year}年度已有评议结果，不能重复登记；如需更正请修改原结果"}
        )
    try:
        with transaction.atomic():
            review = MemberReview.objects.create(
                member=member,
                year=year,
                result=result,
                note=note.strip()[:200],
                meeting=meeting,
                org_path=member.org_path,
            )
    except IntegrityError as exc:  # a concurrent request recorded the same year first
        raise ValidationError({"year": f"{member.name}{year}年度已有评议结果"}) from exc
    audit_record(
        actor=actor,
        action="review.record",
        obj=review,
        object_repr=f"{member.name} {year}年度 {review.get_result_display()}",
        changes={"result": [None, result], "year": [None, year]},
        org_id=member.branch_id,
        org_path=member.org_path,
    )
    return review


@transaction.atomic
def review_update(
    *,
    actor: Any,
    member_review: MemberReview,
    result: str,
    note: str | None = None,
    meeting: Meeting | None = None,
) -> MemberReview:
    """Correct a recorded result; a 不合格 result that has been handled cannot be changed."""
    review = (
        MemberReview.objects.select_for_update()
        .select_related("member__branch")
        .get(pk=member_review.pk)
    )
    member = review.member
    _check_editable(actor, member)
    _check_result(result)
    _check_meeting(meeting, member)
    if review.handling and result != review.result:
        raise ValidationError(
            {"result": f"已作出“{review.get_handling_display()}”处置，不能再修改评议结果"}
        )
    before = {"result": review.result, "note": review.note, "meeting": review.meeting_id}
    review.result = result
    if note is not None:
        review.note = note.strip()[:200]
    if meeting is not None:
        review.meeting = meeting
    after = {"result": review.result, "note": review.note, "meeting": review.meeting_id}
    changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    if not changes:
        return review
    review.save()
    audit_record(
        actor=actor,
        action="review.update",
        obj=review,
        object_repr=f"{member.name} {review.year}年度 {review.get_result_display()}",
        changes=changes,
        org_id=member.branch_id,
        org_path=member.org_path,
    )
    return review


@transaction.atomic
def review_handle_unqualified(
    *,
    actor: Any,
    member_review: MemberReview,
    handling: str,
    deadline: dt.date | None = None,
    confirm: bool = False,
) -> MemberReview:
    """处置 a 不合格 member: 限期改正 (with a future deadline), 劝退, or 除名 (to the 历史库).

    限期改正 may later be escalated to 劝退 or 除名; 劝退 to 除名. 除名 is final and must be
    confirmed, because it moves the member to the 历史库.
    """
    review = (
        MemberReview.objects.select_for_update()
        .select_related("member__branch")
        .get(pk=member_review.pk)
    )
    member = review.member
    _check_editable(actor, member)
    if review.result != Result.UNQUALIFIED:
        raise ValidationError({"handling": "只有评议为“不合格”的党员才需要处置"})
    if handling not in (Handling.CORRECT, Handling.PERSUADE, Handling.REMOVE):
        raise ValidationError({"handling": "请选择处置方式：限期改正、劝退或除名"})
    order = [Handling.CORRECT, Handling.PERSUADE, Handling.REMOVE]
    if review.handling and order.index(Handling(handling)) <= order.index(
        Handling(review.handling)
    ):
        raise ValidationError(
            {
                "handling": f"已作出“{review.get_handling_display()}”处置，只能升级处置，不能重复或降低"
            }
        )
    today = timezone.localdate()
    if handling == Handling.CORRECT:
        if deadline is None:
            raise ValidationError({"deadline": "限期改正请填写改正期限"})
        if deadline <= today:
            raise ValidationError({"deadline": "改正期限必须晚于今天"})
    else:
        deadline = review.handling_deadline if review.handling == Handling.CORRECT else None
    if handling == Handling.REMOVE and not confirm:
        raise ValidationError(
            {"handling": "除名将把该党员转入历史库，且不能撤销；请确认后再提交"},
            code="confirm_required",
        )
    before = {"handling": review.handling, "handling_deadline": review.handling_deadline}
    review.handling = handling
    review.handling_deadline = deadline
    review.save(update_fields=["handling", "handling_deadline", "updated_at"])
    label = Handling(handling).label
    summary = f"{review.year}年度民主评议不合格，{label}"
    if handling == Handling.CORRECT and deadline:
        summary += f"（期限至{deadline:%Y年%m月%d日}）"
    event_record(
        actor=actor,
        member=member,
        kind=MemberEvent.Kind.REVIEW,
        summary=summary,
        decrease_reason=REMOVAL_DECREASE_REASON if handling == Handling.REMOVE else "",
        details={"review_id": review.pk, "year": review.year, "handling": handling},
    )
    audit_record(
        actor=actor,
        action="review.handle",
        obj=review,
        object_repr=f"{member.name} {review.year}年度 不合格 {label}",
        changes={k: [before[k], getattr(review, k)] for k in before},
        org_id=member.branch_id,
        org_path=member.org_path,
    )
    if handling == Handling.REMOVE:
        member_leave(
            actor=actor,
            member=member,
            on=today,
            decrease_reason=REMOVAL_DECREASE_REASON,
            note=f"{review.year}年度民主评议不合格",
        )
    return review


@transaction.atomic
def reviews_bulk_record(
    *, actor: Any, branch: Organization, year: int, results: dict[int, str]
) -> int:
    """Set many members' results for a year in one go (all or nothing); returns rows changed."""
    if branch.org_type not in BRANCH_TYPES:
        raise ValidationError("请选择党支部后再批量登记评议结果")
    if not may(actor, "member.edit", branch):
        raise PermissionDenied("您没有维护该党支部民主评议结果的权限")
    members = {
        m.pk: m
        for m in Member.objects.select_related("branch")
        .filter(pk__in=list(results), branch=branch)
        .exclude(status=Member.Status.FORMER)
    }
    existing = {
        r.member_id: r for r in MemberReview.objects.filter(member_id__in=list(members), year=year)
    }
    changed = 0
    errors: list[str] = []
    for member_id, result in results.items():
        member = members.get(member_id)
        if member is None:
            errors.append(f"党员（编号{member_id}）不在本党支部")
            continue
        if not result:
            continue
        try:
            review = existing.get(member_id)
            if review is None:
                review_record(actor=actor, member=member, year=year, result=result)
                changed += 1
            elif review.result != result:
                review_update(actor=actor, member_review=review, result=result)
                changed += 1
        except ValidationError as exc:
            errors.extend(f"{member.name}：{m}" for m in exc.messages)
    if errors:
        raise ValidationError(errors)
    return changed
