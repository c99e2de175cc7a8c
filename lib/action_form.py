"""One action on an object (close, note, procedure...) on a page of its own.

The object's page offers the action behind a button; its form posts here. Refused
input comes back on this page with the error summary, the field errors and what was
typed, instead of a redirect that would lose them.
"""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_action_form(
    request: HttpRequest,
    form,
    *,
    subject,
    back_url: str,
    heading: str,
    submit_label: str,
    hint: str = "",
) -> HttpResponse:
    context = {
        "form": form,
        "subject": subject,
        "back_url": back_url,
        "action_url": request.path,
        "heading": heading,
        "submit_label": submit_label,
        "hint": hint,
    }
    return render(request, "action_form.html", context)


def posted(request: HttpRequest):
    """The POST data to bind, or None on GET. Not `request.POST or None`: an empty
    POST is refused input to show, not a blank form."""
    return request.POST if request.method == "POST" else None


def add_service_errors(form, exc: ValidationError, renames: dict | None = None) -> None:
    """A service's refusal on the form: on its field when the form has one (`renames`:
    the model's field name to the form's), else on the form. The errors keep their
    codes, so a flagged name offers its checkbox."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            field = (renames or {}).get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.error_list)


def applied(form, call, *, stale: type[Exception] | None = None, renames=None) -> bool:
    """Run the service call; its refusal lands on the form (False). `stale`: the
    service's "changed meanwhile" error, shown above the form."""
    try:
        call()
    except ValidationError as exc:
        add_service_errors(form, exc, renames)
        return False
    except Exception as exc:
        if stale is None or not isinstance(exc, stale):
            raise
        form.add_error(None, str(exc))
        return False
    return True
