import pytest


@pytest.mark.usefixtures("territories")
def test_home_map_draws_departements_and_zooms_to_a_searched_commune(
    live_server, page, tmp_path
):
    page.goto(live_server.url + "/")
    map_element = page.locator("#main-map")
    page.wait_for_function(
        "() => document.getElementById('main-map').dataset.departements"
    )
    assert int(map_element.get_attribute("data-departements")) == 101
    assert page.locator("path.leaflet-interactive").count() >= 101

    page.get_by_label("Rechercher une commune").fill("Boulogne-Billancourt")
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="1").wait_for()
    page.wait_for_function("() => window.terrainMap.getZoom() >= 12")
    lat, lon = page.evaluate(
        "[window.terrainMap.getCenter().lat, window.terrainMap.getCenter().lng]"
    )
    assert 48.82 < lat < 48.85 and 2.22 < lon < 2.26  # centred on Boulogne-Billancourt
    assert (
        "Boulogne-Billancourt (92012)" in page.locator("#commune-results").inner_text()
    )
    page.screenshot(path=str(tmp_path / "home.png"))


@pytest.mark.usefixtures("territories")
def test_the_home_map_shows_only_the_sites_in_the_users_scope(live_server, page):
    from actors.roles import Role
    from sites.models import Site
    from territory.models import Territory
    from tests.browser.test_site_form import log_in
    from tests.factories import point_in, user_with

    for code in ("92012", "92040"):
        Site.objects.create(
            point=point_in(code),
            commune=Territory.objects.commune_at(point_in(code)),
            name=f"Site {code}",
        )
    page.goto(live_server.url + "/")
    page.wait_for_function(
        "() => document.getElementById('main-map').dataset.departements"
    )
    assert (
        page.locator("#main-map").get_attribute("data-sites") is None
    )  # visitors see no site

    log_in(page, live_server.url, user_with(Role.CONTRIBUTOR, "92012"))
    page.wait_for_function("() => document.getElementById('main-map').dataset.sites")
    assert (
        page.locator("#main-map").get_attribute("data-sites") == "2"
    )  # reading covers the département
