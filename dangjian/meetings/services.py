"""Writes for meeting records: record, attendance, check-in, submit, review, files.

Every service is keyword-only, atomic, checks permission through the access root and writes
the audit log. Errors are ``ValidationError`` with a Chinese message and a stable code.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from dangjian.core.audit import audit_record, field_changes
from dangjian.core.uploads import sanitize_upload
from dangjian.meetings.access import may_review
from dangjian.meetings.models import Attendance, Meeting, MeetingFile, MeetingType, MeetingTypeTag
from dangjian.meetings.sanitize import clean_minutes
from dangjian.members.models import Member
from dangjian.orgs.access import may
from dangjian.orgs.models import BRANCH_TYPES, Organization


@dataclass(frozen=True)
class RecordRules:
    """Numbers for recording meetings, as data with their source (not in ``if`` literals)."""

    late_entry_days: int
    checkin_opens_before: dt.timedelta
    checkin_closes_after: dt.timedelta
    late_grace: dt.timedelta
    committee_posts: frozenset[str]
    source: str
    tag: str


RECORD_RULES = RecordRules(
    late_entry_days=30,
    checkin_opens_before=dt.timedelta(minutes=30),
    checkin_closes_after=dt.timedelta(hours=3),
    late_grace=dt.timedelta(minutes=10),
    # 党内职务 codes of 支委会 members: 书记、副书记、组织委员、宣传委员、纪检委员.
    committee_posts=frozenset({"001A", "001B", "030U", "031U", "034U"}),
    source="地方做法：会后 30 日内录入，逾期标记为补录；签到窗口为会前 30 分钟至会后 3 小时，"
    "会议开始 10 分钟后签到记为迟到。",
    tag="local",
)

# 6-character codes without look-alikes (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6

EDITABLE_STATES = (Meeting.State.DRAFT, Meeting.State.RETURNED)
PRESENT_STATUSES = (Attendance.Status.PRESENT, Attendance.Status.LATE)
COMMITTEE_TYPES = frozenset(
    {
        Organization.Type.LOCAL_COMMITTEE,
        Organization.Type.WORKING_COMMITTEE,
        Organization.Type.COMMITTEE,
        Organization.Type.SECONDARY_COMMITTEE,
    }
)
BRANCH_LEVEL = frozenset(BRANCH_TYPES | {Organization.Type.GENERAL_BRANCH})

FIELDS = ("types", "held_at", "topic", "place", "host_name", "recorder_name", "agenda", "minutes")


def _invalid(message: str, code: str = "invalid", field: str | None = None) -> ValidationError:
    if field:
        return ValidationError({field: ValidationError(message, code=code)})
    return ValidationError(message, code=code)


def _require_record(actor: Any, org: Organization) -> None:
    if not may(actor, "meeting.record", org):
        raise PermissionDenied("您没有登记该组织会议的权限")


def _clean_types(org: Organization, types: Iterable[str]) -> list[str]:
    """The meeting types in a stable order, checked against what this kind of org holds."""
    chosen = set(types)
    if not chosen:
        raise _invalid("请至少选择一种会议类型", "types_required", "types")
    unknown = chosen - set(MeetingType.values)
    if unknown:
        raise _invalid("会议类型不正确", "types_unknown", "types")
    ordered = [t for t in MeetingType.values if t in chosen]
    if org.org_type == Organization.Type.GROUP:
        if chosen != {MeetingType.GROUP_MEETING}:
            raise _invalid("党小组只能登记党小组会", "types_for_group", "types")
    elif org.org_type in COMMITTEE_TYPES:
        if chosen != {MeetingType.LEADERSHIP_LIFE_MEETING}:
            raise _invalid("党委只能在此登记民主生活会", "types_for_committee", "types")
    elif org.org_type in BRANCH_LEVEL:
        if MeetingType.GROUP_MEETING in chosen:
            raise _invalid("党小组会请在党小组下登记", "types_for_branch", "types")
        if MeetingType.LEADERSHIP_LIFE_MEETING in chosen:
            raise _invalid("民主生活会由党委（党组）登记", "types_for_branch", "types")
    else:
        raise _invalid("该组织不能登记会议记录", "org_cannot_meet")
    return ordered


def _check_held_at(held_at: dt.datetime, now: dt.datetime) -> None:
    if timezone.is_naive(held_at):
        raise _invalid("会议时间缺少时区", "held_at_naive", "held_at")
    if held_at > now:
        raise _invalid("会议时间不能晚于当前时间", "held_in_future", "held_at")


def is_late_entry(held_at: dt.datetime, entered_at: dt.datetime) -> bool:
    """补录: entered more than ``late_entry_days`` calendar days after the meeting day."""
    held_on = timezone.localdate(held_at)
    entered_on = timezone.localdate(entered_at)
    return (entered_on - held_on).days > RECORD_RULES.late_entry_days


def _new_code() -> str:
    for _ in range(50):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Meeting.objects.filter(checkin_code=code).exists():
            return code
    raise RuntimeError("could not find a free check-in code")  # pragma: no cover


def _set_window(meeting: Meeting) -> None:
    meeting.checkin_opens_at = meeting.held_at - RECORD_RULES.checkin_opens_before
    meeting.checkin_closes_at = meeting.held_at + RECORD_RULES.checkin_closes_after


def invited_members(org: Organization, on: dt.date) -> QuerySet[Member]:
    """应到人员: the org's members (a 党小组's group members) who were on the roll that day."""
    qs = Member.objects.exclude(status=Member.Status.FORMER).filter(joined_on__lte=on)
    if org.org_type == Organization.Type.GROUP:
        return qs.filter(group=org)
    return qs.filter(branch=org)


def _sync_tags(meeting: Meeting) -> None:
    held_on = timezone.localdate(meeting.held_at)
    counts = meeting.state in (Meeting.State.SUBMITTED, Meeting.State.APPROVED)
    MeetingTypeTag.objects.filter(meeting=meeting).exclude(meeting_type__in=meeting.types).delete()
    for meeting_type in meeting.types:
        MeetingTypeTag.objects.update_or_create(
            meeting=meeting,
            meeting_type=meeting_type,
            defaults={
                "org_id_copy": meeting.org_id,
                "org_path": meeting.org_path,
                "held_on": held_on,
                "counts": counts,
                "is_late_entry": meeting.is_late_entry,
            },
        )


def _audit(
    actor: Any, action: str, meeting: Meeting, changes: dict[str, Any] | None = None
) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=meeting,
        changes=changes or {},
        org_id=meeting.org_id,
        org_path=meeting.org_path,
    )


@transaction.atomic
def meeting_create(
    *,
    actor: Any,
    org: Organization,
    types: Sequence[str],
    held_at: dt.datetime,
    topic: str,
    place: str = "",
    host_name: str = "",
    recorder_name: str = "",
    agenda: str = "",
    minutes: str = "",
    late_entry: bool = False,
) -> Meeting:
    """Record a held meeting as a draft, with its type tags, invited list and check-in code."""
    _require_record(actor, org)
    if org.dissolved_on is not None:
        raise _invalid("该组织已撤销，不能登记会议", "org_dissolved")
    now = timezone.now()
    clean_types = _clean_types(org, types)
    _check_held_at(held_at, now)
    topic = (topic or "").strip()
    if not topic:
        raise _invalid("请填写会议主题", "topic_required", "topic")
    meeting = Meeting(
        org=org,
        org_path=org.path,
        types=clean_types,
        held_at=held_at,
        topic=topic[:200],
        place=place.strip(),
        host_name=host_name.strip(),
        recorder_name=recorder_name.strip(),
        agenda=agenda,
        minutes=clean_minutes(minutes),
        # A late record is 补录 whatever the caller says; the caller may also mark it so.
        is_late_entry=late_entry or is_late_entry(held_at, now),
        created_by=actor if getattr(actor, "pk", None) else None,
        checkin_code=_new_code(),
        checkin_token=secrets.token_urlsafe(24),
    )
    _set_window(meeting)
    meeting.save()
    _sync_tags(meeting)
    Attendance.objects.bulk_create(
        Attendance(
            meeting=meeting,
            member=m,
            org_path=meeting.org_path,
            status=Attendance.Status.ABSENT,
            is_voting=m.category == Member.Category.FULL,
        )
        for m in invited_members(org, timezone.localdate(held_at)).only("id", "category")
    )
    _audit(
        actor,
        "meeting.create",
        meeting,
        {"types": clean_types, "held_at": held_at, "is_late_entry": meeting.is_late_entry},
    )
    return meeting


def _locked(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update(of=("self",)).select_related("org").get(pk=meeting.pk)


def _require_editable(meeting: Meeting) -> None:
    if meeting.state not in EDITABLE_STATES:
        raise _invalid("会议记录已提交或已审核通过，不能修改", "not_editable")


@transaction.atomic
def meeting_update(*, actor: Any, meeting: Meeting, data: dict[str, Any]) -> Meeting:
    """Change a draft or returned record; the invited list is kept as first recorded."""
    meeting = _locked(meeting)
    _require_record(actor, meeting.org)
    _require_editable(meeting)
    before = {f: getattr(meeting, f) for f in FIELDS}
    data = {k: v for k, v in data.items() if k in FIELDS}
    if "types" in data:
        data["types"] = _clean_types(meeting.org, data["types"])
    if "held_at" in data:
        _check_held_at(data["held_at"], timezone.now())
    if "topic" in data:
        data["topic"] = (data["topic"] or "").strip()[:200]
        if not data["topic"]:
            raise _invalid("请填写会议主题", "topic_required", "topic")
    if "minutes" in data:
        data["minutes"] = clean_minutes(data["minutes"])
    for key in ("place", "host_name", "recorder_name"):
        if key in data:
            data[key] = (data[key] or "").strip()
    changes = field_changes(before, {**before, **data})
    if not changes:  # an unchanged form changes nothing, not even the audit log
        return meeting
    for key, value in data.items():
        setattr(meeting, key, value)
    if "held_at" in data:
        _set_window(meeting)
        meeting.is_late_entry = meeting.is_late_entry or is_late_entry(
            meeting.held_at, meeting.created_at
        )
    meeting.save()
    _sync_tags(meeting)
    _audit(actor, "meeting.update", meeting, changes)
    return meeting


def _attendance_for(meeting: Meeting, member: Member) -> Attendance:
    row = Attendance.objects.select_for_update().filter(meeting=meeting, member=member).first()
    if row is None:
        raise _invalid("该党员不是本次会议应到人员", "not_invited")
    return row


@transaction.atomic
def attendance_set(
    *, actor: Any, meeting: Meeting, member: Member, status: str, reason: str = ""
) -> Attendance:
    """Set one invited member's attendance (请假 needs a reason)."""
    meeting = _locked(meeting)
    _require_record(actor, meeting.org)
    _require_editable(meeting)
    if status not in Attendance.Status.values:
        raise _invalid("出席情况不正确", "bad_status", "status")
    row = _attendance_for(meeting, member)
    reason = (reason or "").strip()
    if status == Attendance.Status.EXCUSED and not reason:
        raise _invalid("请假需填写事由", "reason_required", "reason")
    before = {"status": row.status, "reason": row.reason}
    after = {
        "status": status,
        "reason": reason[:200] if status == Attendance.Status.EXCUSED else "",
    }
    changes = field_changes(before, after)
    if not changes:  # setting what is already there changes nothing, not even the audit log
        return row
    row.status, row.reason = after["status"], after["reason"]
    row.save(update_fields=["status", "reason", "updated_at"])
    audit_record(
        actor=actor,
        action="meeting.attendance",
        obj=row,
        object_repr=f"{meeting.topic} · {member.name}",
        changes=changes,
        org_id=meeting.org_id,
        org_path=meeting.org_path,
    )
    return row


