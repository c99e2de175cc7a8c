"""Find certain personal identifiers in free text: e-mail addresses (also disguised
as `(at)`, ` at `, `[dot]`), phone numbers in any separator mix, French NIR, IBAN,
dates of birth and passport or identity-card numbers.

Meant to warn users before they save notes that should not hold personal data, so
findings carry a masked excerpt only: the warning must not spread the value itself.
"""

import re
from dataclasses import dataclass

# Separators people type between digit groups; \u00a0 comes from word processors.
SEP = r"[ .\-\u00a0]"

EMAIL = re.compile(
    r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)

# 0X XX XX XX XX; the back-reference keeps one separator throughout, so that
# dates and lists of small numbers do not line up as a phone number.
FRENCH_PHONE = re.compile(
    rf"(?<![\w+])0[1-9](?P<sep>{SEP}?)\d{{2}}(?:(?P=sep)\d{{2}}){{3}}(?!\d)"
)

# +<country> then digit groups, "(0)" or "(555)" included; 0033 is the French way
# of dialling +33. The national part's length is checked in code.
INTERNATIONAL_PHONE = re.compile(
    rf"(?<![\w+])(?P<cc>\+\d{{1,3}}|0033)(?:{SEP}?(?:\(\d{{1,4}}\)|\d{{1,4}}))+(?!\d)"
)

# Separators people type between the digits of a phone number, mixed at will
# ("06 12.34 56 78", "06 1234 5678"); dates are told apart in code.
PHONE_SEP = r"[ .\-\u00a0]{0,2}"
LOOSE_FRENCH_PHONE = re.compile(rf"(?<![\w+])0[1-9](?:{PHONE_SEP}\d){{8}}(?!\d)")
DATE_START = re.compile(r"\d{1,2}[./-]\d{1,2}[./-](?:19|20)?\d{2}")

# "jean.dupont(at)mail.fr", "jean dot dupont at gmail dot com": an @ and dots in words.
_AT = r"(?:\s*[\(\[\{]\s*(?:at|a|arobase)\s*[\)\]\}]\s*|\s+(?:at|arobase)\s+)"
_DOT = r"(?:\s*[\(\[\{]\s*(?:dot|point)\s*[\)\]\}]\s*|\s+(?:dot|point)\s+|\.)"
_TLD = r"(?:fr|com|org|net|eu|info|be|ch|ro|bg|de|es|it|uk|io|gouv|me)"
DISGUISED_EMAIL = re.compile(
    rf"(?<![\w.])[\w+-]+(?:{_DOT}[\w+-]+)*{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}{_TLD}(?![\w-])",
    re.IGNORECASE,
)

# A date of birth: "né le 12/03/1985", "née en 1990", "date de naissance : 3 mai 1979".
_MONTHS = (
    r"janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|"
    r"octobre|novembre|décembre|decembre|january|february|march|april|may|june|"
    r"july|august|september|october|november|december"
)
_DATE = (
    rf"(?:\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}|\d{{1,2}}(?:er)?\s+(?:{_MONTHS})\s+\d{{4}}"
    rf"|(?:{_MONTHS})\s+\d{{1,2}},?\s+\d{{4}}|(?:19|20)\d{{2}})"
)
BIRTH_DATE = re.compile(
    rf"(?<!\w)(?:n[ée]e?s?\s+(?:le\s+|en\s+)?|born\s+(?:on\s+|in\s+)?|"
    rf"date\s+(?:de\s+naissance|of\s+birth)\s*:?\s*|ddn\s*:?\s*|d\.?o\.?b\.?\s*:?\s*)"
    rf"{_DATE}(?!\w)",
    re.IGNORECASE,
)

# A French passport (2 digits, 2 letters, 5 digits), or any document number that
# follows the document's name.
PASSPORT = re.compile(r"(?<!\w)\d{2}[A-Z]{2}\d{5}(?!\w)")
ID_DOCUMENT = re.compile(
    r"(?<!\w)(?:passeport|passport|cni|carte\s+(?:nationale\s+)?d'identité|"
    r"carte\s+d'identite|identity\s+card|id\s+card|titre\s+de\s+séjour|"
    r"titre\s+de\s+sejour|residence\s+permit|agdref|n°\s*étranger|numéro\s+étranger)"
    r"\s*(?:n°|no\.?|num(?:éro|ero)?\.?|number|:)?\s*(?P<number>(?=[A-Z0-9]*\d)[A-Z0-9]{6,14})(?!\w)",
    re.IGNORECASE,
)

