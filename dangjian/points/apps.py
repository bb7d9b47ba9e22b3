from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "dangjian.points"
    verbose_name = "积分与星级"
