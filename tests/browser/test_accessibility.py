"""axe-core (WCAG 2.1 AA rules) on every page of the route census, for each role that
may open it, at 1366 px and at 320 px; and no page scrolls sideways on the phone.

Every GET page route of tests/test_authorization_matrix.py is either walked (WALK) or
set aside with the reason (NOT_PAGES): a new page route fails
`test_every_page_route_is_walked` until it is classified here.

Time: one browser, one context per role (logged in once), each page loaded once at
1366 px then narrowed to 320 px in place (the layout follows the media queries).

axe-core comes from the npm registry at set-up (deploy/fetch_vendor.py, pinned and
checked) into var/test-vendor/, injected into each page by Playwright.
"""

import dataclasses
import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from actors.models import AccessRequest, Grant
from actors.roles import Role
from interventions import digests
from interventions.services import create_intervention
from sites.models import ImportRun, PublicReport, RestrictedZone, Site, SiteExport
from sites.services.site_import import SiteImportResult
from tests.browser.test_site_form import log_in
from tests.factories import OrganizationFactory, point_in, territory, user_with
from tests.test_authorization_matrix import all_routes

AXE = Path(settings.BASE_DIR) / "var" / "test-vendor" / "axe-core" / "axe.min.js"
WIDE, NARROW = 1366, 320
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ROLES = ("anonymous", "observer", "contributor", "local_admin")
LOGGED_IN = ("observer", "contributor", "local_admin")
WRITERS = ("contributor", "local_admin")

# Census route -> the roles that may open it. URLs are built from `objects` below.
WALK = {
    "": ROLES,
    "accounts/login/": ("anonymous",),
    "accounts/request/": ("anonymous",),
    "accounts/request/verify/<str:token>/": ("anonymous",),  # an expired link
    "accounts/password/reset/": ("anonymous",),
    "accounts/password/reset/sent/": ("anonymous",),
    "accounts/password/set/<uidb64>/<token>/": ("anonymous",),
    "legal/accessibility/": ("anonymous",),
    "legal/notice/": ("anonymous",),
    "legal/privacy/": ("anonymous",),
    "reports/new/": ("anonymous",),
    "reports/thanks/": ("anonymous",),
    "communes/<str:code>/": ("anonymous", "local_admin"),
    "interventions/unsubscribe/<str:token>/": ("anonymous",),
    "public/": ("anonymous",),
    "public/method/": ("anonymous",),
    "accounts/charter/": ("contributor",),
    "accounts/profile/": LOGGED_IN,
    "accounts/profile/password/": ("contributor",),
    "directory/": LOGGED_IN,
    "indicators/<slug:level>/<str:code>/": ("observer", "local_admin"),
    "interventions/": LOGGED_IN,
    "interventions/<int:pk>/": LOGGED_IN,
    "interventions/new/": WRITERS,
    "interventions/<int:pk>/edit/": WRITERS,
    "interventions/<int:pk>/report/": WRITERS,
    "interventions/<int:pk>/funding/": WRITERS,
    "interventions/<int:pk>/close/": WRITERS,
    "interventions/<int:pk>/notes/": WRITERS,
    "interventions/overdue/": ("local_admin",),
    "sites/": LOGGED_IN,
    "sites/<int:pk>/": LOGGED_IN,
    "sites/new/": WRITERS,
    "sites/import/": ("local_admin",),
    "sites/<int:pk>/edit/": WRITERS,
    "sites/<int:pk>/notes/": WRITERS,
    "sites/<int:pk>/close/": ("local_admin",),
    "sites/<int:pk>/procedures/": ("local_admin",),
    "sites/exports/": LOGGED_IN,
    "sites/exports/<int:pk>/": ("contributor",),
    "reports/": ("local_admin",),
    "reports/<int:pk>/": ("local_admin",),
    "accounts/requests/": ("local_admin",),
    "accounts/requests/<int:pk>/": ("local_admin",),
    "accounts/grants/": ("local_admin",),
    "accounts/grants/<int:pk>/revoke/": ("local_admin",),
    "accounts/audit/": ("local_admin",),
    "accessibility/import/": ("local_admin",),
    "accessibility/import/runs/<int:pk>/": ("local_admin",),
    "sites/import/runs/<int:pk>/": ("local_admin",),
    "communes/<str:code>/zones/new/": ("local_admin",),
    "communes/<str:code>/zones/<int:pk>/": ("local_admin",),
}
# Pages that are not routes: the refusal (403) and not-found (404) pages.
EXTRA = {
    "observer": [("/sites/{site}/edit/", 403), ("/sites/999999/", 404)],
}
# What a walked page answers when it is not 200 (after redirects).
NOT_200 = {"accounts/request/verify/<str:token>/": 400}
NOT_PAGES = {
    "api/docs/": "Swagger UI's own page for developers (its markup is Swagger's)",
    "accounts/logout/": "POST only",
    "i18n/setlang/": "POST only (the language menu)",
    "healthz": "plain text for monitoring",
    "favicon.ico": "an image",
    "admin/": "Django's admin, for staff; not a page of the service",
    "indicators/": "redirects to the user's territory page (walked)",
    "indicators/<slug:level>/<str:code>/<slug:table>.<slug:fmt>": "a download",
    "interventions/export/": "a download",
    "sites/exports/<int:pk>/download/": "a download",
    "public/indicators.csv": "a download",
    "public/indicators.json": "a download",
    "public/<str:day>/indicators.csv": "a download",
    "public/<str:day>/indicators.json": "a download",
    "public/schema.json": "a download",
    "interventions/<int:pk>/follow/": "POST only",
    "interventions/sites/<int:pk>/follow/": "POST only",
    "interventions/sites/<int:pk>/presence/": "POST only",
    "accessibility/points/<int:pk>/status/": "POST only",
}
DATA_PREFIXES = ("api/v1/", "api/schema/", "tiles/", "ogc/")