# Sex, year, month, département (2A/2B for Corsica), commune, order, optional key.
# Months 20-42 and 50-99 exist: incomplete civil status, provisional numbers.
SPACE = r"[ \u00a0]"
NIR = re.compile(
    rf"(?<!\w)(?P<head>[1-478](?P<s1>{SPACE}?)\d{{2}}(?P<s2>{SPACE}?)"
    rf"(?:0[1-9]|1[0-2]|[23]\d|4[0-2]|[5-9]\d)(?P<s3>{SPACE}?)(?:\d{{2}}|2[AB])"
    rf"(?P<s4>{SPACE}?)\d{{3}}(?P<s5>{SPACE}?)\d{{3}})(?:{SPACE}?(?P<key>\d{{2}}))?(?!\w)"
)

# Country code, check digits, then 11-30 alphanumerics, optionally in groups of 4.
IBAN = re.compile(
    r"(?<!\w)[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?!\w)"
)


@dataclass(frozen=True)
class Finding:
    kind: str
    excerpt: str  # masked: safe to show or log


def find_personal_data(text: str) -> list[Finding]:
    # Checked values (IBAN, NIR) go first: they are the most certain, and their
    # digits must not be reported again as a phone number.
    candidates = [
        *(("iban", m.start(), m.end()) for m in IBAN.finditer(text) if _is_iban(m[0])),
        *_nirs(text),
        *(("email", m.start(), m.end()) for m in EMAIL.finditer(text)),
        *(("email", m.start(), m.end()) for m in DISGUISED_EMAIL.finditer(text)),
        *(("birth_date", m.start(), m.end()) for m in BIRTH_DATE.finditer(text)),
        *(("id_document", m.start(), m.end()) for m in PASSPORT.finditer(text)),
        *(
            ("id_document", m.start("number"), m.end("number"))
            for m in ID_DOCUMENT.finditer(text)
        ),
        *(("phone", m.start(), m.end()) for m in FRENCH_PHONE.finditer(text)),
        *(
            ("phone", m.start(), m.end())
            for m in LOOSE_FRENCH_PHONE.finditer(text)
            if not DATE_START.match(m[0])
        ),
        *(
            ("phone", m.start(), m.end())
            for m in INTERNATIONAL_PHONE.finditer(text)
            if _is_international_phone(m)
        ),
    ]
    kept: list[tuple[str, int, int]] = []
    for kind, start, end in candidates:
        if all(end <= s or start >= e for _, s, e in kept):
            kept.append((kind, start, end))
    return [
        Finding(kind, _mask(kind, text[s:e]))
        for kind, s, e in sorted(kept, key=lambda k: k[1])
    ]


def _nirs(text: str) -> list[tuple[str, int, int]]:
    found = []
    for m in NIR.finditer(text):
        if m["key"] and _nir_key(m["head"]) == int(m["key"]):
            found.append(("nir", m.start(), m.end()))
        # Without a valid key, 13 digits are too common (references, phone logs...):
        # only the NIR's own spacing makes them credible.
        elif all(m[f"s{i}"] for i in range(1, 6)):
            found.append(("nir", m.start(), m.start("head") + len(m["head"])))
    return found


def _nir_key(head: str) -> int:
    # The key is computed on a number: Corsica's 2A and 2B count as 19 and 18.
    digits = re.sub(r"\s", "", head).replace("2A", "19").replace("2B", "18")
    return 97 - int(digits) % 97


def _is_iban(value: str) -> bool:
    compact = value.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    # ISO 13616: move the first four characters to the end, letters become 10-35,
    # and the whole number must leave 1 modulo 97.
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _is_international_phone(m: re.Match[str]) -> bool:
    national = re.sub(r"\D", "", m[0][m.end("cc") - m.start() :])
    return 8 <= len(national) <= 14


def _mask(kind: str, value: str) -> str:
    if kind == "email" and "@" in value:
        domain = value.rsplit("@", 1)[1]
        return f"{value[0]}***@{domain}"
    head, tail = {
        "phone": (2, 2), "nir": (1, 2), "iban": (2, 3), "email": (1, 2),
        "birth_date": (0, 0), "id_document": (1, 1),
    }[kind]  # fmt: skip
    count = sum(c.isalnum() for c in value)
    masked, seen = [], 0
    for c in value:
        if c.isalnum():
            keep = seen < head or seen >= count - tail
            masked.append(c if keep else "*")
            seen += 1
        else:
            masked.append(c)
    return "".join(masked)
