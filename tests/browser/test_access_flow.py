"""The account request flow in a real browser: ask, verify the address, get approved.

Labels and texts are looked up through the French catalogue (the site's default
language), so the test reads what a French visitor reads, whatever is translated.
"""

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.text import capfirst
from playwright.sync_api import expect

from actors.forms import AccessRequestForm, ApproveForm
from actors.models import (
    AccessRequest,
    AccessRequestStatus,
    Grant,
    OrganizationKind,
    User,
)
from actors.roles import Role
from territory.models import Level, Territory
from territory.services import import_reference
from tests.factories import PASSWORD, user_with

# A fixed place where a human can look at the pages after a run.
SCREENS = Path("/tmp/terrain-screens")  # noqa: S108
REQUESTER = "lea.durand@example.org"
LINK = re.compile(r"https?://\S+")


def fr(text) -> str:
    """A message id, or a lazy translation, as the French catalogue renders it."""
    with translation.override("fr"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


def label(text) -> re.Pattern:
    """A form label, whatever suffix Django adds (':' or ' :' in French)."""
    return re.compile(rf"^\s*{re.escape(fr(text))}\s*:?\s*$")


def field_label(form_class, name: str) -> re.Pattern:
    return label(form_class.base_fields[name].label)


def links_in(message) -> list[str]:
    return LINK.findall(message.body)


def local(url: str, live_server) -> str:
    """Mails link to the host the request came to (the live server), or to SITE_URL
    when sent outside a request; the browser goes to the live server either way."""
    for site in (live_server.url, settings.SITE_URL.rstrip("/")):
        if url.startswith(site):
            return live_server.url + url[len(site) :]
    raise AssertionError(url)


def screenshot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    SCREENS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SCREENS / path.name)


@pytest.fixture
def two_departements(transactional_db):
    """92 (where access is asked) and 13 (whose admin must hear nothing)."""
    present = set(
        Territory.objects.filter(
            level=Level.DEPARTEMENT, code__in=["92", "13"]
        ).values_list("code", flat=True)
    )
    communes = Territory.objects.communes()
    if (
        present != {"92", "13"}
        or not communes.filter(code__startswith="92").exists()
        or not communes.filter(code__startswith="13").exists()
    ):
        import_reference(departements=["92", "13"])


