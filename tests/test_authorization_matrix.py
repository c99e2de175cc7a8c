"""Every role x object position x exit, and a census of every route.

Positions: inside the grant (92012 Boulogne-Billancourt), a sibling commune of the same
département (92040 Issy-les-Moulineaux), another département of the same région
(93066 Saint-Denis), another région (13055 Marseille). A new URL that is not
classified below fails the census: classify it and extend the matrix.
"""

import mapbox_vector_tile
import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from actors.roles import Role
from interventions.models import Intervention
from sites.jobs import export_file
from sites.models import ExportStatus, Site, SiteExport
from territory.models import Territory
from tests.factories import OrganizationFactory, UserFactory, point_in, user_with

pytestmark = pytest.mark.django_db
POSITIONS = {
    "inside": "92012",
    "sibling": "92040",
    "region": "93066",
    "elsewhere": "13055",
}
GRANTS = {
    "observer": (Role.OBSERVER, "92012"),
    "contributor": (Role.CONTRIBUTOR, "92012"),
    "local_admin": (Role.LOCAL_ADMIN, "92"),
    "national": (Role.NATIONAL, "FR"),
    "superadmin": (Role.SUPERADMIN, "FR"),
}
ALL = set(POSITIONS)
READS = {
    "anonymous": set(),
    "no_grant": set(),
    "observer": {"inside", "sibling"},  # reading widens to the département
    "contributor": {"inside", "sibling"},
    "local_admin": {"inside", "sibling"},
    "national": ALL,
    "superadmin": ALL,
}
WRITES = {
    "anonymous": set(),
    "no_grant": set(),
    "observer": set(),
    "contributor": {"inside"},  # writing stays inside the grant
    "local_admin": {"inside", "sibling"},
    "national": ALL,
    "superadmin": ALL,
}
SEES_PROCEDURES = {
    "local_admin": {"inside", "sibling"},
    "national": ALL,
    "superadmin": ALL,
}

