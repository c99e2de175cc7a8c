"""The language people read their mail in: the one they last used the site in."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


def LanguageField() -> models.CharField:  # a field factory, named like a field class
    return models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )


def spoken_language() -> str:
    """The active language (the request's, through LocaleMiddleware), if we have it."""
    try:
        return translation.get_supported_language_variant(
            translation.get_language() or settings.LANGUAGE_CODE
        )
    except LookupError:
        return settings.LANGUAGE_CODE


class RememberLanguageMiddleware:
    """Keeps a signed-in user's language for the mail we send them later."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = spoken_language()
            if user.language != language:  # rare: one write when they switch
                get_user_model().objects.filter(pk=user.pk).update(language=language)
        return response
