from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "dangjian.findings"
    verbose_name = "问题整改"
