"""A visitor without an account reports a place on the map; the 92 admin finds it."""

import shutil
from pathlib import Path

import pytest

from actors.roles import Role
from sites.models import PublicReport, ReportContact
from tests.factories import PASSWORD, point_in, territory, user_with

SCREENS = Path("/tmp/terrain-screens")  # noqa: S108 - a fixed place for a human to look
# The form opens on all of France: the test zooms the way a visitor would, through the
# map itself, after keeping a handle on it when django-leaflet announces it.
KEEP_MAP = (
    "window.addEventListener('map:init', (e) => { window.reportMap = e.detail.map; });"
)


def screenshot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    SCREENS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SCREENS / path.name)


def log_in(page, base_url, user):
    page.goto(base_url + "/accounts/login/")
    page.locator("input[name=username]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(base_url + "/")


@pytest.mark.usefixtures("territories")
def test_an_anonymous_visitor_reports_a_place_and_the_local_admin_sees_it(
    live_server, page, tmp_path
):
    admin = user_with(Role.LOCAL_ADMIN, "92")
    page.add_init_script(KEEP_MAP)
    page.goto(live_server.url + "/reports/new/")
    point_map = page.locator("#id_point-map")
    page.wait_for_function(
        "() => document.querySelectorAll('#id_point-map path').length > 3"
    )

    west, south, east, north = territory("92012").geom.extent
    page.evaluate(f"reportMap.fitBounds([[{south}, {west}], [{north}, {east}]])")
    target = point_in("92012")
    xy = page.evaluate(
        f"(() => {{ const p = reportMap.latLngToContainerPoint([{target.y}, {target.x}]);"
        " return {x: Math.round(p.x), y: Math.round(p.y)}; })()"
    )
    point_map.locator(".leaflet-draw-draw-marker").click()
    point_map.click(position=xy)
    page.locator("#id_kind_0").check()
    page.locator("#id_description").fill(
        "Une dizaine de tentes le long du quai, depuis deux semaines."
    )
    page.locator("#id_contact_email").fill("voisin@example.org")
    screenshot(page, tmp_path, "public-report")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(live_server.url + "/reports/thanks/")
    assert "tentes" not in page.content()  # the thank-you page shows nothing back

    report = PublicReport.objects.get()
    assert (report.commune.code, report.kind, report.status) == (
        "92012",
        "possible_site",
        "new",
    )
    assert ReportContact.objects.get(report=report).email == "voisin@example.org"

    log_in(page, live_server.url, admin)
    page.goto(live_server.url + "/reports/")
    row = page.locator("main table tbody tr")
    assert row.count() == 1
    assert "Boulogne-Billancourt" in row.inner_text()
    assert "voisin@example.org" not in page.content()
    screenshot(page, tmp_path, "public-report-queue")
    row.locator("a").click()
    page.wait_for_url(f"{live_server.url}/reports/{report.pk}/")
    page.wait_for_function(
        "() => document.querySelectorAll('#report-map path').length > 3"
    )
    screenshot(page, tmp_path, "public-report-detail")
