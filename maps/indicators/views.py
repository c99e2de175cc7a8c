"""Indicator pages: territory dashboards (signed in, scoped), public open data
(fixed snapshots only) and the method page."""

import csv
import datetime
import io

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from actors.audit import record
from actors.scope import scope_of
from maps.indicators.definitions import INDICATORS, MAP_INDICATORS, PERSON_COUNTS
from maps.indicators.public import (
    CLOSED_COLUMNS,
    COLUMNS,
    FIELDS,
    TOTAL,
    column_choices,
    rules_from_settings,
)
from maps.indicators.tables import CHILD_LEVEL, dashboard_tables, download
from maps.models import IndicatorSnapshot
from territory.models import Level, Territory

DASHBOARD_LEVELS = (Level.NATION, Level.REGION, Level.DEPARTEMENT, Level.COMMUNE)
FORMATS = ("csv", "json", "xlsx")


def _readable_territory(user, level: str, code: str) -> Territory:
    """The territory if the user's reading scope covers it; else 404 (never a hint)."""
    if level not in DASHBOARD_LEVELS:
        raise Http404
    territory = get_object_or_404(
        Territory.objects.select_related("parent"), level=level, code=code
    )
    if not scope_of(user).can_read(territory.path):
        raise Http404
    return territory


def _date_and_year(request: HttpRequest) -> tuple[datetime.date | None, int]:
    today = timezone.localdate()
    day = None
    try:
        day = datetime.date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        day = None
    if day is not None and day >= today:
        day = None
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = (day or today).year
    return day, min(max(year, 2000), today.year)


@login_required
@require_GET
def default_dashboard(request: HttpRequest) -> HttpResponse:
    """The widest territory the user reads: the nation for the ministry."""
    paths = scope_of(request.user).read_paths()
    territory = (
        Territory.objects.filter(path__in=paths, level__in=DASHBOARD_LEVELS)
        .order_by("path")
        .first()
    )
    if territory is None:
        raise Http404
    return redirect("indicators:dashboard", level=territory.level, code=territory.code)


@login_required
@require_GET
def dashboard(request: HttpRequest, level: str, code: str) -> HttpResponse:
    territory = _readable_territory(request.user, level, code)
    day, year = _date_and_year(request)
    tables = dashboard_tables(request.user, territory, day, year)
    by_key = {t.key: t for t in tables}
    readable = scope_of(request.user)
    crumbs = [
        t
        for t in territory.ancestors().filter(level__in=DASHBOARD_LEVELS)
        if readable.can_read(t.path)
    ]
    chosen = request.GET.get("indicator", "people")
    chosen = chosen if chosen in MAP_INDICATORS else "people"
    children = by_key.get("sub_territories")
    choropleth = None
    if children:
        choropleth = {
            "territoriesUrl": reverse("territory-list"),
            "parent": territory.code,
            "level": CHILD_LEVEL[territory.level],
            "label": str(MAP_INDICATORS[chosen]),
            "values": {row["code"]: row[chosen] for row in children.rows},
            # Régions include overseas: open on metropolitan France, as the home map.
            "bbox": list(settings.MAP_DEFAULT_BBOX)
            if territory.level == Level.NATION
            else None,
            "dashboardUrl": reverse(
                "indicators:dashboard", args=[CHILD_LEVEL[territory.level], "CODE"]
            ),
        }
    query = request.GET.urlencode()
    return render(
        request,
        "maps/indicators/dashboard.html",
        {
            "territory": territory,
            "crumbs": crumbs,
            "day": day,
            "year": year,
            "tables": tables,
            "key_figures": by_key["key_figures"],
            "query": query,
            "choropleth": choropleth,
            "map_indicators": MAP_INDICATORS.items(),
            "chosen": chosen,
            "formats": FORMATS,
        },
    )


@login_required
@require_GET
def dashboard_download(
    request: HttpRequest, level: str, code: str, table: str, fmt: str
) -> HttpResponse:
    territory = _readable_territory(request.user, level, code)
    if fmt not in FORMATS:
        raise Http404
    day, year = _date_and_year(request)
    tables = {t.key: t for t in dashboard_tables(request.user, territory, day, year)}
    if table not in tables:
        raise Http404
    record(
        "indicators.export",
        actor=request.user,
        target=territory,
        request=request,
        table=table,
        format=fmt,
        as_of=day or "",
    )
    suffix = (day or timezone.localdate()).isoformat()
    return download(tables[table], fmt, f"{table}-{level}-{code}-{suffix}")


# Public open data: nothing below reads a site; only stored snapshots.


def _snapshot(day: str | None) -> IndicatorSnapshot:
    snapshots = IndicatorSnapshot.objects
    if day is None:
        snapshot = snapshots.order_by("-published_on").first()
    else:
        try:
            snapshot = snapshots.filter(
                published_on=datetime.date.fromisoformat(day)
            ).first()
        except ValueError:
            snapshot = None
    if snapshot is None:
        raise Http404
    return snapshot


