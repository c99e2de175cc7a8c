from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from rest_framework.authtoken.models import Token

from actors.models import AuditEvent, Grant
from actors.roles import Role
from actors.services import grant_access, revoke_grant
from tests.factories import PASSWORD, territory, user_with

pytestmark = pytest.mark.django_db


def test_local_admin_cannot_extend_their_own_grant():
    admin = user_with(Role.LOCAL_ADMIN, "92")
    with pytest.raises(PermissionDenied):
        grant_access(
            admin,
            role=Role.LOCAL_ADMIN,
            territory=territory("92012"),
            acting_user=admin,
        )
    with pytest.raises(PermissionDenied):
        grant_access(
            admin, role=Role.CONTRIBUTOR, territory=territory("13"), acting_user=admin
        )


def test_local_admin_cannot_grant_outside_their_scope_or_above_their_role():
    admin = user_with(Role.LOCAL_ADMIN, "92")
    someone = user_with(Role.OBSERVER, "92012")
    with pytest.raises(PermissionDenied):
        grant_access(
            someone,
            role=Role.CONTRIBUTOR,
            territory=territory("13055"),
            acting_user=admin,
        )
    with pytest.raises(PermissionDenied):
        grant_access(
            someone, role=Role.NATIONAL, territory=territory("92012"), acting_user=admin
        )
    grant = grant_access(
        someone, role=Role.CONTRIBUTOR, territory=territory("92012"), acting_user=admin
    )
    assert grant.granted_by == admin


def test_revoking_a_grant_ends_sessions_and_tokens(client):
    admin = user_with(Role.LOCAL_ADMIN, "92")
    member = user_with(Role.CONTRIBUTOR, "92012")
    assert (
        client.post(
            "/accounts/login/", {"username": member.email, "password": PASSWORD}
        ).status_code
        == 302
    )
    token = client.post(
        "/api/v1/auth/token", {"email": member.email, "password": PASSWORD}
    ).json()["token"]
    assert client.get("/api/v1/me").status_code == 200
    revoke_grant(member.grants.get(), acting_user=admin)
    assert client.get("/api/v1/me").status_code == 401  # the session is gone
    assert not Token.objects.filter(key=token).exists()
    assert (
        client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    )
    assert AuditEvent.objects.filter(action="grant.revoked").count() == 1


def test_expired_grant_gives_no_scope(client):
    member = user_with(Role.CONTRIBUTOR, "92012")
    Grant.objects.filter(user=member).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(member)
    assert client.get("/api/v1/me").json()["read_territories"] == []


def test_token_endpoint_and_me_with_token():
    from rest_framework.test import APIClient

    member = user_with(Role.CONTRIBUTOR, "13055")
    api = APIClient()
    bad = api.post(
        "/api/v1/auth/token",
        {"email": member.email, "password": "wrong"},
        format="json",
    )
    assert bad.status_code == 401 and "detail" in bad.json()
    token = api.post(
        "/api/v1/auth/token",
        {"email": member.email, "password": PASSWORD},
        format="json",
    ).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/me").json()
    assert me["email"] == member.email
    assert me["read_territories"] == ["13"]
    assert me["write_territories"] == ["13055"]


