"""The web import of a local admin: dataset, column mapping saved and proposed, moves confirmed."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DEFAULT_DB_ALIAS, transaction
from django.test import Client
from django.utils import timezone

from actors.mail import run_pending_jobs
from actors.models import User
from actors.roles import Role
from sites import import_jobs
from sites.models import AccessibilityPoint, Dataset, ImportRun
from tests.factories import point_in, user_with
from tests.sites.import_steps import through_run

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
    return through_run(client, client.post(URL, data))


def remap(client, **columns):
    data = {"step": "remap"} | {
        f"map_{name}": " + ".join(cols) for name, cols in columns.items()
    }
    return through_run(client, client.post(URL, data))


def confirm(client, **fields):
    return through_run(client, client.post(URL, {"step": "confirm"} | fields))


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
    done = confirm(admin_client)
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
    confirm(admin_client)
    dataset = Dataset.objects.get()
    preview = upload(
        admin_client, csv_upload(f"A1;{issy.x};{issy.y};r"), dataset=dataset.pk
    )
    move = preview.context["result"].moves[0]
    assert (move.from_commune, move.to_commune) == ("92012", "92040")
    assert 'name="confirm_moves"' in preview.content.decode()
    refused = confirm(admin_client)
    assert refused.status_code == 200 and refused.context["result"].move_count == 1
    assert AccessibilityPoint.objects.get().commune.code == "92012"
    confirm(admin_client, confirm_moves="1")
    assert AccessibilityPoint.objects.get().commune.code == "92040"


def test_a_contributor_cannot_reach_the_import(client):
    client.force_login(user_with(Role.CONTRIBUTOR, "92012"))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"step": "confirm"}).status_code == 403


def test_each_step_is_a_background_run_followed_on_its_own_page(admin_client):
    boulogne = point_in("92012")
    data = {"source": "municipality", "encoding": "utf-8", "new_dataset": "v/runs"}
    file = csv_upload(f"A1;{boulogne.x};{boulogne.y};r")
    queued = admin_client.post(URL, data | {"file": file})
    run = ImportRun.objects.get()
    assert queued["Location"] == f"{URL}runs/{run.pk}/"
    assert (run.status, run.dry_run, run.kind) == ("pending", True, "points")
    waiting = admin_client.get(queued["Location"])
    body = waiting.content.decode()
    assert 'http-equiv="refresh"' in body and "result" not in waiting.context
    # Another local admin of the same département does not see this run.
    other = Client()
    other.force_login(user_with(Role.LOCAL_ADMIN, "92"))
    assert other.get(queued["Location"]).status_code == 404
    run_pending_jobs()
    run.refresh_from_db()
    assert (run.status, run.rows_done) == ("done", 1)
    preview = admin_client.get(queued["Location"])
    assert (
        preview.context["result"].created == 1
        and not AccessibilityPoint.objects.exists()
    )
    assert 'http-equiv="refresh"' not in preview.content.decode()


def test_a_run_that_fails_says_nothing_was_changed(admin_client, monkeypatch):
    def broken(run, progress):
        raise RuntimeError("disk full")

    monkeypatch.setitem(import_jobs.RUNNERS, "points", broken)
    boulogne = point_in("92012")
    page = upload(
        admin_client,
        csv_upload(f"A1;{boulogne.x};{boulogne.y};r"),
        new_dataset="v/fail",
    )
    assert page.context["run"].status == "failed"
    assert 'role="alert"' in page.content.decode()
    assert not AccessibilityPoint.objects.exists()


def test_the_upload_waits_in_the_private_folder_until_imported(admin_client):
    boulogne = point_in("92012")
    upload(
        admin_client,
        csv_upload(f"A1;{boulogne.x};{boulogne.y};r"),
        new_dataset="v/files",
    )
    (folder,) = import_jobs.upload_dir().iterdir()
    remap(admin_client, source_id=["ref"])
    confirm(admin_client)
    assert AccessibilityPoint.objects.count() == 1 and not folder.exists()


@pytest.mark.django_db(transaction=True)
def test_progress_is_written_beside_the_import_transaction():
    run = ImportRun.objects.create(
        user=User.objects.create(email="progress@example.org"),  # no territory here
        kind="points",
        pending={},
        language="fr",
    )
    progress = import_jobs._ProgressWriter(run.pk)
    try:
        with transaction.atomic():  # the import's own transaction, not yet committed
            progress(1234)
            seen = ImportRun.objects.using(DEFAULT_DB_ALIAS).get(pk=run.pk)
    finally:
        progress.close()
    run.refresh_from_db()
    assert run.rows_done == 1234 and seen.rows_done == 1234


def test_a_run_no_worker_takes_says_so(admin_client):
    boulogne = point_in("92012")
    data = {"source": "municipality", "encoding": "utf-8", "new_dataset": "v/idle"}
    file = csv_upload(f"A1;{boulogne.x};{boulogne.y};r")
    queued = admin_client.post(URL, data | {"file": file})
    assert not admin_client.get(queued["Location"]).context["unclaimed"]
    two_minutes_ago = timezone.now() - datetime.timedelta(minutes=2)
    ImportRun.objects.update(created_at=two_minutes_ago)
    page = admin_client.get(queued["Location"])
    assert page.context["unclaimed"] and "fr-alert--warning" in page.content.decode()