# Every route, by who may reach it. Pages and endpoints listed here are checked by
# the tests of their app; this census only makes sure none is forgotten.
ROUTES = {
    "": "public", "healthz": "public", "i18n/setlang/": "public", "api/schema/": "public",
    "api/v1/territories/": "public", "api/v1/territories/at/": "public",
    "accounts/login/": "public", "accounts/logout/": "public", "accounts/request/": "public",
    "accounts/request/verify/<str:token>/": "public", "accounts/password/set/<uidb64>/<token>/": "public",
    "accounts/charter/": "login",
    "legal/accessibility/": "public", "legal/notice/": "public", "legal/privacy/": "public", "favicon.ico": "public",
    "accounts/password/reset/": "public (rate limited, tests/actors/test_account)", "accounts/password/reset/sent/": "public",
    "accounts/profile/": "login (own account)", "accounts/profile/password/": "login (rate limited, tests/actors/test_account)", "directory/": "login (scoped)",
    "accounts/requests/": "local_admin (scoped)", "accounts/requests/<int:pk>/": "local_admin (scoped)",
    "accounts/grants/": "local_admin (scoped)", "accounts/audit/": "local_admin (scoped, tests/actors)", "accounts/grants/<int:pk>/revoke/": "local_admin (scoped)",
    "api/v1/auth/token": "public", "api/v1/me": "login",
    "api/v1/sites/": "matrix", "api/v1/sites/export/": "scoped (tests/sites/test_export)", "api/v1/sites/(?P<pk>[^/.]+)/": "matrix",
    "admin/": "staff (django admin)",
    "api/v1/accessibility-points/": "public read, contributor write (tests/sites/test_accessibility)",
    "api/v1/accessibility-points/(?P<pk>[^/.]+)/": "public read",
    "api/v1/accessibility-points/(?P<pk>[^/.]+)/verify/": "local_admin (tests/sites/test_accessibility)",
    "api/v1/accessibility-points/(?P<pk>[^/.]+)/remove/": "local_admin (tests/sites/test_accessibility)",
    "api/v1/restricted-zones/": "public", "api/v1/restricted-zones/(?P<pk>[^/.]+)/": "public",
    "api/v1/communes/<str:code>/parking-rules": "public",
    "communes/<str:code>/": "public read, local_admin edits rules (tests/sites/test_accessibility_pages)",
    "communes/<str:code>/zones/new/": "local_admin of the commune (tests/sites/test_restricted_zones)",
    "communes/<str:code>/zones/<int:pk>/": "local_admin of the commune (tests/sites/test_restricted_zones)",
    "accessibility/import/": "local_admin (tests/sites/test_accessibility_pages)",
    "accessibility/import/runs/<int:pk>/": "local_admin, own runs only (tests/sites/test_accessibility_web_import)",
    "accessibility/points/<int:pk>/status/": "local_admin (tests/sites/test_accessibility_pages)",
    "sites/": "matrix", "sites/new/": "matrix", "sites/<int:pk>/": "matrix", "sites/<int:pk>/edit/": "matrix",
    "sites/<int:pk>/close/": "local_admin (tests/sites)", "sites/<int:pk>/notes/": "contributor (tests/sites)",
    "sites/<int:pk>/procedures/": "local_admin (tests/sites)",
    "sites/import/": "local_admin, rows in the communes they administer (tests/sites/test_site_web_import, test_site_import)",
    "sites/import/runs/<int:pk>/": "local_admin, own runs only (tests/sites/test_site_web_import)",
    "reports/new/": "public (rate limited, tests/sites/test_public_reports)", "reports/thanks/": "public",
    "reports/": "local_admin (scoped, tests/sites/test_public_reports)",
    "reports/<int:pk>/": "local_admin (scoped, tests/sites/test_public_reports)",
    "tiles/<slug:layer>/<int:z>/<int:x>/<int:y>.pbf": "matrix (sites: scoped, anonymous: published aggregates; interventions: login, scoped; other layers public, tests/maps/test_tiles)",
    "tiles/<slug:layer>.json": "interventions: login; other layers public (tests/maps/test_tiles)",
    "api/v1/interventions/": "matrix", "api/v1/interventions/(?P<pk>[^/.]+)/": "matrix",
    "api/v1/interventions/(?P<pk>[^/.]+)/reports/": "operator or local_admin (tests/interventions/test_api)",
    "api/v1/interventions/(?P<pk>[^/.]+)/funding/": "funding readers (tests/interventions/test_api)",
    "interventions/": "matrix", "interventions/<int:pk>/": "matrix", "interventions/<int:pk>/edit/": "matrix",
    "interventions/new/": "contributor (tests/interventions/test_pages)",
    "interventions/export/": "matrix (funding: tests/interventions/test_pages)",
    "interventions/overdue/": "local_admin (scoped, tests/interventions/test_reminders)",
    "interventions/<int:pk>/report/": "matrix", "interventions/<int:pk>/funding/": "matrix",
    "interventions/<int:pk>/close/": "operator or local_admin (tests/interventions/test_services)",
    "interventions/<int:pk>/notes/": "contributor (tests/interventions/test_pages)",
    "interventions/<int:pk>/follow/": "reader (tests/interventions/test_digests)",
    "interventions/sites/<int:pk>/presence/": "contributor (tests/interventions/test_pages)",
    "interventions/sites/<int:pk>/follow/": "reader (tests/interventions/test_digests)",
    "interventions/unsubscribe/<str:token>/": "public, signed token (tests/interventions/test_digests)",
    "api/docs/": "public",
    "api/v1/accessibility-points/export/": "public read, audited (tests/sites/test_export_formats)",
    "sites/exports/": "login (own jobs only, tests/sites/test_export_jobs)",
    "sites/exports/<int:pk>/": "the user who asked (tests/sites/test_export_formats)",
    "sites/exports/<int:pk>/download/": "the user who asked (tests/sites/test_export_formats)",
    "ogc/": "public", "ogc/conformance": "public", "ogc/collections": "public (lists only what the user reads)",
    "ogc/collections/<slug:collection_id>": "sites, interventions: login; others public (tests/maps/test_ogc)",
    "ogc/collections/<slug:collection_id>/items": "matrix (sites, interventions: scoped; others public)",
    "ogc/collections/<slug:collection_id>/items/<str:fid>": "matrix (sites, interventions: scoped; others public)",
    "indicators/": "login, redirects inside the reading scope (tests/maps/test_indicators)",
    "indicators/<slug:level>/<str:code>/": "login (scoped: 404 outside the reading scope, tests/maps/test_indicators)",
    "indicators/<slug:level>/<str:code>/<slug:table>.<slug:fmt>": "login (scoped; funding: funding readers, tests/maps/test_indicators)",
    "public/": "public (published snapshots only)", "public/method/": "public",
    "public/schema.json": "public", "public/indicators.csv": "public (published snapshots only)",
    "public/indicators.json": "public (published snapshots only)",
    "public/<str:day>/indicators.csv": "public (published snapshots only)",
    "public/<str:day>/indicators.json": "public (published snapshots only)",
}  # fmt: skip