@dataclass(frozen=True)
class CheckinResult:
    meeting: Meeting
    attendance: Attendance
    status: str
    already: bool

    @property
    def message(self) -> str:
        if self.status == Attendance.Status.LATE:
            return "签到成功（迟到）"
        return "签到成功"


def find_meeting(code_or_token: str) -> Meeting | None:
    """The meeting a check-in code (any case) or QR token belongs to."""
    value = (code_or_token or "").strip()
    if not value or len(value) > 64:
        return None
    qs = Meeting.objects.select_related("org")
    if len(value) == CODE_LENGTH:
        found = qs.filter(checkin_code=value.upper()).first()
        if found is not None:
            return found
    return qs.filter(checkin_token=value).first()


@transaction.atomic
def meeting_checkin(
    *, user: Any, code_or_token: str, now: dt.datetime | None = None
) -> CheckinResult:
    """A member checks in with the 6-character code or the QR token: 出席, or 迟到 after the grace."""
    now = now or timezone.now()
    meeting = find_meeting(code_or_token)
    if meeting is None:
        raise _invalid("签到码不存在", "code_unknown")
    user_pk = getattr(user, "pk", None)
    member = Member.objects.filter(user_id=user_pk).first() if user_pk else None
    if member is None:
        raise _invalid("您的账号未关联党员信息，无法签到", "no_member_record")
    row = (
        Attendance.objects.select_for_update()
        .filter(meeting=meeting, member=member)
        .select_related("meeting")
        .first()
    )
    if row is None:
        raise _invalid("您不是本次会议应到人员", "not_invited")
    if row.checked_in_at is not None and row.status in PRESENT_STATUSES:
        return CheckinResult(meeting, row, row.status, already=True)
    if meeting.state not in EDITABLE_STATES:
        raise _invalid("会议记录已提交，不能再签到", "not_editable")
    opens = meeting.checkin_opens_at or meeting.held_at - RECORD_RULES.checkin_opens_before
    closes = meeting.checkin_closes_at or meeting.held_at + RECORD_RULES.checkin_closes_after
    if now < opens:
        raise _invalid("签到尚未开始", "checkin_not_open")
    if now > closes:
        raise _invalid("签到已截止", "checkin_closed")
    late = now > meeting.held_at + RECORD_RULES.late_grace
    row.status = Attendance.Status.LATE if late else Attendance.Status.PRESENT
    row.reason = ""
    row.checked_in_at = now
    row.by_checkin = True
    row.save(update_fields=["status", "reason", "checked_in_at", "by_checkin", "updated_at"])
    audit_record(
        actor=user,
        action="meeting.checkin",
        obj=row,
        object_repr=f"{meeting.topic} · {member.name}",
        changes={"status": row.status},
        org_id=meeting.org_id,
        org_path=meeting.org_path,
    )
    return CheckinResult(meeting, row, row.status, already=False)


