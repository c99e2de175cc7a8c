"""The one free-text guard of every model, form, API and import: no residents' personal data.

Two levels, on top of lib.pii and lib.names (plain detection):
- certain identifiers (e-mail, phone, NIR, IBAN, date of birth, ID numbers) are
  refused, with a masked excerpt: the message never repeats the value;
- probable names of people ask for confirmation: the writer rewrites the text, or
  resends it confirming "this is not a resident's name" (`confirm_not_personal`),
  which `names_confirmed()` lets through and the caller audits.
Each error names its field, so every entry point refuses the same text alike.
"""

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib.names import probable_names
from lib.pii import find_personal_data

KIND_LABELS = {
    "email": gettext_lazy("an e-mail address"),
    "phone": gettext_lazy("a phone number"),
    "nir": gettext_lazy("a social security number"),
    "iban": gettext_lazy("a bank account number (IBAN)"),
    "birth_date": gettext_lazy("a date of birth"),
    "id_document": gettext_lazy("an identity document number"),
}
PROBABLE_NAME = "probable_name"  # the error code forms and the API look for
CONFIRM_FIELD = "confirm_not_personal"

# Set for one request by `names_confirmed()`: called with (instance, field, words)
# for each probable name let through, so that the confirmation is audited.
_on_confirmed: ContextVar[Callable | None] = ContextVar("on_confirmed", default=None)


@contextmanager
def names_confirmed(on_confirmed: Callable[[object, str, list[str]], None]) -> Iterator:
    """Within this block, probable names pass (the writer confirmed them)."""
    token = _on_confirmed.set(on_confirmed)
    try:
        yield
    finally:
        _on_confirmed.reset(token)


# Capitalised words that name places and organizations, not people. The source is
# registered by an app (actors.apps) so that lib imports no app; reread every
# ten minutes so that new organizations count without a restart.
_known_names_source: Callable[[], Iterable[str]] = tuple
# None: never loaded. Not 0.0: time.monotonic() counts from boot, so on a machine up for
# less than the TTL a zero stamp looked fresh and the names were never read.
_known: tuple[float | None, frozenset[str]] = (None, frozenset())
KNOWN_NAMES_TTL = 600


def register_known_names(source: Callable[[], Iterable[str]]) -> None:
    global _known_names_source, _known  # noqa: PLW0603 - one registry per process
    _known_names_source, _known = source, (None, frozenset())


def is_known_place(words: str) -> bool:
    global _known  # noqa: PLW0603
    loaded_at, names = _known
    if loaded_at is None or time.monotonic() - loaded_at > KNOWN_NAMES_TTL:
        names = frozenset(n.casefold() for n in _known_names_source())
        _known = (time.monotonic(), names)
    return words.casefold() in names


def check_free_text(errors: dict, field: str, text: str | None, instance=None) -> None:
    """The one guard every free-text field goes through: no residents' personal data."""
    text = text or ""
    findings = find_personal_data(text)
    if findings:
        # Excerpts are masked by lib.pii: the message never repeats the personal value.
        what = ", ".join(f"{KIND_LABELS[f.kind]} ({f.excerpt})" for f in findings)
        errors.setdefault(field, []).append(
            _("Personal data is not allowed here; found %(what)s.") % {"what": what}
        )
        return
    words = [span.text for span in probable_names(text, is_known_place)]
    if not words:
        return
    on_confirmed = _on_confirmed.get()
    if on_confirmed is not None:
        on_confirmed(instance, field, words)
        return
    errors.setdefault(field, []).append(probable_name_error(words))


def probable_name_error(words: list[str]) -> ValidationError:
    # The words are the writer's own, shown back to them so they can find them.
    quoted = ", ".join(f"« {w} »" for w in words)
    return ValidationError(
        _(
            "This may name a resident: %(words)s. Rewrite it without names, or tick "
            "“This is not a resident's name” and save again."
        )
        % {"words": quoted},
        code=PROBABLE_NAME,
        params={"words": words},
    )


def validate_free_text(instance, *fields: str) -> None:
    """Raise one ValidationError naming every free-text field holding personal data."""
    errors: dict[str, list] = {}
    for name in fields:
        check_free_text(errors, name, getattr(instance, name), instance)
    if errors:
        raise ValidationError(errors)


def flagged_words(error: ValidationError) -> dict[str, list[str]]:
    """Per field, the probable names an error asks the writer to confirm."""
    flagged: dict[str, list[str]] = {}
    if not hasattr(error, "error_dict"):
        return flagged
    for field, errors in error.error_dict.items():
        for item in errors:
            if item.code == PROBABLE_NAME:
                flagged.setdefault(field, []).extend(
                    (item.params or {}).get("words", [])
                )
    return flagged


class ConfirmNamesMixin(forms.BaseForm):
    """Forms with free text: a "not a resident's name" box, shown once a name is flagged.

    The box only says what the writer confirms; `names_confirmed()` (through the
    request middleware) is what lets the names through, for forms and API alike.
    """

    always_offer_confirmation = False  # for forms whose errors come back as messages

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[CONFIRM_FIELD] = forms.BooleanField(
            label=_("This is not a resident's name (the highlighted words)"),
            required=False,
            widget=forms.CheckboxInput
            if self.always_offer_confirmation
            else forms.HiddenInput,
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned:  # not data: the services never see it (the middleware read it)
            cleaned.pop(CONFIRM_FIELD, None)
        return cleaned

    def add_error(self, field, error):
        super().add_error(field, error)
        if CONFIRM_FIELD in self.fields and any(
            e.code == PROBABLE_NAME
            for errs in self.errors.as_data().values()
            for e in errs
        ):
            self.fields[CONFIRM_FIELD].widget = forms.CheckboxInput()
