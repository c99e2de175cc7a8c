"""One identity per e-mail address, whatever its letter case."""

from collections.abc import Mapping

from django.http import HttpRequest


def normalize_email(value: str) -> str:
    """The one form of an e-mail address we store, look up and lock out on."""
    return (value or "").strip().lower()


def lockout_username(request: HttpRequest, credentials: Mapping | None) -> str:
    """Django-axes key: `Ministere@…` and `ministere@…` share one failure counter.

    Credentials come from `authenticate()` (login form and token view alike); the
    posted form is the fallback axes itself uses when there are none.
    """
    source = credentials or getattr(request, "data", None) or request.POST
    return normalize_email(source.get("username") or source.get("email") or "")
