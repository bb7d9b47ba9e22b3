from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "dangjian.recruitment"
    verbose_name = "发展党员"

    def ready(self) -> None:
        from dangjian.core import todo
        from dangjian.core.files import register_file_gate
        from dangjian.recruitment.models import DocumentTemplate, StepFile
        from dangjian.recruitment.todo import recruitment_todos

        todo.register("40-recruitment", recruitment_todos)
        register_file_gate(StepFile, "file", "recruitment:step_file")
        register_file_gate(DocumentTemplate, "file", "recruitment:doc_template_file")
