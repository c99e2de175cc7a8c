import pytest

from actors.roles import Role
from sites.models import AccessibilityPoint
from territory.sources import REFERENCE_DIR
from tests.browser.test_site_form import log_in
from tests.factories import user_with

GPSO = REFERENCE_DIR / "accessibility" / "gpso-92-places-stationnement-pmr.geojson.xz"


@pytest.mark.usefixtures("territories")
def test_a_local_admin_uploads_previews_and_confirms_an_import(
    live_server, page, tmp_path
):
    log_in(page, live_server.url, user_with(Role.LOCAL_ADMIN, "92"))
    page.goto(live_server.url + "/accessibility/import/")
    page.locator("input[type=file]").set_input_files(str(GPSO))
    page.locator("input[name=new_dataset]").fill("gpso/places-pmr")
    page.locator("main form button[type=submit]").click()
    status = page.get_by_role("status")
    status.wait_for()
    assert "719" in status.inner_text()
    assert AccessibilityPoint.objects.count() == 0
    shot = tmp_path / "import-preview.png"
    page.screenshot(path=str(shot), full_page=True)
    page.locator("button[name=confirm]").click()
    page.get_by_role("status").first.wait_for()
    assert AccessibilityPoint.objects.count() == 719
