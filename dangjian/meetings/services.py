"""Writes for meeting records: announce ahead (plan, reschedule, cancel), record, attendance
(one row or the whole sheet), check-in, submit, review, files.

Every service is keyword-only, atomic, checks permission through the access root and writes
the audit log. Errors are ``ValidationError`` with a Chinese message and a stable code.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from dangjian.core.audit import audit_record, field_changes
from dangjian.core.services import notify
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
# A planned meeting takes check-ins (at the time) and 请假 marked in advance; it is recorded
# (minutes, submit) only once held.
CHECKIN_STATES = (Meeting.State.PLANNED, *EDITABLE_STATES)
ATTENDANCE_STATES = CHECKIN_STATES
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


# Real time zones lie within UTC-12 and UTC+14; a wider offset is bad input (and PostgreSQL
# cannot store it).
MAX_UTC_OFFSET = dt.timedelta(hours=14)
# A meeting is announced at most this far ahead (an input bound, not a regulation).
PLAN_HORIZON = dt.timedelta(days=366)


def _check_zone(held_at: dt.datetime) -> None:
    if timezone.is_naive(held_at):
        raise _invalid("会议时间缺少时区", "held_at_naive", "held_at")
    offset = held_at.utcoffset()
    if offset is None or abs(offset) > MAX_UTC_OFFSET:
        raise _invalid("会议时间的时区不正确", "held_at_zone", "held_at")


def _check_held_at(held_at: dt.datetime, now: dt.datetime) -> None:
    _check_zone(held_at)
    if held_at > now:
        raise _invalid("会议时间不能晚于当前时间", "held_in_future", "held_at")


def is_late_entry(held_at: dt.datetime, entered_at: dt.datetime) -> bool:
    """补录: entered more than ``late_entry_days`` calendar days after the meeting day."""
    held_on = timezone.localdate(held_at)
    entered_on = timezone.localdate(entered_at)
    return (entered_on - held_on).days > RECORD_RULES.late_entry_days


def checkin_code(choice: Callable[[str], str] = secrets.choice) -> str:
    """A check-in code of ``CODE_LENGTH`` characters from ``CODE_ALPHABET`` (not checked for
    use; ``choice`` lets a seeded writer such as the demo draw reproducible codes)."""
    return "".join(choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def checkin_window(held_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When check-in opens and closes for a meeting held at ``held_at`` (``RECORD_RULES``)."""
    return (
        held_at - RECORD_RULES.checkin_opens_before,
        held_at + RECORD_RULES.checkin_closes_after,
    )


def checkin_status(held_at: dt.datetime, checked_at: dt.datetime) -> str:
    """出席, or 迟到 for a check-in later than ``RECORD_RULES.late_grace`` after the start."""
    late = checked_at > held_at + RECORD_RULES.late_grace
    return Attendance.Status.LATE if late else Attendance.Status.PRESENT


def _new_code() -> str:
    for _ in range(50):
        code = checkin_code()
        if not Meeting.objects.filter(checkin_code=code).exists():
            return code
    raise RuntimeError("could not find a free check-in code")  # pragma: no cover


def _set_window(meeting: Meeting) -> None:
    meeting.checkin_opens_at, meeting.checkin_closes_at = checkin_window(meeting.held_at)


def invited_members(org: Organization, on: dt.date) -> QuerySet[Member]:
    """应到人员: the org's members (a 党小组's group members) who were on the roll that day."""
    qs = Member.objects.exclude(status=Member.Status.FORMER).filter(joined_on__lte=on)
    if org.org_type == Organization.Type.GROUP:
        return qs.filter(group=org)
    return qs.filter(branch=org)


