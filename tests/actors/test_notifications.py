"""The e-mail choices of the profile page, and every optional mail obeying them:
an opted-out user gets nothing of that kind, an opted-in one still does."""

import datetime

import pytest
from django.core import mail
from django.test import RequestFactory
from django.utils import timezone

from actors import mail as mailer
from actors.models import AuditEvent
from actors.roles import Role
from interventions import digests, reminders, services
from interventions.models import DigestSent
from sites.services.report import submit_report
from tests.factories import point_in, user_with
from tests.interventions.conftest import world  # noqa: F401

pytestmark = pytest.mark.django_db
ADMIN_TOPICS = {
    "notify_access_requests",
    "notify_public_reports",
    "notify_weekly_digest",
}


@pytest.fixture
def run_mail(django_capture_on_commit_callbacks):
    """Run `job` and the mail worker its commit starts; the addresses mailed."""

    def run(job, *args) -> set[str]:
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            job(*args)
        return {address for message in mail.outbox for address in message.to}

    return run


def opt_out(user, topic: str):
    setattr(user, topic, False)
    user.save(update_fields=[topic])


def test_the_profile_offers_the_choices_of_the_users_roles(client):
    admin = user_with(Role.LOCAL_ADMIN, "92")
    client.force_login(admin)
    form = client.get("/accounts/profile/").context["notification_form"]
    assert set(form.fields) == ADMIN_TOPICS | {"notify_follow_digest"}
    contributor = user_with(Role.CONTRIBUTOR, "92012")  # no organization
    client.force_login(contributor)
    form = client.get("/accounts/profile/").context["notification_form"]
    assert set(form.fields) == {"notify_follow_digest"}


def test_the_profile_saves_the_choices(client):
    admin = user_with(Role.LOCAL_ADMIN, "92")
    client.force_login(admin)
    kept = {"notify_access_requests": "on", "notify_follow_digest": "on"}
    response = client.post("/accounts/profile/", kept)
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.notify_access_requests and admin.notify_follow_digest
    assert not admin.notify_public_reports and not admin.notify_weekly_digest
    # A choice the user is not offered is left as it was.
    assert admin.notify_report_reminders
    event = AuditEvent.objects.get(action="user.notifications_changed")
    assert str(event.details["notify_public_reports"]) == "False"
    page = client.get("/accounts/profile/").content.decode()
    assert 'name="notify_public_reports"' in page
    assert (
        'name="notify_public_reports" id="id_notify_public_reports" checked' not in page
    )


def test_public_reports_reach_only_the_admins_who_want_them(run_mail):
    wants = user_with(Role.LOCAL_ADMIN, "92")
    declines = user_with(Role.LOCAL_ADMIN, "92")
    opt_out(declines, "notify_public_reports")
    request = RequestFactory().post("/reports/new/", REMOTE_ADDR="192.0.2.1")
    data = {
        "kind": "possible_site",
        "point": point_in("92012"),
        "description": "Tentes",
    }
    mailed = run_mail(lambda: submit_report(data, "", request=request))
    assert wants.email in mailed
    assert declines.email not in mailed


def test_the_daily_digest_reaches_only_followers_who_want_it(world, run_mail):  # noqa: F811
    services.follow(world.intervention, acting_user=world.observer)
    services.follow(world.intervention, acting_user=world.national)
    opt_out(world.national, "notify_follow_digest")
    DigestSent.objects.all().delete()
    services.add_note(
        world.intervention, "Permanence ouverte", acting_user=world.member
    )
    mailed = run_mail(digests.send_daily_digests, timezone.now())
    assert world.observer.email in mailed
    assert world.national.email not in mailed
    # No digest is counted as sent to the one who declined: opting in later works.
    assert not DigestSent.objects.filter(user=world.national).exists()


def test_the_weekly_digest_reaches_only_admins_who_want_it(world, run_mail):  # noqa: F811
    second = user_with(Role.LOCAL_ADMIN, "92")
    opt_out(world.admin, "notify_weekly_digest")
    DigestSent.objects.all().delete()
    services.add_report(world.intervention, {"reported_on": datetime.date(2025, 12, 1),
                        "people": 4}, acting_user=world.member)  # fmt: skip
    mailed = run_mail(digests.send_weekly_digests, timezone.now())
    assert second.email in mailed
    assert world.admin.email not in mailed


def test_report_reminders_reach_only_members_who_want_them(world, run_mail, settings):  # noqa: F811
    settings.INTERVENTION_REPORT_DUE = "11-30"
    settings.INTERVENTION_REPORT_NOTICE_DAYS = 30
    colleague = user_with(Role.CONTRIBUTOR, "92012", organization=world.asso)
    opt_out(colleague, "notify_report_reminders")
    mailed = run_mail(reminders.send_reminders, datetime.date(2026, 12, 5))
    assert world.member.email in mailed
    assert colleague.email not in mailed


def test_account_mail_ignores_the_choices_and_topics_are_checked(run_mail):
    user = user_with(Role.OBSERVER, "92")
    for topic in mailer.TOPICS:
        opt_out(user, topic)
    context = {"user": user, "days": 30}
    template = "actors/mail/inactive_warning"
    mailed = run_mail(
        lambda: mailer.send_to_users([user], template, context, topic=None)
    )
    assert mailed == {user.email}
    with pytest.raises(ValueError):
        mailer.send_to_users([user], template, context, topic="notify_everything")
