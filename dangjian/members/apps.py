from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "dangjian.members"
    verbose_name = "党员管理"

    def ready(self) -> None:
        from functools import partial

        from dangjian.core.audit_display import register_value_labels
        from dangjian.core.files import register_file_gate
        from dangjian.members.models import DossierItem
        from dangjian.members.rules import code_labels

        # The audit page names the codes a member's record holds (性别 "1" → 男).
        tables = {
            "sex": "sex", "ethnicity": "ethnicity", "education": "education", "job": "job",
            "marital": "marital", "health": "health", "degree": "degree",
            "party_post": "party_post", "leave_reason": "decrease",
        }  # fmt: skip
        register_value_labels(
            "members.member", {f: partial(code_labels, t) for f, t in tables.items()}
        )
        register_value_labels(
            "members.memberevent",
            {"increase_reason": partial(code_labels, "increase"),
             "decrease_reason": partial(code_labels, "decrease")},
        )  # fmt: skip
        register_file_gate(DossierItem, "scan", "members:dossier_scan")
        from dangjian.members.services import members_keeping_org
        from dangjian.orgs.services import register_dissolve_check

        register_dissolve_check(members_keeping_org)