def _sync_invited(meeting: Meeting) -> None:
    """Make the attendance rows the invited list of the meeting day: add members who are on the
    roll that day, drop rows of members who are not (unless they checked in). A planned meeting
    is announced from today's roll; this runs again when it is rescheduled and when recorded."""
    invited = dict(
        invited_members(meeting.org, timezone.localdate(meeting.held_at)).values_list(
            "id", "category"
        )
    )
    Attendance.objects.filter(meeting=meeting, by_checkin=False).exclude(
        member_id__in=list(invited)
    ).delete()
    have = set(Attendance.objects.filter(meeting=meeting).values_list("member_id", flat=True))
    Attendance.objects.bulk_create(
        Attendance(
            meeting=meeting,
            member_id=member_id,
            org_path=meeting.org_path,
            status=Attendance.Status.ABSENT,
            is_voting=category == Member.Category.FULL,
        )
        for member_id, category in invited.items()
        if member_id not in have
    )
    _count_attendance(meeting)


def _count_attendance(meeting: Meeting) -> None:
    """Keep the meeting's ``invited_count``/``present_count`` equal to its attendance rows.

    Every write to a meeting's attendance rows ends here, in its transaction. The caller holds
    the meeting's row lock, taken before any attendance row (``_locked``), so writers of one
    meeting queue in one order; the count is a statement of its own after the lock, so it sees
    every writer that went first (PostgreSQL's READ COMMITTED reads a new snapshot per statement).
    """
    counts = Attendance.objects.filter(meeting_id=meeting.pk).aggregate(
        invited=Count("id"), present=Count("id", filter=Q(status__in=PRESENT_STATUSES))
    )
    meeting.invited_count, meeting.present_count = counts["invited"], counts["present"]
    Meeting.objects.filter(pk=meeting.pk).update(
        invited_count=meeting.invited_count, present_count=meeting.present_count
    )


def attendance_counts_rebuild(meeting_ids: Iterable[int] | None = None) -> int:
    """Recount ``invited_count``/``present_count`` from the attendance rows (all meetings, or
    the ones given) in one UPDATE; returns the meetings updated. For ``meetings_reconcile --fix``
    and bulk writers that did not set them."""
    rows = Attendance.objects.filter(meeting_id=OuterRef("pk")).order_by().values("meeting_id")
    invited = rows.annotate(n=Count("id")).values("n")
    present = rows.filter(status__in=PRESENT_STATUSES).annotate(n=Count("id")).values("n")
    qs = Meeting.objects.all()
    if meeting_ids is not None:
        qs = qs.filter(pk__in=list(meeting_ids))
    with transaction.atomic():
        return qs.update(
            invited_count=Coalesce(Subquery(invited), Value(0)),
            present_count=Coalesce(Subquery(present), Value(0)),
        )


def _sync_tags(meeting: Meeting) -> None:
    if meeting.state == Meeting.State.CANCELLED:  # never held: nothing to count or filter by
        MeetingTypeTag.objects.filter(meeting=meeting).delete()
        return
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
    _sync_invited(meeting)
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
    planned = meeting.state == Meeting.State.PLANNED
    if not planned:
        _require_editable(meeting)
    before = {f: getattr(meeting, f) for f in FIELDS}
    data = {k: v for k, v in data.items() if k in FIELDS}
    if "types" in data:
        data["types"] = _clean_types(meeting.org, data["types"])
    if planned and "held_at" in data and data["held_at"] != meeting.held_at:
        # Members were told a time: a new one goes through 改期, which tells them again.
        raise _invalid("已通知的会议请用“改期”修改会议时间", "use_reschedule", "held_at")
    if "held_at" in data and not planned:
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


