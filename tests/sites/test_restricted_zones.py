"""Restricted traffic zones: drawn by the commune's local admins, inside the commune."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from actors.models import AuditEvent
from actors.roles import Role
from sites.models import RestrictedZone
from sites.services.accessibility import save_restricted_zone
from tests.factories import point_in, territory, user_with

pytestmark = pytest.mark.django_db


def square_around(code: str, half: float = 0.001) -> dict:
    """A small GeoJSON polygon around a point inside the commune."""
    p = point_in(code)
    x0, y0, x1, y1 = p.x - half, p.y - half, p.x + half, p.y + half
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "MultiPolygon", "coordinates": [[ring]]}


def zone_form(code: str, **extra) -> dict:
    return {
        "name": "Centre piéton",
        "geom": json.dumps(square_around(code)),
        "disabled_access": "with_card",
        "rules": "Accès avec la carte CMI de 7 h à 11 h.",
    } | extra


def test_a_local_admin_draws_a_zone_and_it_shows_on_the_commune_page(client):
    client.force_login(user_with(Role.LOCAL_ADMIN, "92"))
    response = client.post("/communes/92012/zones/new/", zone_form("92012"))
    assert response.status_code == 302
    zone = RestrictedZone.objects.get()
    assert (zone.commune.code, zone.geom.geom_type) == ("92012", "MultiPolygon")
    assert AuditEvent.objects.filter(action="restricted_zone.created").count() == 1
    page = client.get("/communes/92012/")
    assert page.context["commune_map"]["zones"][0]["name"] == "Centre piéton"

    client.post(f"/communes/92012/zones/{zone.pk}/", zone_form("92012", name="Quai"))
    assert RestrictedZone.objects.get().name == "Quai"
    assert AuditEvent.objects.filter(action="restricted_zone.changed").count() == 1


def test_a_contributor_cannot_draw_a_zone(client):
    client.force_login(user_with(Role.CONTRIBUTOR, "92012"))
    assert client.get("/communes/92012/zones/new/").status_code == 403
    response = client.post("/communes/92012/zones/new/", zone_form("92012"))
    assert response.status_code == 403
    assert not RestrictedZone.objects.exists()


def test_a_zone_outside_the_commune_is_refused(client):
    client.force_login(user_with(Role.LOCAL_ADMIN, "92"))
    response = client.post("/communes/92012/zones/new/", zone_form("92040"))
    assert response.status_code == 200
    assert "Boulogne-Billancourt" in str(response.context["form"].errors["geom"])
    assert not RestrictedZone.objects.exists()


def test_the_free_text_guard_refuses_personal_data_in_the_rules():
    admin = user_with(Role.LOCAL_ADMIN, "92")
    commune = territory("92012")
    from django.contrib.gis.geos import GEOSGeometry

    geom = GEOSGeometry(json.dumps(square_around("92012")), srid=4326)
    data = {"name": "Centre", "geom": geom, "rules": "Appeler le 06 12 34 56 78"}
    with pytest.raises(ValidationError) as refused:
        save_restricted_zone(commune, data, acting_user=admin)
    assert "rules" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        save_restricted_zone(
            commune, data, acting_user=user_with(Role.LOCAL_ADMIN, "13")
        )
