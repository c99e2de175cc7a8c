"""drf-spectacular extensions, registered on import (config/api.py imports this)."""

from drf_spectacular.contrib.rest_framework_gis import (
    GeoFeatureModelSerializerExtension,
)


class GeoFeatureRequestSchema(GeoFeatureModelSerializerExtension):
    """The contrib's GeoJSON Feature schema, also for request bodies.

    With COMPONENT_SPLIT_REQUEST the request component has no read-only `id`, and
    the contrib's KeyError stopped the whole schema: a request Feature has no id.
    """

    priority = 1

    def map_geo_feature_model_serializer(self, serializer, base_schema):
        id_field = serializer.Meta.id_field
        if not id_field or id_field in base_schema["properties"]:
            return super().map_geo_feature_model_serializer(serializer, base_schema)
        base_schema["properties"][id_field] = {}
        schema = super().map_geo_feature_model_serializer(serializer, base_schema)
        schema["properties"].pop("id")
        return schema
