import pytest

from actors.roles import Role
from sites.models import Site
from tests.factories import PASSWORD, user_with


def log_in(page, base_url, user):
    page.goto(base_url + "/accounts/login/")
    page.locator("input[name=username]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(base_url + "/")


@pytest.mark.usefixtures("territories")
def test_a_contributor_places_a_site_on_the_map_and_declares_it(
    live_server, page, tmp_path
):
    user = user_with(Role.CONTRIBUTOR, "92012")
    log_in(page, live_server.url, user)
    page.goto(live_server.url + "/sites/new/")
    point_map = page.locator("#id_point-map")
    # The map opens on the user's commune, with commune outlines drawn from our API.
    page.wait_for_function(
        "() => document.querySelectorAll('#id_point-map path').length > 3"
    )
    point_map.locator(".leaflet-draw-draw-marker").click()
    point_map.click(position={"x": 480, "y": 150})
    page.locator("#id_name").fill("Terrain du quai")
    page.locator("#id_people").fill("35")
    page.locator("#id_population_date").fill("2026-11-30")
    page.locator("#id_water").select_option("standpipe")
    page.screenshot(path=str(tmp_path / "site-form.png"), full_page=True)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/sites/*/")
    site = Site.objects.get(name="Terrain du quai")
    assert site.commune.code == "92012"
    assert (site.people, site.water_status, site.created_by) == (35, "to_improve", user)
    assert "Terrain du quai" in page.locator("h1").inner_text()
    page.screenshot(path=str(tmp_path / "site-detail.png"), full_page=True)
