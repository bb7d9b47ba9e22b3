from django.apps import AppConfig


class ServiceRequestsConfig(AppConfig):
    name = "dangjian.service_requests"
    verbose_name = "群众诉求（五单闭环）"

    def ready(self) -> None:
        from dangjian.core import todo
        from dangjian.service_requests.todo import request_todos

        todo.register("70-requests", request_todos)
