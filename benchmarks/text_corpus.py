"""Generator of a synthetic French clinical corpus with gold identifier spans (evaluation only).

Templates are written for datacert; the values come from Faker `fr_FR` (a test dependency) and
from a few formats drawn at random (phones with dots, dashes or +33, NIR compact or spaced,
Corsican NIR, numeric and written dates...). Gold spans are recorded while the note is built, so
they are exact by construction. Notes also carry clinical distractors that must not be flagged:
lab values with units, ICD-10 and ATC codes, doses, blood pressures, ages under 90, uppercase
abbreviations. Annotation follows the AP-HP eds-pseudo convention of real notes: a weekday belongs to
its date, and a year alone ("en 2015") is a DATE. Nothing here is real patient data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
MONTHS_ABBR = [
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
]
MONTHS_PLAIN = [
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
]
STREET_TYPES = [
    "rue",
    "rue",
    "avenue",
    "boulevard",
    "chemin",
    "allée",
    "place",
    "impasse",
    "quai",
    "route",
    "bd",
    "cours",
    "square",
]
REAL_CITIES = [
    "Paris",
    "Lyon",
    "Marseille",
    "Bordeaux",
    "Lille",
    "Nantes",
    "Rennes",
    "Toulouse",
    "Strasbourg",
    "Montpellier",
    "Nice",
    "Grenoble",
    "Dijon",
    "Angers",
    "Brest",
    "Ajaccio",
    "Bastia",
    "Saint-Étienne",
    "Clermont-Ferrand",
    "Le Havre",
    "Aix-en-Provence",
    "Boulogne-Billancourt",
    "Tours",
    "Limoges",
]
HOSPITAL_NAMES = [
    "Saint-Antoine",
    "Pitié-Salpêtrière",
    "Henri-Mondor",
    "Bicêtre",
    "Lariboisière",
    "Necker",
    "Cochin",
    "Tenon",
    "Pellegrin",
    "Édouard Herriot",
    "Purpan",
    "Rangueil",
    "Sainte-Anne",
    "Saint-Louis",
    "Avicenne",
    "Jean Verdier",
    "Louis Mourier",
    "Beaujon",
    "Bichat",
    "Foch",
]
CLINIC_NAMES = [
    "des Cèdres",
    "du Parc",
    "Saint-Jean",
    "des Lilas",
    "Pasteur",
    "de l'Anjou",
    "Sainte-Marie",
    "du Val d'Ouest",
    "Belharra",
    "Jules Verne",
]

FILLERS = [
    "Bilan biologique : Hb 10,2 g/dL, leucocytes 12,5 G/L, plaquettes 180 G/L, CRP à 45 mg/L.",
    "Créatininémie 98 µmol/L, DFG estimé 62 mL/min/1,73m², kaliémie 4,1 mmol/L.",
    "HbA1c à 7,2 % ; glycémie à jeun 1,32 g/L.",
    "TA 135/85 mmHg, FC 78/min, SpO2 97 % en AA, température 37,8 °C.",
    "Traitement : amlodipine 5 mg 1 cp/j, metformine 1000 mg x2/j, Kardégic 75 mg/j.",
    "Antécédents : HTA, DT2, IDM (I21.9), BPCO stade 2.",
    "Pas d'allergie médicamenteuse connue. ATCD familiaux : père diabétique.",
    "ECG : rythme sinusal, pas de trouble de la repolarisation.",
    "Scanner thoracique : pas d'EP, pas d'épanchement.",
    "Patient de 67 ans adressé pour douleur thoracique atypique.",
    "Patiente de 54 ans, G2P2, suivie pour une IRC stade 3.",
    "Poursuite de l'amlodipine (C08CA01) et introduction de ramipril 2,5 mg le matin.",
    "Surveillance NFS, ionogramme et bilan hépatique (ASAT, ALAT, GGT, PAL) à J7.",
    "TP 78 %, INR 1,1, TCA 32 s.",
    "Le score de Glasgow est à 15. Pas de déficit sensitivo-moteur.",
    "IRM cérébrale sans anomalie. EEG normal.",
    "Évolution favorable à J3, sortie prévue en fin de semaine.",
    "Consultation de contrôle dans 3 mois avec un bilan lipidique (LDL-c 1,12 g/L).",
    "Le patient est âgé de 72 ans et vit seul, autonome pour les actes de la vie quotidienne.",
    "Tabagisme sevré à 20 PA. Consommation d'alcool occasionnelle.",
    "Codage : E11.9, I10, N18.3. LOINC 2345-7 pour la glycémie.",
    "Posologie : paracétamol 1 g x 3/j si douleur, maximum 4 g par jour.",
    "Conclusion : décompensation cardiaque sur FA rapide, NYHA III.",
    "Radiographie pulmonaire de face : cardiomégalie, pas de foyer.",
    "Prise en charge en HDJ pour bilan étiologique, retour à domicile le soir.",
    "Examen clinique : abdomen souple, dépressible, indolore. Murmure vésiculaire symétrique.",
]


@dataclass
class Note:
    """One generated note, its patient (group) and its gold spans (start, end, label)."""

    text: str
    group: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.spans: list[tuple[int, int, str]] = []

    def add(self, text: str) -> _Builder:
        self.parts.append(text)
        self.length += len(text)
        return self

    def phi(self, value: str, label: str) -> _Builder:
        self.spans.append((self.length, self.length + len(value), label))
        return self.add(value)

    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class _Person:
    first: str
    last: str
    sex: str
    birth: object
    nir: str
    phone: str
    email: str
    street: tuple[str | None, str, str]
    zip: str
    city: str
    birth_city: str
    ipp: str
    age: int


def _nir_key(body: str) -> str:
    numeric = body.replace("2A", "19").replace("2B", "18")
    return f"{97 - int(numeric) % 97:02d}"


def _nir(fake, rng: random.Random, sex: str, birth) -> str:
    if rng.random() < 0.15:  # Corsica
        dept = rng.choice(["2A", "2B"])
        body = (
            f"{1 if sex == 'M' else 2}{birth.year % 100:02d}{birth.month:02d}{dept}{rng.randint(1, 300):03d}"
            f"{rng.randint(1, 999):03d}"
        )
    else:
        body = (
            f"{1 if sex == 'M' else 2}{birth.year % 100:02d}{birth.month:02d}{rng.randint(1, 95):02d}"
            f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
        )
    nir = body + _nir_key(body)
    style = rng.random()
    if style < 0.4:
        return nir
    if style < 0.85:
        return f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"
    return f"{nir[0]}.{nir[1:3]}.{nir[3:5]}.{nir[5:7]}.{nir[7:10]}.{nir[10:13]}.{nir[13:]}"


def _phone(fake, rng: random.Random) -> str:
    style = rng.random()
    if style < 0.4:
        return fake.phone_number()
    digits = rng.choice(["01", "02", "03", "04", "05", "06", "07", "09"]) + "".join(
        str(rng.randint(0, 9)) for _ in range(8)
    )
    pairs = [digits[i : i + 2] for i in range(0, 10, 2)]
    if style < 0.55:
        return ".".join(pairs)
    if style < 0.65:
        return "-".join(pairs)
    if style < 0.8:
        return "+33 " + digits[1] + " " + " ".join(pairs[1:])
    if style < 0.9:
        return " ".join(pairs)
    return "0033 " + digits[1] + " " + " ".join(pairs[1:])


def _date_text(rng: random.Random, value) -> str:
    style = rng.random()
    d, m, y = value.day, value.month, value.year
    if style < 0.3:
        return f"{d:02d}/{m:02d}/{y}"
    if style < 0.38:
        return f"{d:02d}.{m:02d}.{y}"
    if style < 0.44:
        return f"{d:02d}-{m:02d}-{y}"
    if style < 0.5:
        return f"{d:02d}/{m:02d}/{y % 100:02d}"
    if style < 0.56:
        return value.isoformat()
    if style < 0.75:
        return f"{'1er' if d == 1 else d} {MONTHS[m - 1]} {y}"
    if style < 0.83:
        return f"{d} {MONTHS_ABBR[m - 1]} {y}"
    if style < 0.9:
        return f"{d} {MONTHS_PLAIN[m - 1]} {y}"
    return f"{MONTHS[m - 1]} {y}"


def _person(fake, rng: random.Random) -> _Person:
    sex = rng.choice("MF")
    first = fake.first_name_male() if sex == "M" else fake.first_name_female()
    last = fake.last_name()
    birth = fake.date_of_birth(minimum_age=18, maximum_age=99)
    number = str(rng.randint(1, 250)) + rng.choice(["", "", "", " bis", " ter"])
    stype = rng.choice(STREET_TYPES)
    sname = rng.choice(
        [
            f"{fake.first_name()} {fake.last_name()}",
            f"de {fake.last_name()}",
            fake.last_name(),
            f"des {rng.choice(['Lilas', 'Tilleuls', 'Acacias', 'Peupliers', 'Roses'])}",
            f"de la {rng.choice(['République', 'Liberté', 'Gare', 'Paix', 'Mairie'])}",
            f"du {rng.choice(['Général Leclerc', 'Maréchal Foch', 'Château', 'Moulin', 'Port'])}",
            "Victor Hugo",
            "Jean Jaurès",
            f"des {rng.choice(['chênes', 'vignes', 'tilleuls'])}",
            f"du {rng.choice(['moulin', 'stade', 'lavoir'])}",
        ]
    )
    city = fake.city() if rng.random() < 0.6 else rng.choice(REAL_CITIES)
    ipp = (
        "8" + "".join(str(rng.randint(0, 9)) for _ in range(9))
        if rng.random() < 0.6
        else str(rng.randint(10**6, 10**9))
    )
    email = (
        fake.email()
        if rng.random() < 0.5
        else f"{_ascii(first).lower()}.{_ascii(last).lower().replace(' ', '')}@{rng.choice(['gmail.com', 'orange.fr', 'free.fr', 'wanadoo.fr'])}"
    )
    return _Person(
        first,
        last,
        sex,
        birth,
        _nir(fake, rng, sex, birth),
        _phone(fake, rng),
        email,
        (number, stype, sname),
        fake.postcode(),
        city,
        fake.city() if rng.random() < 0.5 else rng.choice(REAL_CITIES),
        ipp,
        rng.randint(90, 104) if rng.random() < 0.3 else rng.randint(20, 88),
    )


def _ascii(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def _name(b: _Builder, rng: random.Random, first: str, last: str, style: float | None = None) -> None:
    style = rng.random() if style is None else style
    if style < 0.35:
        b.phi(first, "PRENOM").add(" ").phi(last.upper(), "NOM")
    elif style < 0.6:
        b.phi(last.upper(), "NOM").add(" ").phi(first, "PRENOM")
    elif style < 0.9:
        b.phi(first, "PRENOM").add(" ").phi(last, "NOM")
    else:
        b.phi(last.upper(), "NOM")


def _title(sex: str, rng: random.Random) -> str:
    return rng.choice(["M.", "Monsieur", "M."] if sex == "M" else ["Mme", "Madame", "Mme", "Mlle"])


def _header(b, fake, rng, p: _Person, birth_text: str) -> None:
    style = rng.randint(0, 4)
    if style == 0:
        b.add("Patient : ")
        _name(b, rng, p.first, p.last)
        b.add(f", né{'e' if p.sex == 'F' else ''} le ").phi(birth_text, "DATE_NAISSANCE").add(".\n")
    elif style == 1:
        b.add("Nom : ").phi(p.last.upper(), "NOM").add("\nPrénom : ").phi(p.first, "PRENOM")
        b.add("\nDDN : ").phi(birth_text, "DATE_NAISSANCE").add("\n")
    elif style == 2:
        b.add(_title(p.sex, rng) + " ")
        _name(b, rng, p.first, p.last)
        b.add(f", {rng.choice(['né', 'née']) if False else ('née' if p.sex == 'F' else 'né')} le ")
        b.phi(birth_text, "DATE_NAISSANCE").add(", ")
        b.add("IPP : " if rng.random() < 0.5 else "IPP ").phi(p.ipp, "IPP").add(".\n")
    elif style == 3:
        b.add("Identité : ").add(_title(p.sex, rng) + " ")
        _name(b, rng, p.first, p.last)
        b.add(" - date de naissance : ").phi(birth_text, "DATE_NAISSANCE").add("\n")
    else:
        b.add("Compte rendu concernant ").add(_title(p.sex, rng) + " ")
        _name(b, rng, p.first, p.last, style=rng.random() * 0.9)
        b.add(f" ({'née' if p.sex == 'F' else 'né'} le ").phi(birth_text, "DATE_NAISSANCE").add(").\n")


def _address(b, rng, p: _Person) -> None:
    number, stype, sname = p.street
    comma = "," if rng.random() < 0.3 else ""
    b.phi(f"{number}{comma} {stype} {sname}", "ADRESSE")
    b.add(rng.choice([", ", " ", " - "])).phi(p.zip, "ZIP").add(" ")
    b.phi(p.city.upper() if rng.random() < 0.2 else p.city, "VILLE")


def _sentences(fake, rng, p: _Person, doctor: tuple[str, str], when) -> list:
    """Sentence makers, one per identifier family, each with several phrasings."""

    def address(b):
        b.add(rng.choice(["Demeurant ", "Domicile : ", "Adresse : ", "Vit au ", "Domicilié au "]))
        _address(b, rng, p)
        b.add(".")

    def phone(b):
        b.add(
            rng.choice(
                [
                    "Tél : ",
                    "Téléphone : ",
                    "Joignable au ",
                    "Portable : ",
                    "Contact de la fille au ",
                    "Numéro du domicile : ",
                ]
            )
        )
        b.phi(p.phone, "TEL").add(rng.choice([".", "", " (répondeur)."]))

    def mail(b):
        b.add(rng.choice(["Mail : ", "Courriel : ", "Contact par e-mail : ", "Adresse électronique "]))
        b.phi(p.email, "MAIL").add(rng.choice([".", "", " ."]))

    def secu(b):
        b.add(
            rng.choice(
                ["NIR : ", "N° de sécurité sociale : ", "Numéro de sécurité sociale ", "NSS ", "INS : "]
            )
        )
        b.phi(p.nir, "SECU").add(".")

    def nda(b):
        value = rng.choice(
            [
                str(rng.randint(10**8, 10**10)),
                f"{when.year}{rng.randint(10**5, 10**6 - 1)}",
                f"V{rng.randint(10**6, 10**8)}",
            ]
        )
        b.add(rng.choice(["NDA : ", "N° de séjour : ", "Numéro de dossier ", "NDA ", "N° de venue : "]))
        b.phi(value, "NDA").add(".")

    def ipp(b):
        b.add(rng.choice(["IPP : ", "N° IPP ", "NIP : ", "Identifiant patient : "])).phi(p.ipp, "IPP").add(
            "."
        )

    def doctor_sentence(b):
        first, last = doctor
        b.add(
            rng.choice(
                ["Courrier adressé au ", "Vu en consultation par le ", "Avis du ", "Patient adressé par le "]
            )
        )
        b.add(rng.choice(["Dr ", "Docteur ", "Pr ", "Dr. "]))
        _name(b, rng, first, last, style=rng.choice([0.1, 0.7, 0.95, 0.4]))
        if rng.random() < 0.4:
            rpps = "10" + "".join(str(rng.randint(0, 9)) for _ in range(9))
            b.add(" (RPPS ").phi(rpps, "RPPS").add(")")
        b.add(".")

    def hospital_name() -> str:
        style = rng.random()
        if style < 0.35:
            return f"{rng.choice(['hôpital', 'Hôpital', 'hôpital'])} {rng.choice(HOSPITAL_NAMES)}"
        if style < 0.6:
            return f"{rng.choice(['CHU', 'CH', 'CHR'])} de {rng.choice(REAL_CITIES)}"
        if style < 0.8:
            return f"{rng.choice(['clinique', 'Clinique'])} {rng.choice(CLINIC_NAMES)}"
        return f"centre hospitalier de {rng.choice(REAL_CITIES)}"

    def stay(b):
        b.add(rng.choice(["Hospitalisé", "Admis", "Pris en charge", "Vu aux urgences"]))
        b.add(rng.choice([" du ", " le "])).phi(_date_text(rng, when), "DATE")
        if rng.random() < 0.5:
            b.add(" au ").phi(_date_text(rng, when + _days(rng)), "DATE")
        value = hospital_name()
        b.add(" à l'" if value.lower().startswith(("hôpital", "clinique")) else " au ")
        b.phi(value, "HOPITAL").add(".")

    def hospital(b):
        value = hospital_name()
        article = value.lower().startswith(("hôpital", "clinique"))
        b.add(rng.choice(["Transfert vers ", "Suivi ", "Consultation "]))
        b.add(
            ("à l'" if "vers" not in b.parts[-1] else "l'")
            if article
            else ("au " if "vers" not in b.parts[-1] else "le ")
        )
        b.phi(value, "HOPITAL").add(".")

    def city(b):
        b.add(
            rng.choice(
                [f"{'Née' if p.sex == 'F' else 'Né'} à ", "Originaire de ", "Habite à ", "Domicilié à "]
            )
        )
        b.phi(p.birth_city, "VILLE").add(".")

    def age(b):
        b.add(rng.choice(["Patient âgé de ", "Patiente de ", "Âge : ", "À "]))
        b.phi(f"{p.age} ans", "AGE") if p.age >= 90 else b.add(f"{p.age} ans")
        b.add(rng.choice([", autonome.", ", en EHPAD.", "."]))

    def url(b):
        value = (
            fake.url() if rng.random() < 0.6 else f"www.{_ascii(p.last).lower().replace(' ', '')}.fr/dossier"
        )
        b.add(rng.choice(["Documents sur ", "Voir le portail ", "Lien : "])).phi(value, "URL").add(".")

    def relative(b):
        rel_first = fake.first_name()
        b.add(
            rng.choice(
                ["Personne de confiance : ", "Contact : sa fille ", "Son épouse ", "Personne à prévenir : "]
            )
        )
        if rng.random() < 0.5:
            b.phi(rel_first, "PRENOM").add(" ").phi(p.last.upper(), "NOM")
        else:
            b.add(rng.choice(["Mme ", "M. "])).phi(rel_first, "PRENOM").add(" ").phi(fake.last_name(), "NOM")
        b.add(", tél. ").phi(_phone(fake, rng), "TEL").add(".")

    def control(b):
        b.add(rng.choice(["Prochain rendez-vous le ", "Contrôle prévu le ", "Revu en consultation le "]))
        b.phi(_date_text(rng, when + _days(rng)), "DATE").add(".")

    def prose_name(b):
        # a name without a title, found only through the first-name gazetteer or the capitals convention
        first = rng.choice([p.first, fake.first_name(), "Jean-Pierre", "Marie-Claire", "Anne-Sophie"])
        b.add(rng.choice(["Entretien avec ", "Vu ce jour avec ", "Appel de ", "Information donnée à "]))
        if rng.random() < 0.5:
            b.phi(first, "PRENOM").add(" ").phi(fake.last_name().upper(), "NOM")
        else:
            b.phi(fake.last_name().upper(), "NOM").add(" ").phi(first, "PRENOM")
        b.add(rng.choice([" ce jour.", ", présent à la consultation.", "."]))

    def family_first_name(b):
        b.add(rng.choice(["Accompagné de sa fille ", "Présence de son fils ", "Sa femme ", "Son mari "]))
        b.phi(
            rng.choice(["Marie", "Pierre", "Julie", "Nicolas", "Claire", "Thomas", "Sophie", "Antoine"]),
            "PRENOM",
        )
        b.add(rng.choice([" ce jour.", ", aidant principal.", "."]))

    def short_date(b):
        value = when + _days(rng)
        b.add(rng.choice(["Pansement à refaire le ", "Retrait des fils le ", "Bilan de contrôle le "]))
        b.phi(f"{value.day:02d}/{value.month:02d}", "DATE").add(".")

    def street_without_number(b):
        b.add("Adresse : ").phi(
            f"{rng.choice(['rue', 'avenue', 'chemin'])} {fake.first_name()} {fake.last_name()}", "ADRESSE"
        )
        b.add(", ").phi(p.zip, "ZIP").add(" ").phi(p.city, "VILLE").add(".")

    def weekday_date(b):
        value = when + _days(rng)
        day = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"][value.weekday()]
        b.add(rng.choice(["Intervention programmée le ", "Passage infirmier le "]))
        month = rng.choice([MONTHS, MONTHS_PLAIN])[value.month - 1]
        b.phi(f"{day} {value.day} {month} {value.year}", "DATE").add(".")

    def cedex_address(b):
        b.add("Courrier à : ").phi(
            f"{rng.randint(1, 99)} {rng.choice(STREET_TYPES)} {fake.last_name()}", "ADRESSE"
        )
        b.add(", ").phi(p.zip, "ZIP").add(" ").phi(rng.choice(REAL_CITIES), "VILLE")
        b.add(rng.choice([" CEDEX", " Cedex 9", " CEDEX 12"])).add(".")

    def nir_without_key(b):
        b.add(rng.choice(["NIR (sans clé) : ", "Matricule INSEE "])).phi(
            p.nir.replace(" ", "").replace(".", "")[:13], "SECU"
        ).add(".")

    def two_doctors(b):
        first = (fake.first_name(), fake.last_name().upper())
        b.add("Staff avec le Dr ").phi(first[1], "NOM").add(" et le Pr ").phi(
            fake.first_name(), "PRENOM"
        ).add(" ")
        b.phi(fake.last_name().upper(), "NOM").add(".")

    return [
        address,
        phone,
        mail,
        secu,
        nda,
        ipp,
        doctor_sentence,
        stay,
        hospital,
        city,
        age,
        url,
        relative,
        control,
        prose_name,
        family_first_name,
        short_date,
        street_without_number,
        weekday_date,
        cedex_address,
        nir_without_key,
        two_doctors,
    ]


def _days(rng: random.Random):
    import datetime as dt

    return dt.timedelta(days=rng.randint(1, 90))


def generate(n_notes: int = 500, seed: int = 0) -> list[Note]:
    """`n_notes` notes for about n/3 patients, with gold spans; deterministic for a seed."""
    from faker import Faker

    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    notes: list[Note] = []
    patient = 0
    while len(notes) < n_notes:
        person = _person(fake, rng)
        doctor = (fake.first_name(), fake.last_name())
        patient += 1
        for _ in range(rng.randint(1, 4)):
            if len(notes) >= n_notes:
                break
            b = _Builder()
            when = fake.date_between(start_date="-6y", end_date="today")
            _header(b, fake, rng, person, _date_text(rng, person.birth))
            makers = _sentences(fake, rng, person, doctor, when)
            rng.shuffle(makers)
            chosen = makers[: rng.randint(4, 8)]
            fillers = rng.sample(FILLERS, rng.randint(1, 3))
            pieces = [(m, None) for m in chosen] + [(None, f) for f in fillers]
            rng.shuffle(pieces)
            for maker, filler in pieces:
                b.add(rng.choice([" ", "\n", " "]))
                if maker is not None:
                    maker(b)
                else:
                    b.add(filler)
            notes.append(Note(b.text(), f"P{patient:05d}", b.spans))
    return notes


def covering_every_label(notes: list[Note]) -> set[str]:
    """The labels present in a corpus (the evaluation asserts every label is covered)."""
    return {label for note in notes for _, _, label in note.spans}
