from django.apps import AppConfig


class DuesConfig(AppConfig):
    name = "dangjian.dues"
    verbose_name = "党费"

    def ready(self) -> None:
        from dangjian.core import todo
        from dangjian.dues.todo import dues_todos

        todo.register("60-dues", dues_todos)
