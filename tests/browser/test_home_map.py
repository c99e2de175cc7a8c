import pytest


@pytest.mark.usefixtures("territories")
def test_home_map_draws_departements_and_zooms_to_a_searched_commune(
    live_server, page, tmp_path
):
    page.goto(live_server.url + "/")
    map_element = page.locator("#main-map")
    page.wait_for_function("document.getElementById('main-map').dataset.departements")
    assert int(map_element.get_attribute("data-departements")) == 101
    assert page.locator("path.leaflet-interactive").count() >= 101

    page.get_by_label("Rechercher une commune").fill("Boulogne-Billancourt")
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="1").wait_for()
    page.wait_for_function("window.terrainMap.getZoom() >= 12")
    lat, lon = page.evaluate(
        "[window.terrainMap.getCenter().lat, window.terrainMap.getCenter().lng]"
    )
    assert 48.82 < lat < 48.85 and 2.22 < lon < 2.26  # centred on Boulogne-Billancourt
    assert (
        "Boulogne-Billancourt (92012)" in page.locator("#commune-results").inner_text()
    )
    page.screenshot(path=str(tmp_path / "home.png"))
