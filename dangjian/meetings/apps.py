from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "dangjian.meetings"
    verbose_name = "组织生活"

    def ready(self) -> None:
        from dangjian.core.audit_display import register_value_labels
        from dangjian.meetings.models import MeetingType

        # ``types`` is a JSON list of codes: the audit page names them (支部党员大会 …).
        register_value_labels("meetings.meeting", {"types": lambda: dict(MeetingType.choices)})

        from dangjian.core import todo
        from dangjian.core.files import register_file_gate
        from dangjian.meetings.models import MeetingFile
        from dangjian.meetings.todo import meeting_todos

        todo.register("30-meetings", meeting_todos)
        register_file_gate(MeetingFile, "file", "meetings:file")
