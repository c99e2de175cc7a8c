"""axe-core (WCAG 2.1 AA rules) on the main pages, for three roles, at a desktop and
a 320 px phone width; and no page scrolls sideways on the phone.

axe-core comes from the npm registry at set-up (deploy/fetch_vendor.py, pinned and
checked) into var/test-vendor/, injected into each page by Playwright.
"""

from pathlib import Path

import pytest
from django.conf import settings

from actors.roles import Role
from sites.models import Site
from territory.models import Territory
from tests.browser.test_site_form import log_in
from tests.factories import point_in, user_with

AXE = Path(settings.BASE_DIR) / "var" / "test-vendor" / "axe-core" / "axe.min.js"
WIDTHS = (1366, 320)
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGES = {
    "anonymous": ["/", "/accounts/login/", "/accounts/request/", "/reports/new/",
                  "/accounts/password/reset/", "/legal/accessibility/", "/legal/privacy/"],
    "contributor": ["/", "/sites/", "/sites/{site}/", "/sites/new/", "/sites/{site}/edit/",
                    "/interventions/", "/directory/", "/accounts/profile/"],
    "local_admin": ["/sites/", "/sites/{site}/", "/accounts/requests/", "/reports/",
                    "/accounts/grants/", "/accounts/audit/"],
}  # fmt: skip


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    found = []
    for violation in result["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        found.append(f"{violation['id']}: {targets[:3]}")
    return found


@pytest.mark.usefixtures("territories")
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", list(PAGES))
def test_main_pages_have_no_wcag_aa_violation_and_no_sideways_scroll(
    live_server, browser, role, width
):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run deploy/fetch_vendor.py (make setup)")
    point = point_in("92012")
    site = Site.objects.create(
        point=point, commune=Territory.objects.commune_at(point), name="Quai des Saules"
    )
    # axe is injected as an inline script, which our CSP forbids: bypass it here only
    # (tests/browser/test_csp.py checks the policy with nothing bypassed).
    context = browser.new_context(
        locale="fr-FR", viewport={"width": width, "height": 900}, bypass_csp=True
    )
    context.route("https://*/**", lambda route: route.abort())
    page = context.new_page()
    try:
        if role == "contributor":
            log_in(page, live_server.url, user_with(Role.CONTRIBUTOR, "92012"))
        elif role == "local_admin":
            log_in(page, live_server.url, user_with(Role.LOCAL_ADMIN, "92"))
        problems = {}
        for path in PAGES[role]:
            page.goto(live_server.url + path.format(site=site.pk))
            found = axe_violations(page)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            if overflow > 0:
                found.append(f"scrolls sideways by {overflow} px")
            if found:
                problems[path] = found
        assert problems == {}
    finally:
        context.close()