def all_routes(patterns=None, prefix="") -> set[str]:
    routes = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        text = prefix + str(pattern.pattern).removeprefix("^").removesuffix("$")
        if isinstance(pattern, URLResolver):
            if text.startswith("admin/"):
                routes.add("admin/")
                continue
            routes |= all_routes(pattern.url_patterns, text)
        elif isinstance(pattern, URLPattern):
            routes.add(text)
    return {r for r in routes if "(?P<format>" not in r}


def test_every_route_is_classified():
    unclassified = all_routes() - set(ROUTES)
    assert not unclassified, (
        f"classify these routes in ROUTES and extend the matrix: {sorted(unclassified)}"
    )


@pytest.fixture
def sites(django_db_blocker):
    author = user_with(Role.SUPERADMIN, "FR")
    made = {}
    for position, code in POSITIONS.items():
        point = point_in(code)
        made[position] = Site.objects.create(
            point=point,
            commune=Territory.objects.commune_at(point),
            name=f"Site {position}",
            created_by=author,
        )
    return made


def client_for(role: str) -> APIClient:
    client = APIClient()
    if role == "no_grant":
        client.force_authenticate(UserFactory())
    elif role != "anonymous":
        client.force_authenticate(user_with(*GRANTS[role]))
    return client


@pytest.mark.parametrize("role", list(READS))
def test_site_list_holds_exactly_the_sites_in_reading_scope(role, sites):
    response = client_for(role).get("/api/v1/sites/", {"page_size": 100})
    if role == "anonymous":
        assert response.status_code in (401, 403)
        return
    ids = {feature["id"] for feature in response.json()["features"]}
    assert ids == {sites[p].pk for p in READS[role]}


@pytest.mark.parametrize("role", list(READS))
def test_site_tiles_hold_exactly_the_sites_in_reading_scope(role, sites):
    from tests.maps.test_tiles import tile_of

    client = client_for(role)
    seen = set()
    for site in sites.values():
        response = client.get(
            "/tiles/sites/{}/{}/{}.pbf".format(*tile_of(site.point, 14))
        )
        if response.status_code == 200:
            layer = mapbox_vector_tile.decode(response.content)["sites"]
            seen |= {feature["id"] for feature in layer["features"]}
    # Anonymous visitors get published aggregates only: no feature id (0 decoded).
    assert seen - {0} == {sites[p].pk for p in READS[role]}
    if role == "anonymous":
        assert seen <= {0}


@pytest.mark.parametrize("role", list(READS))
def test_intervention_tiles_hold_exactly_the_interventions_in_reading_scope(
    role, sites
):
    operator = OrganizationFactory(territory=sites["inside"].commune)
    made = {}
    for position, site in sites.items():
        made[position] = Intervention.objects.create(
            title=f"Action {position}", themes=["health"], lead_operator=operator,
            territory=site.commune, started_on=timezone.localdate(),
        )  # fmt: skip
        made[position].sites.set([site])
    response = client_for(role).get("/tiles/interventions/0/0/0.pbf")  # the world
    if role == "anonymous":
        assert response.status_code == 401
        return
    found = []
    if response.status_code == 200:
        found = mapbox_vector_tile.decode(response.content)["interventions"]["features"]
    pairs = {(f["properties"]["id"], f["properties"].get("site_id")) for f in found}
    assert pairs == {(made[p].pk, sites[p].pk) for p in READS[role]}


