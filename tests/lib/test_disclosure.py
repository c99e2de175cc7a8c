"""Disclosure control on generated tables: thresholds, recovery, rounding."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.disclosure import (
    PRIMARY_DOMINANCE,
    PRIMARY_PEOPLE,
    PRIMARY_SITES,
    SECONDARY,
    Cell,
    Rules,
    hierarchy_equations,
    primary_reason,
    protect,
    round_people,
)

RULES = Rules()
GROUPS = {"kind": ["land", "building", "camp"], "water": ["good", "bad"]}


@st.composite
def datasets(draw):
    """A nation of régions of départements, with sites spread over them."""
    regions = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    rows = {"FR": None}
    departements = []
    for r, size in enumerate(regions):
        rows[f"R{r}"] = "FR"
        for d in range(size):
            rows[f"D{r}{d}"] = f"R{r}"
            departements.append(f"D{r}{d}")
    sites = draw(
        st.lists(
            st.tuples(
                st.sampled_from(departements),
                st.sampled_from(GROUPS["kind"]),
                st.sampled_from(GROUPS["water"]),
                st.integers(0, 60),
            ),
            max_size=40,
        )
    )
    return rows, sites


def build(rows, sites):
    """Cells (row, column) from the sites, every département rolled up its parents."""
    ancestry = {}
    for row in rows:
        chain, current = [], row
        while current is not None:
            chain.append(current)
            current = rows[current]
        ancestry[row] = chain
    columns = ["all", *(c for cs in GROUPS.values() for c in cs)]
    people = {(row, column): [] for row in rows for column in columns}
    for departement, kind, water, count in sites:
        for row in ancestry[departement]:
            for column in ("all", kind, water):
                people[(row, column)].append(count)
    cells = {key: Cell.of(counts) for key, counts in people.items()}
    return cells, hierarchy_equations(rows, GROUPS)


def determined(equations, status, cells):
    """Hidden cells that published values pin down exactly (exact rank test)."""
    hidden = [k for k in cells if status[k]]
    index = {k: i for i, k in enumerate(hidden)}
    rows = []
    for e in equations:
        row = np.zeros(len(hidden))
        for key, sign in ((e.total, 1), *((p, -1) for p in e.parts)):
            if key in index:
                row[index[key]] += sign
        rows.append(row)
    matrix = np.array(rows) if rows and hidden else np.zeros((1, max(len(hidden), 1)))
    rank = np.linalg.matrix_rank(matrix)
    found = []
    for key, i in index.items():
        unit = np.zeros(len(hidden))
        unit[i] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.append(key)
    return found


@settings(
    max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(datasets())
def test_published_tables_keep_every_rule_over_generated_datasets(data):
    """One protect() per dataset, every property checked on its result."""
    cells, equations = build(*data)
    status = protect(cells, equations, RULES)
    for key, reason in status.items():
        cell = cells[key]
        if reason is None:  # no published cell breaks a threshold
            assert cell.sites >= RULES.min_sites
            assert cell.people >= RULES.min_people
            assert cell.largest <= RULES.dominance * cell.people
        elif reason != SECONDARY:  # each hidden cell names its rule
            assert primary_reason(cell, RULES) == reason
        else:
            assert reason == SECONDARY
    # never exactly one hidden member (child, parent, row total) in an equation
    for equation in equations:
        assert sum(1 for m in equation.members if status[m]) != 1
    # nor any hidden cell recoverable by combining published ones, across levels
    assert determined(equations, status, cells) == []


@settings(max_examples=1000, deadline=None)
@given(st.integers(0, 100_000))
def test_rounding_goes_to_the_nearest_ten(count):
    rounded = round_people(count, 10)
    assert rounded % 10 == 0
    assert abs(rounded - count) <= 5


def test_rounding_halves_go_up():
    assert [round_people(n, 10) for n in (4, 5, 14, 15, 11)] == [0, 10, 10, 20, 10]


def test_a_single_hidden_child_hides_its_smallest_sibling():
    rows = {"P": None, "a": "P", "b": "P", "c": "P"}
    cells = {
        ("P", "all"): Cell(12, 120, 10),
        ("a", "all"): Cell(2, 20, 10),
        ("b", "all"): Cell(4, 40, 10),
        ("c", "all"): Cell(6, 60, 10),
    }
    status = protect(cells, hierarchy_equations(rows, {}), RULES)
    assert status == {
        ("P", "all"): None,
        ("a", "all"): PRIMARY_SITES,
        ("b", "all"): SECONDARY,
        ("c", "all"): None,
    }


def test_primary_rules_in_order():
    assert primary_reason(Cell(2, 50, 20), RULES) == PRIMARY_SITES
    assert primary_reason(Cell(3, 10, 4), RULES) == PRIMARY_PEOPLE
    assert primary_reason(Cell(3, 100, 86), RULES) == PRIMARY_DOMINANCE
    assert primary_reason(Cell(3, 100, 85), RULES) is None
