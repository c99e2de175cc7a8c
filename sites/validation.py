from django.utils.translation import gettext as _

from lib.pii import describe, find_personal_data


def check_free_text(errors: dict, field: str, text: str | None) -> None:
    """The one guard every free-text field goes through: no residents' personal data."""
    findings = find_personal_data(text or "")
    if findings:
        errors.setdefault(field, []).append(
            _("Personal data is not allowed here; found %(what)s.")
            % {"what": describe(findings)}
        )
