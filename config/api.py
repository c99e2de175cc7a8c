"""One error path for the whole API: domain exceptions become DRF responses here.

Services raise Django's `ValidationError` and `PermissionDenied` (the forms and the
admin show the same messages); views let them through instead of each catching them.
Every error body has one shape: `{"detail": ...}` or `{"<field>": [messages]}`.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler

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
        if data.get("type") == "Feature":
            errors = {}
            if "properties" in data and not isinstance(data["properties"], dict | None):
                errors["properties"] = [_("Must be an object.")]
            if "geometry" in data and not isinstance(data["geometry"], dict | None):
                errors["geometry"] = [_("Must be a GeoJSON geometry object or null.")]
            if errors:
                raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]  # a mixin
