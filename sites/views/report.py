"""Public reports: the anonymous form, and the queue where local admins handle them.

The forms live here rather than in `sites/forms.py`: they serve these pages only.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from leaflet.forms.widgets import LeafletWidget

from actors.capabilities import REVIEW_REPORTS, capability_required
from actors.ratelimit import PUBLIC_REPORTS
from lib import listing
from lib.csp import nonce_map_widgets
from lib.free_text import ConfirmNamesMixin
from sites.forms import CoordinatesMixin
from sites.models import AccessibilityPoint, PublicReport, ReportKind, Site
from sites.services import report as reports
from sites.services.site import NearbySites


class PublicReportForm(ConfirmNamesMixin, CoordinatesMixin, forms.ModelForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("What are you reporting?"),
        choices=ReportKind.choices,
        widget=forms.RadioSelect,
    )
    contact_email = forms.EmailField(
        label=gettext_lazy("Your e-mail address (optional)"),
        required=False,
        help_text=gettext_lazy(
            "Only used to tell you the outcome of your report, then erased. "
            "Nobody else sees it."
        ),
    )

    class Meta:
        model = PublicReport
        fields = ("kind", "point", "description")
        widgets = {
            "point": LeafletWidget(attrs={"geom_type": "Point"}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "point": gettext_lazy(
                "Search an address or a commune, or zoom in on the map, then place "
                "the marker; or type the coordinates below."
            ),
            "description": gettext_lazy(
                "What you saw and where exactly. Never a name, a phone number or "
                "any other personal data of the people concerned."
            ),
        }


class ToSiteForm(ConfirmNamesMixin, forms.ModelForm):
    confirm_nearby = forms.BooleanField(
        label=gettext_lazy("I checked: this is not one of the nearby sites"),
        required=False,
    )

    class Meta:
        model = Site
        fields = ("kind", "name", "address")


class ToPointForm(ConfirmNamesMixin, forms.ModelForm):
    class Meta:
        model = AccessibilityPoint
        fields = ("spaces", "address", "details")


class DismissForm(ConfirmNamesMixin, forms.Form):
    dismissal_reason = forms.CharField(
        label=gettext_lazy("Reason for dismissal"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("The reporter is told this reason if they left an e-mail address."),
    )  # fmt: skip


def local_admin_required(view):
    """Anonymous visitors go to the login page; users without the capability get 403."""
    return login_required(capability_required(REVIEW_REPORTS)(view))


@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    form = nonce_map_widgets(PublicReportForm(request.POST or None), request)
    if request.method == "POST":
        if PUBLIC_REPORTS.hit(request):
            return _too_many(request, PUBLIC_REPORTS.limit)
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in reports.REPORT_FIELDS}
            try:
                reports.submit_report(
                    data, form.cleaned_data["contact_email"], request=request
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                return redirect("reports:thanks")
    return render(request, "sites/reports/report_form.html", {"form": form})


def report_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "sites/reports/report_thanks.html")


def _too_many(request, limit: int) -> HttpResponse:
    return render(
        request, "sites/reports/report_limited.html", {"limit": limit}, status=429
    )


@local_admin_required
def report_queue(request: HttpRequest) -> HttpResponse:
    waiting = (
        PublicReport.objects.new().decidable_by(request.user).select_related("commune")
    )
    waiting = listing.search(
        request, waiting, ("description", "commune__name", "commune__code")
    )
    waiting, sort_links = listing.sort(request, waiting, REPORT_SORTS, "created_at")
    page = listing.paginate(request, waiting)
    context = {**listing.list_context(request, page, sort_links), "reports": page}
    return render(request, "sites/reports/report_queue.html", context)


REPORT_SORTS = {
    "created_at": ("created_at",),
    "kind": ("kind",),
    "commune": ("commune__name",),
}


@local_admin_required
@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(
        PublicReport.objects.decidable_by(request.user).select_related(
            "commune", "handled_by", "site", "accessibility_point"
        ),
        pk=pk,
    )
    action = request.POST.get("action")
    bound = request.POST if request.method == "POST" else None
    forms_ = {
        "site": ToSiteForm(bound if action == "site" else None, prefix="site"),
        "point": ToPointForm(bound if action == "point" else None, prefix="point"),
        "dismiss": DismissForm(bound if action == "dismiss" else None, prefix="dismiss"),
    }  # fmt: skip
    nearby = None
    if action in forms_:
        outcome = _handle(request, report, action, forms_[action])
        if isinstance(outcome, HttpResponse):
            return outcome
        nearby = outcome
    context = {
        "report": report,
        "site_form": forms_["site"],
        "point_form": forms_["point"],
        "dismiss_form": forms_["dismiss"],
        "nearby": nearby,
        "has_contact": hasattr(report, "contact"),
        "focus_bbox": ",".join(f"{v:.5f}" for v in report.point.buffer(0.005).extent),
    }
    return render(request, "sites/reports/report_detail.html", context)


def _handle(request, report: PublicReport, action: str, form):
    """Run the chosen action; a redirect when done, else the nearby sites (if any)."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        if action == "site":
            extra = {k: v for k, v in data.items() if k != "confirm_nearby"}
            created = reports.convert_report_to_site(
                report, acting_user=request.user, data=extra,
                confirm_nearby=data["confirm_nearby"], request=request,
            )  # fmt: skip
            messages.success(request, _("Site declared from the report."))
            return redirect("sites:detail", created.pk)
        if action == "point":
            reports.convert_report_to_point(
                report, acting_user=request.user, data=data, request=request
            )
            messages.success(request, _("Accessibility point recorded and verified."))
        else:
            reports.dismiss_report(
                report,
                acting_user=request.user,
                reason=data["dismissal_reason"],
                request=request,
            )
            messages.success(request, _("Report dismissed."))
    except NearbySites as warning:
        form.add_error("confirm_nearby", str(warning))
        return warning.sites
    except (ValidationError, PermissionDenied) as exc:
        _add_errors(form, exc)
        return None
    return redirect("reports:queue")


def _add_errors(form, exc) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, getattr(exc, "messages", None) or str(exc))
