"""Generated French note fragments in the forms real notes use, with gold spans (training data).

Written for datacert from the forms listed in the de-identification issue: staff lists of initials
and surnames, surnames in capitals alone on a line, "NOM, NOM PRENOM" headers, name after title,
first name after surname, patient rows with "|" separators, rows of digits written one by one,
hospitals by their short name, cities in capitals with CEDEX, foreign cities and phones, e-mails with
spaces. Names are drawn half from the shipped lists and half invented from syllables, so that the
model learns the context and not the lists. The annotation follows the eds-pseudo convention: a title
is outside the name, an initial keeps its dot, "Hôpital"/"CHU" stay outside the hospital's name,
ZIP and city are two spans, CEDEX belongs to the city. Nothing here is real patient data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from benchmarks.text_corpus import FILLERS

from datacert.text._resources import city_list, first_name_list, read_lines, surname_list

FRENCH_MONTHS = [
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
_SYLLABLES = (
    "ba be bi bo bou ca ce ci co cha che chi da de di do dou fa fe fi fo ga gau gi go gui la le li lo lou"
    " ma me mi mo mou na ne ni no pa pe pi po ra re ri ro rou sa se si so ta te ti to tou va ve vi vo za zo"
    " ber bert mont val ran rin lin mar nier tier vel dor gal lan ric"
).split()
_ENDINGS = [
    "",
    "",
    "t",
    "n",
    "z",
    "s",
    "r",
    "l",
    "ot",
    "et",
    "in",
    "ard",
    "ier",
    "eau",
    "ac",
    "oux",
    "ski",
    "ian",
    "elli",
]
_TITLES = [
    "Dr",
    "Dr.",
    "Docteur",
    "Pr",
    "Pr.",
    "Professeur",
    "M.",
    "Mme",
    "Madame",
    "Monsieur",
    "Mlle",
    "Interne",
    "IDE",
    "DR",
]
_ROLES = [
    "Chirurgiens",
    "Radiologues",
    "Infirmiers",
    "Anesthésistes",
    "Médecins Associés",
    "Liste des Cliniciens associés",
    "Équipe",
    "Biologistes",
    "Copie à",
    "Rédigé par",
    "Validé par",
    "Signé par",
]
_STREETS = [
    "rue",
    "avenue",
    "boulevard",
    "bd",
    "chemin",
    "allée",
    "place",
    "impasse",
    "quai",
    "route",
    "passage",
]
_FOREIGN_CITIES = [
    "Genève",
    "Lausanne",
    "Bruxelles",
    "Liège",
    "Montréal",
    "Québec",
    "Alger",
    "Tunis",
    "Casablanca",
    "Dakar",
    "Londres",
    "Milan",
    "Turin",
    "Madrid",
    "Barcelone",
    "Lisbonne",
    "Porto",
    "Berlin",
    "Bâle",
]
_COUNTRIES = [
    "Suisse",
    "Belgique",
    "Canada",
    "Algérie",
    "Tunisie",
    "Maroc",
    "Sénégal",
    "Italie",
    "Espagne",
    "Portugal",
    "Allemagne",
    "Switzerland",
    "Thailand",
    "France",
]
_NEGATIVES = [
    "CONCLUSION",
    "EVOLUTION CLINIQUE",
    "Cadre de Santé",
    "Consultant",
    "Secrétariat Médical",
    "Adjoints",
    "Responsable des Soins",
    "Département de Chirurgie",
    "Pas de micro-calcification à droite ni à gauche.",
    "Exploration d'un syndrome de Raynaud du pied gauche depuis 6 sem.",
    "Opéré d'une tétralogie de Fallot dans l'enfance.",
    "Score de Glasgow à 15, pas de signe de Babinski.",
    "Traitement par HUMIRA 40 mg, puis KARDEGIC 75 mg.",
    "Maladie de Crohn iléale, classification de Montréal A2L1B1.",
    "Test de Schirmer normal, manoeuvre de Lasègue négative.",
    "Avis médical : arthrose fémoro-tibiale, chirurgie envisagée.",
    "Niveau oeil gauche: 10/12",
    "TA 12/8, FC 80 bpm, SpO2 97 %.",
    "Créatinine 98 µmol/L, DFG 62 mL/min.",
    "Réunion de concertation pluridisciplinaire (RCP).",
    "Accueil en salle de réveil.",
    "Prescription pour un suivi médical régulier.",
    "Notice: ce courrier doit être traité dans le respect du secret médical.",
    "Dentition non alignée à cause de dents surnuméraires.",
    "- Ferritine N",
    "- TSH M",
    "Masse non lobulée au QSE.",
    "Sonde de Foley retirée à J2.",
    "Classification de Child-Pugh B, score de MELD à 14.",
    "Examen de Parkinson : pas de tremblement.",
    "v ACTES MEDICAUX REALISES A L'ENTREE",
    "v CONCLUSION MEDICALE",
    "HISTOIRE DE LA MALADIE",
    "TRAITEMENT DE SORTIE",
    "EXAMEN CLINIQUE",
    "COMPTE RENDU OPERATOIRE",
    "MACROALBUMINURIE effectuée ce jour",
    "ANTECEDENTS PERSONNELS",
    "MODE DE VIE",
    "- CORA THREE (FACIAL)",
    "- JOYCE TWO (VIEW)",
    "Je vous prie d'agréer, Cher Confrère, l'expression de mes sentiments confraternels.",
    "Bien confraternellement,",
    "Jambe - CSGO 3.71 1.722 8.629",
    "│HDS Cholestérol │ 0.91* g/L │ 0,41 à 1,77 │",
    "(1)14:02 30 1939 394 29 293 29  293 29 2 203 3029 192 39",
    "Traitement par ADALIMUMAB 40mg/0.4ml SOL INJ STYLO",
    "Prélever AIS le matin, Contacter le laboratoire si besoin.",
    "Réunion Clinique Multidisciplinaire (RCP/MCM)",
    "Rendez-vous de contrôle dans 3 mois.",
    "AP-HP. SUD Université Paris-Saclay",
    "Lucentis, Oeil droit, 2mL",
    "Conduit valvé porcin SORIN Sizer n° 16.",
    "Codage E11.9, LOINC 2345-7, CIM-10 I21.9.",
    "Traitement : amlodipine 5 mg 1 cp/j, metformine 1000 mg x2/j.",
    "Sexe : F. Poids 62 kg, taille 1,65 m.",
    "NIR (sans clé) : voir la fiche administrative.",
    "Nom d'usage : voir dossier.",
]


# sentences that open or close a fragment: capitalised verbs and nouns at a sentence start, units
# with a dot ("mg/L."), labels of fields whose value is elsewhere
_PROSE = FILLERS + [
    "Vu en consultation ce jour.",
    "Revu en consultation à 3 mois.",
    "Admis aux urgences pour douleur thoracique.",
    "Hospitalisé pour bilan.",
    "Prochain rendez-vous dans 6 mois.",
    "Contact par e-mail possible.",
    "Matricule INSEE en attente.",
    "Bilan biologique sans particularité.",
    "Scanner thoracique : pas d'embolie.",
    "Domicilié chez sa fille.",
    "Joignable en journée.",
    "Courrier adressé au médecin traitant.",
    "Kaliémie 4,1 mmol/L.",
    "CRP à 45 mg/L.",
    "Sortie prévue en fin de semaine.",
    "Pansement à refaire.",
    "Staff du service.",
    "Conclusion : évolution favorable.",
]


@dataclass
class Fragment:
    text: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    kind: str = ""


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
        if value:
            self.spans.append((self.length, self.length + len(value), label))
        return self.add(value)


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.firsts = list(first_name_list())
        self.lasts = list(surname_list())
        self.cities = list(city_list())
        self.hospitals = read_lines("hospitals_fr.txt")

    # --- values ---
    def invented(self) -> str:
        rng = self.rng
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice([1, 2, 2, 3]))) + rng.choice(_ENDINGS)
        return word.capitalize()

    def surname(self) -> str:
        rng = self.rng
        name = self.invented() if rng.random() < 0.55 else rng.choice(self.lasts).capitalize()
        if rng.random() < 0.08:
            name = f"{name}-{self.invented()}"
        if rng.random() < 0.05:
            name = rng.choice(["Le ", "De ", "Da ", "Van ", "Ben "]) + name
        return name

    def first(self) -> str:
        rng = self.rng
        name = rng.choice(self.firsts) if rng.random() < 0.7 else self.invented()
        if rng.random() < 0.06:
            name = f"{name}-{rng.choice(self.firsts)}"
        return name

    def initial(self, first: str) -> str:
        rng = self.rng
        style = rng.random()
        if "-" in first and style < 0.5:
            a, b = first.split("-", 1)
            return f"{a[0]}.-{b[0]}." if style < 0.25 else f"{a[0]}-{b[0]}."
        if style < 0.8:
            return first[0] + "."
        return first[0]

    def cased(self, name: str) -> str:
        return name.upper() if self.rng.random() < 0.55 else name

    def phone(self) -> str:
        rng = self.rng
        digits = "0" + rng.choice("123456789") + "".join(str(rng.randint(0, 9)) for _ in range(8))
        pairs = [digits[i : i + 2] for i in range(0, 10, 2)]
        style = rng.random()
        if style < 0.3:
            return " ".join(pairs)
        if style < 0.5:
            return ".".join(pairs)
        if style < 0.6:
            return digits
        if style < 0.7:
            return "-".join(pairs)
        if style < 0.8:
            return "/".join(pairs)
        if style < 0.9:
            return f"(33) {digits[1]} " + " ".join(pairs[1:])
        return f"+{rng.choice(['41', '32', '44', '1', '39'])} {rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"

    def date(self) -> str:
        rng = self.rng
        d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1930, 2030)
        style = rng.random()
        if style < 0.35:
            sep = rng.choice(["/", "/", ".", "-", "|"])
            return f"{d:02d}{sep}{m:02d}{sep}{y if rng.random() < 0.8 else y % 100:02d}"
        if style < 0.55:
            return f"{d} {FRENCH_MONTHS[m - 1]} {y}"
        if style < 0.65:
            return f"{FRENCH_MONTHS[m - 1]} {y}"
        if style < 0.75:
            return str(y)
        if style < 0.85:
            return f"{d:02d}/{m:02d}"
        return f"{d:02d}{m:02d}{y}"

    def mail(self, first: str, last: str) -> str:
        rng = self.rng
        user = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{last}", f"{first}{rng.randint(1, 99)}"])
        user = user.lower().replace(" ", "")
        domain = rng.choice(["aphp.fr", "chu-lyon.fr", "gmail.com", "orange.fr", "hopital.org", "free.fr"])
        if rng.random() < 0.15:
            host, tld = domain.rsplit(".", 1)
            return f"{user} @ {host} . {tld}"
        return f"{user}@{domain}"

    def city(self) -> str:
        rng = self.rng
        city = rng.choice(self.cities) if rng.random() < 0.8 else self.invented()
        if rng.random() < 0.4:
            city = city.upper()
        if rng.random() < 0.15:
            city += rng.choice([" CEDEX", " Cedex", f" CEDEX {rng.randint(1, 20)}"])
        return city

    def zip(self) -> str:
        rng = self.rng
        z = f"{rng.randint(1, 95):02d}{rng.randint(0, 999):03d}"
        return z if rng.random() < 0.9 else f"{z[:2]} {z[2:]}"

    # --- fragments ---
    def name(self, b: _Builder, order: str | None = None) -> tuple[str, str]:
        rng = self.rng
        first, last = self.first(), self.surname()
        order = order or rng.choice(["fl", "fl", "lf", "il", "l"])
        if order == "fl":
            b.phi(first if rng.random() < 0.8 else first.upper(), "PRENOM").add(" ").phi(
                self.cased(last), "NOM"
            )
        elif order == "lf":
            b.phi(last.upper() if rng.random() < 0.7 else last, "NOM").add(" ").phi(first, "PRENOM")
        elif order == "il":
            b.phi(self.initial(first), "PRENOM").add(" ").phi(self.cased(last), "NOM")
        else:
            b.phi(self.cased(last), "NOM")
        return first, last

    def fragment(self) -> Fragment:
        rng = self.rng
        kinds = [
            self.titled,
            self.titled,
            self.staff_list,
            self.header_line,
            self.patient_row,
            self.signature,
            self.hospital,
            self.address,
            self.city_sentence,
            self.contact,
            self.negative,
            self.negative,
            self.negative,
            self.negative,
            self.digits_row,
            self.sentence,
        ]
        make = rng.choice(kinds)
        b = _Builder()
        if rng.random() < 0.3:  # prose around the fragment, as in a whole note
            b.add(rng.choice(_PROSE) + rng.choice([" ", "\n"]))
        make(b)
        if rng.random() < 0.3:
            b.add(rng.choice([" ", "\n", ". "]) + rng.choice(_PROSE))
        return Fragment("".join(b.parts), b.spans, make.__name__)

    def titled(self, b: _Builder) -> None:
        rng = self.rng
        if rng.random() < 0.4:
            b.add(
                rng.choice(
                    [
                        "Consultation avec le ",
                        "Vu par le ",
                        "Adressé par le ",
                        "Contact : ",
                        "",
                        "Avis du ",
                        "CC: ",
                    ]
                )
            )
        b.add(rng.choice(_TITLES) + rng.choice([" ", " ", ""]) if rng.random() < 0.9 else "")
        first, last = self.name(b, rng.choice(["fl", "lf", "il", "l", "il"]))
        tail = rng.random()
        if tail < 0.25:
            b.add(" " + rng.choice(["(PH)", "(PU-PH)", "(CCA)", "(MCU-PH)", "(Interne)"]))
        elif tail < 0.5:
            b.add(rng.choice([" - Tel : ", " Tél : ", " : T ", " ", " - Phone: "])).phi(self.phone(), "TEL")
        elif tail < 0.6:
            b.add(", ").phi(self.mail(first, last), "MAIL")
        elif tail < 0.75:
            b.add(rng.choice([" le ", ", vu le ", " effectuée le "])).phi(self.date(), "DATE")
        elif tail < 0.85:
            b.add(rng.choice([" pour ", " pour Mme ", " pour M. "]))
            self.name(b, rng.choice(["lf", "fl"]))
        b.add(rng.choice(["", ".", "", "\n"]))

    def staff_list(self, b: _Builder) -> None:
        rng = self.rng
        if rng.random() < 0.6:
            b.add(rng.choice(_ROLES) + rng.choice([" : ", ": ", " :\n"]))
        for i in range(rng.randint(2, 6)):
            if i:
                b.add(rng.choice([", ", ", ", " ", " - "]))
            if rng.random() < 0.4:
                b.add(rng.choice(["Dr ", "Dr. ", "Pr "]))
            self.name(b, rng.choice(["il", "il", "fl", "lf"]))
            if rng.random() < 0.25:
                b.add(" ").phi(self.phone(), "TEL")

    def header_line(self, b: _Builder) -> None:
        rng = self.rng
        last, first = self.surname().upper(), self.first().upper()
        style = rng.random()
        if style < 0.4:
            b.phi(last, "NOM").add(", ").phi(last, "NOM").add(" ").phi(first, "PRENOM")
        elif style < 0.7:
            b.phi(last, "NOM").add(" ").phi(first if rng.random() < 0.5 else first.capitalize(), "PRENOM")
        else:
            b.phi(last, "NOM").add(", ").phi(first.capitalize(), "PRENOM")

    def patient_row(self, b: _Builder) -> None:
        rng = self.rng
        b.add(rng.choice(["Patient: ", "Patiente : ", "Patient 1: ", "", "Identité : "]))
        self.name(b, rng.choice(["fl", "lf", "il"]))
        sep = rng.choice([" | ", " ¦ ", ", "])
        b.add(sep + rng.choice(["F", "M"]) + sep).phi(self.date(), "DATE_NAISSANCE").add(sep)
        b.phi(str(rng.randint(10**9, 10**10 - 1)), "IPP")
        if rng.random() < 0.7:
            b.add(sep).phi(str(rng.randint(10**7, 10**10 - 1)), "NDA")

    def signature(self, b: _Builder) -> None:
        rng = self.rng
        if rng.random() < 0.3:
            b.add(rng.choice(["Secrétaire Médicale\n", "Cadre de santé\n", "Consultant\n"]))
        self.name(b, rng.choice(["fl", "fl", "lf"]))
        if rng.random() < 0.4:
            b.add(rng.choice(["\nTel : ", "\nFax: "])).phi(self.phone(), "TEL")

    def hospital(self, b: _Builder) -> None:
        rng = self.rng
        name = rng.choice(self.hospitals)
        if rng.random() < 0.25:
            name = name.upper()
        style = rng.random()
        if style < 0.3:
            b.add(rng.choice(["Hospitalisé à ", "Visite du ", "Suivi à ", "Transféré à ", "Opéré à "]))
            if b.parts[-1].startswith("Visite"):
                b.phi(self.date(), "DATE").add(" à ")
            b.phi(name, "HOPITAL")
        elif style < 0.55:
            b.add(
                rng.choice(["Hôpital ", "Hopital ", "l'Hôpital ", "CHU ", "Centre Hospitalier ", "HOP "])
            ).phi(name, "HOPITAL")
        elif style < 0.75:
            b.add(rng.choice(["Intervention en ", "Plastie mitrale en ", "Pose de stent en "]))
            b.phi(str(rng.randint(1980, 2024)), "DATE").add(" (").phi(name, "HOPITAL").add(")")
        else:
            b.add(
                rng.choice(
                    ["CHU de ", "CH de ", "Centre hospitalier de ", "Service de cardiologie du CHU de "]
                )
            )
            b.phi(self.city(), "VILLE")
        b.add(rng.choice(["", ".", " le ", " pour suivi."]))

    def address(self, b: _Builder) -> None:
        rng = self.rng
        if rng.random() < 0.3:
            b.add(rng.choice(["Adresse : ", "Domicile : ", "Résidence : ", "demeurant au "]))
        street = f"{rng.randint(1, 150)}{rng.choice(['', '', ' bis'])} {rng.choice(_STREETS)} {rng.choice(['', 'de la ', 'du ', 'des '])}{self.surname() if rng.random() < 0.6 else self.invented()}"
        if rng.random() < 0.3:
            street = street.upper()
        b.phi(street, "ADRESSE").add(rng.choice([", ", " ", ","])).phi(self.zip(), "ZIP").add(
            rng.choice([" ", ", "])
        )
        b.phi(self.city(), "VILLE")
        if rng.random() < 0.2:
            b.add(", France")

    def city_sentence(self, b: _Builder) -> None:
        rng = self.rng
        style = rng.random()
        if style < 0.35:
            b.add(
                rng.choice(
                    [
                        "Né à ",
                        "Née à ",
                        "Habite à ",
                        "Retour à domicile à ",
                        "originaire de ",
                        "Mes parents habitent à ",
                    ]
                )
            )
            b.phi(self.city(), "VILLE")
        elif style < 0.6:
            b.phi(rng.choice(_FOREIGN_CITIES + self.cities[:40]), "VILLE").add(", " + rng.choice(_COUNTRIES))
        else:
            b.add(rng.choice(["Pour Mr. ", "Chez Mme ", "Patient "]))
            self.name(b, "l")
            b.add(" de ").phi(self.city(), "VILLE")
        if rng.random() < 0.2:
            b.add(" en ").phi(str(rng.randint(1980, 2024)), "DATE")

    def contact(self, b: _Builder) -> None:
        rng = self.rng
        first, last = self.first(), self.surname()
        style = rng.random()
        if style < 0.5:
            b.add(rng.choice(["Tel : ", "Tél : ", "Fax: ", "Contact : ", "joignable au "])).phi(
                self.phone(), "TEL"
            )
            if rng.random() < 0.3:
                b.add(" ou ").phi(self.phone(), "TEL")
        else:
            b.add(rng.choice(["Mail : ", "Adresse mail: ", "e-mail ", "par mail "])).phi(
                self.mail(first, last), "MAIL"
            )

    def digits_row(self, b: _Builder) -> None:
        rng = self.rng

        def spaced(s: str) -> str:
            return " ".join(s)

        d = f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(2000, 2035)}"
        nir = f"{rng.choice('12')}{rng.randint(10, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 95):02d}{rng.randint(0, 10**6 - 1):06d}{rng.randint(0, 99):02d}"
        ddn = f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(1930, 2010)}"
        if rng.random() < 0.5:
            b.phi(spaced(d), "DATE").add("  ")
            self.name(b, "lf")
            b.add("  ").phi(spaced(nir), "SECU").add("  ").phi(spaced(ddn), "DATE_NAISSANCE")
            return
        b.add(rng.choice(["NIR : ", "NIR ", "N° SS : ", "Sécurité sociale : ", "NSS ", "N° d'id "]))
        b.phi(nir if rng.random() < 0.5 else spaced(nir), "SECU")
        b.add(rng.choice([", IPP ", " - IPP : ", " NIP "])).phi(str(rng.randint(10**7, 10**10)), "IPP")
        if rng.random() < 0.5:
            b.add(rng.choice([", né le ", " DDN : ", ", Date de naissance : "])).phi(
                self.date(), "DATE_NAISSANCE"
            )

    def sentence(self, b: _Builder) -> None:
        rng = self.rng
        style = rng.random()
        if style < 0.3:
            b.add(
                rng.choice(
                    ["Le père du patient, ", "Contact du fils ", "Sa fille ", "Le mari de la patiente, "]
                )
            )
            self.name(b, rng.choice(["fl", "lf"]))
            b.add(rng.choice([" a été prévenu.", " : ", ", joignable."]))
        elif style < 0.6:
            b.add(rng.choice(["Résultats du ", "Consultation du ", "Prélèvement réalisé le "])).phi(
                self.date(), "DATE"
            )
            b.add(" pour ")
            self.name(b, rng.choice(["lf", "fl"]))
            b.add(".")
        else:
            self.name(b, rng.choice(["fl", "lf"]))
            b.add(
                rng.choice(
                    [" est vu ce jour.", " ne montre pas de signe d'ischémie.", ", 54 ans, suivi pour HTA."]
                )
            )

    def negative(self, b: _Builder) -> None:
        text = self.rng.choice(_NEGATIVES)
        b.add(text.upper() if self.rng.random() < 0.15 else text)


def generate(n: int, seed: int = 0) -> list[Fragment]:
    """`n` fragments, the same for the same seed."""
    generator = Generator(seed)
    return [generator.fragment() for _ in range(n)]