@pytest.mark.usefixtures("two_departements")
def test_requested_access_is_verified_routed_and_approved_narrowed(
    live_server, page, tmp_path, mailoutbox
):
    admin_92 = user_with(
        Role.LOCAL_ADMIN, "92", email="admin92@example.org", charter_version=1
    )
    admin_13 = user_with(
        Role.LOCAL_ADMIN, "13", email="admin13@example.org", charter_version=1
    )

    # 1. A visitor asks for contributor access on the whole département 92.
    page.goto(live_server.url + "/accounts/request/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(fr("Request access"))

    email = page.get_by_label(field_label(AccessRequestForm, "email"))
    first_name = page.get_by_label(field_label(AccessRequestForm, "first_name"))
    last_name = page.get_by_label(field_label(AccessRequestForm, "last_name"))
    # Keyboard only for the identity: type, Tab to the next field, type.
    email.focus()
    page.keyboard.type(REQUESTER.upper())  # stored lower-cased
    page.keyboard.press("Tab")
    expect(first_name).to_be_focused()
    page.keyboard.type("Léa")
    page.keyboard.press("Tab")
    expect(last_name).to_be_focused()
    page.keyboard.type("Durand")

    page.get_by_label(field_label(AccessRequestForm, "new_organization_name")).fill(
        "Les Amis du Parc"
    )
    page.get_by_label(
        field_label(AccessRequestForm, "new_organization_kind")
    ).select_option(label=fr(OrganizationKind.ASSOCIATION.label))
    page.get_by_label(field_label(AccessRequestForm, "territory_level")).select_option(
        label=fr(Level.DEPARTEMENT.label)
    )
    page.get_by_label(field_label(AccessRequestForm, "territory_code")).fill("92")
    page.get_by_label(field_label(AccessRequestForm, "role")).select_option(
        label=fr(Role.CONTRIBUTOR.label)
    )
    page.get_by_label(field_label(AccessRequestForm, "reason")).fill(
        "Maraudes hebdomadaires à Boulogne-Billancourt et Nanterre."
    )
    screenshot(page, tmp_path, "request_form")
    page.get_by_role("button", name=fr("Send the request")).press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(fr("Check your e-mail"))
    # The page repeats the address as typed; it is stored and mailed lower-cased.
    expect(page.get_by_role("main")).to_contain_text(REQUESTER, ignore_case=True)
    access_request = AccessRequest.objects.get()
    assert access_request.status == AccessRequestStatus.UNVERIFIED
    assert access_request.email == REQUESTER
    assert (access_request.first_name, access_request.last_name) == ("Léa", "Durand")
    assert access_request.new_organization_name == "Les Amis du Parc"
    assert access_request.new_organization_kind == OrganizationKind.ASSOCIATION
    assert access_request.role == Role.CONTRIBUTOR
    assert (access_request.territory.level, access_request.territory.code) == (
        Level.DEPARTEMENT,
        "92",
    )
    assert [m.to for m in mailoutbox] == [[REQUESTER]]
    (verify_link,) = [u for u in links_in(mailoutbox[0]) if "/request/verify/" in u]

    # The link in the mail confirms the address and routes the request to 92's admin.
    page.goto(local(verify_link, live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text(fr("Address confirmed"))
    access_request.refresh_from_db()
    assert access_request.status == AccessRequestStatus.PENDING
    assert access_request.verified_at is not None
    assert [m.to for m in mailoutbox[1:]] == [[admin_92.email]]
    assert all(admin_13.email not in m.recipients() for m in mailoutbox)
    review_mail = mailoutbox[1]
    assert REQUESTER in review_mail.body and "Les Amis du Parc" in review_mail.body
    (detail_link,) = links_in(review_mail)
    assert detail_link.endswith(f"/accounts/requests/{access_request.pk}/")

    # 2. The 92 admin logs in, finds the request in the queue and opens it.
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label(label(capfirst(User._meta.get_field("email").verbose_name))).fill(
        admin_92.email
    )
    page.get_by_label(label(fr("Password"))).fill(PASSWORD)
    page.get_by_role("button", name=fr("Log in")).click()
    expect(page.get_by_role("banner")).to_contain_text(admin_92.email)

    # The administration pages sit under one menu entry (DSFR's collapsing menu).
    page.get_by_role("button", name=fr("Administration")).click()
    page.get_by_role("link", name=fr("Access requests"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        fr("Access requests waiting for a decision")
    )
    row = page.get_by_role("row").filter(has_text=REQUESTER)
    expect(row).to_contain_text("Les Amis du Parc")
    expect(row).to_contain_text(fr(Role.CONTRIBUTOR.label))
    expect(row).to_contain_text(str(access_request.territory))
    screenshot(page, tmp_path, "request_queue")

    row.get_by_role("link").click()
    expect(page).to_have_url(local(detail_link, live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text(fr("Access request"))
    expect(page.get_by_role("main")).to_contain_text("Maraudes hebdomadaires")
    screenshot(page, tmp_path, "request_detail")

    # Narrowed to one commune and a lower role, then approved.
    page.get_by_label(field_label(ApproveForm, "territory_level")).select_option(
        label=fr(Level.COMMUNE.label)
    )
    page.get_by_label(field_label(ApproveForm, "territory_code")).fill("92012")
    page.get_by_label(field_label(ApproveForm, "role")).select_option(
        label=fr(Role.OBSERVER.label)
    )
    page.get_by_role("button", name=fr("Approve"), exact=True).click()

    # The page's messages (a list's count is a status too).
    expect(page.get_by_role("status").first).to_contain_text(
        fr("Request approved; the requester has been told by e-mail.")
    )
    expect(page.get_by_role("main")).to_contain_text(fr("No request is waiting."))
    grant = Grant.objects.select_related("user", "territory").get(user__email=REQUESTER)
    assert grant.role == Role.OBSERVER
    assert (grant.territory.level, grant.territory.code) == (Level.COMMUNE, "92012")
    assert grant.granted_by == admin_92
    assert grant.user.organization.name == "Les Amis du Parc"
    assert not grant.user.has_usable_password()  # chosen through the mailed link
    access_request.refresh_from_db()
    assert access_request.status == AccessRequestStatus.APPROVED
    assert access_request.grant == grant
    assert [m.to for m in mailoutbox[2:]] == [[REQUESTER]]
    approval = mailoutbox[2]
    assert "Boulogne-Billancourt (92012)" in approval.body
    assert any("/accounts/password/set/" in u for u in links_in(approval))
