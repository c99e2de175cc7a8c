"""Real browser tests: Debian's Chromium driven by Playwright against live_server."""

import os
import shutil

import pytest

from territory.models import Territory
from territory.services import import_reference

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Playwright's sync API runs an event loop in this thread; our DB calls here are plain sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def territories(transactional_db):
    """live_server tests flush the database after each test: reload one département."""
    if not Territory.objects.communes().filter(code__startswith="92").exists():
        import_reference(departements=["92"])


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(
            "Chromium is missing: `make test` installs Debian's chromium package"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 1200, "height": 800}
    )
    # No outside tiles in tests: the map must stand on its own outlines.
    context.route("https://*/**", lambda route: route.abort())
    page = context.new_page()
    yield page
    context.close()
