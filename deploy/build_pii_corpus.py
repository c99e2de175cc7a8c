"""Build data/pii/corpus.jsonl: field notes written for the project, each labelled.

The notes are what workers type in the site journal, closure reasons, intervention
goals and accessibility details, in French and English. Sentences were written by
hand; the generator only varies their figures, places and (invented) people, so the
corpus is reproducible (`python3 deploy/build_pii_corpus.py`) and large enough to
measure recall and false positives per kind (`make pii-eval`).

Each line: {"text", "lang", "field", "kinds"}: kinds lists what a guard must catch
("name", "email", "phone", "nir", "iban", "birth_date", "id_document"); [] is clean.
"""

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "data" / "pii" / "corpus.jsonl"

FIRST = [
    "Ionut",
    "Maria",
    "Elena",
    "Andrei",
    "Bogdan",
    "Florin",
    "Mihai",
    "Ana",
    "Ioana",
    "Gheorghe",
    "Vasile",
    "Daniela",
    "Cristina",
    "Adrian",
    "Marius",
    "Nicoleta",
    "Dimitar",
    "Ivan",
    "Petya",
    "Stefan",
    "Youssef",
    "Fatima",
    "Karim",
    "Amina",
    "Moussa",
    "Aïcha",
    "Jean",
    "Marie",
    "Sophie",
    "Kevin",
    "Jessica",
    "Dragan",
    "Milan",
    "Sanja",
    "Roxana",
    "Alina",
    "Sorin",
    "Ciprian",
    "Larisa",
    "Denisa",
]
FAMILY = [
    "Popescu",
    "Dumitru",
    "Stan",
    "Ionescu",
    "Radu",
    "Constantin",
    "Petrov",
    "Ivanov",
    "Dimitrov",
    "Gheorghiu",
    "Lungu",
    "Munteanu",
    "Rusu",
    "Marin",
    "Dupont",
    "Lefèvre",
    "Benali",
    "Traoré",
    "Diallo",
    "Stoica",
    "Nistor",
    "Balan",
]
STREETS = [
    "rue Victor Hugo",
    "avenue Jean Jaurès",
    "rue Gabriel Péri",
    "boulevard Anatole France",
    "rue Jules Guesde",
    "avenue Paul Vaillant-Couturier",
    "quai de Seine",
    "rue de la Paix",
    "chemin des Vignes",
    "impasse Lénine",
    "rue Émile Zola",
    "allée Louise Michel",
]
SCHOOLS = [
    "l'école Jules Ferry",
    "l'école Paul Langevin",
    "le collège Pablo Neruda",
    "le lycée Marcel Cachin",
    "l'école maternelle Louise Michel",
    "le gymnase Pierre de Coubertin",
]
ORGS = [
    "la Croix-Rouge",
    "le Secours populaire",
    "Médecins du Monde",
    "le CCAS",
    "la PMI",
    "Emmaüs",
    "les Restos du Cœur",
    "la mairie",
    "la préfecture",
    "le SAMU social",
    "l'ARS",
    "la CAF",
    "Pôle emploi",
    "l'Éducation nationale",
    "le 115",
]
COMMUNES = ["Saint-Denis", "Montreuil", "Nanterre", "Bobigny", "Marseille", "Villeurbanne",
            "Aubervilliers", "Gennevilliers", "Colombes", "Toulouse", "Nantes", "Lille"]  # fmt: skip
EN_ORGS = ["the Red Cross", "the town hall", "the social services", "Doctors of the World",
           "the health agency", "the school board"]  # fmt: skip

