import datetime

import pytest
from django.core import mail
from django.utils import timezone

from actors.models import Grant
from interventions import digests, services
from interventions.models import DigestSent, Follow


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def run(which, at=None):
        with django_capture_on_commit_callbacks(execute=True):
            return which(at or timezone.now())

    return run


@pytest.fixture
def followed(world):
    services.follow(world.intervention, acting_user=world.observer)
    services.follow(world.site, acting_user=world.other_member)
    # Existing followers only hear of what happens after they followed.
    DigestSent.objects.all().delete()
    mail.outbox.clear()
    return world


def bodies_for(email: str) -> str:
    return "\n".join(m.body for m in mail.outbox if email in m.to)


def test_followers_get_notes_reports_and_status_changes_once_a_day(followed, send):
    w = followed
    services.add_note(w.intervention, "Permanence santé ouverte", acting_user=w.member)
    services.add_report(w.intervention, {"reported_on": datetime.date(2025, 12, 1),
                        "people": 4}, acting_user=w.member)  # fmt: skip
    services.close_intervention(w.intervention, acting_user=w.member, expected_version=1,
                                status="completed", ended_on=datetime.date(2026, 1, 31))  # fmt: skip
    assert send(digests.send_daily_digests) == 1
    body = bodies_for(w.observer.email)
    assert "Permanence santé ouverte" in body
    assert "/interventions/unsubscribe/" in body
    services.add_note(w.intervention, "Deuxième note", acting_user=w.member)
    assert send(digests.send_daily_digests) == 0  # at most one a day
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    assert send(digests.send_daily_digests, tomorrow) == 1
    assert "Deuxième note" in mail.outbox[-1].body
    assert "Permanence" not in mail.outbox[-1].body


def test_a_digest_holds_only_what_the_follower_may_still_see(followed, send):
    w = followed
    services.add_note(w.intervention, "Note réservée", acting_user=w.member,
                      visible_to=[w.asso])  # fmt: skip
    services.add_note(w.intervention, "Note ouverte", acting_user=w.member)
    send(digests.send_daily_digests)
    body = bodies_for(w.observer.email)
    assert "Note ouverte" in body and "Note réservée" not in body
    # Once the follower's grant is revoked, nothing more reaches them.
    Grant.objects.filter(user=w.observer).update(revoked_at=timezone.now())
    services.add_note(w.intervention, "Après révocation", acting_user=w.member)
    mail.outbox.clear()
    send(digests.send_daily_digests, timezone.now() + datetime.timedelta(days=1))
    assert "Après révocation" not in bodies_for(w.observer.email)


def test_site_followers_hear_of_site_notes(followed, send):
    from sites.services.site import add_note

    add_note(followed.site, "Point d'eau réparé", acting_user=followed.member)
    send(digests.send_daily_digests)
    assert "Point d'eau réparé" in bodies_for(followed.other_member.email)


def test_the_unsubscribe_link_stops_every_follow(followed, client):
    token = digests.token_for(followed.observer)
    assert client.get(f"/interventions/unsubscribe/{token}/").status_code == 200
    client.post(f"/interventions/unsubscribe/{token}/")
    assert not Follow.objects.filter(user=followed.observer).exists()
    assert client.get("/interventions/unsubscribe/forged/").status_code == 400


def test_local_admins_get_a_weekly_digest_of_their_territory(world, send):
    DigestSent.objects.all().delete()
    mail.outbox.clear()
    services.add_report(world.intervention, {"reported_on": datetime.date(2025, 12, 1),
                        "people": 4}, acting_user=world.member)  # fmt: skip
    assert send(digests.send_weekly_digests) >= 1
    assert "Médiation santé" in bodies_for(world.admin.email)
    assert "Médiation santé" not in bodies_for(world.admin13.email)
    assert send(digests.send_weekly_digests) == 0  # once per week


def test_following_needs_reading_rights(world, client):
    client.force_login(world.admin13)
    response = client.post(f"/interventions/{world.intervention.pk}/follow/")
    assert response.status_code == 404
    client.force_login(world.observer)
    client.post(f"/interventions/{world.intervention.pk}/follow/")
    client.post(f"/interventions/sites/{world.site.pk}/follow/")
    assert Follow.objects.filter(user=world.observer).count() == 2
