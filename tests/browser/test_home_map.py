"""The home map without any tile server (as in CI): outlines, permalink, filters, panel.

The vector tiles (/tiles/...) come from the tiles branch: here they answer 404 and
the map must carry on without a JavaScript error.
"""

import datetime

import pytest

from actors.roles import Role
from interventions.models import Intervention
from sites.models import Site
from territory.models import Territory
from tests.browser.test_site_form import log_in
from tests.factories import OrganizationFactory, point_in, territory, user_with

SHOTS = "/tmp/webmap-shots"  # noqa: S108 - a fixed place for a human to look


def wait_for_outlines(page):
    page.wait_for_function("() => document.getElementById('main-map').dataset.outlines")


def make_site(code: str, name: str, **fields) -> Site:
    point = point_in(code)
    return Site.objects.create(
        point=point, commune=Territory.objects.commune_at(point), name=name, **fields
    )


@pytest.mark.usefixtures("territories")
def test_without_tile_server_the_map_falls_back_to_outlines_and_says_so(
    live_server, page
):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route("**/tiles/**", lambda route: route.abort())
    page.goto(live_server.url + "/")
    wait_for_outlines(page)
    assert page.locator("#main-map").get_attribute("data-outlines") == "101"
    notice = page.locator("#main-map .map-notice")
    assert "cartes des rues indisponibles" in notice.inner_text().lower()
    # Thin lines, no fill, in a pane under the data that lets clicks through.
    assert page.locator(".leaflet-outlines-pane path").count() >= 101
    assert page.locator(".leaflet-outlines-pane path[fill='none']").count() >= 101
    assert errors == []


@pytest.mark.usefixtures("territories")
def test_home_map_zooms_to_a_searched_commune(live_server, page):
    page.goto(live_server.url + "/")
    wait_for_outlines(page)
    page.get_by_label("Rechercher une commune").fill("Boulogne-Billancourt")
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="1").wait_for()
    page.wait_for_function("() => window.terrainMap.getZoom() >= 12")
    lat, lon = page.evaluate(
        "[window.terrainMap.getCenter().lat, window.terrainMap.getCenter().lng]"
    )
    assert 48.82 < lat < 48.85 and 2.22 < lon < 2.26
    assert (
        "Boulogne-Billancourt (92012)" in page.locator("#commune-results").inner_text()
    )


@pytest.mark.usefixtures("territories")
def test_a_contributor_of_92012_opens_on_92012_and_filters_change_the_links(
    live_server, page
):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    assert page.goto(live_server.url + "/").ok
    assert page.locator("#map-filters").count() == 0  # visitors: no site at all
    log_in(page, live_server.url, user_with(Role.CONTRIBUTOR, "92012"))
    page.wait_for_function("() => document.getElementById('main-map').dataset.ready")
    west, south, east, north = territory("92012").geom.extent
    lat, lon = page.evaluate(
        "[window.terrainMap.getCenter().lat, window.terrainMap.getCenter().lng]"
    )
    assert south < lat < north and west < lon < east
    assert page.evaluate("window.terrainMap.getZoom()") >= 12

    page.locator("#filter-status").select_option("open")
    page.locator("#filter-water_status").select_option("bad")
    assert page.locator("#link-list").get_attribute("href") == (
        "/sites/?status=open&water_status=bad"
    )
    csv = page.locator("#link-csv").get_attribute("href")
    assert csv.startswith("/api/v1/sites/export/?format_type=csv&")
    assert "status=open" in csv and "water_status=bad" in csv
    assert "&status=open&water_status=bad" in page.evaluate("location.hash")
    assert errors == []


@pytest.mark.usefixtures("territories")
def test_the_permalink_restores_zoom_centre_and_filters(live_server, page):
    log_in(page, live_server.url, user_with(Role.CONTRIBUTOR, "92012"))
    page.goto(live_server.url + "/#15/48.83500/2.24000&kind=encampment&status=open")
    page.wait_for_function("() => document.getElementById('main-map').dataset.ready")
    zoom, lat, lon = page.evaluate(
        "[terrainMap.getZoom(), terrainMap.getCenter().lat, terrainMap.getCenter().lng]"
    )
    assert zoom == 15 and abs(lat - 48.835) < 1e-4 and abs(lon - 2.24) < 1e-4
    assert page.locator("#filter-kind").input_value() == "encampment"
    assert page.locator("#filter-status").input_value() == "open"
    assert "kind=encampment" in page.locator("#link-list").get_attribute("href")


@pytest.mark.usefixtures("territories")
def test_the_list_beside_the_map_opens_a_sites_panel_by_keyboard(live_server, page):
    site = make_site("92012", "Terrain du quai", people=35)
    make_site("92040", "Ailleurs")  # in the département, outside the view
    log_in(page, live_server.url, user_with(Role.CONTRIBUTOR, "92012"))
    p = site.point
    page.goto(f"{live_server.url}/#16/{p.y:.5f}/{p.x:.5f}")
    button = page.locator("#map-features button", has_text="Terrain du quai")
    button.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#site-panel")
    panel.get_by_role("heading", name="Terrain du quai").wait_for()
    assert "35" in panel.inner_text()
    assert panel.locator("a").get_attribute("href") == f"/sites/{site.pk}/"
    assert page.locator("#map-features button", has_text="Ailleurs").count() == 0
    page.keyboard.press("Escape")
    assert panel.is_hidden()


