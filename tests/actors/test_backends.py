"""The signed-in user and their grants in one query (actors.backends), and sessions
read by one plain statement (actors.sessions): the same answers as Django's ORM."""

import datetime

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actors.backends import ScopedModelBackend
from actors.models import Grant
from actors.roles import Role
from actors.scope import forget_scope, scope_of
from actors.sessions import SessionStore
from tests.factories import territory, user_with

pytestmark = pytest.mark.django_db


def test_the_scope_loaded_with_the_user_is_the_scope_of_its_active_grants():
    user = user_with(Role.CONTRIBUTOR, "92012")
    now = timezone.now()
    for role, code, revoked, expires in [
        (Role.LOCAL_ADMIN, "92", None, now + datetime.timedelta(days=3)),
        (Role.LOCAL_ADMIN, "13", now, None),  # revoked
        (Role.NATIONAL, "FR", None, now - datetime.timedelta(seconds=1)),  # expired
        (Role.CONTRIBUTOR, "13055", None, None),
    ]:
        Grant.objects.create(
            user=user, role=role, territory=territory(code),
            revoked_at=revoked, expires_at=expires,
        )  # fmt: skip

    with CaptureQueriesContext(connection) as queries:
        loaded = ScopedModelBackend().get_user(str(user.pk))
        scope = scope_of(loaded)
    assert len(queries) == 1

    forget_scope(loaded)
    assert scope == scope_of(loaded)  # read again by the ORM
    assert {(e.role, e.path.count("/")) for e in scope.entries} == {
        (Role.CONTRIBUTOR, 5),  # 92012
        (Role.LOCAL_ADMIN, 4),  # 92
        (Role.CONTRIBUTOR, 5),  # 13055
    }
    assert scope.can_read(territory("13055").path)
    assert not scope.can_write(territory("13").path, Role.LOCAL_ADMIN)
    assert loaded == user and loaded.email == user.email
    assert loaded.get_session_auth_hash() == user.get_session_auth_hash()


def test_a_user_without_grants_has_an_empty_scope():
    user = user_with(Role.CONTRIBUTOR, "92012")
    user.grants.all().delete()
    assert scope_of(ScopedModelBackend().get_user(user.pk)).entries == ()


@pytest.mark.parametrize("user_id", ["not a number", None, 10**12])
def test_a_missing_or_malformed_user_id_is_no_user(user_id):
    assert ScopedModelBackend().get_user(user_id) is None


def test_an_inactive_user_is_no_user():
    user = user_with(Role.CONTRIBUTOR, "92012", is_active=False)
    assert ScopedModelBackend().get_user(user.pk) is None


def test_a_signed_in_request_reads_session_user_and_grants_in_two_queries(client):
    user = user_with(Role.LOCAL_ADMIN, "92")
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/sites/", secure=True)  # a scoped list
    assert response.status_code == 200 and response.json()["features"] == []
    tables = [q["sql"] for q in queries if "actors_grant" in q["sql"]]
    assert len(tables) == 1 and "actors_user" in tables[0]
    assert "django_session" in queries[0]["sql"]


def test_the_session_store_reads_a_live_session_and_nothing_else():
    store = SessionStore()
    store[SESSION_KEY] = "42"
    store.create()
    assert SessionStore(store.session_key).load() == {SESSION_KEY: "42"}

    unknown = SessionStore("x" * 32)
    assert unknown.load() == {} and unknown.session_key is None

    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    expired = SessionStore(store.session_key)
    assert expired.load() == {} and expired.session_key is None