def quorum_check(meeting: Meeting) -> str:
    """Raise when a 党员大会 or 支委会 lacks its quorum; return a note when it cannot be checked."""
    rows = list(meeting.attendance.select_related("member").all())
    note = ""
    if MeetingType.GENERAL_MEETING in meeting.types:
        voting = [r for r in rows if r.is_voting]
        present = [r for r in voting if r.status in PRESENT_STATUSES]
        if len(present) * 2 <= len(voting):
            raise _invalid(
                "出席的正式党员未超过应到人数的一半，会议决议无效",
                "quorum_general",
            )
    if MeetingType.COMMITTEE_MEETING in meeting.types:
        committee = [r for r in rows if r.member.party_post in RECORD_RULES.committee_posts]
        if not committee:
            note = "未登记支委成员的党内职务，未校验支委会到会人数"
        elif sum(r.status in PRESENT_STATUSES for r in committee) * 2 <= len(committee):
            raise _invalid("到会的支委会成员未超过半数，不能召开支委会", "quorum_committee")
    return note


@transaction.atomic
def meeting_submit(*, actor: Any, meeting: Meeting) -> Meeting:
    """Submit a draft or returned record for review; its types now count towards compliance."""
    meeting = _locked(meeting)
    _require_record(actor, meeting.org)
    _require_editable(meeting)
    note = quorum_check(meeting)
    previous = meeting.state
    meeting.state = Meeting.State.SUBMITTED
    meeting.submitted_at = timezone.now()
    meeting.save(update_fields=["state", "submitted_at", "updated_at"])
    meeting.type_tags.update(counts=True)
    _audit(actor, "meeting.submit", meeting, {"state": [previous, meeting.state], "note": note})
    return meeting