def _suppression_labels() -> dict[str, str]:
    rules = rules_from_settings()
    return {
        "sites": _("fewer than %(n)s sites") % {"n": rules.min_sites},
        "people": _("fewer than %(n)s people") % {"n": rules.min_people},
        "dominance": _("one site holds over %(p)s %% of the people")
        % {"p": round(rules.dominance * 100)},
        "secondary": _("hidden so that another hidden cell cannot be recovered"),
    }


@require_GET
def public_index(request: HttpRequest) -> HttpResponse:
    snapshots = list(
        IndicatorSnapshot.objects.order_by("-published_on").values_list(
            "published_on", flat=True
        )
    )
    snapshot = _snapshot(None) if snapshots else None
    indicator = request.GET.get("indicator", TOTAL)
    indicator = indicator if indicator in COLUMNS else TOTAL
    rows = [r for r in snapshot.rows if r["indicator"] == indicator] if snapshot else []
    labels = _suppression_labels()
    levels = dict(Level.choices)
    for row in rows:
        row["rule"] = labels.get(row["suppressed"], "")
        row["level_label"] = levels.get(row["level"], row["level"])
    choices = column_choices()
    names = {key: f"{group}: {name}" for group, items in choices for key, name in items}
    choropleth = {
        "territoriesUrl": reverse("territory-list"),
        "level": Level.DEPARTEMENT,
        "label": _("people (rounded)"),
        "values": {
            r["code"]: r["people"] for r in rows if r["level"] == Level.DEPARTEMENT
        },
        "suppressedLabel": _("not published"),
        "bbox": list(settings.MAP_DEFAULT_BBOX),
    }
    return render(
        request,
        "maps/indicators/public.html",
        {
            "snapshot": snapshot,
            "snapshots": snapshots,
            "rows": rows,
            "indicator": indicator,
            "indicator_name": names[indicator],
            "closures": indicator in CLOSED_COLUMNS,
            "choices": choices,
            "choropleth": choropleth,
            "rounding": rules_from_settings().rounding,
        },
    )


def _schema_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("public:schema"))


@require_GET
def public_json(request: HttpRequest, day: str | None = None) -> JsonResponse:
    snapshot = _snapshot(day)
    return JsonResponse(
        {
            "published_on": snapshot.published_on.isoformat(),
            "schema": _schema_url(request),
            "rules": snapshot.rules,
            "rows": [{k: r[k] for k in FIELDS} for r in snapshot.rows],
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def public_csv(request: HttpRequest, day: str | None = None) -> HttpResponse:
    snapshot = _snapshot(day)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(snapshot.rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"indicateurs-{snapshot.published_on.isoformat()}.csv"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Link"] = f'<{_schema_url(request)}>; rel="describedby"'
    return response


@require_GET
def public_schema(request: HttpRequest) -> JsonResponse:
    """A Table Schema (frictionless) of the CSV and of the JSON rows."""
    fields = [
        {"name": "level", "type": "string", "description": "nation, region or departement"},
        {"name": "code", "type": "string", "description": "INSEE code of the territory"},
        {"name": "name", "type": "string", "description": "name of the territory"},
        {"name": "parent", "type": "string", "description": "INSEE code of the parent territory"},
        {"name": "indicator", "type": "string", "description": "all, kind:<kind> or <theme>:<status> for open sites on the day; closed:all or closed:<status> for sites closed in the 365 days up to the day (their people at closure)", "constraints": {"enum": COLUMNS}},
        {"name": "sites", "type": "integer", "description": "sites in the cell (open, or closed in the year for closed:*); empty when suppressed"},
        *(
            {"name": c, "type": "integer", "description": f"{c.replace('_', ' ')} in those sites, rounded to the nearest {rules_from_settings().rounding}; empty when suppressed"}
            for c in PERSON_COUNTS
        ),
        {"name": "suppressed", "type": "string", "description": "empty when published, else the rule: sites, people, dominance or secondary", "constraints": {"enum": ["", "sites", "people", "dominance", "secondary"]}},
    ]  # fmt: skip
    return JsonResponse(
        {
            "name": "terrain-commun-indicators",
            "description": "Open sites and their population, and sites closed in the year before, by département, région and nation, disclosure-controlled.",
            "method": request.build_absolute_uri(reverse("public:method")),
            "fields": fields,
            "primaryKey": ["level", "code", "indicator"],
        }
    )


@require_GET
def method(request: HttpRequest) -> HttpResponse:
    rules = rules_from_settings()
    return render(
        request,
        "maps/indicators/method.html",
        {
            "indicators": list(INDICATORS),
            "rules": rules,
            "dominance_percent": round(rules.dominance * 100),
            "labels": _suppression_labels(),
        },
    )
