from sites.models.accessibility import (
    AccessibilityKind,
    AccessibilityPoint,
    ParkingRules,
    PointSource,
    PointStatus,
    RestrictedZone,
)
from sites.models.site import (
    LandOwnerType,
    Site,
    SiteKind,
    SiteNote,
    SiteProcedure,
    SiteRevision,
    SiteStatus,
)

__all__ = [
    "AccessibilityKind",
    "AccessibilityPoint",
    "ParkingRules",
    "PointSource",
    "PointStatus",
    "RestrictedZone",
    "LandOwnerType",
    "Site",
    "SiteKind",
    "SiteNote",
    "SiteProcedure",
    "SiteRevision",
    "SiteStatus",
]
