"""/api/docs/ draws Swagger UI from our own static files under the strict policy."""

from pathlib import Path

from tests.browser.test_csp import violations, watched  # noqa: F401 (fixture)


def test_the_api_docs_list_the_endpoints_without_any_csp_violation(
    live_server,
    watched,  # noqa: F811
):
    page, complaints = watched
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(live_server.url + "/api/docs/")
    page.locator(".opblock-tag", has_text="ogc").first.wait_for(timeout=20_000)
    assert page.locator(".opblock").count() > 20
    assert page.get_by_text("/api/v1/sites/export/").first.is_visible()
    Path("var").mkdir(exist_ok=True)
    page.screenshot(path="var/api-docs.png")  # for the closing note
    assert all(url.startswith(live_server.url) for url in requested)
    assert violations(page, complaints) == []
