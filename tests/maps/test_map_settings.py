"""Base maps come from one setting: every map's config and the CSP both follow it."""

import pytest
from django.conf import settings

from actors.roles import Role
from tests.factories import territory, user_with

pytestmark = pytest.mark.django_db


def test_the_policy_lets_in_every_base_map_and_the_address_search(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    img_src = next(p for p in policy.split(";") if p.strip().startswith("img-src"))
    assert "https://tile.openstreetmap.org" in img_src
    assert "https://data.geopf.fr" in img_src
    connect = next(p for p in policy.split(";") if "connect-src" in p)
    assert "https://api-adresse.data.gouv.fr" in connect


def test_every_page_gets_the_base_maps_of_the_setting(client):
    page = client.get("/reports/new/")
    config = page.context["map_base_config"]
    assert [layer["url"] for layer in config["baseLayers"]] == [
        layer["url"] for layer in settings.MAP_BASE_LAYERS
    ]
    assert 'id="map-base-config"' in page.content.decode()


def test_the_home_map_opens_on_the_users_granted_territory(client):
    client.force_login(user_with(Role.CONTRIBUTOR, "92012"))
    config = client.get("/").context["map_config"]
    west, south, east, north = territory("92012").geom.extent
    assert config["bbox"] == pytest.approx([west, south, east, north], abs=1e-4)


def test_visitors_and_national_users_open_on_metropolitan_france(client):
    assert client.get("/").context["map_config"]["bbox"] == list(
        settings.MAP_DEFAULT_BBOX
    )
    assert client.get("/").context["map_config"]["sitesUrl"] is None
    client.force_login(user_with(Role.NATIONAL, "FR"))
    config = client.get("/").context["map_config"]
    assert config["bbox"] == list(settings.MAP_DEFAULT_BBOX)
