"""Measure the personal-data guard on the labelled corpus: `make pii-eval`.

Prints, per kind, how many notes holding it the guard caught (recall) and, for clean
notes, how many it flagged anyway (false positives). Targets (issue 26): names
>= 95 %, every certain identifier 100 %, clean notes flagged <= 3 %.
"""

import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from lib.names import model_status, probable_names
from lib.pii import find_personal_data

CORPUS = Path(__file__).resolve().parent.parent / "data" / "pii" / "corpus.jsonl"
TARGETS = {"name": 0.95, "clean_flagged": 0.03}


def caught(row: dict, is_known_place: Callable[[str], bool]) -> set[str]:
    found = {f.kind for f in find_personal_data(row["text"])}
    if probable_names(row["text"], is_known_place):
        found.add("name")
    return found


def evaluate(
    rows: list[dict], is_known_place: Callable[[str], bool] = lambda _: False
) -> tuple[dict, list[str]]:
    holding: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    clean, flagged, misses = 0, 0, []
    for row in rows:
        found = caught(row, is_known_place)
        if not row["kinds"]:
            clean += 1
            if found:
                flagged += 1
                misses.append(
                    f"flagged clean note ({', '.join(sorted(found))}): {row['text']}"
                )
        for kind in row["kinds"]:
            holding[kind] += 1
            if kind in found:
                hits[kind] += 1
            else:
                misses.append(f"missed {kind}: {row['text']}")
    table = {kind: (hits[kind], holding[kind]) for kind in sorted(holding)}
    table["clean_flagged"] = (flagged, clean)
    return table, misses


def meets(kind: str, share: float) -> bool:
    if kind == "clean_flagged":
        return share <= TARGETS[kind]
    return share >= TARGETS.get(kind, 1.0)


def main(is_known_place: Callable[[str], bool] = lambda _: False) -> int:
    rows = [
        json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()
    ]
    table, misses = evaluate(rows, is_known_place)
    print(f"{len(rows)} notes, detector: {model_status()}")
    print(f"{'kind':<14} {'caught':>7} {'of':>5} {'rate':>7}  target")
    ok = True
    for kind, (hit, total) in table.items():
        share = hit / total if total else 0.0
        target = TARGETS.get(kind, 1.0)
        sign = "<=" if kind == "clean_flagged" else ">="
        status = "met" if meets(kind, share) else "NOT MET"
        ok &= meets(kind, share)
        print(
            f"{kind:<14} {hit:>7} {total:>5} {share:>7.1%}  {sign} {target:.0%} {status}"
        )
    for line in misses[:40]:
        print("  " + line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
