from django.apps import AppConfig


class InterventionsConfig(AppConfig):
    name = "interventions"

    def ready(self) -> None:
        # The sites app runs export jobs without knowing this app: it is told here how
        # to build an interventions file.
        from interventions.export import job_content
        from sites.jobs import register_content_builder
        from sites.models import ExportDataset

        register_content_builder(ExportDataset.INTERVENTIONS, job_content)