@pytest.mark.usefixtures("territories")
def test_the_list_link_of_the_map_lists_the_same_filtered_sites(live_server, page):
    make_site("92012", "Sans eau", water="none")
    make_site("92012", "Avec eau", water="network")
    log_in(page, live_server.url, user_with(Role.CONTRIBUTOR, "92012"))
    page.wait_for_function("() => document.getElementById('main-map').dataset.ready")
    page.locator("#filter-water_status").select_option("bad")
    page.locator("#link-list").click()
    page.wait_for_url("**/sites/?water_status=bad")
    rows = page.locator("main table tbody").inner_text()
    assert "Sans eau" in rows and "Avec eau" not in rows
    assert page.locator("#f-water_status").input_value() == "bad"


@pytest.mark.usefixtures("territories")
def test_a_site_drawn_from_the_vector_tiles_opens_its_panel_on_click(live_server, page):
    site = make_site("92012", "Campement du stade", people=12)
    log_in(page, live_server.url, user_with(Role.CONTRIBUTOR, "92012"))
    p = site.point
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with page.expect_response(
        lambda r: "/tiles/sites/16/" in r.url and r.status == 200
    ):
        page.goto(f"{live_server.url}/#16/{p.y:.6f}/{p.x:.6f}")
    page.wait_for_timeout(500)  # the canvas draws the tile's features
    box = page.locator("#main-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    panel = page.locator("#site-panel")
    panel.get_by_role("heading", name="Campement du stade").wait_for()
    assert panel.locator("a").get_attribute("href") == f"/sites/{site.pk}/"
    assert errors == []


@pytest.mark.usefixtures("territories")
def test_visitors_see_published_counts_with_a_notice_and_french_controls(
    live_server, page
):
    for i in range(4):
        make_site("92012", f"Campement {i}", people=10)
    for i in range(3):
        make_site("92040", f"Terrain {i}", people=10)
    # One site in Asnières: hidden, and Issy (the smaller) with it, else Asnières
    # would be the département minus Boulogne and Issy.
    make_site("92004", "Seul", people=40)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + "/#9/48.83500/2.24000")
    item = page.locator("#map-features button", has_text="Boulogne-Billancourt")
    item.wait_for()
    assert item.inner_text() == (
        "Boulogne-Billancourt: 4 sites ouverts, environ 40 personnes"
    )
    listed = page.locator("#map-features").inner_text()
    assert "Issy" not in listed and "Asnières" not in listed
    assert "Chiffres agrégés" in page.locator("#aggregate-notice").inner_text()
    assert not [url for url in asked if "/api/v1/sites" in url]
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Zoomer"
    assert page.locator(".leaflet-control-zoom-out").get_attribute("aria-label") == (
        "Dézoomer"
    )
    toggle = page.locator(".leaflet-control-layers-toggle")
    assert toggle.get_attribute("title") == "Couches de la carte"
    # The layers icon, not the design system's link underline, paints the button.
    image = toggle.evaluate("a => getComputedStyle(a).backgroundImage")
    assert "layers" in image
    assert errors == []


@pytest.mark.usefixtures("territories")
def test_interventions_are_shown_from_the_legend_and_listed_beside_the_map(
    live_server, page
):
    site = make_site("92012", "Terrain du quai", people=35)
    operator = OrganizationFactory(territory=territory("92012"))
    intervention = Intervention.objects.create(
        title="Médiation", themes=["health"], lead_operator=operator,
        territory=territory("92012"), started_on=datetime.date(2025, 3, 1),
        status="in_progress",
    )  # fmt: skip
    intervention.sites.set([site])
    log_in(page, live_server.url, user_with(Role.CONTRIBUTOR, "92012"))
    p = site.point
    page.goto(f"{live_server.url}/#16/{p.y:.5f}/{p.x:.5f}")
    page.wait_for_function("() => document.getElementById('main-map').dataset.ready")
    link = page.locator("#map-features a", has_text=f"Intervention #{intervention.pk}")
    switch = page.get_by_label("interventions (un anneau autour de leurs sites")
    assert not switch.is_checked() and link.count() == 0
    with page.expect_response(
        lambda r: "/tiles/interventions/16/" in r.url and r.status == 200
    ):
        switch.check()
    link.wait_for()
    assert link.get_attribute("href") == f"/interventions/{intervention.pk}/"
    assert "santé · en cours · depuis 2025" in link.inner_text()
    # A ring is drawn in its pane, above the base map and under the sites.
    assert page.locator(".leaflet-interventiontiles-pane path").count() >= 1
    switch.uncheck()
    link.wait_for(state="detached")


@pytest.mark.usefixtures("territories")
def test_a_layers_control_with_nothing_to_choose_is_hidden(live_server, page, settings):
    settings.MAP_BASE_LAYERS = []  # our outlines only: one base map, no choice
    site = make_site("92012", "Terrain du quai")
    log_in(page, live_server.url, user_with(Role.CONTRIBUTOR, "92012"))
    page.goto(f"{live_server.url}/sites/{site.pk}/")
    page.wait_for_selector(".leaflet-control-zoom-in")
    page.wait_for_function("() => document.querySelector('.leaflet-control-layers')")
    assert page.locator(".leaflet-control-layers").is_hidden()
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "Zoomer"
