from django.apps import AppConfig


class ActorsConfig(AppConfig):
    name = "actors"

    def ready(self) -> None:
        from actors import checks, signals  # noqa: F401 - registers checks, receivers
        from lib.free_text import register_known_names

        register_known_names(known_place_names)


def known_place_names() -> list[str]:
    """Territory and organization names: capitalised words that are not people."""
    from actors.models import Organization
    from territory.models import Territory

    return [
        *Territory.objects.values_list("name", flat=True),
        *Organization.objects.values_list("name", flat=True),
    ]
