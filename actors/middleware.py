import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

LOGIN_TIME_KEY = "terrain_login_at"


class SessionLifetimeMiddleware:
    """Ends a session 12 hours after login, however active (idle expiry is Django's)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.setdefault(LOGIN_TIME_KEY, time.time())
            if time.time() - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)


class CharterMiddleware:
    """A user must accept the current usage charter before anything else."""

    EXEMPT_PREFIXES = (
        "/accounts/login/",
        "/accounts/logout/",
        "/accounts/charter/",
        "/accounts/request/",
        "/accounts/password/",
        "/static/",
        "/i18n/",
        "/healthz",
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/schema/",
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
