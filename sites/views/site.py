import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from actors.capabilities import (
    CHANGE_SITE,
    CLOSE_SITE,
    IMPORT_ANY_SITES,
    SEE_PROCEDURES,
    can,
    require,
)
from actors.scope import scope_of
from lib import listing
from lib.action_form import add_service_errors, applied, posted, render_action_form
from lib.csp import nonce_map_widgets
from sites.api.filters import SiteFilter, search
from sites.export import FORMAT_LABELS
from sites.forms import CloseForm, NoteForm, ProcedureForm, SiteForm
from sites.history import ACTION_LABELS, as_of, past_states, readable_changes
from sites.models import Site, SiteKind, SiteStatus
from sites.models.site import ConditionStatus
from sites.services import site as services
from territory.models import Territory

# Past states are rebuilt in Python from the history: beyond this many sites the list
# says it is cut (narrow by commune or filters), never silently.
AS_OF_LIMIT = 2000


def _as_of(request) -> datetime.date | None:
    try:
        return (
            datetime.date.fromisoformat(request.GET["as_of"])
            if request.GET.get("as_of")
            else None
        )
    except ValueError:
        messages.error(request, _("Use the format YYYY-MM-DD for the date."))
        return None


SORT_KEYS = {
    "name": ("name",),
    "commune": ("commune__name", "name"),
    "kind": ("kind",),
    "status": ("status",),
    "people": ("people",),
    "declared_on": ("declared_on",),
}


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    """Scoped, filtered (the API's SiteFilter), searched, sorted and paged sites."""
    sites = Site.objects.visible_to(request.user).select_related("commune")
    query = request.GET.get("q", "").strip()
    sites, sort_links = listing.sort(request, sites, SORT_KEYS, "commune")
    day = _as_of(request)
    truncated = False
    if day:  # filter on the state at that date, not today's
        rows = past_states(
            list(search(sites, query)[: AS_OF_LIMIT + 1]), day, request.GET
        )
        truncated = len(rows) > AS_OF_LIMIT
        rows = rows[:AS_OF_LIMIT]
    else:
        # The API's filters (the search `q` among them), so the home map's "list of
        # these sites" link and the exports give the same rows.
        rows = SiteFilter(_known_filters(request.GET), queryset=sites).qs
    page = listing.paginate(request, rows)
    context = {
        **listing.list_context(request, page, sort_links),
        "sites": page.object_list,
        "query": query,
        "as_of": day,
        # The list's own query string, so its export links export what it shows.
        "export_query": _export_query(request.GET),
        "export_formats": FORMAT_LABELS,
        "as_of_truncated": truncated,
        "as_of_limit": AS_OF_LIMIT,
        "statuses": SiteStatus.choices,
        "can_import": can(request.user, IMPORT_ANY_SITES),
        "kinds": SiteKind.choices,
        "conditions": ConditionStatus.choices,
        "condition_filters": [
            (name, label, request.GET.get(name, ""))
            for name, label in (
                ("water_status", _("water")),
                ("toilets_status", _("toilets")),
                ("electricity_status", _("electricity")),
            )
        ],
    }
    return render(request, "sites/site_list.html", context)


def _export_query(params) -> str:
    """The filters the list applied (and its date), without the form's empty ones."""
    query = _known_filters(params)
    if params.get("as_of"):
        query["as_of"] = params["as_of"]
    return query.urlencode()


def _known_filters(params) -> QueryDict:
    """The query string for SiteFilter, less empty and invalid values: a stale link
    narrows nothing rather than everything ("all" in the form sends `status=`)."""
    data = QueryDict(mutable=True)
    for name, values in params.lists():
        if name in SiteFilter.base_filters and any(values):
            data.setlist(name, [v for v in values if v])
    filterset = SiteFilter(data, queryset=Site.objects.none())
    if not filterset.is_valid():
        for name in filterset.errors:
            data.pop(name, None)
    return data


