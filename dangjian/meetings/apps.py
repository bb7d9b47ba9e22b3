from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "dangjian.meetings"
    verbose_name = "组织生活"

    def ready(self) -> None:
        from dangjian.core import todo
        from dangjian.meetings.todo import meeting_todos

        todo.register("30-meetings", meeting_todos)