def test_five_failed_logins_lock_the_account_for_a_while(client):
    member = user_with(Role.CONTRIBUTOR, "13055")
    for _ in range(5):
        client.post("/accounts/login/", {"username": member.email, "password": "wrong"})
    response = client.post(
        "/accounts/login/", {"username": member.email, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_audit_events_are_append_only():
    member = user_with(Role.CONTRIBUTOR, "13055")
    from actors.audit import record

    event = record("test.action", actor=member)
    event.action = "changed"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_a_new_charter_version_asks_again(client, settings):
    member = user_with(Role.CONTRIBUTOR, "13055")
    client.force_login(member)
    assert client.get("/directory/").status_code == 200
    settings.CHARTER_VERSION = 2
    assert client.get("/directory/").url.startswith("/accounts/charter/")


def test_failed_and_successful_logins_are_audited(client):
    member = user_with(Role.CONTRIBUTOR, "13055")
    client.post("/accounts/login/", {"username": member.email, "password": "wrong"})
    failure = AuditEvent.objects.get(action="login.failed")
    assert failure.actor_email == member.email
    assert failure.ip_address is None  # not kept for anonymous attempts
    client.post("/accounts/login/", {"username": member.email, "password": PASSWORD})
    assert AuditEvent.objects.filter(action="login.succeeded", actor=member).exists()


def test_a_session_ends_12_hours_after_login_however_active(client, settings):
    import time

    from actors.middleware import LOGIN_TIME_KEY

    member = user_with(Role.CONTRIBUTOR, "13055")
    client.force_login(member)
    assert client.get("/directory/").status_code == 200
    session = client.session
    session[LOGIN_TIME_KEY] = time.time() - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = client.get("/directory/")
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert "_auth_user_id" not in client.session


def test_sessions_expire_after_30_idle_minutes_renewed_at_most_once_a_minute(
    client, settings
):
    import time

    from django.contrib.sessions.models import Session

    from actors.middleware import RENEWED_KEY

    assert settings.SESSION_COOKIE_AGE == 1800
    client.force_login(user_with(Role.CONTRIBUTOR, "92012"))
    client.get("/directory/")
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    assert first > timezone.now() + timedelta(minutes=29)

    client.get("/directory/")  # within the minute: no write
    assert Session.objects.get(session_key=key).expire_date == first

    session = client.session
    session[RENEWED_KEY] = time.time() - settings.SESSION_RENEW_SECONDS
    session.save()
    saved = Session.objects.get(session_key=key).expire_date
    client.get("/directory/")  # a minute later: renewed
    assert Session.objects.get(session_key=key).expire_date > saved


def test_local_admins_read_and_filter_the_audit_log_of_their_territory(client):
    from sites.services.site import declare_site
    from tests.factories import point_in

    writer = user_with(Role.SUPERADMIN, "FR")
    for code in ("92012", "13055"):
        declare_site({"point": point_in(code)}, acting_user=writer, confirm_nearby=True)
    client.force_login(user_with(Role.LOCAL_ADMIN, "92"))
    page = client.get("/accounts/audit/", {"action": "site.declared"})
    events = list(page.context["page"])
    assert [e.scope_path.split("/")[3] for e in events] == ["D92"]
    national = user_with(Role.NATIONAL, "FR")
    client.force_login(national)
    assert (
        len(client.get("/accounts/audit/", {"action": "site.declared"}).context["page"])
        == 2
    )
    client.force_login(user_with(Role.CONTRIBUTOR, "92012"))
    assert client.get("/accounts/audit/").status_code == 403


def test_the_api_is_closed_until_the_charter_is_accepted(client, settings):
    from rest_framework.test import APIClient

    member = user_with(Role.CONTRIBUTOR, "92012")
    token = client.post(
        "/api/v1/auth/token", {"email": member.email, "password": PASSWORD}
    ).json()["token"]
    settings.CHARTER_VERSION = 2  # a new charter: everyone must accept it again
    client.force_login(member)
    assert client.get("/api/v1/sites/").status_code == 403
    assert client.get("/api/v1/me").json()["charter_accepted"] is False
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/sites/").status_code == 401


def test_the_lockout_follows_the_account_not_the_address(client):
    member, neighbour = (
        user_with(Role.CONTRIBUTOR, "13055"),
        user_with(Role.CONTRIBUTOR, "13055"),
    )
    for _ in range(5):
        client.post(
            "/accounts/login/",
            {"username": member.email, "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
        )
    # Same office address, another account: not locked.
    assert (
        client.post(
            "/accounts/login/",
            {"username": neighbour.email, "password": PASSWORD},
            REMOTE_ADDR="10.0.0.1",
        ).status_code
        == 302
    )
    # The locked account, from anywhere, through the API too: refused.
    assert client.post(
        "/api/v1/auth/token",
        {"email": member.email, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
    ).status_code in (401, 403, 429)


def test_letter_case_never_escapes_the_lockout(client):
    member = user_with(Role.NATIONAL, "FR")
    local, domain = member.email.split("@")
    variants = [local.upper(), local.capitalize(), local.swapcase(), local]
    for variant in variants + variants[:1]:
        client.post(
            "/accounts/login/",
            {"username": f"{variant}@{domain}", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
        )
    # Five failures under five spellings: one account, one counter, locked.
    for spelling in (f"{local.swapcase()}@{domain.upper()}", f" {member.email} "):
        web = client.post(
            "/accounts/login/",
            {"username": spelling, "password": PASSWORD},
            REMOTE_ADDR="10.0.0.3",
        )
        assert web.status_code != 302
        assert "_auth_user_id" not in client.session
        api = client.post(
            "/api/v1/auth/token",
            {"email": spelling.strip(), "password": PASSWORD},
            REMOTE_ADDR="10.0.0.4",
        )
        assert api.status_code in (400, 403, 429)
        assert not Token.objects.filter(user=member).exists()


def test_an_email_is_one_account_whatever_its_case():
    from django.db import IntegrityError, transaction

    from actors.models import User

    user = User.objects.create_user("Agent.Dupont@Prefecture.gouv.fr", PASSWORD)
    assert user.email == "agent.dupont@prefecture.gouv.fr"
    assert User.objects.get_by_natural_key("AGENT.dupont@prefecture.GOUV.fr") == user
    with pytest.raises(IntegrityError), transaction.atomic():
        # Even a raw update cannot sneak a case variant past the constraint.
        other = User.objects.create_user("other@prefecture.gouv.fr", PASSWORD)
        User.objects.filter(pk=other.pk).update(email="AGENT.DUPONT@prefecture.gouv.fr")