CLEAN_FR = [
    "Passage de la maraude : {n} personnes présentes dont {k} enfants.",
    "Distribution de couvertures avec {org}, {n} familles servies.",
    "Point d'eau installé {street}, fonctionne depuis le {d}/{m}.",
    "Réunion avec {org} et {org2} sur la scolarisation des enfants.",
    "Les enfants vont à {school}, {k} inscrits cette année.",
    "Signalement de {org} : coupure d'électricité depuis {k} jours.",
    "Évacuation prévue le {d}/{m}/2026 selon l'arrêté préfectoral.",
    "Permanence santé le mardi avec {org}, {n} consultations.",
    "Collecte des déchets non assurée, dépôt sauvage {street}.",
    "Le terrain appartient à la commune de {commune}, procédure en cours.",
    "Visite de la PMI : {k} nourrissons suivis, vaccins à jour.",
    "Livraison d'eau par citerne, {n} litres par semaine.",
    "Relogement de {k} ménages en résidence sociale à {commune}.",
    "Rats signalés près des caravanes, dératisation demandée à {org}.",
    "Extincteurs installés, {k} sur le site, vérifiés le {d}/{m}.",
    "Accompagnement vers l'emploi : {k} personnes inscrites à Pôle emploi.",
    "Domiciliation au CCAS de {commune} pour {n} personnes.",
    "Orientation vers le 115 de {k} personnes sans solution.",
    "Sanitaires mobiles posés {street}, entretien par {org}.",
    "Diagnostic social réalisé avec {org} sur {n} personnes.",
    "Deux incendies de caravanes en {month}, pas de blessé.",
    "Place réservée devant la mairie de {commune}, largeur 3,30 m.",
    "Emplacement PMR {street}, marquage effacé, à repeindre.",
    "Place handicapé à l'angle de {street}, revêtement enrobé.",
    "Objectif : scolariser {k} enfants à {school} avant la rentrée.",
    "Objectif : accès à l'eau potable pour {n} personnes d'ici {month}.",
    "Fermeture du site suite à décision du tribunal de {commune}.",
    "Site résorbé, {k} ménages relogés, {k2} hébergés.",
    "Rendez-vous le {d}/{m} à {h}h avec {org} au centre social.",
    "Environ {n} personnes, effectif stable depuis {month}.",
    "Le médiateur de {org} passe chaque jeudi.",
    "Accès pompiers dégagé {street} après intervention de la police municipale.",
    "Ramassage scolaire organisé par la ville de {commune}.",
    "Forte chaleur : distribution d'eau renforcée par {org}.",
    "Compteur électrique posé, contrat pris en charge par {org}.",
]
CLEAN_EN = [
    "Outreach visit: {n} people present including {k} children.",
    "Blankets handed out with {eorg}, {n} households served.",
    "Water point installed on {street}, working since {d}/{m}.",
    "Meeting with {eorg} about school enrolment.",
    "Waste collection still missing, fly-tipping near the entrance.",
    "Fire extinguishers checked, {k} on site.",
    "Eviction expected on {d}/{m}/2026 according to the order.",
    "Health session on Tuesday with {eorg}, {n} consultations.",
    "Parking space outside the town hall, 3.30 m wide, repainted.",
    "Goal: enrol {k} children in school before September.",
    "About {n} people, numbers stable since {month}.",
    "Site cleared, {k} households rehoused and {k2} sheltered.",
]
NAME_FR = [
    "{first} et ses {k} enfants dorment sous la tente nord.",
    "Mme {family} demande un rendez-vous à la PMI.",
    "M. {family} refuse la visite du médiateur.",
    "Famille {family} : enfants scolarisés à {school}.",
    "{first} {family}, {age} ans, cherche du travail.",
    "Rencontré {first} devant la caravane, besoin de couches.",
    "{first} est enceinte de {k} mois, suivi à organiser.",
    "Le fils de {first} a été hospitalisé à {commune}.",
    "{first} et {first2} travaillent au marché de {commune}.",
    "Madame {family} a perdu ses papiers, accompagnement au CCAS.",
    "Les enfants de {first} ne vont plus à {school}.",
    "{first} ({age} ans) a besoin d'un suivi dentaire.",
    "Accompagnement de {first} {family} vers le logement.",
    "Monsieur {family} dit vouloir partir à {commune}.",
    "Visite : {first} malade, orientée vers {org}.",
    "{first} {family} a obtenu un contrat d'insertion.",
]
NAME_EN = [
    "Met {first} near the gate, needs nappies.",
    "Mrs {family} asked for a doctor's appointment.",
    "{first} {family}, {age} years old, looking for work.",
    "The {family} family moved to another site.",
    "{first} and her {k} children sleep in the north tent.",
    "Mr {family} refused the visit.",
]
CERTAIN_FR = {
    "email": [
        "Contact de la famille : {email}",
        "Écrire à {email} pour le suivi.",
        "Mail de la mère : {disguised}",
    ],
    "phone": [
        "Joignable au {phone} le matin.",
        "Tél : {phone}",
        "Appeler le {phone} avant de passer.",
    ],
    "nir": ["Numéro de sécu : {nir}", "NIR {nir} pour l'ouverture des droits."],
    "iban": ["Virement sur le compte {iban}", "RIB : {iban}"],
    "birth_date": [
        "L'enfant est né le {dob}.",
        "Date de naissance : {dob}",
        "Sa fille, née en {year}, va à l'école.",
    ],
    "id_document": [
        "Passeport n° {passport} perdu.",
        "Carte d'identité {cni} à renouveler.",
        "Titre de séjour : {cni}",
    ],
}
CERTAIN_EN = {
    "email": ["Family contact: {email}", "Write to {disguised} for follow-up."],
    "phone": ["Call {phone} in the morning."],
    "birth_date": ["The boy was born on {dob}.", "Date of birth: {dob}"],
    "id_document": ["Passport number {passport} lost."],
}
MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "septembre",
]


