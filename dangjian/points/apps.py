from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "dangjian.points"
    verbose_name = "积分与星级"

    def ready(self) -> None:
        from dangjian.core import todo
        from dangjian.core.files import register_file_gate
        from dangjian.points.models import PointsClaim
        from dangjian.points.todo import points_todos

        todo.register("50-points", points_todos)
        register_file_gate(PointsClaim, "evidence", "points:claim_evidence")
