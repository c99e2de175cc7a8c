from sites.models.accessibility import (
    AccessibilityKind,
    AccessibilityPoint,
    ParkingRules,
    PointSource,
    PointStatus,
    RestrictedZone,
)
from sites.models.commune_count import SiteCommuneCount
from sites.models.dataset import Dataset
from sites.models.export import ExportDataset, ExportStatus, SiteExport
from sites.models.import_run import ImportKind, ImportRun
from sites.models.report import (
    PublicReport,
    ReportContact,
    ReportKind,
    ReportStatus,
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
    "Dataset",
    "ExportStatus",
    "ImportKind",
    "ImportRun",
    "ParkingRules",
    "PointSource",
    "PointStatus",
    "RestrictedZone",
    "PublicReport",
    "ReportContact",
    "ReportKind",
    "ReportStatus",
    "LandOwnerType",
    "Site",
    "SiteCommuneCount",
    "SiteExport",
    "ExportDataset",
    "SiteKind",
    "SiteNote",
    "SiteProcedure",
    "SiteRevision",
    "SiteStatus",
]
