from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "dangjian.recruitment"
    verbose_name = "发展党员"

    def ready(self) -> None:
        from dangjian.core import todo
        from dangjian.recruitment.todo import recruitment_todos

        todo.register("40-recruitment", recruitment_todos)
