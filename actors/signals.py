"""Authentication events into the audit log."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from actors.audit import record


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