@pytest.mark.parametrize("role", list(READS))
@pytest.mark.parametrize("position", list(POSITIONS))
def test_site_detail_is_found_only_in_reading_scope(role, position, sites):
    response = client_for(role).get(f"/api/v1/sites/{sites[position].pk}/")
    if role == "anonymous":
        assert response.status_code in (401, 403)
    elif position in READS[role]:
        assert response.status_code == 200
        assert response.json()["id"] == sites[position].pk
        shows_procedures = "procedures" in response.json()["properties"]
        assert shows_procedures == (position in SEES_PROCEDURES.get(role, set()))
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", list(WRITES))
@pytest.mark.parametrize("position", list(POSITIONS))
def test_site_update_is_allowed_only_in_writing_scope(role, position, sites):
    site = sites[position]
    response = client_for(role).patch(
        f"/api/v1/sites/{site.pk}/",
        {"version": site.version, "address": "1 rue du Test"},
        format="json",
    )
    site.refresh_from_db()
    if position in WRITES[role]:
        assert response.status_code == 200, response.content
        assert site.address == "1 rue du Test"
    else:
        assert site.address == ""
        if role == "anonymous":
            assert response.status_code in (401, 403)
        else:  # readable but not writable: 403; out of sight: 404
            assert response.status_code == (403 if position in READS[role] else 404)


@pytest.mark.parametrize("role", list(WRITES))
@pytest.mark.parametrize("position", list(POSITIONS))
def test_site_declaration_is_allowed_only_in_writing_scope(role, position, sites):
    point = point_in(POSITIONS[position])
    response = client_for(role).post(
        "/api/v1/sites/?confirm_nearby=1",
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [point.x + 0.0001, point.y]},
         "properties": {"kind": "land", "name": "New", "declared_on": str(timezone.localdate())}},
        format="json",
    )  # fmt: skip
    created = Site.objects.filter(name="New").exists()
    assert created == (position in WRITES[role])
    if not created:
        assert response.status_code in (401, 403)


def page_client(role: str, client):
    if role == "no_grant":
        client.force_login(UserFactory())
    elif role != "anonymous":
        client.force_login(user_with(*GRANTS[role]))
    return client


@pytest.mark.parametrize("role", list(READS))
def test_site_pages_show_exactly_the_sites_in_scope(role, sites, client):
    client = page_client(role, client)
    listing = client.get("/sites/")
    if role == "anonymous":
        assert listing.status_code == 302 and "/accounts/login/" in listing.url
        return
    listed = {site.pk for site in listing.context["sites"]}
    assert listed == {sites[p].pk for p in READS[role]}
    for position, site in sites.items():
        detail = client.get(f"/sites/{site.pk}/")
        assert detail.status_code == (200 if position in READS[role] else 404)
        edit = client.get(f"/sites/{site.pk}/edit/")
        expected_edit = (
            200 if position in WRITES[role] else 403 if position in READS[role] else 404
        )
        assert edit.status_code == expected_edit
        if detail.status_code == 200:
            sees_procedures = detail.context["procedures"] is not None
            assert sees_procedures == (position in SEES_PROCEDURES.get(role, set()))


# Interventions: led by the organization of the member roles below, so "writes" is
# the operator's members inside their grant, plus local admins and above.
SEES_FUNDING = {
    "observer": {"inside", "sibling"},  # a member of the lead operator reads it
    "contributor": {"inside", "sibling"},
    "local_admin": {"inside", "sibling"},
    "national": ALL,
    "superadmin": ALL,
}


@pytest.fixture
def interventions(sites):
    from interventions.services import create_intervention
    from tests.factories import OrganizationFactory

    author = user_with(Role.SUPERADMIN, "FR")
    operator = OrganizationFactory(name="Opérateur")
    made = {}
    for position, site in sites.items():
        made[position] = create_intervention(
            {"title": f"Action {position}", "themes": ["health"], "lead_operator": operator,
             "territory": site.commune, "started_on": timezone.localdate(), "sites": [site]},
            acting_user=author,
        )  # fmt: skip
    return made


def member_client(role: str, client, interventions):
    """Members of the lead operator (roles with a grant); others as in page_client."""
    if role in ("anonymous", "no_grant"):
        return page_client(role, client)
    organization = interventions["inside"].lead_operator
    client.force_login(user_with(*GRANTS[role], organization=organization))
    return client


