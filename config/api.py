"""One error path for the whole API: domain exceptions become DRF responses here.

Services raise Django's `ValidationError` and `PermissionDenied` (the forms and the
admin show the same messages); views let them through instead of each catching them.
Every error body has one shape: `{"detail": ...}` or `{"<field>": [messages]}`.
"""

import datetime
import re

from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from rest_framework import exceptions, relations, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import exception_handler
from rest_framework_gis.filters import InBBoxFilter
from rest_framework_gis.pagination import GeoJsonPagination

import config.schema_extensions  # noqa: F401  (registers them)
from lib.free_text import CONFIRM_FIELD, flagged_words


def as_drf(exc: Exception) -> Exception:
    """The DRF exception for a Django one, keeping its messages; others unchanged."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail: dict = exc.message_dict
            flagged = flagged_words(exc)
            if flagged:
                # Probable names: resend with `confirm_not_personal` if they are not.
                detail = {**detail, "flagged": flagged, "confirm_with": CONFIRM_FIELD}
            return exceptions.ValidationError(detail)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, DjangoPermissionDenied):
        # DRF's own handler turns it into 403 too, but drops the reason.
        return exceptions.PermissionDenied(str(exc) or None)
    return exc


def api_exception_handler(exc: Exception, context: dict):
    return exception_handler(as_drf(exc), context)


def json_type(field: serializers.Field) -> tuple[str, tuple[type, ...]] | None:
    """The JSON type the schema gives a writable field, and the Python types of it."""
    lists = (serializers.ListField, serializers.ListSerializer,
             relations.ManyRelatedField, serializers.MultipleChoiceField)  # fmt: skip
    if isinstance(field, lists):
        return "array", (list,)
    if isinstance(field, serializers.BooleanField):
        return "boolean", (bool,)
    if isinstance(field, serializers.IntegerField | relations.PrimaryKeyRelatedField):
        return "integer", (int,)
    if isinstance(field, serializers.FloatField):
        return "number", (int, float)
    if isinstance(field, serializers.ChoiceField):
        if all(isinstance(key, str) for key in field.choices):
            return "string", (str,)
        return None
    text = (serializers.CharField, serializers.DecimalField, serializers.DateField,
            serializers.DateTimeField, serializers.TimeField)  # fmt: skip
    if isinstance(field, text):
        return "string", (str,)
    return None


def wrong_json_types(fields, data: dict) -> dict:
    """Fields given a value of another JSON type than their schema's: DRF would turn
    "12" into 12, 12 into "12" or "true" into True, which the schema refuses."""
    errors: dict[str, list] = {}
    for name, value in data.items():
        field = fields.get(name)
        if field is None or field.read_only or value is None:
            continue
        expected = json_type(field)
        if expected is None:
            continue
        kind, types = expected
        if (
            isinstance(value, bool)
            and bool not in types
            or not isinstance(value, types)
        ):
            errors[name] = [_("Must be a JSON %(type)s.") % {"type": kind}]
        elif isinstance(field, serializers.DecimalField) and not str(value).strip():
            # DRF reads "" as null for a nullable decimal; the schema wants a digit.
            errors[name] = [field.error_messages["invalid"]]
    return errors


class JsonTypes:
    """Serializer mixin: a JSON body's values have their schema's JSON type (400
    naming the field otherwise). Forms (the token endpoint) are strings: unchecked."""

    def to_internal_value(self, data):
        if type(data) is dict:
            fields = self.fields  # type: ignore[attr-defined]  # a mixin
            values = data
            meta = getattr(self, "Meta", None)
            if hasattr(meta, "geo_field") and "properties" in data:
                values = data["properties"]  # a Feature; FeatureInput checked its shape
            errors = wrong_json_types(fields, values)
            if errors:
                raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]  # a mixin


class FeatureInput:
    """Serializer mixin: a GeoJSON Feature body of the wrong shape is a 400, not a 500.

    rest_framework_gis assumes `properties` is an object and `geometry` an object or
    null; anything else (a string, a list) raised a TypeError deep inside it.
    """

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Send a JSON object (a GeoJSON Feature).")]}
            )
        if "type" in data and data["type"] != "Feature":  # "AAA" was accepted
            raise exceptions.ValidationError(
                {"type": [_("Send a JSON object (a GeoJSON Feature).")]}
            )
        if data.get("type") == "Feature":
            errors = {}
            # null too: rest_framework_gis assigns into it (a TypeError, a 500).
            if "properties" in data and not isinstance(data["properties"], dict):
                errors["properties"] = [_("Must be an object.")]
            geometry = data.get("geometry")
            # `{}` too: GDAL's "Invalid geometry pointer", reported on the model field.
            if not isinstance(geometry, dict | None) or (
                isinstance(geometry, dict)
                and not {"type", "coordinates"} <= {*geometry}
            ):
                errors["geometry"] = [_("Must be a GeoJSON geometry object or null.")]
            if errors:
                raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]  # a mixin


# Four decimal numbers (no exponent, no inf/nan): the one `in_bbox` syntax, in the
# OpenAPI schema (config/schema.py) and on the server alike.
NUMBER = r"-?[0-9]+(\.[0-9]+)?"
BBOX_PATTERN = rf"^{NUMBER},{NUMBER},{NUMBER},{NUMBER}$"
# OGC API's bbox: four numbers, or six (heights, ignored).
OGC_BBOX = re.compile(rf"^{NUMBER}(,{NUMBER}){{3}}(,{NUMBER},{NUMBER})?$")
BBOX_HELP = (
    "min longitude,min latitude,max longitude,max latitude (four decimal numbers)"
)


def check_bbox(value: str) -> None:
    if not re.fullmatch(BBOX_PATTERN, value):
        raise exceptions.ValidationError(
            {
                "in_bbox": [
                    _(
                        "Four numbers: min longitude,min latitude,max longitude,"
                        "max latitude."
                    )
                ]
            }
        )


class StrictInBBoxFilter(InBBoxFilter):
    """rest_framework_gis's `in_bbox`, refusing what the schema refuses (1e400, inf)."""

    def get_filter_bbox(self, request):
        value = request.query_params.get(self.bbox_param)
        if value is not None:
            check_bbox(value)
        return super().get_filter_bbox(request)


