from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from territory.models import Territory


class TerritorySerializer(GeoFeatureModelSerializer):
    """Light map feature: simplified outline, code, name, level, parent code."""

    parent_code = serializers.CharField(
        source="parent.code", default=None, read_only=True
    )

    class Meta:
        model = Territory
        geo_field = "display_geom"
        auto_bbox = True
        fields = ("code", "name", "level", "parent_code", "population")


class TerritorySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Territory
        fields = ("code", "name", "level")
