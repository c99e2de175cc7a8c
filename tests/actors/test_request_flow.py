import re

import pytest
from django.core import mail

from actors.models import AccessRequest, AuditEvent, Grant, User
from actors.roles import Role
from tests.factories import user_with

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def admins():
    return {
        "92": user_with(Role.LOCAL_ADMIN, "92", email="pref92@example.org"),
        "13": user_with(Role.LOCAL_ADMIN, "13", email="pref13@example.org"),
        "national": user_with(Role.NATIONAL, "FR", email="ministere@example.org"),
    }


def ask(client, **overrides):
    data = {
        "email": "Lea.Dupont@asso.example.org",
        "first_name": "Léa",
        "last_name": "Dupont",
        "new_organization_name": "Solidarités 92",
        "new_organization_kind": "association",
        "territory_level": "departement",
        "territory_code": "92",
        "role": "contributor",
        "reason": "Maraudes dans les Hauts-de-Seine",
        **overrides,
    }
    return client.post("/accounts/request/", data)


def link_in(message) -> str:
    """The link's path: links are built on the request's host (testserver)."""
    return re.sub(r"^https?://[^/]+", "", re.search(r"https?://\S+", message.body)[0])


def verify(client, django_capture_on_commit_callbacks, **overrides):
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, **overrides)
    verify_link = link_in(mail.outbox[-1])
    with django_capture_on_commit_callbacks(execute=True):
        client.get(verify_link)
    return AccessRequest.objects.get(email="lea.dupont@asso.example.org")


def test_request_is_approved_with_narrowing_and_gives_exactly_that_scope(
    client, admins, django_capture_on_commit_callbacks
):
    access_request = verify(client, django_capture_on_commit_callbacks)
    assert access_request.status == "pending"
    # The verification mail, then one mail to the 92 admin only.
    assert [m.to for m in mail.outbox] == [
        ["lea.dupont@asso.example.org"],
        ["pref92@example.org"],
    ]

    client.force_login(admins["92"])
    assert (
        "lea.dupont@asso.example.org"
        in client.get("/accounts/requests/").content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/accounts/requests/{access_request.pk}/",
            {
                "action": "approve",
                "territory_level": "commune",
                "territory_code": "92012",
                "role": "observer",
            },
        )
    assert response.status_code == 302
    grant = Grant.objects.get(user__email="lea.dupont@asso.example.org")
    assert (grant.role, grant.territory.code, grant.granted_by) == (
        "observer",
        "92012",
        admins["92"],
    )
    approval = mail.outbox[-1]
    assert approval.to == ["lea.dupont@asso.example.org"]

    # The requester chooses a password, logs in, must accept the charter, then sees her scope.
    client.logout()
    set_link = link_in(approval)
    form_url = client.get(set_link).url
    client.post(
        form_url,
        {
            "new_password1": "Un-mot-de-passe-2026",
            "new_password2": "Un-mot-de-passe-2026",
        },
    )
    assert (
        client.post(
            "/accounts/login/",
            {
                "username": "lea.dupont@asso.example.org",
                "password": "Un-mot-de-passe-2026",
            },
        ).status_code
        == 302
    )
    assert client.get("/directory/").url.startswith("/accounts/charter/")
    client.post("/accounts/charter/", {"accept": "on", "next": "/directory/"})
    me = client.get("/api/v1/me").json()
    assert me["read_territories"] == ["92"]  # reading widens to the département
    assert me["write_territories"] == []  # an observer writes nothing
    assert me["grants"][0]["territory_code"] == "92012"
    assert me["charter_accepted"] is True
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "access_request.created",
        "access_request.verified",
        "access_request.approved",
        "grant.created",
    } <= actions


def test_rejection_needs_a_reason_and_tells_the_requester(
    client, admins, django_capture_on_commit_callbacks
):
    access_request = verify(client, django_capture_on_commit_callbacks)
    client.force_login(admins["92"])
    response = client.post(
        f"/accounts/requests/{access_request.pk}/", {"action": "reject", "reason": "  "}
    )
    assert (
        "reason" in response.content.decode().lower()
        or "raison" in response.content.decode().lower()
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/accounts/requests/{access_request.pk}/",
            {"action": "reject", "reason": "Hors périmètre"},
        )
    access_request.refresh_from_db()
    assert access_request.status == "rejected"
    assert mail.outbox[-1].to == ["lea.dupont@asso.example.org"]
    assert "Hors périmètre" in mail.outbox[-1].body
    assert not User.objects.filter(email="lea.dupont@asso.example.org").exists()


