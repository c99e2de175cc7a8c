"""Scope and capabilities without a database: every role x inside / sibling / parent /
elsewhere. The PostGIS matrix (tests/test_authorization_matrix.py) checks the exits."""

from types import SimpleNamespace

import pytest

from actors import capabilities as cap
from actors.roles import Role
from actors.scope import Scope, ScopeEntry

BOULOGNE = "/NFR/R11/D92/C92012/"  # the grant's commune
POSITIONS = {
    "inside": BOULOGNE,
    "sibling": "/NFR/R11/D92/C92040/",  # same département
    "parent": "/NFR/R11/D92/",  # the département itself
    "elsewhere": "/NFR/R93/D13/C13055/",
}
GRANTS = {
    Role.OBSERVER: BOULOGNE,
    Role.CONTRIBUTOR: BOULOGNE,
    Role.LOCAL_ADMIN: "/NFR/R11/D92/",
    Role.NATIONAL: "/NFR/",
    Role.SUPERADMIN: "/NFR/",
}
# Where each capability holds, for each role (the grant above).
EXPECTED = {
    cap.CHANGE_SITE: {
        Role.OBSERVER: set(),
        Role.CONTRIBUTOR: {"inside"},
        Role.LOCAL_ADMIN: {"inside", "sibling", "parent"},
        Role.NATIONAL: set(POSITIONS),
        Role.SUPERADMIN: set(POSITIONS),
    },
    cap.CLOSE_SITE: {
        Role.OBSERVER: set(),
        Role.CONTRIBUTOR: set(),
        Role.LOCAL_ADMIN: {"inside", "sibling", "parent"},
        Role.NATIONAL: set(POSITIONS),
        Role.SUPERADMIN: set(POSITIONS),
    },
}
# Capabilities that go with one of the two above.
SAME_AS = {
    cap.DECLARE_SITE: cap.CHANGE_SITE,
    cap.REPORT_POINT: cap.CHANGE_SITE,
    cap.SEE_PROCEDURES: cap.CLOSE_SITE,
    cap.VERIFY_POINT: cap.CLOSE_SITE,
    cap.SET_PARKING_RULES: cap.CLOSE_SITE,
    cap.IMPORT_POINTS: cap.CLOSE_SITE,
    cap.HANDLE_REPORT: cap.CLOSE_SITE,
    cap.DECIDE_ACCESS_REQUEST: cap.CLOSE_SITE,
    cap.GRANT_ACCESS: cap.CLOSE_SITE,
    cap.REVOKE_GRANT: cap.CLOSE_SITE,
}


def user_holding(role: str, path: str):
    # A stand-in user whose scope is already known: no grant rows to read.
    user = SimpleNamespace(is_authenticated=True, is_active=True, pk=1)
    user._terrain_scope = Scope((ScopeEntry(role, path),))
    return user


def at(path: str):
    return SimpleNamespace(scope_path=lambda: path, path=path)


@pytest.mark.parametrize("role", list(GRANTS))
@pytest.mark.parametrize("capability", list(EXPECTED) + list(SAME_AS))
def test_each_capability_holds_exactly_where_the_role_reaches(role, capability):
    user = user_holding(role, GRANTS[role])
    allowed = {
        name for name, path in POSITIONS.items() if cap.can(user, capability, at(path))
    }
    assert allowed == EXPECTED[SAME_AS.get(capability, capability)][role]


@pytest.mark.parametrize("role", list(GRANTS))
def test_reading_widens_to_the_departement_and_never_further(role):
    scope = user_holding(role, GRANTS[role])._terrain_scope
    readable = {name for name, path in POSITIONS.items() if scope.can_read(path)}
    expected = set(POSITIONS) - {"elsewhere"}
    assert readable == (set(POSITIONS) if GRANTS[role] == "/NFR/" else expected)


def test_every_capability_is_registered_with_django_rules():
    import rules

    assert all(rules.perm_exists(name) for name in cap.CAPABILITIES)