def has_filter_params(filterset_class, params) -> bool:
    """Whether a parameter may be one of the filters' (its name, or its name and a
    widget's suffix such as `_min`). Without one a FilterSet filters nothing, and
    making it costs 0.8 ms a request (deep copies of every filter and form field):
    the unfiltered page and every map tile skip it. tests/test_filters_skipped.py
    checks that each filter set without parameters leaves the queryset as it is."""
    names = filterset_class.base_filters
    return any(param.startswith(name) for param in params for name in names)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter ignores `status=`; the API says it is empty (400), as the schema
    does, instead of quietly answering everything."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            empty = {
                name: [_("Empty value: give one or leave the parameter out.")]
                for name in filterset_class.base_filters
                if "" in request.query_params.getlist(name)
            }
            if empty:
                raise exceptions.ValidationError(empty)
            if "in_bbox" in filterset_class.base_filters:
                check_bbox(request.query_params.get("in_bbox", "0,0,0,0"))
        if filterset_class is None or not has_filter_params(
            filterset_class, request.query_params
        ):
            return queryset
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        _check_offsets(filterset.form.cleaned_data)
        return filterset.qs


def _check_offsets(cleaned: dict) -> None:
    """PostgreSQL holds UTC offsets below 16 h: `+17:18` was a DataError (a 500)."""
    for name, value in cleaned.items():
        offset = value.utcoffset() if isinstance(value, datetime.datetime) else None
        if offset is not None and abs(offset) >= datetime.timedelta(hours=16):
            message = forms.DateTimeField.default_error_messages["invalid"]
            raise exceptions.ValidationError({name: [message]})


def _whole_number(request, name: str, low: int, high: int | None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not re.fullmatch(r"[0-9]{1,10}", raw) or not (
        low <= int(raw) <= (high if high is not None else 2**31 - 1)
    ):
        raise exceptions.ValidationError(
            {
                name: [
                    _("A whole number from %(low)s to %(high)s.")
                    % {"low": low, "high": high or 2**31 - 1}
                ]
            }
        )
    return int(raw)


class StrictPageNumbers:
    """Page-number pagination that refuses a bad `page` or `page_size` (400 naming
    it) instead of quietly using the default; the schema gives their bounds."""

    page_size: int
    page_size_query_param: str | None = None
    max_page_size: int | None = None
    page_query_param = "page"

    def get_page_size(self, request):
        if self.page_size_query_param:
            size = _whole_number(
                request, self.page_size_query_param, 1, self.max_page_size
            )
            if size is not None:
                return size
        return self.page_size

    def paginate_queryset(self, queryset, request, view=None):
        _whole_number(request, self.page_query_param, 1, None)
        return super().paginate_queryset(queryset, request, view)  # type: ignore[misc]

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)  # type: ignore[misc]
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 2**31 - 1,
                }
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size or 2**31 - 1,
                }
        return parameters


class PageNumbers(StrictPageNumbers, PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"


class GeoPageNumbers(StrictPageNumbers, GeoJsonPagination):
    """A GeoJSON FeatureCollection with count, next and previous."""

    page_size = 100
    page_size_query_param = "page_size"

    def get_paginated_response_schema(self, schema):
        # rest_framework_gis's keeps `results` required and nests the whole
        # collection under `features`: here the collection's own schema, plus paging.
        return {
            "allOf": [
                schema,
                {
                    "type": "object",
                    "required": ["type", "features", "count"],
                    "properties": {
                        "count": {"type": "integer", "minimum": 0},
                        "next": {"type": "string", "format": "uri", "nullable": True},
                        "previous": {
                            "type": "string",
                            "format": "uri",
                            "nullable": True,
                        },
                    },
                },
            ]
        }
