from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "dangjian.community"
    verbose_name = "村情民意、矛盾调解与乡贤"