def _require_attendance_open(meeting: Meeting) -> None:
    if meeting.state not in ATTENDANCE_STATES:
        raise _invalid("会议记录已提交、已审核通过或已取消，不能修改出席情况", "not_editable")


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
    _require_attendance_open(meeting)
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
    _count_attendance(meeting)
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
    meeting = _locked(meeting)  # before the attendance row: the order every writer locks in
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
    if meeting.state == Meeting.State.CANCELLED:
        raise _invalid("会议已取消，无需签到", "cancelled")
    if meeting.state not in CHECKIN_STATES:
        raise _invalid("会议记录已提交，不能再签到", "not_editable")
    opens, closes = checkin_window(meeting.held_at)
    opens = meeting.checkin_opens_at or opens
    closes = meeting.checkin_closes_at or closes
    if now < opens:
        raise _invalid("签到尚未开始", "checkin_not_open")
    if now > closes:
        raise _invalid("签到已截止", "checkin_closed")
    row.status = checkin_status(meeting.held_at, now)
    row.reason = ""
    row.checked_in_at = now
    row.by_checkin = True
    row.save(update_fields=["status", "reason", "checked_in_at", "by_checkin", "updated_at"])
    _count_attendance(meeting)
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
    if meeting.state == Meeting.State.PLANNED:
        raise _invalid("会议召开后请先点击“登记会议记录”，再提交审核", "not_recorded")
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


# The 积分 rule booked for each attendance status once a record is approved (请假 earns and
# costs nothing).
ATTENDANCE_POINTS: dict[str, str] = {
    Attendance.Status.PRESENT: "meeting_present",
    Attendance.Status.LATE: "meeting_present",
    Attendance.Status.ABSENT: "meeting_absent_unexcused",
}


def attendance_points_note(topic: str, held_on: dt.date) -> str:
    """The note of an attendance award: the meeting's topic and day."""
    return f"{topic[:60]}（{held_on:%m月%d日}）"


