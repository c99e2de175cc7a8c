import math

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db import models
from django.db.models import Q

from actors.managers import ScopedQuerySet

METRES_PER_DEGREE = 111_320


class SiteQuerySet(ScopedQuerySet):
    scope_field = "commune"

    def open(self) -> "SiteQuerySet":
        return self.filter(status="open")

    def within(self, territory) -> "SiteQuerySet":
        return self.filter(commune__path__startswith=territory.path)

    def nearby(self, point: Point, metres: float) -> "SiteQuerySet":
        """Sites within `metres` of a point, nearest first, distance annotated in metres.

        A degree box wide enough at this latitude uses the GiST index; the exact
        spheroid distance then keeps only the real neighbours.
        """
        degrees = (
            metres
            / (METRES_PER_DEGREE * max(math.cos(math.radians(point.y)), 0.01))
            * 1.01
        )
        return (
            self.filter(point__dwithin=(point, degrees))
            .filter(point__distance_lte=(point, D(m=metres)))
            .annotate(distance=Distance("point", point))
            .order_by("distance")
        )


class AccessibilityPointQuerySet(ScopedQuerySet):
    """Accessibility points are public information: anyone reads those not removed."""

    scope_field = "commune"

    def public(self) -> "AccessibilityPointQuerySet":
        return self.exclude(status="removed")

    def readable_by(self, user) -> "AccessibilityPointQuerySet":
        if user is not None and user.is_authenticated:
            return self.public() | self.visible_to(user)
        return self.public()


class RestrictedZoneQuerySet(ScopedQuerySet):
    scope_field = "commune"


class SiteNoteQuerySet(models.QuerySet):
    def readable_by(self, user) -> "SiteNoteQuerySet":
        """Notes open to all readers of the site, or narrowed to the user's organization."""
        return self.filter(
            Q(visible_to__isnull=True)
            | Q(visible_to=user.organization_id)
            | Q(author=user)
        ).distinct()
