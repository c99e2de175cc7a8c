"""Living conditions on a site: the facts per theme and the status computed from them."""

GOOD, TO_IMPROVE, BAD, UNKNOWN = "good", "to_improve", "bad", "unknown"

# theme -> {fact value -> status}. "unknown" facts give an unknown status.
STATUS_BY_FACT: dict[str, dict[str, str]] = {
    "water": {"network": GOOD, "standpipe": TO_IMPROVE, "distant": BAD, "none": BAD},
    "toilets": {"sufficient": GOOD, "insufficient": TO_IMPROVE, "none": BAD},
    "electricity": {"regular": GOOD, "irregular": TO_IMPROVE, "none": BAD},
    "waste": {"regular": GOOD, "irregular": TO_IMPROVE, "none": BAD},
    "pests": {"absent": GOOD, "occasional": TO_IMPROVE, "present": BAD},
    "fire_prevention": {"equipped": GOOD, "partial": TO_IMPROVE, "none": BAD},
}
THEMES = tuple(STATUS_BY_FACT)


def status_of(theme: str, fact: str | None) -> str:
    return STATUS_BY_FACT[theme].get(fact or "unknown", UNKNOWN)


def statuses(facts: dict[str, str | None]) -> dict[str, str]:
    return {theme: status_of(theme, facts.get(theme)) for theme in THEMES}
