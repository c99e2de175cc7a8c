from django.apps import AppConfig


class ActorsConfig(AppConfig):
    name = "actors"

    def ready(self) -> None:
        from actors import signals  # noqa: F401 - connects the audit receivers
