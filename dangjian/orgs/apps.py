from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "dangjian.orgs"
    verbose_name = "组织体系"

    def ready(self) -> None:
        # accounts sits below orgs: its people page reaches organizations through this gate.
        from dangjian.accounts.grants import org_gate_register
        from dangjian.orgs.access import access_org_by_id

        org_gate_register(access_org_by_id)
