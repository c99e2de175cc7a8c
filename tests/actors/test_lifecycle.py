from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from actors.lifecycle import run_account_lifecycle, send_request_reminders
from actors.models import AccessRequest, User
from actors.roles import Role
from tests.factories import territory, user_with

pytestmark = pytest.mark.django_db


def test_inactive_user_is_warned_then_deactivated_then_anonymised(
    django_capture_on_commit_callbacks,
):
    start = timezone.now()
    user = user_with(Role.CONTRIBUTOR, "92012", last_login=start)
    assert run_account_lifecycle(start + timedelta(days=100)).warned == 0

    with django_capture_on_commit_callbacks(execute=True):
        report = run_account_lifecycle(start + timedelta(days=190))
    assert report.warned == 1
    assert mail.outbox[-1].to == [user.email]

    assert run_account_lifecycle(start + timedelta(days=200)).deactivated == 0
    assert run_account_lifecycle(start + timedelta(days=225)).deactivated == 1
    user.refresh_from_db()
    assert not user.is_active

    assert run_account_lifecycle(start + timedelta(days=300)).anonymised == 0
    assert run_account_lifecycle(start + timedelta(days=410)).anonymised == 1
    user.refresh_from_db()
    assert user.email == f"anonymised-{user.pk}@invalid"
    assert (user.first_name, user.last_name) == ("", "")
    assert not user.has_usable_password()


def test_a_user_who_comes_back_after_the_warning_is_not_deactivated():
    start = timezone.now()
    user = user_with(Role.CONTRIBUTOR, "92012", last_login=start)
    run_account_lifecycle(start + timedelta(days=190))
    User.objects.filter(pk=user.pk).update(last_login=start + timedelta(days=195))
    assert run_account_lifecycle(start + timedelta(days=225)).deactivated == 0
    assert User.objects.get(pk=user.pk).is_active


def test_reviewers_are_reminded_after_3_and_10_days(django_capture_on_commit_callbacks):
    admin = user_with(Role.LOCAL_ADMIN, "92")
    created = timezone.now()
    AccessRequest.objects.create(
        email="x@example.org", first_name="A", last_name="B", territory=territory("92012"),
        role=Role.OBSERVER, reason="r", status="pending", verified_at=created, new_organization_name="O",
    )  # fmt: skip
    assert send_request_reminders(created + timedelta(days=2)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert send_request_reminders(created + timedelta(days=4)) == 1
    assert mail.outbox[-1].to == [admin.email]
    assert send_request_reminders(created + timedelta(days=5)) == 0
    assert send_request_reminders(created + timedelta(days=11)) == 1
    assert send_request_reminders(created + timedelta(days=30)) == 0


def test_anonymisation_reaches_requests_and_the_audit_log():
    from actors.audit import record
    from actors.models import AuditEvent

    start = timezone.now()
    user = user_with(Role.CONTRIBUTOR, "92012", last_login=start)
    AccessRequest.objects.create(
        email=user.email, first_name="Léa", last_name="Dupont", territory=territory("92012"),
        role=Role.OBSERVER, reason="Maraudes", status="approved", new_organization_name="O",
    )  # fmt: skip
    record("login.succeeded", actor=user, target=user)
    record("grant.created", user=user.email, role="observer")
    for days in (190, 225, 410):
        run_account_lifecycle(start + timedelta(days=days))
    alias = f"anonymised-{user.pk}@invalid"
    assert (
        AccessRequest.objects.get().email == alias
        and AccessRequest.objects.get().last_name == ""
    )
    assert not AuditEvent.objects.filter(actor_email=user.email).exists()
    assert AuditEvent.objects.get(action="grant.created").details == {
        "user": alias,
        "role": "observer",
    }


def test_stale_requests_are_purged():
    from actors.lifecycle import purge_stale_requests

    now = timezone.now()
    AccessRequest.objects.create(
        email="x@example.org", first_name="A", last_name="B", territory=territory("92012"),
        role=Role.OBSERVER, reason="r", new_organization_name="O", created_at=now - timedelta(days=4),
    )  # fmt: skip
    assert purge_stale_requests(now - timedelta(days=2)) == 0
    assert purge_stale_requests(now) == 1