def test_request_without_a_local_admin_goes_to_national(
    client, admins, django_capture_on_commit_callbacks
):
    verify(
        client,
        django_capture_on_commit_callbacks,
        territory_level="departement",
        territory_code="974",
    )
    assert mail.outbox[-1].to == ["ministere@example.org"]


def test_unverified_request_is_not_in_any_queue(client, admins):
    ask(client)
    client.force_login(admins["92"])
    assert "lea.dupont" not in client.get("/accounts/requests/").content.decode()


def test_admin_of_92_cannot_see_or_approve_a_request_for_13(
    client, admins, django_capture_on_commit_callbacks
):
    access_request = verify(
        client, django_capture_on_commit_callbacks, territory_code="13"
    )
    client.force_login(admins["92"])
    assert "lea.dupont" not in client.get("/accounts/requests/").content.decode()
    response = client.post(
        f"/accounts/requests/{access_request.pk}/", {"action": "approve"}
    )
    assert response.status_code == 404
    access_request.refresh_from_db()
    assert access_request.status == "pending"


def test_local_admin_cannot_grant_local_admin(
    client, admins, django_capture_on_commit_callbacks
):
    access_request = verify(
        client, django_capture_on_commit_callbacks, role="local_admin"
    )
    client.force_login(admins["92"])
    response = client.post(
        f"/accounts/requests/{access_request.pk}/", {"action": "approve"}
    )
    assert "national" in response.content.decode().lower()
    assert not Grant.objects.filter(user__email="lea.dupont@asso.example.org").exists()
    # The national admin can.
    client.force_login(admins["national"])
    client.post(f"/accounts/requests/{access_request.pk}/", {"action": "approve"})
    assert (
        Grant.objects.get(user__email="lea.dupont@asso.example.org").role
        == "local_admin"
    )


def test_approval_cannot_widen_the_requested_territory(
    client, admins, django_capture_on_commit_callbacks
):
    access_request = verify(
        client,
        django_capture_on_commit_callbacks,
        territory_level="commune",
        territory_code="92012",
    )
    client.force_login(admins["92"])
    response = client.post(
        f"/accounts/requests/{access_request.pk}/",
        {"action": "approve", "territory_level": "departement", "territory_code": "92"},
    )
    assert response.status_code == 200
    assert not Grant.objects.filter(user__email="lea.dupont@asso.example.org").exists()


def test_bad_request_form_names_the_fields(client):
    response = ask(
        client, territory_code="99999", email="not-an-email", new_organization_name=""
    )
    form = response.context["form"]
    assert set(form.errors) >= {"territory_code", "email", "new_organization_name"}
    assert AccessRequest.objects.count() == 0


def test_superadmin_role_cannot_be_requested(client):
    response = ask(client, role="superadmin")
    assert "role" in response.context["form"].errors


def test_the_public_form_is_rate_limited_per_address(client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.ACCESS_REQUESTS_PER_HOUR = 2
    assert ask(client).status_code == 200
    assert ask(client, email="other@example.org").status_code == 200
    assert ask(client, email="third@example.org").status_code == 429
    assert AccessRequest.objects.count() == 2


def test_each_mail_is_written_in_its_recipients_language(
    client, admins, django_capture_on_commit_callbacks
):
    admins["92"].language = "fr"
    admins["92"].save()
    client.cookies["django_language"] = "en"  # the requester browses in English
    access_request = verify(client, django_capture_on_commit_callbacks)
    assert access_request.language == "en"
    to_requester, to_admin = mail.outbox
    assert to_requester.to == ["lea.dupont@asso.example.org"]
    assert "Confirm" in to_requester.subject or "confirm" in to_requester.subject
    assert to_admin.to == ["pref92@example.org"]
    assert to_admin.subject != to_requester.subject
    assert "demande" in (to_admin.subject + to_admin.body).lower()
    assert "request" not in to_admin.subject.lower()


def test_a_signed_in_users_language_is_remembered_for_their_mail(client, admins):
    admin = admins["92"]
    client.force_login(admin)
    client.cookies["django_language"] = "en"
    client.get("/")
    admin.refresh_from_db()
    assert admin.language == "en"