@login_required
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_object_or_404(
        Site.objects.visible_to(request.user).select_related("commune"), pk=pk
    )
    day = _as_of(request)
    shown = site
    if day:
        past = as_of([site], day)
        if not past:
            messages.info(request, _("This site did not exist yet on that date."))
        else:
            shown = past[0]
            shown.commune = site.commune
    user = request.user
    notes = site.notes.select_related("author", "author_organization").readable_by(user)
    context = {
        "site": shown,
        "live_site": site,
        "as_of": day,
        "notes": notes,
        "revisions": [
            (r, ACTION_LABELS.get(r.action, r.action), readable_changes(r))
            for r in site.revisions.select_related("by").order_by("-version")
        ],
        "can_change": can(user, CHANGE_SITE, site),
        "can_close": can(user, CLOSE_SITE, site),
        "procedures": site.procedures.all()
        if can(user, SEE_PROCEDURES, site)
        else None,
        "note_form": NoteForm(user=user),
    }
    return render(request, "sites/site_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def site_create(request: HttpRequest) -> HttpResponse:
    form = nonce_map_widgets(SiteForm(request.POST or None), request)
    nearby = None
    if request.method == "POST" and form.is_valid():
        data = {
            k: v
            for k, v in form.cleaned_data.items()
            if k not in ("version", "confirm_nearby", "longitude", "latitude")
        }
        try:
            site = services.declare_site(
                data,
                acting_user=request.user,
                confirm_nearby=form.cleaned_data["confirm_nearby"],
                request=request,
            )
        except services.NearbySites as warning:
            nearby = warning.sites
            form.add_error("confirm_nearby", str(warning))
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("point", str(exc))
        else:
            messages.success(request, _("Site declared."))
            return redirect("sites:detail", site.pk)
    return render(
        request,
        "sites/site_form.html",
        {
            "form": form,
            "nearby": nearby,
            "creating": True,
            "focus_bbox": _focus_bbox(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def site_update(request: HttpRequest, pk: int) -> HttpResponse:
    # Readable but not writable: 403 with the reason; out of sight: 404.
    site = get_object_or_404(
        Site.objects.visible_to(request.user).select_related("commune"), pk=pk
    )
    require(request.user, CHANGE_SITE, site)
    form = SiteForm(
        request.POST or None, instance=site, initial={"version": site.version}
    )
    nonce_map_widgets(form, request)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_site(
                site,
                form.changed_values(),
                acting_user=request.user,
                expected_version=form.cleaned_data["version"],
                request=request,
            )
        except services.StaleEdit as stale:
            form.add_error(None, str(stale))
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Site updated."))
            return redirect("sites:detail", site.pk)
    bbox = ",".join(f"{v:.5f}" for v in site.point.buffer(0.005).extent)
    return render(
        request,
        "sites/site_form.html",
        {"form": form, "site": site, "focus_bbox": bbox},
    )


def _focus_bbox(user) -> str:
    """Where a new site is most likely: the first territory the user may write in."""
    paths = scope_of(user).write_paths()
    territory = Territory.objects.filter(path__in=paths).order_by("-path").first()
    return ",".join(f"{v:.5f}" for v in territory.geom.extent) if territory else ""


def _readable_site(request: HttpRequest, pk: int, capability: str) -> Site:
    """The site if the user reads it (else 404), and may act on it (else 403 with
    the reason)."""
    site = get_object_or_404(
        Site.objects.visible_to(request.user).select_related("commune"), pk=pk
    )
    require(request.user, capability, site)
    return site


def _site_action(request, site: Site, form, heading: str, submit: str, hint: str = ""):
    return render_action_form(
        request, form, subject=site, back_url=reverse("sites:detail", args=[site.pk]),
        heading=heading, submit_label=submit, hint=hint,
    )  # fmt: skip


# The site's fields the close form names otherwise.
CLOSE_FIELDS = {
    "closure_reason": "reason",
    "housed_count": "housed",
    "sheltered_count": "sheltered",
    "no_solution_count": "no_solution",
}


@login_required
@require_http_methods(["GET", "POST"])
def site_close(request: HttpRequest, pk: int) -> HttpResponse:
    site = _readable_site(request, pk, CLOSE_SITE)
    if request.method == "POST" and request.POST.get("action") == "reopen":
        return _reopen(request, site)
    form = CloseForm(posted(request), initial={"version": site.version})
    data = form.cleaned_data if form.is_bound and form.is_valid() else None
    if data and applied(form, lambda: services.close_site(
        site, acting_user=request.user, expected_version=data["version"], status=data["status"],
        closed_on=data["closed_on"], reason=data["reason"], housed=data["housed"],
        sheltered=data["sheltered"], no_solution=data["no_solution"], request=request,
    ), stale=services.StaleEdit, renames=CLOSE_FIELDS):  # fmt: skip
        messages.success(request, _("Site closed."))
        return redirect("sites:detail", site.pk)
    return _site_action(request, site, form, _("Close the site"), _("Close the site"),
                        _("Closing records how the site ended and what became of its people."))  # fmt: skip


def _reopen(request: HttpRequest, site: Site) -> HttpResponse:
    """One button, nothing typed: a refusal is a message on the site's page."""
    try:
        services.reopen_site(
            site,
            acting_user=request.user,
            expected_version=request.POST.get("version"),
            request=request,
        )
    except (ValidationError, services.StaleEdit) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("Site reopened."))
    return redirect("sites:detail", site.pk)


@login_required
@require_http_methods(["GET", "POST"])
def site_note(request: HttpRequest, pk: int) -> HttpResponse:
    site = _readable_site(request, pk, CHANGE_SITE)
    form = NoteForm(posted(request), user=request.user)
    data = form.cleaned_data if form.is_bound and form.is_valid() else None
    if data and applied(form, lambda: services.add_note(
        site, data["text"], acting_user=request.user, visible_to=data["visible_to"],
        request=request,
    )):  # fmt: skip
        messages.success(request, _("Note added."))
        return redirect("sites:detail", site.pk)
    return _site_action(request, site, form, _("Add a note"), _("Add a note"))


@login_required
@require_http_methods(["GET", "POST"])
def site_procedure(request: HttpRequest, pk: int) -> HttpResponse:
    site = _readable_site(request, pk, SEE_PROCEDURES)
    form = ProcedureForm(posted(request))
    data = form.cleaned_data if form.is_bound and form.is_valid() else None
    if data and applied(form, lambda: services.add_procedure(
        site, data, acting_user=request.user, request=request
    )):  # fmt: skip
        messages.success(request, _("Procedure added."))
        return redirect("sites:detail", site.pk)
    return _site_action(request, site, form, _("Add a procedure"), _("Add a procedure"))


def form_errors(form) -> str:
    """A refused form's errors in one message, each named by its field's label."""
    parts = []
    for name, errors in form.errors.items():
        label = form[name].label if name in form.fields else _("Form")
        parts.append(f"{label}: {' '.join(errors)}")
    return "; ".join(parts)
