import contextlib
import json
import time
from functools import partial

from django.conf import settings
from django.contrib.auth import logout
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from lib.free_text import CONFIRM_FIELD, names_confirmed

LOGIN_TIME_KEY = "terrain_login_at"
RENEWED_KEY = "terrain_renewed_at"


class SessionLifetimeMiddleware:
    """Ends a session 12 hours after login, however active, and renews its idle expiry.

    The renewal is written at most once per SESSION_RENEW_SECONDS: saving the session
    on every request would make each map tile and list read a database write.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.setdefault(LOGIN_TIME_KEY, now)
            if now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(settings.LOGIN_URL)
            renewed = request.session.get(RENEWED_KEY, 0)
            if now - renewed >= settings.SESSION_RENEW_SECONDS:
                request.session[RENEWED_KEY] = now  # saved, with a new expiry
        return self.get_response(request)


class CharterMiddleware:
    """A user must accept the current usage charter before anything else."""

    EXEMPT_PREFIXES = (
        "/accounts/login/",
        "/accounts/logout/",
        "/accounts/charter/",
        "/accounts/request/",
        "/accounts/password/",
        "/legal/",
        "/favicon.ico",
        "/static/",
        "/i18n/",
        "/healthz",
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/schema/",
        "/api/docs/",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.needs_charter
            and not request.path.startswith(self.EXEMPT_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                message = _(
                    "Accept the usage charter on the website before using the API."
                )
                return JsonResponse({"detail": message}, status=403)
            return redirect(f"{reverse('actors:charter')}?next={request.path}")
        return self.get_response(request)


class NamesConfirmationMiddleware:
    """A write sent with `confirm_not_personal` lets probable names through, audited.

    One place for every form and the API: the writer saw the flagged words and said
    they are not a resident's name; each confirmation is recorded with the words
    masked (the audit log must not become the list of names it avoids).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("POST", "PUT", "PATCH") and confirms_names(request):
            with names_confirmed(partial(audit_confirmation, request)):
                return self.get_response(request)
        return self.get_response(request)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def confirms_names(request) -> bool:
    values = [request.GET.get(CONFIRM_FIELD)]
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        if isinstance(body, dict):
            properties = body.get("properties")
            values += [
                body.get(CONFIRM_FIELD),
                properties.get(CONFIRM_FIELD) if isinstance(properties, dict) else None,
            ]
    elif request.content_type in FORM_TYPES:
        # A malformed body: the view refuses it (400, or 415 on the API), not a 500.
        with contextlib.suppress(MultiPartParserError):
            values.append(request.POST.get(CONFIRM_FIELD))
    return any(str(v).lower() in ("1", "true", "on", "yes") for v in values)


def audit_confirmation(request, instance, field: str, words: list[str]) -> None:
    from actors.audit import record  # the audit imports models: after apps load

    # The form's validation and the service's both check the same text: one record.
    key = (instance._meta.label_lower if instance is not None else "", field, *words)
    seen = request.__dict__.setdefault("_names_confirmed", set())
    if key in seen:
        return
    seen.add(key)
    user = request.user if request.user.is_authenticated else None
    saved = instance is not None and instance.pk is not None
    record(
        "free_text.names_confirmed",
        actor=user,
        target=instance if saved else None,
        request=request,
        model=instance._meta.label_lower if instance is not None else "",
        field=field,
        words=", ".join(mask_word(w) for w in words),
    )


def mask_word(words: str) -> str:
    """'Mme Popescu' -> 'M** P******': each word's initial only."""
    return " ".join(
        "".join(c if i == 0 or not c.isalpha() else "*" for i, c in enumerate(word))
        for word in words.split()
    )