@pytest.mark.parametrize("role", list(READS))
def test_intervention_pages_show_exactly_the_interventions_in_scope(
    role, interventions, client
):
    client = member_client(role, client, interventions)
    listing = client.get("/interventions/")
    if role == "anonymous":
        assert listing.status_code == 302 and "/accounts/login/" in listing.url
        return
    listed = {i.pk for i in listing.context["page"].object_list}
    assert listed == {interventions[p].pk for p in READS[role]}
    exported = b"".join(client.get("/interventions/export/").streaming_content).decode()
    assert {p for p in POSITIONS if f"Action {p}" in exported} == READS[role]
    for position, intervention in interventions.items():
        base = f"/interventions/{intervention.pk}/"
        detail = client.get(base)
        assert detail.status_code == (200 if position in READS[role] else 404)
        if detail.status_code == 200:
            sees = detail.context["funding"] is not None
            assert sees == (position in SEES_FUNDING.get(role, set()))
        expected_write = (
            200 if position in WRITES[role] else 403 if position in READS[role] else 404
        )
        for page in ("edit/", "report/"):
            assert client.get(base + page).status_code == expected_write, (
                position,
                page,
            )
        funding = client.get(base + "funding/").status_code
        assert funding == (
            200 if position in WRITES[role] else 403 if position in READS[role] else 404
        )


@pytest.mark.parametrize("role", list(READS))
def test_intervention_api_holds_exactly_the_interventions_in_scope(role, interventions):
    response = client_for(role).get("/api/v1/interventions/")
    if role == "anonymous":
        assert response.status_code in (401, 403)
        return
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {interventions[p].pk for p in READS[role]}


@pytest.mark.parametrize("role", list(READS))
def test_ogc_site_items_hold_exactly_the_sites_in_reading_scope(role, sites):
    client = client_for(role)
    response = client.get("/ogc/collections/sites/items")
    if role == "anonymous":
        assert response.status_code == 401
        return
    ids = {feature["id"] for feature in response.json()["features"]}
    assert ids == {sites[p].pk for p in READS[role]}
    for position, site in sites.items():
        item = client.get(f"/ogc/collections/sites/items/{site.pk}")
        assert item.status_code == (200 if position in READS[role] else 404)


@pytest.mark.parametrize("role", list(READS))
def test_ogc_intervention_items_hold_exactly_the_interventions_in_scope(
    role, interventions
):
    response = client_for(role).get("/ogc/collections/interventions/items")
    if role == "anonymous":
        assert response.status_code == 401
        return
    ids = {feature["id"] for feature in response.json()["features"]}
    assert ids == {interventions[p].pk for p in READS[role]}


def _finished_export(user, folder) -> SiteExport:
    export = SiteExport.objects.create(
        user=user, format="csv", language="fr", status=ExportStatus.DONE,
        finished_at=timezone.now(),
    )  # fmt: skip
    export.file_name = f"sites-{export.pk}.csv"
    export.save()
    (folder / "exports").mkdir(exist_ok=True)
    export_file(export).write_bytes(f"export {export.pk}".encode())
    return export


@pytest.mark.parametrize("role", list(READS))
def test_export_jobs_are_listed_and_fetched_only_by_the_user_who_asked(
    role, client, settings, tmp_path
):
    settings.PRIVATE_FILES_ROOT = tmp_path
    others = _finished_export(user_with(Role.NATIONAL, "FR"), tmp_path)
    urls = ["/sites/exports/", f"/sites/exports/{others.pk}/",
            f"/sites/exports/{others.pk}/download/"]  # fmt: skip
    if role == "anonymous":
        for url in urls:
            response = client.get(url)
            assert (
                response.status_code == 302
                and "/accounts/login/" in response["Location"]
            )
        return
    user = UserFactory() if role == "no_grant" else user_with(*GRANTS[role])
    own = _finished_export(user, tmp_path)
    client.force_login(user)
    listed = client.get("/sites/exports/")
    assert {export.pk for export in listed.context["exports"]} == {own.pk}
    assert client.get(urls[1]).status_code == client.get(urls[2]).status_code == 404
    download = client.get(f"/sites/exports/{own.pk}/download/")
    assert b"".join(download.streaming_content) == f"export {own.pk}".encode()
