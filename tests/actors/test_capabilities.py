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
