import datetime

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from actors.models import AuditEvent
from actors.roles import Role
from sites.history import as_of
from sites.models import Site, SiteRevision
from sites.services import site as services
from tests.factories import point_in, user_with

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def contributor():
    return user_with(Role.CONTRIBUTOR, "92012")


@pytest.fixture
def prefecture():
    return user_with(Role.LOCAL_ADMIN, "92")


def declare(user, code="92012", **fields):
    return services.declare_site(
        {"point": point_in(code), "kind": "land", **fields},
        acting_user=user,
        confirm_nearby=True,
    )


def test_declaring_derives_the_commune_and_records_history(contributor):
    site = declare(contributor, people=40, population_date=TODAY, water="standpipe")
    assert site.commune.code == "92012"
    assert site.water_status == "to_improve"
    assert site.toilets_status == "unknown"
    revision = SiteRevision.objects.get(site=site)
    assert (revision.version, revision.by, revision.action) == (
        1,
        contributor,
        "declared",
    )
    assert revision.changes["people"] == [None, 40]
    assert AuditEvent.objects.filter(
        action="site.declared", target_id=str(site.pk)
    ).exists()


def test_a_point_outside_france_is_refused_naming_the_field(contributor):
    with pytest.raises(ValidationError) as error:
        services.declare_site(
            {"point": Point(92.15, 21.2, srid=4326)}, acting_user=contributor
        )
    assert "point" in error.value.message_dict


def test_a_contributor_cannot_declare_outside_their_commune(contributor):
    with pytest.raises(PermissionDenied):
        declare(contributor, code="92040")


def test_a_site_150_m_from_an_open_one_asks_for_confirmation(contributor):
    first = declare(contributor)
    near = Point(first.point.x + 0.00205, first.point.y, srid=4326)  # about 150 m east
    with pytest.raises(services.NearbySites) as warning:
        services.declare_site({"point": near}, acting_user=contributor)
    assert [s.pk for s in warning.value.sites] == [first.pk]
    assert 140 < warning.value.sites[0].distance.m < 160
    confirmed = services.declare_site(
        {"point": near}, acting_user=contributor, confirm_nearby=True
    )
    assert confirmed.pk != first.pk


def test_a_site_300_m_away_is_not_a_duplicate(contributor):
    first = declare(contributor)
    far = Point(first.point.x + 0.0041, first.point.y, srid=4326)  # about 300 m east
    assert not Site.objects.nearby(far, 200).exists()
    assert Site.objects.nearby(far, 400).get() == first


def test_a_stale_update_is_refused_and_names_what_changed(contributor, prefecture):
    site = declare(contributor, people=10, population_date=TODAY)
    services.update_site(
        site, {"people": 12}, acting_user=prefecture, expected_version=1
    )
    with pytest.raises(services.StaleEdit) as stale:
        services.update_site(
            site, {"address": "2 rue X"}, acting_user=contributor, expected_version=1
        )
    assert stale.value.current_version == 2
    assert "people" in " ".join(stale.value.changed_fields)
    site.refresh_from_db()
    assert (site.people, site.address, site.version) == (12, "", 2)


def test_free_text_with_personal_data_is_refused_naming_field_and_finding(contributor):
    with pytest.raises(ValidationError) as error:
        declare(contributor, address_details="Appeler M. X au 06 12 34 56 78")
    assert "address_details" in error.value.message_dict
    assert Site.objects.count() == 0


def test_counts_must_be_consistent(contributor):
    with pytest.raises(ValidationError) as error:
        declare(contributor, people=10, minors=12, population_date=TODAY)
    assert "minors" in error.value.message_dict


def test_only_a_local_admin_closes_and_reopens(contributor, prefecture):
    site = declare(contributor)
    with pytest.raises(PermissionDenied):
        services.close_site(
            site,
            acting_user=contributor,
            expected_version=1,
            status="resorbed",
            closed_on=TODAY,
        )
    closed = services.close_site(
        site,
        acting_user=prefecture,
        expected_version=1,
        status="closed_court",
        closed_on=TODAY,
        housed=5,
        sheltered=3,
    )
    assert (closed.status, closed.housed_count, closed.version) == (
        "closed_court",
        5,
        2,
    )
    reopened = services.reopen_site(closed, acting_user=prefecture, expected_version=2)
    assert reopened.is_open and reopened.closed_on is None


def test_a_contributor_cannot_change_closure_fields_through_update(contributor):
    site = declare(contributor)
    with pytest.raises(ValidationError) as error:
        services.update_site(
            site, {"status": "resorbed"}, acting_user=contributor, expected_version=1
        )
    assert "status" in error.value.message_dict


def test_state_at_a_past_date_comes_from_the_revisions(contributor):
    site = declare(contributor, people=10, population_date=TODAY)
    services.update_site(
        site, {"people": 30}, acting_user=contributor, expected_version=1
    )
    yesterday = TODAY - datetime.timedelta(days=1)
    SiteRevision.objects.filter(site=site, version=1).update(
        at=SiteRevision.objects.get(site=site, version=1).at
        - datetime.timedelta(days=2)
    )
    assert [s.people for s in as_of([site], yesterday)] == [10]
    assert [s.people for s in as_of([site], TODAY)] == [30]
    assert as_of([site], TODAY - datetime.timedelta(days=5)) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Contact : jean.dupont@mail.fr", "adresse électronique"),
        ("Tél. 06 12 34 56 78", "téléphone"),
        ("Tél. +33 6 12 34 56 78", "téléphone"),
        ("NIR 1 84 12 75 123 456 40", "sécurité sociale"),
    ],
)
def test_the_guard_refuses_each_kind_of_personal_data_and_says_which(
    contributor, text, kind
):
    from django.utils import translation

    with translation.override("fr"), pytest.raises(ValidationError) as error:
        declare(contributor, address_details=text)
    message = " ".join(error.value.message_dict["address_details"])
    assert kind in message
    assert "06 12 34 56 78" not in message and "jean.dupont" not in message  # masked


def test_the_guard_accepts_ordinary_notes(contributor):
    site = declare(
        contributor,
        address_details="Le long du canal, 12 familles, passage le 12/03/2026 à 14:30.",
    )
    note = services.add_note(
        site,
        "Distribution d'eau : 45 personnes, dont 12 mineurs (92012).",
        acting_user=contributor,
    )
    assert note.pk is not None
