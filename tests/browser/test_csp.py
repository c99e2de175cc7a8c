"""The strict Content-Security-Policy blocks nothing the pages need."""

import pytest

from actors.roles import Role
from sites.models import Site
from territory.models import Territory
from tests.browser.test_site_form import log_in
from tests.factories import point_in, user_with

# Playwright's init scripts run outside the page's CSP: they can listen for its reports.
LISTEN = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture
def watched(page):
    """The page, and the CSP complaints its console and its DOM events report."""
    complaints: list[str] = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: (
            complaints.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page, complaints


def violations(page, complaints) -> list[str]:
    return complaints + page.evaluate("window.cspViolations")


@pytest.mark.usefixtures("territories")
def test_the_maps_draw_under_the_strict_policy_without_any_violation(
    live_server, watched
):
    page, complaints = watched
    point = point_in("92012")
    site = Site.objects.create(
        point=point, commune=Territory.objects.commune_at(point), name="Quai"
    )
    response = page.goto(live_server.url + "/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy and "unsafe-inline" not in policy
    page.wait_for_function("() => document.getElementById('main-map').dataset.outlines")
    assert page.locator("#main-map .leaflet-outlines-pane path").count() >= 101

    log_in(page, live_server.url, user_with(Role.CONTRIBUTOR, "92012"))
    page.wait_for_function("() => document.getElementById('main-map').dataset.ready")
    page.goto(f"{live_server.url}/sites/{site.pk}/")
    page.locator("#site-map .leaflet-marker-icon").wait_for()  # showPoint ran
    page.wait_for_function(
        "() => document.querySelectorAll('#site-map path').length > 3"
    )
    page.goto(live_server.url + "/sites/new/")
    page.locator("#id_point-map .leaflet-draw-draw-marker").wait_for()  # the widget
    assert violations(page, complaints) == []


@pytest.mark.usefixtures("territories")
def test_the_public_report_form_and_the_language_menu_work_under_the_policy(
    live_server, watched
):
    page, complaints = watched
    page.goto(live_server.url + "/reports/new/")
    page.locator("#id_point-map .leaflet-draw-draw-marker").wait_for()
    # An explicit button per language (a menu that submits on change fails WCAG 3.2.2).
    page.locator("button[name=language][value=en]").first.click()
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    assert violations(page, complaints) == []


@pytest.mark.usefixtures("territories")
def test_a_local_admin_draws_a_restricted_zone_under_the_policy(live_server, watched):
    from sites.models import RestrictedZone

    page, complaints = watched
    log_in(page, live_server.url, user_with(Role.LOCAL_ADMIN, "92"))
    page.goto(live_server.url + "/communes/92012/")
    page.wait_for_function("() => document.getElementById('commune-map').dataset.zones")
    page.get_by_role("link", name="Dessiner une zone à circulation restreinte").click()
    page.wait_for_url("**/communes/92012/zones/new/")
    draw_map = page.locator("#id_geom-map")
    page.wait_for_function(
        "() => document.getElementById('id_geom-map').dataset.outlines"
    )
    page.wait_for_timeout(300)  # the view settles on the commune
    draw_map.locator(".leaflet-draw-draw-polygon").click()
    box = draw_map.bounding_box()
    cx, cy = box["width"] / 2, box["height"] / 2
    corners = [(-30, -30), (30, -30), (30, 30), (-30, 30), (-30, -30)]
    for dx, dy in corners:
        draw_map.click(position={"x": cx + dx, "y": cy + dy})
        page.wait_for_timeout(150)
    page.locator("#id_name").fill("Centre piéton")
    page.locator("#id_rules").fill("Accès avec la carte de 7 h à 11 h.")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(live_server.url + "/communes/92012/")
    zone = RestrictedZone.objects.get()
    assert (zone.commune.code, zone.name) == ("92012", "Centre piéton")
    page.wait_for_function(
        "() => document.getElementById('commune-map').dataset.zones === '1'"
    )
    assert violations(page, complaints) == []
