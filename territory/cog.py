"""The INSEE Code officiel géographique (COG): hierarchy and successor codes."""

from dataclasses import dataclass, field
from pathlib import Path

from territory.sources import read_json

# Communes re-created after 2018 (the shipped outlines' year), by the commune nouvelle
# they left, whose 2018 outline covered them (INSEE's "mouvements de communes": the
# COG lists kept here do not say it). They are drawn with that outline, marked
# approximate, until a file with their own outline is imported.
RECREATED_FROM = {
    "14666": "14712",  # Sannerville, out of Saline (now Troarn)
    "15031": "15141",  # Celles, out of Neussargues en Pinatelle
    "15035": "15141",  # Chalinargues, idem
    "15047": "15141",  # Chavagnac, idem
    "15171": "15141",  # Sainte-Anastasie, idem
    "85165": "85084",  # L'Oie, out of Essarts en Bocage
    "85212": "85084",  # Sainte-Florence, idem
}


@dataclass
class Cog:
    communes: dict[str, dict]  # current communes ("commune-actuelle") by code
    departements: dict[str, dict]
    regions: dict[str, dict]
    successors: dict[str, str] = field(
        default_factory=dict
    )  # former code -> current code
    epcis: list[dict] = field(default_factory=list)
    recreated_from: dict[str, str] = field(default_factory=lambda: dict(RECREATED_FROM))

    def current_code(self, code: str) -> str | None:
        """The code a commune has today: itself, its successor, or None if unknown."""
        if code in self.communes:
            return code
        return self.successors.get(code)

    def departement_of(self, code: str) -> str | None:
        commune = self.communes.get(code)
        return commune["departement"] if commune else None


def find_file(directory: Path, name: str) -> Path:
    for candidate in (name, f"{name}.xz", f"{name}.gz"):
        if (directory / candidate).exists():
            return directory / candidate
    raise FileNotFoundError(f"{directory}: no {name} (nor .xz / .gz)")


def load_cog(directory: Path) -> Cog:
    """Read communes, départements, régions and EPCI lists, as published or shipped."""
    records = read_json(find_file(directory, "communes.json"))
    communes = {r["code"]: r for r in records if r["type"] == "commune-actuelle"}
    successors: dict[str, str] = {}
    for record in records:
        # A délégué or associé code now belongs to its chef-lieu commune.
        if record["type"] in ("commune-deleguee", "commune-associee") and record.get(
            "chefLieu"
        ):
            successors.setdefault(record["code"], record["chefLieu"])
    for commune in communes.values():
        for former in commune.get("anciensCodes", []):
            successors.setdefault(former, commune["code"])
    try:
        epcis = read_json(find_file(directory, "epci.json"))
    except FileNotFoundError:
        epcis = []
    return Cog(
        communes=communes,
        departements={
            r["code"]: r for r in read_json(find_file(directory, "departements.json"))
        },
        regions={r["code"]: r for r in read_json(find_file(directory, "regions.json"))},
        successors={old: new for old, new in successors.items() if old not in communes},
        epcis=epcis,
    )
