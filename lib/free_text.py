"""The one free-text guard of every model, form, API and import: no residents' personal data.

On top of lib.pii (plain detection), it speaks Django: translated messages and a
ValidationError naming each field, so every entry point refuses the same text alike.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib.pii import find_personal_data

KIND_LABELS = {
    "email": gettext_lazy("an e-mail address"),
    "phone": gettext_lazy("a phone number"),
    "nir": gettext_lazy("a social security number"),
    "iban": gettext_lazy("a bank account number (IBAN)"),
}


def check_free_text(errors: dict, field: str, text: str | None) -> None:
    """The one guard every free-text field goes through: no residents' personal data."""
    findings = find_personal_data(text or "")
    if findings:
        # Excerpts are masked by lib.pii: the message never repeats the personal value.
        what = ", ".join(f"{KIND_LABELS[f.kind]} ({f.excerpt})" for f in findings)
        errors.setdefault(field, []).append(
            _("Personal data is not allowed here; found %(what)s.") % {"what": what}
        )


def validate_free_text(instance, *fields: str) -> None:
    """Raise one ValidationError naming every free-text field holding personal data."""
    errors: dict[str, list] = {}
    for name in fields:
        check_free_text(errors, name, getattr(instance, name))
    if errors:
        raise ValidationError(errors)
