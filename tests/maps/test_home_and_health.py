import json

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_holds_the_map_element_and_leaflet(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="fr")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="main-map"' in html
    assert "leaflet" in html.lower()
    assert '<html lang="fr">' in html


def test_home_page_speaks_english_when_asked(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Skip to content" in html


def test_home_page_speaks_french_by_default(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Aller au contenu" in html


def test_openapi_schema_parses_as_json(client):
    response = client.get("/api/schema/?format=json")
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Terrain Commun API"


def test_healthz_answers_ok_when_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
