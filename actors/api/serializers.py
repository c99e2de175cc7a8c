from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from actors.models import Grant, Organization, User
from config.api import JsonTypes


class TokenRequestSerializer(JsonTypes, serializers.Serializer):
    email = serializers.EmailField(label=_("e-mail address"))
    password = serializers.CharField(
        label=_("password"), style={"input_type": "password"}, trim_whitespace=False
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class GrantSerializer(serializers.ModelSerializer):
    territory_code = serializers.CharField(source="territory.code")
    territory_level = serializers.CharField(source="territory.level")
    territory_name = serializers.CharField(source="territory.name")

    class Meta:
        model = Grant
        fields = (
            "role",
            "territory_code",
            "territory_level",
            "territory_name",
            "expires_at",
            "granted_at",
        )


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ("id", "name", "kind")


class MeSerializer(serializers.ModelSerializer):
    organization = OrganizationSerializer(read_only=True)
    grants = serializers.SerializerMethodField()
    read_territories = serializers.ListField(
        child=serializers.CharField(), read_only=True
    )
    write_territories = serializers.ListField(
        child=serializers.CharField(), read_only=True
    )
    charter_accepted = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = (
            "email",
            "first_name",
            "last_name",
            "organization",
            "grants",
            "read_territories",
            "write_territories",
            "charter_accepted",
        )

    def get_grants(self, user) -> list[dict]:
        grants = user.grants.active().select_related("territory")
        return GrantSerializer(grants, many=True).data
