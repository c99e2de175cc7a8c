"""Probable names of people: caught in field notes, not in places or institutions."""

import pytest

from lib.names import language_of, prepare_texts, probable_names
from lib.pii import find_personal_data

NAMES = [
    ("Mme Popescu et ses 3 enfants dorment sous la tente nord", "Popescu"),
    ("Jean Dupont, 34 ans, né en Roumanie", "Jean Dupont"),
    ("Famille Dumitru : enfants scolarisés à l'école Jules Ferry", "Dumitru"),
    ("Permanence mardi avec Ionut et Maria", "Ionut"),
    ("Maria est venue chercher les couvertures", "Maria"),
    ("M. Stan refuse la visite", "Stan"),
    ("Andrei et Bogdan travaillent au marché", "Andrei"),
    ("The Popescu family moved to another site.", "Popescu"),
    ("Mrs Balan asked for a doctor's appointment.", "Balan"),
]
NOT_NAMES = [
    "Livraison d'eau rue Victor Hugo par la Croix-Rouge",
    "Les enfants vont au collège Pablo Neruda.",
    "Point d'eau installé avenue Jean Jaurès",
    "Réunion au CCAS avec le Secours populaire et Emmaüs",
    "Passage de la maraude, 12 personnes présentes, deux bébés",
    "Place réservée devant la mairie, largeur 3,30 m.",
    "Blankets handed out with the health agency, 35 households served.",
]
# Certain identifiers in the shapes field workers type them (issue 26).
CERTAIN = [
    ("email", "jean.dupont(at)mail.fr"),
    ("email", "jean dot dupont at gmail dot com"),
    ("email", "ana.radu[at]yahoo[dot]fr"),
    ("phone", "06 12.34 56 78"),
    ("phone", "06 1234 5678"),
    ("birth_date", "né le 12/03/1985"),
    ("birth_date", "Date de naissance : 3 mai 1979"),
    ("birth_date", "sa fille, née en 2015, va à l'école"),
    ("birth_date", "born on 4 June 2011"),
    ("id_document", "passeport n° 12AB34567 perdu"),
    ("id_document", "Titre de séjour : 123456789012"),
]


@pytest.mark.parametrize(("text", "name"), NAMES)
def test_a_residents_name_is_flagged(text, name):
    assert any(name in span.text for span in probable_names(text))


@pytest.mark.parametrize("text", NOT_NAMES)
def test_places_institutions_and_plain_notes_are_not_flagged(text):
    assert probable_names(text) == []


def test_texts_prepared_together_get_the_answers_of_texts_read_one_by_one():
    texts = [text for text, _name in NAMES] + NOT_NAMES
    one_by_one = [probable_names(text) for text in texts]
    prepare_texts(texts)  # an import's batch: the model reads them all at once
    assert [probable_names(text) for text in texts] == one_by_one


def test_a_known_place_is_not_a_name_but_a_first_name_stays_one():
    known = {"Rungis", "Marie"}.__contains__
    assert probable_names("Il travaille à Rungis", known) == []
    assert [s.text for s in probable_names("Marie est revenue hier", known)] == [
        "Marie"
    ]


@pytest.mark.parametrize(("kind", "text"), CERTAIN)
def test_certain_identifiers_are_found_whatever_their_disguise(kind, text):
    findings = find_personal_data(text)
    assert [f.kind for f in findings] == [kind]
    # The excerpt never repeats the identifier.
    assert all("*" in f.excerpt for f in findings)


@pytest.mark.parametrize(
    "text",
    ["né en Roumanie", "réunion le 01.02.2023 12 personnes", "10 12 14 16 18 20",
     "Rendez-vous at 10 at the school", "Visite du 12/03/2024 à 14h"],
)  # fmt: skip
def test_ordinary_dates_places_and_numbers_are_not_identifiers(text):
    assert find_personal_data(text) == []


def test_the_language_of_a_note_is_told_by_its_common_words():
    assert language_of("Les enfants vont à l'école avec leur mère") == "fr"
    assert language_of("The children go to school with their mother") == "en"