def _require_review(actor: Any, meeting: Meeting) -> None:
    if not may_review(actor, meeting):
        raise PermissionDenied("只有上级党组织可以审核会议记录")
    if meeting.state != Meeting.State.SUBMITTED:
        raise _invalid("只能审核已提交的会议记录", "not_submitted")


@transaction.atomic
def meeting_approve(*, actor: Any, meeting: Meeting, comment: str = "") -> Meeting:
    """The upper organization approves a submitted record."""
    meeting = _locked(meeting)
    _require_review(actor, meeting)
    meeting.state = Meeting.State.APPROVED
    meeting.review_comment = (comment or "").strip()
    meeting.reviewed_by = actor
    meeting.reviewed_at = timezone.now()
    meeting.save(
        update_fields=["state", "review_comment", "reviewed_by", "reviewed_at", "updated_at"]
    )
    _audit(actor, "meeting.approve", meeting, {"comment": meeting.review_comment})
    _award_attendance_points(actor, meeting)
    return meeting


def _award_attendance_points(actor: Any, meeting: Meeting) -> None:
    """Attendance is final once the upper organization approves the record: book 积分 then.

    Present/late → ``meeting_present``, absent without excuse → ``meeting_absent_unexcused``
    (请假 earns and costs nothing). Each attendance row is the source, so an award happens
    once per member and meeting whatever is retried.
    """
    from dangjian.points.services import points_award_auto

    codes: dict[str, str] = {
        Attendance.Status.PRESENT: "meeting_present",
        Attendance.Status.LATE: "meeting_present",
        Attendance.Status.ABSENT: "meeting_absent_unexcused",
    }
    held_on = timezone.localtime(meeting.held_at).date()
    for row in meeting.attendance.select_related("member__branch").exclude(
        member__status=Member.Status.FORMER
    ):
        code = codes.get(row.status)
        if code:
            points_award_auto(
                member=row.member, rule_code=code, source=row, on=held_on, actor=actor,
                note=f"{meeting.topic[:60]}（{held_on:%m月%d日}）",
            )  # fmt: skip


