"""factory_boy factories and geometry helpers shared by the tests."""

import factory
from django.contrib.gis.geos import Point

from actors.models import Grant, Organization, OrganizationKind, User
from territory.models import Level, Territory

PASSWORD = "a-Long-test-pass-2026"


def territory(code: str, level: str | None = None) -> Territory:
    if code == "FR":
        level = Level.NATION
    if level is None:
        level = (
            Level.COMMUNE
            if len(code) == 5
            else Level.DEPARTEMENT
            if len(code) in (2, 3)
            else Level.NATION
        )
    return Territory.objects.get(level=level, code=code)


def point_in(code: str) -> Point:
    """A point surely inside the commune (PostGIS point on surface)."""
    return territory(code, Level.COMMUNE).geom.point_on_surface


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = OrganizationKind.ASSOCIATION
    territory = factory.LazyFunction(lambda: territory("92"))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    first_name = "Camille"
    last_name = "Martin"
    charter_version = 1
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def user_with(role: str, code: str, level: str | None = None, **fields) -> User:
    user = UserFactory(**fields)
    Grant.objects.create(user=user, role=role, territory=territory(code, level))
    return user