def page_routes() -> set[str]:
    return {r for r in all_routes() if not r.startswith(DATA_PREFIXES)}


def test_every_page_route_is_walked():
    """Runs without a browser: the census and the walk agree."""
    assert page_routes() - set(WALK) - set(NOT_PAGES) == set()
    assert set(WALK) - page_routes() == set(), "stale entries in WALK"


def objects(users: dict) -> dict:
    """One of each object a page shows, inside the demo roles' territories."""
    operator = users["contributor"].organization
    here = point_in("92012")
    site = Site.objects.create(
        point=here, commune=territory("92012"), name="Quai des Saules"
    )
    intervention = create_intervention(
        {"title": "Médiation santé", "themes": ["health"], "lead_operator": operator,
         "territory": territory("92012"), "started_on": datetime.date(2025, 3, 1),
         "sites": [site]},
        acting_user=users["local_admin"],
    )  # fmt: skip
    report = PublicReport.objects.create(
        kind="possible_site", point=here, commune=territory("92012"),
        description="Des tentes sous le pont",
    )  # fmt: skip
    request = AccessRequest.objects.create(
        email="demande@example.org", first_name="Anne", last_name="Martin",
        territory=territory("92040"), role=Role.CONTRIBUTOR,
        reason="Maraudes à Issy", status="pending",
    )  # fmt: skip
    box = Polygon.from_bbox(
        (here.x - 0.001, here.y - 0.001, here.x + 0.001, here.y + 0.001)
    )
    zone = RestrictedZone.objects.create(
        name="Centre piéton", commune=territory("92012"), geom=MultiPolygon(box)
    )
    export = SiteExport.objects.create(
        user=users["contributor"], format="csv", language="fr", status="failed"
    )  # finished: the page stops refreshing itself
    failed_run = ImportRun.objects.create(
        user=users["local_admin"], kind="points", pending={}, language="fr",
        status="failed",
    )  # fmt: skip
    preview_run = ImportRun.objects.create(
        user=users["local_admin"], kind="sites", language="fr", status="done",
        pending={"path": "/nowhere/sites.csv", "dataset": None, "title": "",
                 "new_dataset": "pref92/sites", "encoding": "utf-8", "mapping": {},
                 "row_filter": [], "partial": False},
        outcome={"result": dataclasses.asdict(SiteImportResult(created=2, closed=1)),
                 "rows": 2, "partial": False, "blocked": False,
                 "ignored_columns": ["remarque"], "mapping": {}},
    )  # fmt: skip
    anyone = users["observer"]
    return {
        "site": site.pk, "pk": site.pk, "code": "92012", "intervention": intervention.pk,
        "report": report.pk, "request": request.pk, "zone": zone.pk, "export": export.pk,
        "points_run": failed_run.pk, "sites_run": preview_run.pk,
        "grant": Grant.objects.get(user=users["contributor"]).pk,
        "uidb64": urlsafe_base64_encode(force_bytes(anyone.pk)),
        "token": default_token_generator.make_token(anyone),
        "unsubscribe": digests.token_for(anyone),
    }  # fmt: skip


