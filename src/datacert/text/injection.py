"""Instructions aimed at a language model hidden in free text (prompt injection), FR and EN.

Notes
-----
Notes that end up in a training set or a retrieval index can carry text written for the model
rather than for the clinician: "ignore les instructions précédentes", a fake "SYSTEM:" turn, a
request to reveal the prompt or send records somewhere. The patterns are grouped in families,
each a list of independent regular expressions (so one rephrasing does not defeat the family):

* ``override`` -- cancel or replace the previous instructions (strong);
* ``exfiltration`` -- reveal the system prompt, dump or send data (strong);
* ``role_marker`` -- chat-template or role turns inside the text (SYSTEM:, <|im_start|>, [INST]);
* ``behaviour`` -- change persona or rules ("you are now", "tu es désormais", developer mode);
* ``output_control`` -- dictate the answer or the label ("réponds uniquement", "classify as");
* ``hidden_text`` -- invisible characters (zero-width runs, Unicode tag characters).

The same patterns run in Python (`scan`) and, vectorised, in polars' Rust regex engine (the
check), so they avoid look-arounds and back-references. A note is *critical* when a strong family
matches or two families match together, otherwise *error*.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

FAMILIES: dict[str, tuple[str, ...]] = {
    "override": (
        # the clinical sentence "le patient ignore les consignes" must stay quiet: a qualifier
        # (previous, above...) or a determiner addressing the reader (tes, vos, your) is required
        r"(?i)\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|of\s+)*(?:previous|prior|above|earlier|"
        r"original|preceding|foregoing|system)\s+(?:instructions?|rules|prompts?|directions|guidelines|messages?)",
        r"(?i)\b(?:ignore|disregard|forget)\s+(?:all\s+)?your\s+(?:instructions|rules|guidelines|programming|prompt)",
        r"(?i)\b(?:ignore[rz]?|oublie[rz]?|ne\s+tiens\s+pas\s+compte\s+des|ne\s+tenez\s+pas\s+compte\s+des|"
        r"fais\s+abstraction\s+des)\s+(?:toutes\s+|tous\s+)?(?:les\s+|tes\s+|vos\s+|ces\s+)?(?:instructions|consignes|"
        r"r[èe]gles|directives|messages)\s+(?:pr[ée]c[ée]dentes|ant[ée]rieures|ci-dessus|d'avant|initiales|"
        r"qu'on\s+t'a\s+donn[ée]es|syst[èe]me)",
        r"(?i)\b(?:ignore[rz]?|oublie[rz]?)\s+(?:toutes\s+|tous\s+)?(?:tes|vos)\s+(?:instructions|consignes|r[èe]gles|"
        r"directives)",
        r"(?i)(?:ignore|disregard|forget)\s+(?:everything|all(?:\s+of\s+it)?|what\s+(?:was|you\s+were)\s+(?:said|told))"
        r"\s+(?:above|before|previously)",
        r"(?i)(?:oublie[rz]?|ignore[rz]?)\s+(?:tout\s+ce\s+qui\s+pr[ée]c[èe]de|tout\s+ce\s+qu'on\s+t'a\s+dit|"
        r"ce\s+qui\s+est\s+[ée]crit\s+au-dessus)",
        r"(?i)(?:new|nouvelles?)\s+(?:instructions?|consignes?)\s*:",
        r"(?i)(?:les\s+instructions\s+pr[ée]c[ée]dentes|previous\s+instructions)\s+(?:sont|are)\s+"
        r"(?:annul[ée]es|obsol[èe]tes|void|cancell?ed|obsolete)",
    ),
    "exfiltration": (
        r"(?i)(?:reveal|show|print|display|repeat|output|leak|give\s+me)\s+(?:me\s+)?(?:your|the)\s+"
        r"(?:system\s+prompt|hidden\s+prompt|initial\s+prompt|instructions|prompt|configuration)",
        r"(?i)(?:r[ée]v[èe]le|affiche|montre(?:-moi)?|donne(?:-moi)?|r[ée]p[èe]te|imprime|divulgue)\s+"
        r"(?:moi\s+)?(?:ton|tes|le|les|votre|vos)\s+(?:prompt|instructions|consignes|configuration|"
        r"message\s+syst[èe]me|prompt\s+syst[èe]me)",
        r"(?i)(?:send|email|e-mail|forward|upload|post|exfiltrate|transmit)\s+(?:all\s+|every\s+|the\s+)*"
        r"(?:patient|medical|personal|confidential|stored)?\s*(?:data|records|files|notes|information)\s+to",
        r"(?i)(?:envoie|envoyez|transmets|transmettez|transf[èe]re|exporte)\s+(?:toutes\s+|tous\s+)?(?:les|ces)\s+"
        r"(?:donn[ée]es|dossiers|informations|notes|comptes[ "
        r"-]rendus)(?:\s+\w+){0,3}\s+(?:à|a|vers|sur)(?:\s|$|[,.;:])",
        r"(?i)(?:list|dump|export)\s+(?:all|every)\s+(?:patients?|records?|users?|passwords?)",
        r"(?i)(?:liste|affiche)\s+(?:tous\s+les|toutes\s+les)\s+(?:patients?|dossiers|mots\s+de\s+passe|identifiants)",
    ),
    "role_marker": (
        r"(?im)^\s*(?:#+\s*)?(?:system|syst[èe]me|assistant|developer|user)\s*:",
        r"\b(?:SYSTEM|SYST[ÈE]ME|ASSISTANT|DEVELOPER)\s*:",
        r"(?i)<\|(?:im_start|im_end|system|user|assistant|endoftext|begin_of_text|start_header_id)\|>",
        r"(?i)\[/?INST\]|<<\s*/?SYS\s*>>|</?s>\s*\[INST",
        r"(?im)^\s*#{2,}\s*(?:instruction|system|response|r[ée]ponse)s?\b",
        r"(?i)\b(?:BEGIN|END)\s+(?:SYSTEM|ADMIN)\s+(?:PROMPT|MESSAGE|INSTRUCTIONS?)\b",
    ),
    "behaviour": (
        r"(?i)\b(?:you\s+are\s+now|from\s+now\s+on,?\s+you|tu\s+es\s+d[ée]sormais|vous\s+[êe]tes\s+d[ée]sormais)\b",
        r"(?i)[àa]\s+partir\s+de\s+maintenant,?\s+(?:tu|vous)\b",
        r"(?i)\b(?:act|behave)\s+as\s+(?:if\s+you\s+were\s+)?(?:an?\s+)?(?:unrestricted|unfiltered|different|evil|admin)",
        r"(?i)\b(?:agis|agissez|comporte-toi|fais\s+comme\s+si\s+tu\s+[ée]tais)\s+(?:comme\s+)?(?:un|une)\s+"
        r"(?:ia|assistant|mod[èe]le|administrateur)\s+(?:sans|non)\s",
        r"(?i)\b(?:developer|dev|god|jailbreak|DAN)\s+mode\b|\bmode\s+(?:d[ée]veloppeur|sans\s+restriction|admin)\b",
        r"(?i)\b(?:pretend|imagine)\s+(?:that\s+)?you\s+(?:are|have)\s+no\s+(?:rules|restrictions|guidelines)",
        r"(?i)\b(?:sans\s+(?:aucune\s+)?restrictions?|without\s+(?:any\s+)?(?:restrictions?|filters?|guardrails))"
        r"\s*[,.]?\s*(?:r[ée]ponds|answer|respond)",
    ),
    "output_control": (
        r"(?i)\b(?:respond|reply|answer)\s+(?:only|exclusively|always)\s+(?:with|in|by)\b",
        r"(?i)\b(?:r[ée]ponds|r[ée]pondez)\s+(?:uniquement|seulement|toujours|exclusivement)\s+(?:par|avec|en)\b",
        r"(?i)\b(?:classify|label|mark|code|tag)\s+(?:this|the)\s+(?:note|patient|record|case|report)\s+as\b",
        r"(?i)\b(?:classe|classez|cote|codez?|[ée]tiquette)\s+(?:ce|cette)\s+(?:note|patient|patiente|dossier|"
        r"compte[ -]rendu|cas)\s+(?:comme|en)\b",
        r"(?i)\b(?:the\s+(?:correct\s+)?(?:answer|diagnosis|label)\s+(?:is|must\s+be)|"
        r"(?:la\s+bonne\s+r[ée]ponse|le\s+diagnostic|l'[ée]tiquette)\s+(?:est|doit\s+[êe]tre)\s+toujours)\b",
        r"(?i)\bdo\s+not\s+(?:mention|report|flag|reveal)\s+(?:this|that|the)\b|"
        r"\bne\s+(?:mentionne|signale|r[ée]v[èe]le)\s+pas\s+(?:ceci|cela|ce\s+passage)\b",
    ),
    "hidden_text": (
        "[\u200b\u200c\u200d\u2060\ufeff]{3,}",
        "[\U000e0000-\U000e007f]",
    ),
}
STRONG = frozenset({"override", "exfiltration"})


@lru_cache(maxsize=1)
def _compiled() -> dict[str, tuple[re.Pattern[str], ...]]:
    """The families compiled for Python's engine, on the first `scan` (the check runs them in polars,
    so importing the check does not compile them)."""
    return {family: tuple(re.compile(p) for p in patterns) for family, patterns in FAMILIES.items()}


class InjectionHit(NamedTuple):
    family: str
    start: int
    end: int


def scan(text: str | None) -> list[InjectionHit]:
    """Every pattern hit in one text, by family."""
    if not text:
        return []
    return [
        InjectionHit(family, m.start(), m.end())
        for family, patterns in _compiled().items()
        for p in patterns
        for m in p.finditer(text)
    ]


def severity_of(families: set[str] | frozenset[str]) -> str | None:
    """critical for a strong family or two families together, error for one weaker family."""
    if not families:
        return None
    return "critical" if families & STRONG or len(families) >= 2 else "error"


def family_pattern(family: str) -> str:
    """One alternation of a family's patterns for polars' Rust engine (flags kept per branch).

    Word boundaries become ASCII ones there: a Unicode `\\b` forces the Rust engine off its DFA
    on non-ASCII (French) text, which costs ~10x.
    """
    return "|".join(f"(?:{_inline_flags(p)})" for p in FAMILIES[family]).replace(r"\b", r"(?-u:\b)")


def _inline_flags(pattern: str) -> str:
    m = re.match(r"\(\?([a-z]+)\)", pattern)
    if not m:
        return pattern
    return f"(?{m.group(1)}:{pattern[m.end() :]})"
