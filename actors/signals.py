"""Authentication events into the audit log, and the session clocks at login."""

import time

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from actors.audit import record
from actors.middleware import LOGIN_TIME_KEY, RENEWED_KEY


@receiver(user_login_failed)
def audit_login_failure(sender, credentials, request=None, **kwargs):
    # The attempted e-mail is kept (to spot attacks on an account), never the password.
    record(
        "login.failed",
        request=request,
        actor_email=str(credentials.get("username", ""))[:254],
    )


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    record("login.succeeded", actor=user, target=user, request=request)


@receiver(user_logged_in)
def start_session_clocks(sender, request, user, **kwargs):
    """The 12-hour limit and the idle renewal count from the login, saved with it: the
    requests that follow read the session without writing it."""
    session = getattr(request, "session", None)
    if session is not None:
        session[LOGIN_TIME_KEY] = session[RENEWED_KEY] = time.time()
