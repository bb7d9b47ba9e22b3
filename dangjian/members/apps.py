from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "dangjian.members"
    verbose_name = "党员管理"

    def ready(self) -> None:
        from dangjian.core.files import register_file_gate
        from dangjian.members.models import DossierItem

        register_file_gate(DossierItem, "scan", "members:dossier_scan")
