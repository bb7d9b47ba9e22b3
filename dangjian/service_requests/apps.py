from django.apps import AppConfig


class ServiceRequestsConfig(AppConfig):
    name = "dangjian.service_requests"
    verbose_name = "群众诉求（五单闭环）"
