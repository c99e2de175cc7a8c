"""The web import of sites by a local admin: upload, mapping, preview, confirm."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from actors.roles import Role
from sites.models import Dataset, Site, SiteStatus
from tests.factories import point_in, user_with
from tests.sites.import_steps import through_run

pytestmark = pytest.mark.django_db
URL = "/sites/import/"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"  # messages asserted in English


@pytest.fixture
def admin_client(client):
    client.force_login(user_with(Role.LOCAL_ADMIN, "92"))
    return client


def csv_upload(*rows: str) -> SimpleUploadedFile:
    text = "\n".join(["ref;lon;lat;etat;fermeture", *rows]) + "\n"
    return SimpleUploadedFile("sites.csv", text.encode(), content_type="text/csv")


def upload(client, file, **fields):
    response = client.post(URL, {"encoding": "utf-8", "file": file} | fields)
    return through_run(client, response)


def remap(client, **columns):
    data = {"step": "remap"} | {
        f"map_{name}": " + ".join(cols) for name, cols in columns.items()
    }
    return through_run(client, client.post(URL, data))


def confirm(client):
    return through_run(client, client.post(URL, {"step": "confirm"}))


def test_a_local_admin_uploads_maps_previews_and_confirms(admin_client):
    boulogne, issy = point_in("92012"), point_in("92040")
    rows = (
        f"S1;{boulogne.x};{boulogne.y};ouvert;",
        f"S2;{issy.x};{issy.y};closed by prefectoral order;03/02/2024",
    )
    preview = upload(admin_client, csv_upload(*rows), new_dataset="pref92/sites")
    assert preview.context["columns"] == ["ref", "lon", "lat", "etat", "fermeture"]
    # No default column holds the identifier: every row is rejected, naming it.
    assert preview.context["result"].rejected_count == 2
    assert "source_id" in preview.context["result"].rejected[0]
    assert preview.context["blocked"]
    preview = remap(
        admin_client, source_id=["ref"], status=["etat"], closed_on=["fermeture"]
    )
    result = preview.context["result"]
    assert (result.created, result.closed, result.rejected_count) == (2, 1, 0)
    assert not Site.objects.exists() and not Dataset.objects.exists()
    page = preview.content.decode()
    assert (
        'name="step" value="confirm"' in page and '<label for="id_map_status"' in page
    )
    done = confirm(admin_client)
    assert "2 created" in str(list(done.context["messages"])[0])
    closed = Site.objects.get(source_id="S2")
    assert (closed.status, closed.closed_on) == (
        SiteStatus.CLOSED_PREFECTORAL,
        datetime.date(2024, 2, 3),
    )
    # The mapping is saved with the dataset and proposed next time: nothing changes.
    dataset = Dataset.objects.get()
    again = upload(admin_client, csv_upload(*rows), dataset=dataset.pk)
    assert again.context["mapping_form"]["map_source_id"].initial == "ref"
    result = again.context["result"]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)


def test_a_rejected_row_blocks_the_confirm_and_nothing_is_written(admin_client):
    boulogne = point_in("92012")
    file = csv_upload(f"S1;{boulogne.x};{boulogne.y};ouvert;", "S2;-40;10;ouvert;")
    upload(admin_client, file, new_dataset="pref92/bad")
    preview = remap(admin_client, source_id=["ref"], status=["etat"])
    assert preview.context["blocked"]
    assert "(lon -40.0, lat 10.0)" in preview.context["result"].rejected[0]
    assert 'value="confirm"' not in preview.content.decode()
    refused = confirm(admin_client)
    assert "nothing was changed" in str(list(refused.context["messages"])[0])
    assert not Site.objects.exists() and not Dataset.objects.exists()


def test_the_sites_list_links_to_the_import_for_local_admins_only(admin_client, client):
    assert URL in admin_client.get("/sites/").content.decode()
    client.force_login(user_with(Role.CONTRIBUTOR, "92"))
    assert URL not in client.get("/sites/").content.decode()


def test_an_association_user_gets_403(client):
    client.force_login(user_with(Role.CONTRIBUTOR, "92012"))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"step": "confirm"}).status_code == 403
    assert not Site.objects.exists()