def url_of(route: str, ids: dict) -> str:
    """The census route with this walk's objects in its parameters."""
    by_prefix = {
        "interventions/<int:pk>": ids["intervention"],
        "reports/<int:pk>": ids["report"],
        "accounts/requests/<int:pk>": ids["request"],
        "accounts/grants/<int:pk>": ids["grant"],
        "sites/exports/<int:pk>": ids["export"],
        "accessibility/import/runs/<int:pk>": ids["points_run"],
        "sites/import/runs/<int:pk>": ids["sites_run"],
        "communes/<str:code>/zones/<int:pk>": ids["zone"],
        "sites/<int:pk>": ids["site"],
    }
    url = route
    for prefix, pk in by_prefix.items():
        if route.startswith(prefix):
            url = url.replace("<int:pk>", str(pk))
    url = url.replace("<slug:level>/<str:code>", "departement/92")
    url = url.replace("<str:code>", ids["code"]).replace("<uidb64>", ids["uidb64"])
    token = ids["unsubscribe"] if route.startswith("interventions/") else ids["token"]
    return "/" + url.replace("<str:token>", token).replace("<token>", ids["token"])


def axe_violations(page) -> list[str]:
    # Violations only: axe skips gathering what passed, a good part of its time.
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        TAGS,
    )
    found = []
    for violation in result["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        found.append(f"{violation['id']}: {targets[:3]}")
    return found


def problems_at_both_widths(page, url: str, status: int) -> list[str]:
    """axe at both widths, sideways scroll on the phone, and the expected answer (a
    page that answered a login form or a 404 would pass axe while testing nothing)."""
    page.set_viewport_size({"width": WIDE, "height": 900})
    response = page.goto(url)
    found = [f"{WIDE}px {v}" for v in axe_violations(page)]
    if response is None or response.status != status:
        found.append(f"answered {response and response.status}, not {status}")
    page.set_viewport_size({"width": NARROW, "height": 900})
    found += [f"{NARROW}px {v}" for v in axe_violations(page)]
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        found.append(f"{NARROW}px scrolls sideways by {overflow} px")
    return found


@pytest.mark.usefixtures("territories")
def test_every_page_has_no_wcag_aa_violation_and_no_sideways_scroll(
    live_server, browser
):
    """One test for all roles: the territories and objects are made once."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run deploy/fetch_vendor.py (make setup)")
    users = {
        "observer": user_with(Role.OBSERVER, "92"),
        "contributor": user_with(
            Role.CONTRIBUTOR, "92012", organization=OrganizationFactory(name="Asso A")
        ),
        "local_admin": user_with(Role.LOCAL_ADMIN, "92"),
    }
    ids = objects(users)
    problems = {}
    for role in ROLES:
        paths = [
            (url_of(r, ids), NOT_200.get(r, 200))
            for r, roles in WALK.items()
            if role in roles
        ]
        paths += [(p.format(**ids), status) for p, status in EXTRA.get(role, [])]
        for path, found in walk(browser, live_server.url, users.get(role), paths):
            problems[f"{role} {path}"] = found
    assert problems == {}


def walk(browser, base_url: str, user, paths: list[tuple[str, int]]):
    """(path, problems) for each page with a problem, in one context (one login)."""
    # axe is injected as an inline script, which our CSP forbids: bypass it here only
    # (tests/browser/test_csp.py checks the policy with nothing bypassed).
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    context.route("https://*/**", lambda route: route.abort())
    context.add_init_script(path=str(AXE))  # in every page, before its own scripts
    page = context.new_page()
    try:
        if user is not None:
            log_in(page, base_url, user)
        for path, status in paths:
            found = problems_at_both_widths(page, base_url + path, status)
            if found:
                yield path, found
    finally:
        context.close()
