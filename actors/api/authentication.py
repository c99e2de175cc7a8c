from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BasicAuthentication, TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from actors.identity import normalize_email


class CharterTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, refused until the current usage charter is accepted."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if user.needs_charter:
            raise AuthenticationFailed(
                _("Accept the usage charter on the website before using the API.")
            )
        return user, token


class CharterBasicAuthentication(BasicAuthentication):
    """HTTP Basic (what QGIS and other GIS clients send), for the OGC API only.

    DRF's class calls `authenticate(request=...)`, so django-axes counts each wrong
    password and refuses a locked account like the login form does. The e-mail is
    matched whatever its letter case; the usage charter is required as for tokens.
    """

    www_authenticate_realm = "Terrain Commun"

    def authenticate_credentials(self, userid, password, request=None):
        user, auth = super().authenticate_credentials(
            normalize_email(userid), password, request
        )
        if user.needs_charter:
            raise AuthenticationFailed(
                _("Accept the usage charter on the website before using the API.")
            )
        return user, auth


class CharterBasicScheme(OpenApiAuthenticationExtension):
    """Documents HTTP Basic in the OpenAPI schema (/api/docs/)."""

    target_class = CharterBasicAuthentication
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic"}