def phone(rng: random.Random) -> str:
    digits = (
        "0"
        + rng.choice("1234567")
        + "".join(rng.choice("0123456789") for _ in range(8))
    )
    style = rng.randrange(5)
    if style == 0:
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if style == 1:
        return ".".join(digits[i : i + 2] for i in range(0, 10, 2))
    if style == 2:
        return f"{digits[:2]} {digits[2:6]} {digits[6:]}"
    if style == 3:
        return f"{digits[:2]} {digits[2:4]}.{digits[4:6]} {digits[6:8]} {digits[8:]}"
    return "+33 " + " ".join([digits[1]] + [digits[i : i + 2] for i in range(2, 10, 2)])


def nir(rng: random.Random) -> str:
    head = f"{rng.choice('12')}{rng.randint(60, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 95):02d}{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    key = 97 - int(head) % 97
    return f"{head[0]} {head[1:3]} {head[3:5]} {head[5:7]} {head[7:10]} {head[10:13]} {key:02d}"


def iban(rng: random.Random) -> str:
    bban = "".join(rng.choice("0123456789") for _ in range(23))
    rearranged = bban + "FR00"
    number = int("".join(str(int(c, 36)) for c in rearranged))
    check = 98 - number % 97
    compact = f"FR{check:02d}{bban}"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def email(rng: random.Random, disguised: bool) -> str:
    user = f"{rng.choice(FIRST).lower()}.{rng.choice(FAMILY).lower()}"
    user = user.replace("ï", "i").replace("è", "e").replace("é", "e")
    domain = rng.choice(["gmail", "yahoo", "hotmail", "orange"])
    tld = rng.choice(["fr", "com"])
    if not disguised:
        return f"{user}@{domain}.{tld}"
    style = rng.randrange(3)
    if style == 0:
        return f"{user}(at){domain}.{tld}"
    if style == 1:
        return f"{user.replace('.', ' dot ')} at {domain} dot {tld}"
    return f"{user}[at]{domain}[dot]{tld}"


def slots(rng: random.Random) -> dict:
    return {
        "n": rng.randint(4, 120), "k": rng.randint(2, 9), "k2": rng.randint(1, 6),
        "d": rng.randint(1, 28), "m": rng.randint(1, 12), "h": rng.randint(9, 17),
        "age": rng.randint(16, 70), "year": rng.randint(2008, 2022),
        "org": rng.choice(ORGS), "org2": rng.choice(ORGS), "eorg": rng.choice(EN_ORGS),
        "street": rng.choice(STREETS), "school": rng.choice(SCHOOLS),
        "commune": rng.choice(COMMUNES), "month": rng.choice(MONTHS_FR),
        "first": rng.choice(FIRST), "first2": rng.choice(FIRST), "family": rng.choice(FAMILY),
        "email": email(rng, False), "disguised": email(rng, True), "phone": phone(rng),
        "nir": nir(rng), "iban": iban(rng),
        "dob": rng.choice([f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2020)}",
                           f"{rng.randint(1, 28)} {rng.choice(MONTHS_FR)} {rng.randint(1950, 2020)}"]),
        "passport": f"{rng.randint(10, 99)}{rng.choice('ABCDEFGH')}{rng.choice('KLMNPRST')}{rng.randint(10000, 99999)}",
        "cni": "".join(rng.choice("0123456789") for _ in range(12)),
    }  # fmt: skip


def notes(rng: random.Random) -> list[dict]:
    rows = []

    def add(template: str, lang: str, kinds: list[str], times: int) -> None:
        for _ in range(times):
            field = rng.choice(["site journal", "closure reason", "intervention goals",
                                "accessibility details"])  # fmt: skip
            rows.append({"text": template.format(**slots(rng)), "lang": lang,
                         "field": field, "kinds": kinds})  # fmt: skip

    for template in CLEAN_FR:
        add(template, "fr", [], 8)
    for template in CLEAN_EN:
        add(template, "en", [], 6)
    for template in NAME_FR:
        add(template, "fr", ["name"], 9)
    for template in NAME_EN:
        add(template, "en", ["name"], 6)
    for kind, templates in CERTAIN_FR.items():
        for template in templates:
            add(template, "fr", [kind], 8)
    for kind, templates in CERTAIN_EN.items():
        for template in templates:
            add(template, "en", [kind], 5)
    return rows


def main() -> None:
    rows = notes(random.Random(2026))  # noqa: S311 - reproducible, not a secret
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} notes written to {OUT}")


if __name__ == "__main__":
    main()
