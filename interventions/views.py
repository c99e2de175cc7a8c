"""Intervention pages: list, detail, forms, export, overdue reports, follows, presence.

Every read goes through `visible_to`; every write through interventions.services,
whose ValidationError and PermissionDenied become form errors or messages here.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from actors.audit import record
from actors.capabilities import (
    CHANGE_INTERVENTION,
    CLOSE_INTERVENTION,
    NOTE_INTERVENTION,
    REPORT_INTERVENTION,
    SEE_FUNDING,
    SEE_OVERDUE_REPORTS,
    can,
    capability_required,
    require,
)
from actors.models import Organization
from actors.roles import Role
from actors.scope import scope_of
from interventions import digests, export, services
from interventions.filters import SEARCH_FIELDS, InterventionFilter
from interventions.forms import (
    CloseForm,
    FundingForm,
    InterventionForm,
    NoteForm,
    PresenceForm,
    ReportForm,
)
from interventions.history import as_of, history_rows
from interventions.models import (
    REPORT_COUNTS,
    Follow,
    Intervention,
    InterventionReport,
)
from interventions.reminders import due_date
from lib import listing
from lib.action_form import add_service_errors, applied, posted, render_action_form
from sites.history import end_of
from sites.jobs import queue_export
from sites.models import Site
from sites.views.site import form_errors

REPORT_COLUMNS = 6  # the latest reports on the page; the export has them all


def _visible(user):
    return Intervention.objects.visible_to(user).select_related(
        "territory", "lead_operator"
    )


SORT_KEYS = {
    "title": ("title",),
    "operator": ("lead_operator__name", "title"),
    "territory": ("territory__name", "title"),
    "status": ("status", "title"),
    "started_on": ("started_on", "title"),
}  # fmt: skip


def _filtered(request: HttpRequest) -> InterventionFilter:
    """The visible interventions, searched (`?q=`) then filtered as the URL says."""
    visible = listing.search(request, _visible(request.user), SEARCH_FIELDS)
    return InterventionFilter(request.GET, queryset=visible)


@login_required
def intervention_list(request: HttpRequest) -> HttpResponse:
    filtered = _filtered(request)
    interventions, sort_links = listing.sort(
        request, filtered.qs.with_latest_report(), SORT_KEYS, "-started_on"
    )
    page = listing.paginate(request, interventions)
    context = {
        **listing.list_context(request, page, sort_links),
        "filter": filtered,
        # The export takes the list's search and filters, not its sort or page.
        "export_query": listing.query_without(request.GET, "page", "sort"),
        "export_formats": [("csv", "CSV"), ("xlsx", "XLSX")],
        "operators": Organization.objects.visible_to(request.user).order_by("name"),
        "can_create": bool(_write_paths(request.user)),
    }
    return render(request, "interventions/intervention_list.html", context)


def _readable(request: HttpRequest, pk: int, capability: str) -> Intervention:
    """The intervention if the user reads it (else 404), and may act on it (else 403
    with the reason)."""
    intervention = get_object_or_404(_visible(request.user), pk=pk)
    require(request.user, capability, intervention)
    return intervention


def _write_paths(user) -> list[str]:
    return scope_of(user).write_paths(Role.CONTRIBUTOR)


@login_required
def intervention_detail(request: HttpRequest, pk: int) -> HttpResponse:
    intervention = get_object_or_404(_visible(request.user), pk=pk)
    day = _as_of_param(request)
    if day is not None:
        return _past_detail(request, intervention, day)
    user = request.user
    reports = list(intervention.reports.all())
    sites = list(intervention.sites.visible_to(user).select_related("commune"))
    context = {
        "intervention": intervention,
        "partners": intervention.partners.all(),
        "pilots": intervention.pilots.all(),
        "sites": sites,
        "map_points": [[*s.point.coords, str(s)] for s in sites],
        **_report_tables(reports),
        "funding": intervention.funding.all()
        if can(user, SEE_FUNDING, intervention)
        else None,
        "notes": intervention.notes.select_related(
            "author", "author_organization"
        ).readable_by(user),
        "revisions": history_rows(
            intervention.revisions.select_related("by").order_by("-at", "-pk")
        ),
        "following": Follow.objects.filter(
            user=user, intervention=intervention
        ).exists(),
        **_abilities(user, intervention),
    }
    return render(request, "interventions/intervention_detail.html", context)


def _as_of_param(request: HttpRequest) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        if request.GET.get("as_of"):
            messages.error(request, _("Use the format YYYY-MM-DD for the date."))
        return None


def _past_detail(request: HttpRequest, intervention, day: datetime.date):
    """The intervention as it was at the end of `day`: read-only, from its history."""
    user = request.user
    past = next(iter(as_of([intervention], day)), None)
    if past is None:
        messages.error(request, _("This intervention did not exist yet on that date."))
        return redirect("interventions:detail", intervention.pk)
    ids = past.past_relations
    sites = list(
        Site.objects.visible_to(user)
        .filter(pk__in=ids["sites"])
        .select_related("commune")
    )
    until = end_of(day)
    context = {
        "intervention": past,
        "as_of": day,
        "partners": Organization.objects.filter(pk__in=ids["partners"]),
        "pilots": Organization.objects.filter(pk__in=ids["pilots"]),
        "sites": sites,
        "map_points": [[*s.point.coords, str(s)] for s in sites],
        **_report_tables(list(intervention.reports.filter(reported_on__lte=day))),
        "funding": intervention.funding.filter(year__lte=day.year)
        if can(user, SEE_FUNDING, intervention)
        else None,
        "notes": intervention.notes.filter(written_at__lte=until)
        .select_related("author", "author_organization")
        .readable_by(user),
        "revisions": history_rows(
            intervention.revisions.filter(at__lte=until)
            .select_related("by")
            .order_by("-at", "-pk")
        ),
    }
    return render(request, "interventions/intervention_detail.html", context)


def _report_tables(reports: list) -> dict:
    """One row per indicator, one column per report, newest first (a table of
    eleven columns would not fit a phone)."""
    labels = [
        InterventionReport._meta.get_field(name).verbose_name for name in REPORT_COUNTS
    ]
    latest = reports[0] if reports else None
    shown = reports[:REPORT_COLUMNS]
    return {
        "reports": shown,
        "latest": latest,
        "report_rows": [
            (label, [getattr(r, name) for r in shown])
            for label, name in zip(labels, REPORT_COUNTS, strict=True)
        ],
    }


def _abilities(user, intervention: Intervention) -> dict:
    return {
        "can_change": can(user, CHANGE_INTERVENTION, intervention),
        "can_report": can(user, REPORT_INTERVENTION, intervention),
        "can_close": can(user, CLOSE_INTERVENTION, intervention)
        and not intervention.is_closed,
        "can_note": can(user, NOTE_INTERVENTION, intervention),
        "note_form": NoteForm(user=user),
    }


@login_required
@require_http_methods(["GET", "POST"])
def intervention_create(request: HttpRequest) -> HttpResponse:
    initial = {"lead_operator": request.user.organization_id, "status": "planned"}
    form = InterventionForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            intervention = services.create_intervention(
                data, acting_user=request.user, request=request
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Intervention created."))
            return redirect("interventions:detail", intervention.pk)
    return render(
        request,
        "interventions/intervention_form.html",
        {"form": form, "creating": True},
    )


@login_required
@require_http_methods(["GET", "POST"])
def intervention_update(request: HttpRequest, pk: int) -> HttpResponse:
    intervention = _readable(request, pk, CHANGE_INTERVENTION)
    form = InterventionForm(
        request.POST or None,
        instance=intervention,
        user=request.user,
        initial={"version": intervention.version},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_intervention(
                intervention, form.changed_values(), acting_user=request.user,
                expected_version=form.cleaned_data["version"], request=request,
            )  # fmt: skip
        except services.StaleEdit as stale:
            form.add_error(None, str(stale))
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Intervention updated."))
            return redirect("interventions:detail", intervention.pk)
    context = {"form": form, "intervention": intervention}
    return render(request, "interventions/intervention_form.html", context)


def _sub_form(request, pk: int, capability: str, form_class, save, texts: dict):
    """A page with one form acting on an intervention (report, funding line)."""
    intervention = _readable(request, pk, capability)
    form = form_class(request.POST or None, initial=texts.pop("initial", None))
    if request.method == "POST" and form.is_valid():
        try:
            save(
                intervention,
                form.cleaned_data,
                acting_user=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("interventions:detail", intervention.pk)
    context = {"form": form, "intervention": intervention, **texts}
    return render(request, "interventions/sub_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def intervention_report(request: HttpRequest, pk: int) -> HttpResponse:
    texts = {
        "heading": _("Report indicators"),
        "initial": {"reported_on": timezone.localdate()},
        "hint": _(
            "Counts only. A part never exceeds its whole: women, minors, people housed... "
            "at most the people reached; children schooled at most the minors."
        ),
    }
    return _sub_form(request, pk, REPORT_INTERVENTION, ReportForm,
                     services.add_report, texts)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def intervention_funding(request: HttpRequest, pk: int) -> HttpResponse:
    _readable(request, pk, SEE_FUNDING)
    texts = {
        "heading": _("Funding line"),
        "initial": {"year": timezone.localdate().year},
        "hint": _("One line per year and source: saving an existing one updates it."),
    }
    return _sub_form(request, pk, CHANGE_INTERVENTION, FundingForm,
                     services.set_funding, texts)  # fmt: skip


def _intervention_action(request, intervention, form, heading: str, submit: str):
    return render_action_form(
        request, form, subject=intervention, heading=heading, submit_label=submit,
        back_url=reverse("interventions:detail", args=[intervention.pk]),
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def intervention_close(request: HttpRequest, pk: int) -> HttpResponse:
    intervention = _readable(request, pk, CLOSE_INTERVENTION)
    form = CloseForm(posted(request), initial={"version": intervention.version})
    data = form.cleaned_data if form.is_bound and form.is_valid() else None
    if data and applied(form, lambda: services.close_intervention(
        intervention, acting_user=request.user, status=data["status"],
        expected_version=data["version"], ended_on=data["ended_on"], request=request,
    ), stale=services.StaleEdit):  # fmt: skip
        messages.success(request, _("Intervention closed."))
        return redirect("interventions:detail", pk)
    heading = _("Close the intervention")
    return _intervention_action(request, intervention, form, heading, _("Close"))


@login_required
@require_http_methods(["GET", "POST"])
def intervention_note(request: HttpRequest, pk: int) -> HttpResponse:
    intervention = _readable(request, pk, NOTE_INTERVENTION)
    form = NoteForm(posted(request), user=request.user)
    data = form.cleaned_data if form.is_bound and form.is_valid() else None
    if data and applied(form, lambda: services.add_note(
        intervention, data["text"], acting_user=request.user,
        visible_to=data["visible_to"], request=request,
    )):  # fmt: skip
        messages.success(request, _("Note added."))
        return redirect("interventions:detail", pk)
    heading = _("Add a note")
    return _intervention_action(request, intervention, form, heading, heading)


@login_required
@require_POST
def intervention_follow(request: HttpRequest, pk: int) -> HttpResponse:
    intervention = get_object_or_404(_visible(request.user), pk=pk)
    if request.POST.get("action") == "unfollow":
        services.unfollow(intervention, acting_user=request.user)
        messages.success(request, _("You no longer follow this intervention."))
    else:
        services.follow(intervention, acting_user=request.user)
        messages.success(request, _("You will receive a daily e-mail of its news."))
    return redirect("interventions:detail", pk)


@login_required
def intervention_export(request: HttpRequest) -> HttpResponse:
    """CSV (streamed) or XLSX of every filtered, visible intervention, funding only
    where allowed; an XLSX beyond EXPORT_SYNC_LIMIT rows is built by a job."""
    kind = request.GET.get("format_type") or "csv"
    if kind not in export.CONTENT_TYPES:
        return HttpResponseBadRequest(_("Unknown format: use csv or xlsx."))
    filtered = _filtered(request)
    matched = filtered.qs.count()
    job = None
    if kind == "xlsx" and matched > settings.EXPORT_SYNC_LIMIT:
        job = queue_export(request.user, kind, request.GET, matched, "interventions")
    record("interventions.exported", actor=request.user, request=request,
           rows=matched, format=kind, queued=job.pk if job else "")  # fmt: skip
    if job is not None:
        return redirect("sites:export", job.pk)
    if kind == "xlsx":
        return export.xlsx_response(filtered.qs, request.user)
    return export.csv_response(filtered.qs, request.user)


@login_required
@capability_required(SEE_OVERDUE_REPORTS)
def overdue_reports(request: HttpRequest) -> HttpResponse:
    """Local admins: running interventions of their territory whose report is late."""
    today = timezone.localdate()
    due = due_date(today.year)
    mine = Intervention.objects.editable_by(request.user, Role.LOCAL_ADMIN)
    mine = mine.select_related("territory", "lead_operator")
    context = {
        "due": due,
        "overdue": mine.report_overdue(today, due).with_latest_report(),
        "soon": mine.without_report_in(today.year)
        .filter(started_on__lt=due)
        .with_latest_report()
        if today <= due
        else [],
    }
    return render(request, "interventions/overdue.html", context)


def _site(request, pk: int) -> Site:
    return get_object_or_404(Site.objects.visible_to(request.user), pk=pk)


@login_required
@require_POST
def site_presence(request: HttpRequest, pk: int) -> HttpResponse:
    """Declare (or, with `presence`, stop) an organization's presence on a site."""
    site = _site(request, pk)
    form = PresenceForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("sites:detail", pk)
    day = form.cleaned_data["started_on"]
    try:
        if request.POST.get("presence"):
            presence = get_object_or_404(
                site.presences.current(), pk=request.POST["presence"]
            )
            services.stop_presence(
                presence, acting_user=request.user, ended_on=day, request=request
            )
        else:
            services.declare_presence(
                site, acting_user=request.user, started_on=day, request=request
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("sites:detail", pk)


@login_required
@require_POST
def site_follow(request: HttpRequest, pk: int) -> HttpResponse:
    site = _site(request, pk)
    if request.POST.get("action") == "unfollow":
        services.unfollow(site, acting_user=request.user)
        messages.success(request, _("You no longer follow this site."))
    else:
        services.follow(site, acting_user=request.user)
        messages.success(request, _("You will receive a daily e-mail of its news."))
    return redirect("sites:detail", pk)


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """From a digest's link, without logging in: stop every follow of that user."""
    user = digests.user_from_token(token)
    if user is None:
        return render(
            request, "interventions/unsubscribe.html", {"invalid": True}, status=400
        )
    if request.method == "POST":
        count, _detail = Follow.objects.filter(user=user).delete()
        record("follows.unsubscribed", actor=user, request=request, follows=count)
        return render(request, "interventions/unsubscribe.html", {"done": True})
    return render(request, "interventions/unsubscribe.html", {"token": token})