def test_the_role_ceiling_holds_on_top_of_the_territory():
    admin = user_holding(Role.LOCAL_ADMIN, "/NFR/R11/D92/")
    national = user_holding(Role.NATIONAL, "/NFR/")
    commune = at(BOULOGNE)
    assert cap.grant_refusal(admin, Role.CONTRIBUTOR, commune) is None
    assert cap.grant_refusal(admin, Role.LOCAL_ADMIN, commune) is not None
    assert cap.grant_refusal(admin, Role.NATIONAL, commune) is not None
    assert cap.grant_refusal(admin, Role.CONTRIBUTOR, at(POSITIONS["elsewhere"]))
    assert cap.grant_refusal(national, Role.LOCAL_ADMIN, commune) is None
    assert cap.grant_refusal(national, Role.SUPERADMIN, commune) is not None


def test_nobody_without_a_grant_may_do_anything():
    nobody = SimpleNamespace(is_authenticated=False, is_active=False, pk=None)
    assert not any(cap.can(nobody, name, at(BOULOGNE)) for name in cap.CAPABILITIES)


# Interventions: the lead operator (organization 7) and the territory decide.
OPERATOR, OTHER_ORGANIZATION = 7, 8
INTERVENTION_CAPABILITIES = (
    cap.ADD_INTERVENTION,
    cap.CHANGE_INTERVENTION,
    cap.REPORT_INTERVENTION,
    cap.CLOSE_INTERVENTION,
)


def member_of(organization: int | None, role: str, path: str):
    user = user_holding(role, path)
    user.organization_id = organization
    return user


def intervention_at(path: str):
    return SimpleNamespace(scope_path=lambda: path, lead_operator_id=OPERATOR)


@pytest.mark.parametrize("capability", INTERVENTION_CAPABILITIES)
def test_an_association_acts_on_its_own_intervention_inside_its_grant_only(capability):
    own = member_of(OPERATOR, Role.CONTRIBUTOR, BOULOGNE)
    other = member_of(OTHER_ORGANIZATION, Role.CONTRIBUTOR, BOULOGNE)
    assert cap.can(own, capability, intervention_at(BOULOGNE))
    assert not cap.can(own, capability, intervention_at(POSITIONS["sibling"]))
    assert not cap.can(other, capability, intervention_at(BOULOGNE))
    observer = member_of(OPERATOR, Role.OBSERVER, BOULOGNE)
    assert not cap.can(observer, capability, intervention_at(BOULOGNE))


@pytest.mark.parametrize("capability", INTERVENTION_CAPABILITIES)
def test_local_admins_act_on_any_intervention_of_their_territory(capability):
    admin = member_of(OTHER_ORGANIZATION, Role.LOCAL_ADMIN, "/NFR/R11/D92/")
    assert cap.can(admin, capability, intervention_at(POSITIONS["sibling"]))
    assert not cap.can(admin, capability, intervention_at(POSITIONS["elsewhere"]))


def test_funding_is_seen_by_the_operator_local_admins_and_national_users_only():
    funding = intervention_at(BOULOGNE)
    allowed = [
        member_of(OPERATOR, Role.OBSERVER, BOULOGNE),
        member_of(None, Role.LOCAL_ADMIN, "/NFR/R11/D92/"),
        member_of(None, Role.NATIONAL, "/NFR/"),
    ]
    refused = [
        member_of(OTHER_ORGANIZATION, Role.CONTRIBUTOR, BOULOGNE),
        member_of(OTHER_ORGANIZATION, Role.OBSERVER, "/NFR/R11/D92/"),
        member_of(None, Role.LOCAL_ADMIN, "/NFR/R93/D13/"),
        member_of(OPERATOR, Role.CONTRIBUTOR, "/NFR/R93/D13/"),  # out of its scope
    ]
    assert all(cap.can(user, cap.SEE_FUNDING, funding) for user in allowed)
    assert not any(cap.can(user, cap.SEE_FUNDING, funding) for user in refused)


def test_presence_is_declared_by_contributors_with_an_organization():
    site = at(BOULOGNE)
    assert cap.can(
        member_of(OPERATOR, Role.CONTRIBUTOR, BOULOGNE), cap.DECLARE_PRESENCE, site
    )
    assert not cap.can(
        member_of(None, Role.CONTRIBUTOR, BOULOGNE), cap.DECLARE_PRESENCE, site
    )
    assert not cap.can(
        member_of(OPERATOR, Role.OBSERVER, BOULOGNE), cap.DECLARE_PRESENCE, site
    )
