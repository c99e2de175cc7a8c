"""Organizations, people and interventions of the interventions tests.

Two associations work in Boulogne-Billancourt (92012), each leading its own
intervention; the prefecture administers the 92; an observer reads the 92.
"""

import datetime
from types import SimpleNamespace

import pytest

from actors.models import OrganizationKind
from actors.roles import Role
from interventions.services import create_intervention
from sites.models import Site
from tests.factories import OrganizationFactory, point_in, territory, user_with

START = datetime.date(2025, 3, 1)


def make_site(code: str, name: str) -> Site:
    return Site.objects.create(point=point_in(code), commune=territory(code), name=name)


def new_intervention(user, operator, code: str = "92012", **fields):
    data = {
        "title": "Médiation santé",
        "themes": ["health"],
        "lead_operator": operator,
        "territory": territory(code),
        "started_on": START,
        "status": "in_progress",
        **fields,
    }
    return create_intervention(data, acting_user=user)


@pytest.fixture
def world(db):
    asso = OrganizationFactory(name="Asso A", territory=territory("92012"))
    other = OrganizationFactory(name="Asso B", territory=territory("92012"))
    prefecture = OrganizationFactory(
        name="Préfecture",
        kind=OrganizationKind.STATE_SERVICE,
        territory=territory("92"),
    )
    people = SimpleNamespace(
        asso=asso,
        other=other,
        prefecture=prefecture,
        member=user_with(Role.CONTRIBUTOR, "92012", organization=asso),
        other_member=user_with(Role.CONTRIBUTOR, "92012", organization=other),
        admin=user_with(Role.LOCAL_ADMIN, "92", organization=prefecture),
        observer=user_with(Role.OBSERVER, "92"),
        national=user_with(Role.NATIONAL, "FR"),
        admin13=user_with(Role.LOCAL_ADMIN, "13"),
    )
    people.site = make_site("92012", "Site du quai")
    people.far_site = make_site("13055", "Site de Marseille")
    people.intervention = new_intervention(
        people.member, asso, sites=[people.site], goals="Accès aux soins"
    )
    people.other_intervention = new_intervention(
        people.other_member, other, title="Scolarisation", themes=["schooling"]
    )
    return people
