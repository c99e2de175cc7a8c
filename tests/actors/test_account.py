"""Account self-service: password reset by mail, password change, profile, refusals."""

import re

import pytest
from django.core import mail

from actors.models import Grant
from actors.roles import Role
from sites.models import Site
from territory.models import Territory
from tests.factories import PASSWORD, UserFactory, point_in, user_with

pytestmark = pytest.mark.django_db


def reset_link(client, email, capture) -> str:
    with capture(execute=True):
        response = client.post("/accounts/password/reset/", {"email": email})
    assert response.status_code == 302
    assert response.url == "/accounts/password/reset/sent/"
    body = mail.outbox[-1].body
    return re.search(r"http://testserver(/\S+)", body)[1]


def test_password_reset_link_works_once_then_is_expired(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(email="lea@asso.example.org")
    link = reset_link(
        client, "Lea@asso.example.org", django_capture_on_commit_callbacks
    )
    assert mail.outbox[-1].to == ["lea@asso.example.org"]
    form_page = client.get(
        link, follow=True
    )  # Django hides the token behind a redirect
    assert form_page.context["validlink"]
    new = "another-Long-pass-2027"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new, "new_password2": new},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    again = client.get(link, follow=True)
    assert not again.context["validlink"]


def test_password_reset_answers_the_same_for_an_unknown_address(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="known@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        unknown = client.post(
            "/accounts/password/reset/", {"email": "nobody@example.org"}
        )
        known = client.post("/accounts/password/reset/", {"email": "known@example.org"})
    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    assert [m.to for m in mail.outbox] == [["known@example.org"]]


def test_password_reset_mail_is_in_the_users_language(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="en@example.org", language="en")
    reset_link(client, "en@example.org", django_capture_on_commit_callbacks)
    assert "choose a new password" in mail.outbox[-1].subject


def test_password_reset_is_rate_limited(client, settings):
    settings.PASSWORD_RESETS_PER_HOUR = 2
    statuses = [
        client.post("/accounts/password/reset/", {"email": "x@example.org"}).status_code
        for _ in range(3)
    ]
    assert statuses == [302, 302, 429]


def test_password_change_needs_the_old_password(client):
    user = UserFactory()
    client.force_login(user)
    new = "brand-New-pass-2027"
    wrong = client.post(
        "/accounts/profile/password/",
        {"old_password": "wrong", "new_password1": new, "new_password2": new},
    )
    assert wrong.status_code == 200
    assert 'id="error-summary"' in wrong.content.decode()
    assert 'href="#id_old_password"' in wrong.content.decode()
    right = client.post(
        "/accounts/profile/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert right.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    assert client.get("/accounts/profile/").status_code == 200  # still signed in


def test_profile_lists_the_users_own_grants_only(client):
    user = user_with(Role.CONTRIBUTOR, "92012")
    user_with(Role.OBSERVER, "13")
    client.force_login(user)
    response = client.get("/accounts/profile/")
    assert list(response.context["own_grants"]) == list(user.grants.all())


def test_revoking_a_grant_asks_for_confirmation_first(client):
    admin = user_with(Role.LOCAL_ADMIN, "92")
    target = user_with(Role.CONTRIBUTOR, "92012", email="target@example.org")
    grant = target.grants.get()
    client.force_login(admin)
    page = client.get(f"/accounts/grants/{grant.pk}/revoke/")
    assert "target@example.org" in page.content.decode()
    assert Grant.objects.active().filter(pk=grant.pk).exists()
    client.post(f"/accounts/grants/{grant.pk}/revoke/")
    assert not Grant.objects.active().filter(pk=grant.pk).exists()


def test_edit_page_of_a_readable_site_outside_writing_scope_is_403_with_a_reason(
    client,
):
    author = user_with(Role.SUPERADMIN, "FR")
    point = point_in("92040")
    site = Site.objects.create(
        point=point, commune=Territory.objects.commune_at(point), name="Voisin",
        created_by=author,
    )  # fmt: skip
    client.force_login(user_with(Role.CONTRIBUTOR, "92012"))
    response = client.get(f"/sites/{site.pk}/edit/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "outside the territories where you may write" in response.content.decode()
    client.force_login(user_with(Role.CONTRIBUTOR, "13055"))
    assert client.get(f"/sites/{site.pk}/edit/").status_code == 404


def test_legal_pages_are_public_and_linked_from_every_page(client, settings):
    home = client.get("/legal/notice/").content.decode()
    for path in ("/legal/accessibility/", "/legal/notice/", "/legal/privacy/"):
        assert client.get(path).status_code == 200
        assert f'href="{path}"' in home
    privacy = client.get("/legal/privacy/").content.decode()
    assert str(settings.ACCOUNT_INACTIVE_DAYS) in privacy
    assert client.get("/favicon.ico").status_code == 301


def test_state_identity_can_be_turned_off(client, settings):
    assert "fr-logo" in client.get("/legal/notice/").content.decode()
    settings.STATE_IDENTITY = False
    assert "fr-logo" not in client.get("/legal/notice/").content.decode()
