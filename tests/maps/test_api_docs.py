"""/api/docs/: Swagger UI from our own static files, every endpoint documented."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_docs_page_loads_swagger_ui_from_our_static_files_without_inline_script(
    client,
):
    page = client.get("/api/docs/").content.decode()
    assert "/static/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "/static/maps/api-docs.js" in page
    assert "<script>" not in page and "cdn" not in page.lower()
    assert 'data-schema-url="/api/schema/?format=json"' in page


def test_the_footer_links_to_the_docs(client):
    assert 'href="/api/docs/"' in client.get("/healthz").content.decode() or (
        'href="/api/docs/"' in client.get("/").content.decode()
    )


def test_the_schema_documents_the_ogc_routes_exports_and_basic_auth(client):
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "/ogc/collections/{collection_id}/items" in paths
    items = paths["/ogc/collections/{collection_id}/items"]["get"]
    assert {"limit", "offset", "bbox", "datetime"} <= {
        p["name"] for p in items["parameters"]
    }
    assert {"400", "401", "404"} <= set(items["responses"])
    export = paths["/api/v1/sites/export/"]["get"]
    names = {p["name"] for p in export["parameters"]}
    assert {"format_type", "status", "kind", "territory", "in_bbox"} <= names
    assert "basicAuth" in schema["components"]["securitySchemes"]
