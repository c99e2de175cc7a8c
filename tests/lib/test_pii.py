import re

import pytest

from lib.pii import Finding, find_personal_data

# NIR keys and IBAN check digits below are valid (97 - n mod 97, ISO 13616).
POSITIVES = [
    ("email", "alice@example.org"),
    ("email", "jean.dupont+terrain@mairie-exemple.fr"),
    ("phone", "06 12 34 56 78"),
    ("phone", "0612345678"),
    ("phone", "06.12.34.56.78"),
    ("phone", "06-12-34-56-78"),
    ("phone", "+33 6 12 34 56 78"),
    ("phone", "+33 (0)6 12 34 56 78"),
    ("phone", "0033 6 12 34 56 78"),
    ("phone", "+44 20 7946 0958"),
    ("phone", "+1 (555) 123-4567"),
    ("nir", "1 85 05 78 006 084 91"),
    ("nir", "185057800608491"),
    ("nir", "2 69 05 2A 123 456 88"),
    ("nir", "2 69 05 2B 123 456 18"),
    ("nir", "1 85 05 78 006 084"),
    ("iban", "FR76 3000 6000 0112 3456 7890 189"),
    ("iban", "FR7630006000011234567890189"),
    ("iban", "GB82 WEST 1234 5698 7654 32"),
    ("iban", "DE89 3704 0044 0532 0130 00"),
]

NEGATIVES = [
    "Visite du 12/03/2024",
    "Relevé du 2024-03-12",
    "Installé depuis 2019",
    "Code postal 92100",
    "Commune INSEE 2A004",
    "45 personnes, 12 ménages",
    "Budget de 12 500 €",
    "Rendez-vous à 14:30",
    "Dossier 12345",
    "Référence 1234",
    # Shaped like a NIR or an IBAN, but the check digits are wrong.
    "185057800608492",
    "1850578006084",
    "FR76 3000 6000 0112 3456 7890 188",
]


@pytest.mark.parametrize(("kind", "value"), POSITIVES)
def test_each_example_is_found_with_its_kind(kind, value):
    text = f"Note de terrain : {value}, à rappeler."
    assert [f.kind for f in find_personal_data(text)] == [kind]


@pytest.mark.parametrize("text", NEGATIVES)
def test_ordinary_numbers_are_not_personal_data(text):
    assert find_personal_data(text) == []


@pytest.mark.parametrize(("kind", "value"), POSITIVES)
def test_the_excerpt_never_holds_the_whole_value(kind, value):
    findings = find_personal_data(value)
    shown = " ".join(f.excerpt for f in findings)
    assert value not in shown
    assert re.sub(r"\W", "", value) not in re.sub(r"\W", "", shown)


def test_the_excerpt_keeps_the_first_and_last_characters():
    text = "alice@example.org, 06 12 34 56 78"
    assert find_personal_data(text) == [
        Finding("email", "a***@example.org"),
        Finding("phone", "06 ** ** ** 78"),
    ]


def test_a_text_mixing_two_kinds_returns_both():
    text = "Contact : 1 85 05 78 006 084 91, IBAN FR76 3000 6000 0112 3456 7890 189"
    assert [f.kind for f in find_personal_data(text)] == ["nir", "iban"]


def test_a_spaced_nir_followed_by_a_number_is_still_found():
    findings = find_personal_data("1 85 05 78 006 084 12 ménages")
    assert findings == [Finding("nir", "1 ** ** ** *** *84")]
