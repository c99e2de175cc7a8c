"""The web import of a local admin: dataset, column mapping saved and proposed, moves confirmed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from actors.roles import Role
from sites.models import AccessibilityPoint, Dataset
from tests.factories import point_in, user_with

pytestmark = pytest.mark.django_db
URL = "/accessibility/import/"


@pytest.fixture
def admin_client(client):
    client.force_login(user_with(Role.LOCAL_ADMIN, "92"))
    return client


def csv_upload(*rows: str, name="points.csv", encoding="utf-8") -> SimpleUploadedFile:
    text = "\n".join(["ref;lon;lat;rue", *rows]) + "\n"
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def upload(client, file, **fields):
    data = {"source": "municipality", "encoding": "utf-8", "file": file} | fields
    return client.post(URL, data)


def remap(client, **columns):
    data = {"step": "remap"} | {
        f"map_{name}": " + ".join(cols) for name, cols in columns.items()
    }
    return client.post(URL, data)


def test_the_admin_maps_columns_once_and_the_dataset_proposes_them_next_time(
    admin_client,
):
    boulogne = point_in("92012")
    row = f"A1;{boulogne.x};{boulogne.y};1 rue A"
    preview = upload(admin_client, csv_upload(row), new_dataset="ville/pmr")
    # The default columns are not in this file: the row has no id but its place.
    assert preview.context["columns"] == ["ref", "lon", "lat", "rue"]
    assert preview.context["ignored_columns"] == ["ref", "rue"]
    assert not Dataset.objects.exists()  # a preview saves nothing, not even the dataset
    preview = remap(admin_client, source_id=["ref"], address=["rue"])
    assert preview.context["result"].created == 1
    assert preview.context["ignored_columns"] == []
    done = admin_client.post(URL, {"step": "confirm"}, follow=True)
    assert "1" in str(list(done.context["messages"])[0])
    point = AccessibilityPoint.objects.get()
    assert (point.source_id, point.address, point.dataset.key) == (
        "A1",
        "1 rue A",
        "ville/pmr",
    )
    dataset = Dataset.objects.get()
    assert dataset.mapping["source_id"] == ["ref"]
    # Next time, the same dataset: its mapping is proposed and used.
    again = upload(admin_client, csv_upload(row), dataset=dataset.pk)
    form = again.context["mapping_form"]
    assert form["map_source_id"].initial == "ref"
    assert form["map_address"].initial == "rue"
    result = again.context["result"]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)


def test_a_new_dataset_needs_a_well_formed_key(admin_client):
    page = upload(admin_client, csv_upload("A1;2.2;48.8;x"))
    assert page.status_code == 200 and "new_dataset" in page.context["form"].errors
    page = upload(admin_client, csv_upload("A1;2.2;48.8;x"), new_dataset="sans barre")
    assert "new_dataset" in page.context["form"].errors
    assert not Dataset.objects.exists()


def test_a_move_is_shown_and_applied_only_when_the_box_is_ticked(admin_client):
    boulogne, issy = point_in("92012"), point_in("92040")
    upload(
        admin_client, csv_upload(f"A1;{boulogne.x};{boulogne.y};r"), new_dataset="v/m"
    )
    remap(admin_client, source_id=["ref"])
    admin_client.post(URL, {"step": "confirm"})
    dataset = Dataset.objects.get()
    preview = upload(
        admin_client, csv_upload(f"A1;{issy.x};{issy.y};r"), dataset=dataset.pk
    )
    move = preview.context["result"].moves[0]
    assert (move.from_commune, move.to_commune) == ("92012", "92040")
    assert 'name="confirm_moves"' in preview.content.decode()
    refused = admin_client.post(URL, {"step": "confirm"})
    assert refused.status_code == 200 and refused.context["result"].move_count == 1
    assert AccessibilityPoint.objects.get().commune.code == "92012"
    admin_client.post(URL, {"step": "confirm", "confirm_moves": "1"})
    assert AccessibilityPoint.objects.get().commune.code == "92040"


def test_a_contributor_cannot_reach_the_import(client):
    client.force_login(user_with(Role.CONTRIBUTOR, "92012"))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"step": "confirm"}).status_code == 403
