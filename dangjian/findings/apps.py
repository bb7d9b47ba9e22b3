from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "dangjian.findings"
    verbose_name = "问题整改"

    def ready(self) -> None:
        from dangjian.core import todo
        from dangjian.core.files import register_file_gate
        from dangjian.findings.models import Remedy
        from dangjian.findings.todo import finding_todos

        todo.register("35-findings", finding_todos)
        register_file_gate(Remedy, "evidence_file", "findings:remedy_evidence")
