"""Every event the code records has words on the audit page (no raw code shown)."""

import re
from pathlib import Path

from actors.audit_display import ACTION_LABELS
from sites.models import PointStatus
from sites.models.export import ExportDataset
from sites.models.report import ReportStatus

ROOT = Path(__file__).resolve().parents[2]
APPS = ("actors", "sites", "interventions", "maps", "territory", "config")
LITERAL = re.compile(r"record\(\s*\"([a-z_]+\.[a-z_]+)\"")
# Names built at run time, with every value they can take.
DYNAMIC = {
    "site.{action}": ["updated", "closed", "reopened"],
    "intervention.{action}": ["updated", "closed"],
    "accessibility_point.{status}": [PointStatus.VERIFIED, PointStatus.REMOVED],
    "public_report.{status}": [ReportStatus.CONVERTED, ReportStatus.DISMISSED],
    "{export.dataset}.export_downloaded": list(ExportDataset.values),
}


def recorded_names() -> set[str]:
    names = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            names |= set(LITERAL.findall(path.read_text()))
    return names


def test_every_recorded_event_has_words():
    expanded = {
        pattern.replace(pattern[pattern.index("{") : pattern.index("}") + 1], value)
        for pattern, values in DYNAMIC.items()
        for value in values
    }
    names = recorded_names() | expanded
    assert len(names) > 30  # the scan sees the code
    assert sorted(n for n in names if n not in ACTION_LABELS) == []


def test_every_dynamic_name_is_still_built_by_the_code():
    source = "\n".join(
        path.read_text() for app in APPS for path in (ROOT / app).rglob("*.py")
    )
    for pattern in DYNAMIC:
        assert f'f"{pattern}"' in source, pattern
