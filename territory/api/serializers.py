from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from territory.models import Territory


@extend_schema_field({"type": "object", "description": "GeoJSON MultiPolygon"})
class OutlineField(GeometryField):
    """Coordinates rounded to the view's `precision` (serializer context)."""

    def to_representation(self, value):
        self.precision = self.context.get("precision", 6)
        return super().to_representation(value)


class TerritorySerializer(GeoFeatureModelSerializer):
    """Light map feature: simplified outline, code, name, level, parent code."""

    # The queryset's `outline` (`TerritoryQuerySet.outlines`), under the model
    # field's name so the schema still knows its type.
    display_geom = OutlineField(
        source="outline", read_only=True, remove_duplicates=True
    )

    parent_code = serializers.CharField(
        source="parent.code", default=None, read_only=True
    )

    class Meta:
        model = Territory
        geo_field = "display_geom"
        auto_bbox = True
        fields = (
            "code",
            "name",
            "level",
            "parent_code",
            "population",
            "outline_quality",
        )


class TerritorySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Territory
        fields = ("code", "name", "level", "outline_quality")
