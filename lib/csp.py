"""Content-Security-Policy helpers for the pages that hold Leaflet maps."""

from typing import TypeVar

from django.forms import BaseForm
from django.http import HttpRequest
from leaflet.forms.widgets import LeafletWidget

F = TypeVar("F", bound=BaseForm)


def nonce_map_widgets(form: F, request: HttpRequest) -> F:
    """Give the form's map widgets this response's CSP nonce.

    django-leaflet writes each map widget's set-up as an inline script; widgets
    render without the request, so the view hands them the nonce.
    """
    nonce = getattr(request, "csp_nonce", None)
    for field in form.fields.values():
        if isinstance(field.widget, LeafletWidget):
            field.widget.csp_nonce = nonce
    return form
