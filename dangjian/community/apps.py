from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "dangjian.community"
    verbose_name = "村情民意、矛盾调解与乡贤"

    def ready(self) -> None:
        from dangjian.core.audit_display import register_moved_model

        # Born in grid (same tables): audit rows written before the move say ``grid.…``.
        for model in ("opinionrecord", "mediation", "localworthy"):
            register_moved_model(f"grid.{model}", f"community.{model}")
