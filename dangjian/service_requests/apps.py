from django.apps import AppConfig


class ServiceRequestsConfig(AppConfig):
    name = "dangjian.service_requests"
    verbose_name = "群众诉求（五单闭环）"

    def ready(self) -> None:
        from dangjian.core import todo
        from dangjian.core.files import register_file_gate, register_link_file_gate
        from dangjian.service_requests.models import RequestPhoto
        from dangjian.service_requests.todo import request_todos

        todo.register("70-requests", request_todos)
        # Open311's media_url is a second, API-key gate over the same rows (open311:media).
        register_file_gate(RequestPhoto, "file", "service_requests:photo")
        # The resident's private link shows the 晒单 photos marked 对群众公开.
        register_link_file_gate(RequestPhoto, "file", "public_requests:photo")
