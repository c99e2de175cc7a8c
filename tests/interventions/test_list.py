"""The intervention list: count, search, sort, paging, filters kept in the URL, and
the export taking the same search and filters."""

import datetime
import re
from html import unescape

import pytest

from interventions.models import Intervention
from tests.interventions.conftest import new_intervention

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def titles(response) -> list[str]:
    return [i.title for i in response.context["page"].object_list]


def test_search_finds_words_in_the_title_and_goals(admin_client, world):
    assert titles(admin_client.get("/interventions/", {"q": "scolarisation"})) == [
        "Scolarisation"
    ]
    assert titles(admin_client.get("/interventions/", {"q": "soins"})) == [
        "Médiation santé"
    ]  # in its goals
    found = admin_client.get("/interventions/", {"q": "scolarisation"})
    assert found.context["page"].paginator.count == 1
    assert "1 intervention" in found.content.decode()


def test_sort_by_a_column_both_ways_keeps_the_filters(admin_client, world):
    new_intervention(world.member, world.asso, title="Accueil de jour",
                     started_on=datetime.date(2024, 1, 1))  # fmt: skip
    up = admin_client.get("/interventions/", {"sort": "title", "theme": "health"})
    assert titles(up) == ["Accueil de jour", "Médiation santé"]
    down = admin_client.get("/interventions/", {"sort": "-title", "theme": "health"})
    assert titles(down) == ["Médiation santé", "Accueil de jour"]
    # The header links keep the theme and turn the direction around.
    link = up.context["sort_links"]["title"]
    assert "theme=health" in link.url and "sort=-title" in link.url
    assert link.direction == "ascending"
    assert 'aria-sort="ascending"' in up.content.decode()
    # An unknown key falls back to the default order (newest first), not an error.
    default = admin_client.get("/interventions/", {"sort": "pk;drop"})
    assert titles(default)[-1] == "Accueil de jour"


def test_pages_of_fifty_keep_the_search_in_their_links(admin_client, world):
    Intervention.objects.bulk_create(
        Intervention(title=f"Maraude {n:03}", themes=["health"], lead_operator=world.asso,
                     territory=world.intervention.territory, started_on=datetime.date(2025, 1, 1),
                     status="in_progress")
        for n in range(60)
    )  # fmt: skip
    first = admin_client.get("/interventions/", {"q": "maraude", "sort": "title"})
    assert first.context["page"].paginator.count == 60
    assert titles(first)[0] == "Maraude 000" and len(titles(first)) == 50
    html = unescape(first.content.decode())
    assert re.search(r'href="\?[^"]*q=maraude[^"]*&page=2"', html)
    second = admin_client.get(
        "/interventions/", {"q": "maraude", "sort": "title", "page": 2}
    )
    assert titles(second) == [f"Maraude {n:03}" for n in range(50, 60)]


def test_the_export_takes_the_lists_search(admin_client, world):
    listing = admin_client.get(
        "/interventions/", {"q": "scolarisation", "sort": "title"}
    )
    link = re.search(r'href="(/interventions/export/\?[^"]*format_type=csv)"',
                     unescape(listing.content.decode())).group(1)  # fmt: skip
    assert "q=scolarisation" in link and "sort=" not in link
    response = admin_client.get(link)
    exported = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Scolarisation" in exported and "Médiation santé" not in exported


def test_a_bad_filter_is_said_not_hidden(admin_client):
    response = admin_client.get("/interventions/", {"year": "abc"})
    assert response.status_code == 200
    assert 'class="fr-alert fr-alert--error' in response.content.decode()
