"""No exit grows its query count with the number of objects it shows (no N+1).

Each case builds a few objects, counts the queries of one request, builds more,
and asserts the same request needs no more queries, and that it shows them all.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actors.audit import record
from actors.models import AccessRequest, Grant
from actors.roles import Role
from interventions.models import (
    Funding,
    Intervention,
    InterventionNote,
    InterventionReport,
)
from sites.models import (
    AccessibilityPoint,
    PublicReport,
    RestrictedZone,
    Site,
    SiteNote,
    SiteProcedure,
)
from territory.models import Territory
from tests.factories import OrganizationFactory, point_in, territory, user_with

pytestmark = pytest.mark.django_db
COMMUNES = ("92012", "92040", "92050")
MAX_QUERIES = 25  # a loose ceiling: the growth check is the real guard


def make_sites(n: int, **_) -> None:
    for i in range(n):
        code = COMMUNES[i % len(COMMUNES)]
        Site.objects.create(
            point=point_in(code), commune=territory(code), name=f"S{i}", people=i
        )


def make_declared_sites(n: int, **_) -> None:
    """Sites with their history (as_of reads it), declared through the service."""
    from sites.services.site import declare_site

    writer = user_with(Role.SUPERADMIN, "FR")
    for i in range(n):
        declare_site(
            {"point": point_in(COMMUNES[i % len(COMMUNES)]), "name": f"D{i}"},
            acting_user=writer,
            confirm_nearby=True,
        )


def make_points(n: int, communes=COMMUNES, **_) -> None:
    for i in range(n):
        code = communes[i % len(communes)]
        AccessibilityPoint.objects.create(
            point=point_in(code), commune=territory(code), address=f"{i} rue"
        )


def make_notes(n: int, *, site: Site, user, **_) -> None:
    for i in range(n):
        SiteNote.objects.create(site=site, author=user, text=f"Note {i}")


def make_grants(n: int, **_) -> None:
    for i in range(n):
        user_with(Role.CONTRIBUTOR, COMMUNES[i % len(COMMUNES)])


def make_events(n: int, *, user, site: Site, **_) -> None:
    for i in range(n):
        record("sites.exported", actor=user, target=site, rows=i)


def make_members(n: int, **_) -> None:
    organization = OrganizationFactory()  # in the 92
    for i in range(n):
        user_with(
            Role.CONTRIBUTOR, COMMUNES[i % len(COMMUNES)], organization=organization
        )


def make_reports(n: int, **_) -> None:
    for i in range(n):
        code = COMMUNES[i % len(COMMUNES)]
        PublicReport.objects.create(
            kind="site", point=point_in(code), commune=territory(code), description="x"
        )


def make_procedures(n: int, *, site: Site, **_) -> None:
    for i in range(n):
        SiteProcedure.objects.create(site=site, kind="court", summary=f"Step {i}")


def make_zones(n: int, **_) -> None:
    for i in range(n):
        code = COMMUNES[i % len(COMMUNES)]
        square = Polygon.from_bbox(point_in(code).buffer(0.001).extent)
        RestrictedZone.objects.create(
            name=f"Zone {i}", commune=territory(code), geom=MultiPolygon(square)
        )


def make_requests(n: int, **_) -> None:
    for i in range(n):
        AccessRequest.objects.create(
            email=f"asker{i}@example.org", first_name="A", last_name=f"B{i}",
            new_organization_name="Asso", new_organization_kind="association",
            territory=territory(COMMUNES[i % len(COMMUNES)]), role=Role.CONTRIBUTOR,
            reason="Maraudes", status="pending", verified_at=timezone.now(),
        )  # fmt: skip


def make_own_grants(n: int, *, user, **_) -> None:
    held = user.grants.values("territory")
    communes = Territory.objects.communes().filter(path__startswith="/NFR/R11/D92/")
    for commune in communes.exclude(pk__in=held)[:n]:
        Grant.objects.create(user=user, role=Role.OBSERVER, territory=commune)


def make_interventions(n: int, *, site: Site, **_) -> None:
    operator = OrganizationFactory()
    for i in range(n):
        code = COMMUNES[i % len(COMMUNES)]
        intervention = Intervention.objects.create(
            title=f"Action {i}", themes=["health"], lead_operator=operator,
            territory=territory(code), started_on=timezone.localdate(),
        )  # fmt: skip
        intervention.partners.add(operator)
        intervention.sites.add(site)
        InterventionReport.objects.create(
            intervention=intervention, reported_on=timezone.localdate(), people=i
        )
        Funding.objects.create(intervention=intervention, year=2025, source_kind="eu")


def make_intervention_reports(n: int, *, intervention, **_) -> None:
    for i in range(n):
        InterventionReport.objects.create(
            intervention=intervention, reported_on=timezone.localdate(), people=1000 + i
        )
        InterventionNote.objects.create(intervention=intervention, text=f"Note {i}")


def xlsx_rows(response) -> int:
    from io import BytesIO

    from openpyxl import load_workbook

    return load_workbook(BytesIO(response.content)).active.max_row - 1


def procedures_shown(response) -> int:
    return len(response.json()["properties"]["procedures"])


def features(response) -> int:
    return len(response.json()["features"])


def csv_rows(response) -> int:
    return len(body(response).decode().strip().splitlines()) - 1


def geojson_features(response) -> int:
    return len(json.loads(response.content)["features"])


def counted(response) -> int:
    """The page's own count, at the start of a paragraph (in any language)."""
    return int(re.search(r"<p>(\d+) ", response.content.decode()).group(1))


