from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from actors.api.serializers import MeSerializer, TokenRequestSerializer, TokenSerializer
from actors.audit import record
from actors.scope import scope_of
from territory.models import Territory


class TokenView(APIView):
    """Exchange e-mail and password for an API token (`Authorization: Token <token>`)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(request=TokenRequestSerializer, responses=TokenSerializer)
    def post(self, request: Request) -> Response:
        form = TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=form.validated_data["email"],
            password=form.validated_data["password"],
        )
        if user is None or not user.is_active:
            # 401 as the schema says: a well-formed request whose credentials fail.
            return Response(
                {"detail": _("Wrong e-mail or password, or account locked.")},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        if user.needs_charter:
            return Response(
                {
                    "detail": _(
                        "Accept the usage charter on the website before using the API."
                    )
                },
                status=status.HTTP_403_FORBIDDEN,
            )
        token, _created = Token.objects.get_or_create(user=user)
        record("api_token.issued", actor=user, target=user, request=request)
        return Response({"token": token.key})


class MeView(APIView):
    """The current user, active grants and effective read/write territories (codes)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = request.user
        scope = scope_of(user)
        user.read_territories = territory_codes(scope.read_paths())
        user.write_territories = territory_codes(scope.write_paths())
        user.charter_accepted = not user.needs_charter
        return Response(MeSerializer(user).data)


def territory_codes(paths: list[str]) -> list[str]:
    found = dict(Territory.objects.filter(path__in=paths).values_list("path", "code"))
    return [found[p] for p in paths if p in found]
