from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "dangjian.transfers"
    verbose_name = "组织关系转接"

    def ready(self) -> None:
        from dangjian.core import todo
        from dangjian.transfers.todo import transfer_todos

        todo.register("20-transfers", transfer_todos)
