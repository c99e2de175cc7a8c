from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


class CharterTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, refused until the current usage charter is accepted."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if user.needs_charter:
            raise AuthenticationFailed(
                _("Accept the usage charter on the website before using the API.")
            )
        return user, token
