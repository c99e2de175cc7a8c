"""Demo organizations and accounts for `make run` (never in production: DEMO_DATA_ENABLED)."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from actors.models import Grant, Organization, OrganizationKind, User
from actors.roles import Role
from territory.models import Level, Territory

DEMO_PASSWORD = "terrain-demo-2026"  # noqa: S105 - published in the README, demo only
# email, role, (level, code) of the grant, organization name, kind
DEMO_ACCOUNTS = [
    (
        "admin@demo.terrain",
        Role.SUPERADMIN,
        (Level.NATION, "FR"),
        "Terrain Commun",
        OrganizationKind.OTHER,
    ),
    (
        "ministere@demo.terrain",
        Role.NATIONAL,
        (Level.NATION, "FR"),
        "DIHAL (démo)",
        OrganizationKind.MINISTRY,
    ),
    (
        "prefecture92@demo.terrain",
        Role.LOCAL_ADMIN,
        (Level.DEPARTEMENT, "92"),
        "Préfecture des Hauts-de-Seine (démo)",
        OrganizationKind.STATE_SERVICE,
    ),
    (
        "prefecture13@demo.terrain",
        Role.LOCAL_ADMIN,
        (Level.DEPARTEMENT, "13"),
        "Préfecture des Bouches-du-Rhône (démo)",
        OrganizationKind.STATE_SERVICE,
    ),
    (
        "asso92@demo.terrain",
        Role.CONTRIBUTOR,
        (Level.COMMUNE, "92012"),
        "Association Boulogne Solidaire (démo)",
        OrganizationKind.ASSOCIATION,
    ),
    (
        "asso13@demo.terrain",
        Role.CONTRIBUTOR,
        (Level.COMMUNE, "13055"),
        "Association Marseille Accueil (démo)",
        OrganizationKind.ASSOCIATION,
    ),
    (
        "observateur93@demo.terrain",
        Role.OBSERVER,
        (Level.DEPARTEMENT, "93"),
        "Observatoire Seine-Saint-Denis (démo)",
        OrganizationKind.OTHER,
    ),
]


class DemoDisabled(Exception):
    pass


@transaction.atomic
def load_demo_accounts() -> list[tuple[str, str, str]]:
    """Create (or reset) the demo accounts; returns (email, role, territory) rows."""
    if not settings.DEMO_DATA_ENABLED:
        raise DemoDisabled(
            "DEMO_DATA_ENABLED is off: demo accounts are never created in production."
        )
    rows = []
    for email, role, (level, code), org_name, kind in DEMO_ACCOUNTS:
        territory = Territory.objects.get(level=level, code=code)
        organization, _ = Organization.objects.get_or_create(
            name=org_name, territory=territory, defaults={"kind": kind}
        )
        user, created = User.objects.get_or_create(
            email=email, defaults={"organization": organization}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = role == Role.SUPERADMIN
            user.save()
        Grant.objects.get_or_create(
            user=user,
            role=role,
            territory=territory,
            revoked_at=None,
            defaults={"granted_at": timezone.now()},
        )
        rows.append((email, role.label, str(territory)))
    return rows
