from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from config.api import FeatureInput, JsonTypes
from sites.models import Site, SiteNote, SiteProcedure

LIGHT_FIELDS = ("id", "name", "kind", "status", "commune_code", "people", "updated_at")


class SiteFeatureSerializer(GeoFeatureModelSerializer):
    """Map feature: a few properties only; the detail endpoint has the rest."""

    commune_code = serializers.CharField(source="commune.code", read_only=True)

    class Meta:
        model = Site
        geo_field = "point"
        fields = LIGHT_FIELDS


class ProcedureSerializer(serializers.ModelSerializer):
    class Meta:
        model = SiteProcedure
        fields = ("id", "kind", "started_on", "decision_on", "summary")


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.CharField(
        source="author.full_name", read_only=True, default=None
    )
    organization = serializers.CharField(
        source="author_organization.name", read_only=True, default=None
    )

    class Meta:
        model = SiteNote
        fields = ("id", "written_at", "author", "organization", "text")


class SiteSerializer(FeatureInput, JsonTypes, GeoFeatureModelSerializer):
    """Full detail; procedures only for local admins (removed by the view otherwise)."""

    commune_code = serializers.CharField(source="commune.code", read_only=True)
    commune_name = serializers.CharField(source="commune.name", read_only=True)
    version = serializers.IntegerField(required=False)
    procedures = ProcedureSerializer(many=True, read_only=True)

    class Meta:
        model = Site
        geo_field = "point"
        exclude = ("created_by", "updated_by", "commune", "dataset", "source_id")
        read_only_fields = (
            "created_at", "updated_at", "water_status", "toilets_status", "electricity_status",
            "waste_status", "pests_status", "fire_prevention_status",
        )  # fmt: skip

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("show_procedures"):
            data["properties"].pop("procedures", None)
        return data
