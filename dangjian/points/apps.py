from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "dangjian.points"
    verbose_name = "积分与星级"

    def ready(self) -> None:
        from dangjian.core import todo
        from dangjian.points.todo import points_todos

        todo.register("50-points", points_todos)