def _award_attendance_points(actor: Any, meeting: Meeting) -> None:
    """Attendance is final once the upper organization approves the record: book 积分 then.

    Present/late → ``meeting_present``, absent without excuse → ``meeting_absent_unexcused``
    (请假 earns and costs nothing). Each attendance row is the source, so an award happens
    once per member and meeting whatever is retried.
    """
    from dangjian.points.services import points_award_auto

    held_on = timezone.localtime(meeting.held_at).date()
    for row in meeting.attendance.select_related("member__branch").exclude(
        member__status=Member.Status.FORMER
    ):
        code = ATTENDANCE_POINTS.get(row.status)
        if code:
            points_award_auto(
                member=row.member, rule_code=code, source=row, on=held_on, actor=actor,
                note=attendance_points_note(meeting.topic, held_on),
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


# --- the whole attendance sheet in one save ---------------------------------------------------


@dataclass(frozen=True)
class AttendanceMark:
    """One line of the attendance sheet as the recorder left it."""

    member_id: int
    status: str
    reason: str = ""


NOT_INVITED_MESSAGE = (
    "名单中有党员不是本次会议的应到人员（会议当日不在本组织党员名册中），本次没有保存任何修改"
)


@transaction.atomic
def attendance_bulk_set(
    *, actor: Any, meeting: Meeting, marks: Sequence[AttendanceMark]
) -> list[Attendance]:
    """Save the attendance sheet in one go: all lines or none; one audit row lists the changes.

    Every line must be an invited member (a row of the meeting's invited list, built from the
    organization's roll on the meeting day); 请假 needs a reason. Lines not sent stay as they are.
    """
    meeting = _locked(meeting)
    _require_record(actor, meeting.org)
    _require_attendance_open(meeting)
    rows = {
        r.member_id: r
        for r in Attendance.objects.select_for_update(of=("self",))
        .filter(meeting=meeting)
        .select_related("member")
    }
    if any(mark.member_id not in rows for mark in marks):
        raise _invalid(NOT_INVITED_MESSAGE, "not_invited")
    if len({mark.member_id for mark in marks}) != len(marks):
        raise _invalid("同一名党员出现了两次，本次没有保存任何修改", "duplicate_member")
    errors: list[ValidationError] = []
    after: dict[int, dict[str, str]] = {}
    for mark in marks:
        name = rows[mark.member_id].member.name
        if mark.status not in Attendance.Status.values:
            errors.append(ValidationError(f"{name}：出席情况不正确", code="bad_status"))
            continue
        reason = (mark.reason or "").strip()
        if mark.status == Attendance.Status.EXCUSED and not reason:
            errors.append(ValidationError(f"{name}：请假需填写事由", code="reason_required"))
            continue
        after[mark.member_id] = {
            "status": mark.status,
            "reason": reason[:200] if mark.status == Attendance.Status.EXCUSED else "",
        }
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    changed: list[Attendance] = []
    log: list[dict[str, Any]] = []
    for member_id, values in after.items():
        row = rows[member_id]
        diff = field_changes({"status": row.status, "reason": row.reason}, values)
        if not diff:
            continue
        row.status, row.reason, row.updated_at = values["status"], values["reason"], now
        changed.append(row)
        log.append({"member_id": member_id, "name": row.member.name, **diff})
    if not changed:  # an unchanged sheet changes nothing, not even the audit log
        return []
    Attendance.objects.bulk_update(changed, ["status", "reason", "updated_at"])
    _count_attendance(meeting)
    _audit(actor, "meeting.attendance_bulk", meeting, {"attendance": log, "count": len(log)})
    return changed


# --- meetings announced ahead -----------------------------------------------------------------


def _type_names(meeting: Meeting) -> str:
    return "、".join(MeetingType(t).label for t in meeting.types)


def _when(meeting: Meeting) -> str:
    return f"{timezone.localtime(meeting.held_at):%Y年%-m月%-d日 %H:%M}"


def _notify_invited(meeting: Meeting, *, title: str, body: str, key: str) -> None:
    """Tell every invited member with an account, in-app and through NOTIFICATION_CHANNELS
    (SMS, WeCom …), once per key, after the write commits (a rolled-back plan sends nothing)."""
    users = [
        m.user
        for m in Member.objects.filter(
            attendance__meeting=meeting, user__isnull=False, user__is_active=True
        ).select_related("user")
    ]
    if not users:
        return
    url = reverse("meetings:checkin")
    transaction.on_commit(
        lambda: notify(recipients=users, title=title, body=body, url=url, dedupe_key=key)
    )


def _notice_body(meeting: Meeting) -> str:
    place = f"在{meeting.place}" if meeting.place else ""
    return (
        f"{meeting.org.display_name}定于{_when(meeting)}{place}召开{_type_names(meeting)}，"
        f"主题：{meeting.topic}。请准时参加；到会后扫描会场二维码或输入签到码签到，"
        f"不能参加请向支部书记请假。"
    )


def _require_future(held_at: dt.datetime, now: dt.datetime) -> None:
    _check_zone(held_at)
    if held_at <= now:
        raise _invalid(
            "通知的会议时间须晚于当前时间；已召开的会议请用“登记会议”", "held_in_past", "held_at"
        )
    if held_at > now + PLAN_HORIZON:
        raise _invalid("会议最多提前一年通知，请检查会议时间", "held_too_far", "held_at")


def _require_planned(meeting: Meeting) -> None:
    if meeting.state != Meeting.State.PLANNED:
        raise _invalid("只有已通知、尚未登记的会议可以改期或取消", "not_planned")


@transaction.atomic
def meeting_plan(
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
    now: dt.datetime | None = None,
) -> Meeting:
    """Announce a meeting ahead: invited list and check-in code now, a notice to every invited
    member; check-in opens at the time (RECORD_RULES); recorded once held. Counts only then."""
    _require_record(actor, org)
    if org.dissolved_on is not None:
        raise _invalid("该组织已撤销，不能安排会议", "org_dissolved")
    now = now or timezone.now()
    clean_types = _clean_types(org, types)
    _require_future(held_at, now)
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
        state=Meeting.State.PLANNED,
        created_by=actor if getattr(actor, "pk", None) else None,
        checkin_code=_new_code(),
        checkin_token=secrets.token_urlsafe(24),
        notified_at=now,
        notice_round=1,
    )
    _set_window(meeting)
    meeting.save()
    _sync_tags(meeting)
    _sync_invited(meeting)
    _audit(actor, "meeting.plan", meeting, {"types": clean_types, "held_at": held_at})
    _notify_invited(
        meeting,
        title=f"会议通知：{_when(meeting)} {_type_names(meeting)}",
        body=_notice_body(meeting),
        key=f"meeting-notice:{meeting.pk}:{meeting.notice_round}",
    )
    return meeting