def html_count(marker: str) -> Callable:
    return lambda response: response.content.decode().count(marker)


@dataclass
class Exit:
    url: str
    make: Callable
    shown: Callable  # response -> how many of the made objects it shows
    role: str = Role.LOCAL_ADMIN


EXITS = {
    "api sites list": Exit("/api/v1/sites/", make_sites, features),
    "api sites export csv": Exit("/api/v1/sites/export/", make_sites, csv_rows),
    "api sites export geojson": Exit(
        "/api/v1/sites/export/?format_type=geojson", make_sites, geojson_features
    ),
    "api sites list as_of": Exit(
        f"/api/v1/sites/?as_of={timezone.localdate()}", make_declared_sites, features
    ),
    "api sites export as_of": Exit(
        f"/api/v1/sites/export/?as_of={timezone.localdate()}",
        make_declared_sites,
        csv_rows,
    ),
    "api accessibility points": Exit(
        "/api/v1/accessibility-points/", make_points, features
    ),
    "page sites list": Exit("/sites/", make_sites, html_count('href="/sites/')),
    "page site journal": Exit(
        "/sites/{site}/", make_notes, html_count("Note "), Role.CONTRIBUTOR
    ),
    "page commune": Exit(
        "/communes/92012/", partial(make_points, communes=["92012"]), counted
    ),
    "page grants": Exit("/accounts/grants/", make_grants, html_count("revoke")),
    # Entries are shown in words now; count the rows the page renders.
    "page audit": Exit(
        "/accounts/audit/", make_events, lambda r: len(r.context["entries"])
    ),
    "page reports queue": Exit(
        "/reports/", make_reports, html_count('href="/reports/')
    ),
    "page directory": Exit("/directory/", make_members, html_count("@example.org")),
    "api site detail": Exit("/api/v1/sites/{site}/", make_procedures, procedures_shown),
    "page site procedures": Exit(
        "/sites/{site}/", make_procedures, html_count("Step ")
    ),
    "api restricted zones": Exit("/api/v1/restricted-zones/", make_zones, features),
    "page access requests": Exit(
        "/accounts/requests/", make_requests, html_count("@example.org")
    ),
    "page interventions list": Exit(
        "/interventions/",
        make_interventions,
        html_count('"><a href="/interventions/'),  # the title cell of each row
    ),
    "api interventions list": Exit(
        "/api/v1/interventions/", make_interventions, lambda r: len(r.json()["results"])
    ),
    "page interventions export csv": Exit(
        "/interventions/export/", make_interventions, csv_rows
    ),
    "page interventions export xlsx": Exit(
        "/interventions/export/?format_type=xlsx", make_interventions, xlsx_rows
    ),
    "page site interventions": Exit(
        "/sites/{site}/", make_interventions, html_count("Action ")
    ),
    "page intervention detail": Exit(
        "/interventions/{intervention}/", make_intervention_reports, html_count("Note ")
    ),
    "api intervention reports": Exit(
        "/api/v1/interventions/{intervention}/reports/",
        make_intervention_reports,
        lambda r: len(r.json()),
    ),
    "api me": Exit("/api/v1/me", make_own_grants, lambda r: len(r.json()["grants"])),
    "ogc sites items": Exit("/ogc/collections/sites/items", make_sites, features),
    "ogc accessibility items": Exit(
        "/ogc/collections/accessibility-points/items", make_points, features
    ),
    "ogc interventions items": Exit(
        "/ogc/collections/interventions/items", make_interventions, features
    ),
}


def body(response) -> bytes:
    return response.read_body if response.streaming else response.content


def fetch(client, url: str):
    """The response, a streamed one read here: its queries run while it is read."""
    response = client.get(url)
    if response.streaming:
        response.read_body = b"".join(response.streaming_content)
    return response


def count_queries(client, url: str):
    with CaptureQueriesContext(connection) as queries:
        response = fetch(client, url)
    assert response.status_code == 200, body(response)[:300]
    return len(queries), response


@pytest.mark.parametrize("name", EXITS)
def test_each_exit_needs_no_more_queries_for_more_objects(
    name, client, django_assert_max_num_queries
):
    exit_ = EXITS[name]
    user = user_with(exit_.role, "92")
    site = Site.objects.create(
        point=point_in("92012"), commune=territory("92012"), name="Base"
    )
    intervention = Intervention.objects.create(
        title="Base", themes=["health"], lead_operator=OrganizationFactory(),
        territory=territory("92012"), started_on=timezone.localdate(),
    )  # fmt: skip
    client.force_login(user)
    url = exit_.url.format(site=site.pk, intervention=intervention.pk)
    kwargs = {"site": site, "user": user, "intervention": intervention}
    exit_.make(5, **kwargs)
    queries, response = count_queries(client, url)
    few = exit_.shown(response)
    exit_.make(10, **kwargs)
    with django_assert_max_num_queries(min(queries, MAX_QUERIES)):
        response = fetch(client, url)
    assert exit_.shown(response) >= few + 10 > 10, name
