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
    "LandOwnerType",
    "Site",
    "SiteKind",
    "SiteNote",
    "SiteProcedure",
    "SiteRevision",
    "SiteStatus",
]