@transaction.atomic
def meeting_reschedule(
    *,
    actor: Any,
    meeting: Meeting,
    held_at: dt.datetime,
    place: str | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Meeting:
    """Move a planned meeting (and its check-in window); the invited members are told again."""
    meeting = _locked(meeting)
    _require_record(actor, meeting.org)
    _require_planned(meeting)
    now = now or timezone.now()
    _require_future(held_at, now)
    new_place = meeting.place if place is None else place.strip()[:200]
    changes = field_changes(
        {"held_at": meeting.held_at, "place": meeting.place},
        {"held_at": held_at, "place": new_place},
    )
    if not changes:
        return meeting
    meeting.held_at, meeting.place = held_at, new_place
    _set_window(meeting)
    meeting.notice_round += 1
    meeting.notified_at = now
    meeting.save()
    _sync_tags(meeting)
    _sync_invited(meeting)
    reason = (reason or "").strip()[:200]
    _audit(actor, "meeting.reschedule", meeting, {**changes, "reason": reason})
    because = f"（{reason}）" if reason else ""
    _notify_invited(
        meeting,
        title=f"会议改期：{meeting.topic[:60]}",
        body=f"原定会议改期{because}。{_notice_body(meeting)}",
        key=f"meeting-notice:{meeting.pk}:{meeting.notice_round}",
    )
    return meeting


@transaction.atomic
def meeting_cancel(*, actor: Any, meeting: Meeting, reason: str) -> Meeting:
    """Call off a planned meeting: check-in closes, it never counts; the members are told."""
    meeting = _locked(meeting)
    _require_record(actor, meeting.org)
    _require_planned(meeting)
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("取消会议请填写原因", "reason_required", "reason")
    meeting.state = Meeting.State.CANCELLED
    meeting.cancel_reason = reason[:200]
    meeting.save(update_fields=["state", "cancel_reason", "updated_at"])
    _sync_tags(meeting)
    _audit(
        actor,
        "meeting.cancel",
        meeting,
        {"state": [Meeting.State.PLANNED, meeting.state], "reason": meeting.cancel_reason},
    )
    _notify_invited(
        meeting,
        title=f"会议取消：{meeting.topic[:60]}",
        body=(
            f"原定于{_when(meeting)}召开的{_type_names(meeting)}（{meeting.topic}）已取消。"
            f"原因：{meeting.cancel_reason}"
        ),
        key=f"meeting-cancel:{meeting.pk}",
    )
    return meeting


@transaction.atomic
def meeting_start_record(
    *, actor: Any, meeting: Meeting, now: dt.datetime | None = None
) -> Meeting:
    """A planned meeting has been held: it becomes a draft record (minutes, attendance, submit)
    with the invited list of the meeting day and the check-ins it took."""
    meeting = _locked(meeting)
    _require_record(actor, meeting.org)
    if meeting.state != Meeting.State.PLANNED:
        raise _invalid("该会议已登记或已取消", "not_planned")
    now = now or timezone.now()
    if meeting.held_at > now:
        raise _invalid("会议尚未召开，召开后才能登记会议记录", "not_held_yet")
    meeting.state = Meeting.State.DRAFT
    meeting.is_late_entry = is_late_entry(meeting.held_at, now)
    meeting.save(update_fields=["state", "is_late_entry", "updated_at"])
    _sync_tags(meeting)
    _sync_invited(meeting)
    _audit(
        actor,
        "meeting.record",
        meeting,
        {"state": [Meeting.State.PLANNED, meeting.state], "is_late_entry": meeting.is_late_entry},
    )
    return meeting
