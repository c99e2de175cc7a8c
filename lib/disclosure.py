"""Statistical disclosure control for published tables: plain functions, no Django.

A table is a set of cells (any hashable key) with the sites they cover, and linear
equations between them (`total = part + part + ...`: a row and its columns, a parent
territory and its children). `protect()` decides which cells may be published:

1. primary suppression: a cell covering fewer than `min_sites` sites or `min_people`
   people, or one site holding more than `dominance` of its people, is hidden;
2. secondary suppression: an equation whose members are all published but one
   would give that one away, so the smallest other published member is hidden too,
   until nothing changes; then an exact check (null space of the equations over the
   hidden cells) hides more wherever a hidden cell is still a linear combination of
   published ones, across every level at once.

People counts are then rounded to the nearest `rounding`.
"""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

PRIMARY_SITES = "sites"
PRIMARY_PEOPLE = "people"
PRIMARY_DOMINANCE = "dominance"
SECONDARY = "secondary"
REASONS = (PRIMARY_SITES, PRIMARY_PEOPLE, PRIMARY_DOMINANCE, SECONDARY)
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Rules:
    min_sites: int = 3
    min_people: int = 11
    dominance: float = 0.85
    rounding: int = 10


@dataclass(frozen=True)
class Cell:
    """What a cell covers: its number of sites, people, and the largest site's people."""

    sites: int
    people: int
    largest: int

    @classmethod
    def of(cls, people_per_site: Iterable[int]) -> "Cell":
        counts = [max(p, 0) for p in people_per_site]
        return cls(len(counts), sum(counts), max(counts, default=0))

    def __add__(self, other: "Cell") -> "Cell":
        return Cell(
            self.sites + other.sites,
            self.people + other.people,
            max(self.largest, other.largest),
        )


@dataclass(frozen=True)
class Equation:
    total: Any
    parts: tuple[Any, ...]

    @property
    def members(self) -> tuple[Any, ...]:
        return (self.total, *self.parts)


def primary_reason(cell: Cell, rules: Rules) -> str | None:
    """Why a cell may not be published on its own, or None."""
    if cell.sites < rules.min_sites:
        return PRIMARY_SITES
    if cell.people < rules.min_people:
        return PRIMARY_PEOPLE
    if cell.largest > rules.dominance * cell.people:
        return PRIMARY_DOMINANCE
    return None


def round_people(count: int, base: int) -> int:
    """To the nearest multiple of base, halves up (15 -> 20, 14 -> 10)."""
    if base <= 1:
        return count
    return (count + base // 2) // base * base


def protect(
    cells: Mapping[K, Cell], equations: Sequence[Equation], rules: Rules
) -> dict[K, str | None]:
    """Each cell's suppression reason (None: published), stable at a fixed point."""
    status = {key: primary_reason(cell, rules) for key, cell in cells.items()}
    useful = [e for e in equations if all(m in cells for m in e.members)]
    while True:
        if _suppress_lone_members(cells, useful, status):
            continue
        if not _suppress_recoverable(cells, useful, status):
            return status


def _size(cells: Mapping[Hashable, Cell], key: Hashable) -> tuple[int, int]:
    return (cells[key].people, cells[key].sites)


def _hide_smallest_beside(cells, equation: Equation, hidden, status) -> bool:
    published_parts = [p for p in equation.parts if not status[p]]
    candidates = published_parts or (
        [equation.total] if not status[equation.total] else []
    )
    if not candidates:
        return False
    status[min(candidates, key=lambda k: _size(cells, k))] = SECONDARY
    return True


def _suppress_lone_members(cells, equations, status) -> bool:
    """One pass: every equation with exactly one hidden member gets a second one."""
    changed = False
    for equation in equations:
        hidden = [m for m in equation.members if status[m]]
        if len(hidden) == 1:
            changed |= _hide_smallest_beside(cells, equation, hidden, status)
    return changed


def recoverable(
    equations: Sequence[Equation], hidden: Sequence[Hashable]
) -> list[Hashable]:
    """Hidden cells that the published members of the equations determine exactly.

    Unknowns are the hidden cells; a hidden cell is determined when its unit vector
    lies in the row space of the equations restricted to the unknowns.
    """
    if not hidden:
        return []
    index = {key: i for i, key in enumerate(hidden)}
    rows = []
    for equation in equations:
        row = np.zeros(len(hidden))
        for key, sign in ((equation.total, 1.0), *((p, -1.0) for p in equation.parts)):
            if key in index:
                row[index[key]] += sign
        if row.any():
            rows.append(row)
    if not rows:
        return []
    matrix = np.array(rows)
    # e_i lies in the row space (the cell is a combination of the equations) when its
    # projection on an orthonormal basis of that space keeps its whole length.
    _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    basis = vt[singular > 1e-9 * max(singular.max(), 1)]
    weight = 1 - (basis**2).sum(axis=0)
    return [key for key, i in index.items() if weight[i] < 1e-7]


def _suppress_recoverable(cells, equations, status) -> bool:
    hidden = [key for key, reason in status.items() if reason]
    for key in recoverable(equations, hidden):
        for equation in equations:
            if key in equation.members and _hide_smallest_beside(
                cells, equation, [key], status
            ):
                return True
    if not hidden or not recoverable(equations, hidden):
        return False
    # Determined through a chain of equations: widen the smallest published neighbour.
    touching = [e for e in equations if any(status[m] for m in e.members)]
    published = {m for e in touching for m in e.members if not status[m]}
    if not published:
        return False
    status[min(published, key=lambda k: _size(cells, k))] = SECONDARY
    return True


def hierarchy_equations(
    rows: Mapping[K, K | None],
    groups: Mapping[str, Sequence[str]],
    total: str = "all",
) -> list[Equation]:
    """Equations of a table whose rows are territories (row -> parent row, or None)
    and whose columns are groups of categories that each add up to `total`:
    every row's total is the sum of each group's columns, and every parent's cell
    the sum of its children's, column by column."""
    columns = [total, *(c for categories in groups.values() for c in categories)]
    equations = [
        Equation((row, total), tuple((row, c) for c in categories))
        for row in rows
        for categories in groups.values()
    ]
    children: dict[K, list[K]] = {}
    for row, parent in rows.items():
        if parent is not None:
            children.setdefault(parent, []).append(row)
    for parent, kids in children.items():
        equations += [
            Equation((parent, column), tuple((kid, column) for kid in kids))
            for column in columns
        ]
    return equations
