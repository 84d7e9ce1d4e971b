"""Rebuild the name and place lists that the PHI detector ships (src/datacert/text/resources/).

Run: `python tools/phi/build_gazetteers.py --communes PATH/communes.json`

* given names and surnames: the person providers of Faker (MIT, (c) 2012 Daniele Faraglia), every
  Latin-script locale, folded (lowercase, no accents);
* French communes: `communes.json` of the npm package @etalab/decoupage-administratif 6.0.0 (MIT,
  (c) Etalab; data from the INSEE Code officiel géographique, Licence Ouverte 2.0), communes of at
  least MIN_POPULATION inhabitants, as written.

The lists are gzip-compressed text, one entry a line, sorted, so a rebuild is byte-identical.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import pkgutil
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "src" / "datacert" / "text" / "resources"
MIN_POPULATION = 500


def fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.category(c) != "Mn")


def _latin(name: str) -> bool:
    return all(c.isascii() or "LATIN" in unicodedata.name(c, "") or c in " -'’" for c in name)


def faker_names() -> tuple[set[str], set[str]]:
    import faker.providers.person as person

    given: set[str] = set()
    family: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"faker.providers.person.{module.name}").Provider
        for attribute in dir(provider):
            target = (
                given
                if attribute.startswith("first_names")
                else family
                if attribute.startswith("last_names")
                else None
            )
            if target is None:
                continue
            values = getattr(provider, attribute)
            if not isinstance(values, (dict, list, tuple)):
                continue
            for name in values.keys() if isinstance(values, dict) else values:
                if isinstance(name, str) and len(name) >= 2 and _latin(name):
                    target.add(fold(name.strip()))
    return given, family


def communes(path: Path) -> set[str]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    return {
        r["nom"]
        for r in rows
        if r.get("type") == "commune-actuelle" and (r.get("population") or 0) >= MIN_POPULATION
    }


def _write(name: str, entries: set[str]) -> None:
    data = ("\n".join(sorted(entries)) + "\n").encode("utf-8")
    with open(OUT / name, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as handle:
        handle.write(data)
    print(f"{name}: {len(entries)} entries")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--communes", type=Path, required=True, help="communes.json of @etalab/decoupage-administratif"
    )
    args = parser.parse_args()
    given, family = faker_names()
    _write("given_names_world.txt.gz", given)
    _write("surnames_world.txt.gz", family)
    _write("communes_fr.txt.gz", communes(args.communes))


if __name__ == "__main__":
    main()
