"""Gates for organizational-life rows: scoped by the copied organization path."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from dangjian.meetings.models import Meeting, MeetingFile
from dangjian.orgs.access import may, scope_q

NOT_FOUND = "未找到该会议记录，或您无权查看"


def meetings_visible_to(viewer: Any) -> QuerySet[Meeting]:
    """Meetings of organizations in the viewer's subtrees (those who may view organizational life)."""
    return Meeting.objects.filter(scope_q(viewer, "org_path", action="meeting.view"))


def access_meeting_by_id(viewer: Any, meeting_id: int, *, action: str = "meeting.view") -> Meeting:
    """The meeting if visible (else 404) and the viewer may do ``action`` on its organization (else 403)."""
    meeting = meetings_visible_to(viewer).select_related("org").filter(pk=meeting_id).first()
    if meeting is None:
        raise Http404(NOT_FOUND)
    if action != "meeting.view" and not may(viewer, action, meeting.org):
        raise PermissionDenied("您没有权限执行此操作")
    return meeting


def access_meeting_file_by_id(viewer: Any, file_id: int) -> MeetingFile:
    """A meeting's photo or attachment if the meeting is visible to the viewer (else 404)."""
    row = MeetingFile.objects.filter(pk=file_id, meeting__in=meetings_visible_to(viewer)).first()
    if row is None:
        raise Http404("未找到该文件，或您无权查看")
    return row


def may_review(viewer: Any, meeting: Meeting) -> bool:
    """Reviewing is for the upper organization: a grant with meeting.review above the meeting's org."""
    parent = meeting.org.parent
    return parent is not None and may(viewer, "meeting.review", parent)