@transaction.atomic
def meeting_return(*, actor: Any, meeting: Meeting, comment: str) -> Meeting:
    """The upper organization returns a record with a comment; it stops counting until resubmitted."""
    meeting = _locked(meeting)
    _require_review(actor, meeting)
    comment = (comment or "").strip()
    if not comment:
        raise _invalid("退回时请填写审核意见", "comment_required", "comment")
    meeting.state = Meeting.State.RETURNED
    meeting.review_comment = comment
    meeting.reviewed_by = actor
    meeting.reviewed_at = timezone.now()
    meeting.save(
        update_fields=["state", "review_comment", "reviewed_by", "reviewed_at", "updated_at"]
    )
    meeting.type_tags.update(counts=False)
    _audit(actor, "meeting.return", meeting, {"comment": comment})
    return meeting


@transaction.atomic
def meeting_files_add(
    *, actor: Any, meeting: Meeting, uploads: Sequence[Any], caption: str = ""
) -> list[MeetingFile]:
    """Attach photos (re-encoded) or PDFs to a draft or returned record."""
    meeting = _locked(meeting)
    _require_record(actor, meeting.org)
    _require_editable(meeting)
    if not uploads:
        raise _invalid("请选择要上传的文件", "no_files")
    # Check every file before storing any: a bad third file must not leave two on disk.
    cleaned = [sanitize_upload(upload) for upload in uploads]
    created = []
    for safe in cleaned:
        created.append(
            MeetingFile.objects.create(
                meeting=meeting,
                file=safe,
                is_photo=not (safe.name or "").endswith(".pdf"),
                caption=caption.strip()[:200],
            )
        )
    _audit(actor, "meeting.files_add", meeting, {"files": [f.file.name for f in created]})
    return created
