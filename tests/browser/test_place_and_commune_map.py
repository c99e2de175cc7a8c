"""Placing a point by keyboard alone, and a commune's map of spaces and zones."""

import pytest

from sites.models import AccessibilityPoint, PublicReport, RestrictedZone
from territory.models import Territory
from tests.factories import point_in


@pytest.mark.usefixtures("territories")
def test_the_public_report_form_is_filled_and_sent_by_keyboard_alone(live_server, page):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + "/reports/new/")
    page.wait_for_function(
        "() => document.getElementById('id_point-map').dataset.outlines"
    )
    # The commune search answers by keyboard even where the address API is blocked.
    page.locator("#place-query").focus()
    page.keyboard.type("Boulogne-Bill")
    page.keyboard.press("Enter")
    page.locator("#place-results button", has_text="92012").wait_for()
    assert page.evaluate("document.activeElement.textContent").endswith("(92012)")
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="Boulogne-Billancourt").wait_for()

    target = point_in("92012")
    page.locator("#id_kind_0").focus()
    page.keyboard.press("Space")
    page.locator("#id_longitude").focus()
    page.keyboard.type(f"{target.x:.6f}")
    page.keyboard.press("Tab")
    page.keyboard.type(f"{target.y:.6f}")
    page.keyboard.press("Tab")  # the change moves the marker
    assert errors == []
    page.locator("#id_point-map .leaflet-marker-icon").wait_for()
    page.locator("#id_description").focus()
    page.keyboard.type("Des caravanes sur le parking du stade.")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/reports/thanks/")
    assert PublicReport.objects.get().commune.code == "92012"


@pytest.mark.usefixtures("territories")
def test_the_commune_page_maps_its_spaces_with_directions(live_server, page):
    commune = Territory.objects.get(code="92012", level="commune")
    point = point_in("92012")
    AccessibilityPoint.objects.create(
        point=point, commune=commune, spaces=2, address="12 rue du Stade"
    )
    RestrictedZone.objects.create(
        commune=commune,
        name="Centre piéton",
        geom=_small_zone(point),
        disabled_access="with_card",
    )
    page.goto(live_server.url + "/communes/92012/")
    page.wait_for_function(
        "() => document.getElementById('commune-map').dataset.points"
    )
    assert page.locator("#commune-map").get_attribute("data-points") == "1"
    assert page.locator("#commune-map").get_attribute("data-zones") == "1"
    assert page.locator("#commune-map .leaflet-overlay-pane path").count() >= 2
    links = page.locator(".directions a")
    assert links.nth(0).get_attribute("href") == f"geo:{point.y:.6f},{point.x:.6f}"
    assert links.nth(1).get_attribute("href") == (
        f"https://www.openstreetmap.org/?mlat={point.y:.6f}&mlon={point.x:.6f}"
        f"#map=19/{point.y:.6f}/{point.x:.6f}"
    )


def _small_zone(point):
    from django.contrib.gis.geos import MultiPolygon

    return MultiPolygon(point.buffer(0.001), srid=4326)
