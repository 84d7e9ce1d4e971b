"""What an assay costs in energy, carbon and water, and what training on bad data would waste.

Measurement follows CodeCarbon's method (codecarbon 3.3, MIT; see methods §11.1), written here
because the package brings a web client, a dashboard and a dozen dependencies for two sums:
- RAPL package counters (/sys/class/powercap/intel-rapl:N/energy_uj) when readable: whole-machine
  CPU package energy over the run;
- otherwise process CPU time (all threads, and child processes) × power per core, the TDP of the
  CPU model divided by its core count (data/cpu_tdp.csv; a family median when the exact model is
  not listed). RAM, disks and GPUs are not counted; the TDP method can be off by tens of percent.

The training energy at stake (methods §11.2): a measured pilot fit of the retained reference
model, scaled linearly in rows (alpha = 1, the default for linear models and tree ensembles) to
each fit of a declared campaign R = configs × folds × seeds trained on (folds-1)/folds of the
records; when the verdict is not `release` one whole campaign (N_wasted = 1) is assumed wasted.

Everything measured goes to the certificate's `run.energy`; the `energy` block holds only what is
fixed by the input and options (factors, campaign, assumption, pilot model), so it stays
deterministic.
"""

from __future__ import annotations

import csv
import json
import re
import resource
import statistics
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

RAPL_ROOT = Path("/sys/class/powercap")
DEFAULT_CAMPAIGN = {"configs": 50, "folds": 5, "seeds": 3}
CAMPAIGN_KEYS = ("configs", "folds", "seeds")
ASSUMPTION = (
    "When the verdict is not release, one full training campaign (N_wasted = 1) of R = configs × folds "
    "× seeds fits of the reference model would be run and then discarded because of the defects found; "
    "each fit trains on (folds−1)/folds of the records and its energy scales linearly with rows "
    "(alpha = 1). Models other than the reference model (deep networks, GPUs) cost more."
)
PILOT_MIN_CPU_SECONDS = 0.2  # repeat short pilot fits until the CPU clock has something to measure
PILOT_MAX_REPEATS = 5


class CampaignError(ValueError):
    """A --campaign value that cannot be read."""


def parse_campaign(text: str | None) -> dict[str, int]:
    """'configs=50,folds=5,seeds=3' -> dict; missing keys take the default."""
    if not text:
        return dict(DEFAULT_CAMPAIGN)
    out = dict(DEFAULT_CAMPAIGN)
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in CAMPAIGN_KEYS:
            raise CampaignError(f"--campaign takes configs=N,folds=N,seeds=N (got {part.strip()!r}).")
        try:
            number = int(value)
        except ValueError:
            raise CampaignError(f"--campaign {key} must be a whole number (got {value.strip()!r}).") from None
        if number < 1 or (key == "folds" and number < 2):
            raise CampaignError(f"--campaign {key} must be at least {2 if key == 'folds' else 1}.")
        out[key] = number
    return out


# ----------------------------------------------------------------------------------------------
# factors and the CPU table (versioned data files)
# ----------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def factors() -> dict[str, Any]:
    text = resources.files("datacert.audit").joinpath("data/energy_factors.json").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _cpu_table() -> tuple[str, list[dict[str, Any]]]:
    text = resources.files("datacert.audit").joinpath("data/cpu_tdp.csv").read_text(encoding="utf-8")
    version = next((m.group(1) for m in re.finditer(r"^# version (\S+)", text, re.M)), "?")
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    return version, [
        {"model": r["model"], "tdp_w": float(r["tdp_w"]), "cores": int(r["cores"])} for r in rows
    ]


def _cpu_model_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"


def _normalise(name: str) -> str:
    name = re.sub(r"\((r|tm)\)|cpu|processor|@.*$|\d+-core", " ", name.lower())
    return " ".join(name.split())


@lru_cache(maxsize=1)
def cpu_power() -> dict[str, Any]:
    """Power per core for this machine's CPU: exact model, else its family's median, else the table's."""
    version, table = _cpu_table()
    reported = _cpu_model_name()
    wanted = _normalise(reported)
    for row in sorted(table, key=lambda r: -len(r["model"])):
        if _normalise(row["model"]) in wanted:
            return {
                "cpu": reported,
                "matched": row["model"],
                "tdp_w": row["tdp_w"],
                "cores": row["cores"],
                "watts_per_core": round(row["tdp_w"] / row["cores"], 3),
                "table_version": version,
            }
    family = next((f for f in ("epyc", "ryzen", "xeon", "core") if f in wanted), None)
    pool = [r for r in table if family and family in r["model"].lower()] or table
    per_core = statistics.median(r["tdp_w"] / r["cores"] for r in pool)
    return {
        "cpu": reported,
        "matched": f"median of {len(pool)} {family.upper() if family else 'listed'} models (model not "
        "listed)",
        "watts_per_core": round(per_core, 3),
        "table_version": version,
    }


# ----------------------------------------------------------------------------------------------
# measuring
# ----------------------------------------------------------------------------------------------


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _rapl_domains() -> list[tuple[Path, float]]:
    """Readable top-level package counters with their wrap-around range (µJ)."""
    out = []
    for folder in sorted(RAPL_ROOT.glob("intel-rapl:*")):
        if folder.name.count(":") != 1:
            continue  # sub-domains (core, uncore, dram) are inside the package figure
        try:
            int((folder / "energy_uj").read_text())
            span = float((folder / "max_energy_range_uj").read_text())
        except (OSError, ValueError):
            continue
        out.append((folder / "energy_uj", span))
    return out


def _read_rapl(domains: list[tuple[Path, float]]) -> list[float] | None:
    try:
        return [float(path.read_text()) for path, _ in domains]
    except (OSError, ValueError):
        return None


@dataclass
class Measurement:
    """Energy of one measured span of work."""

    method: str = "tdp"  # rapl | tdp
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    kwh: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "seconds": round(self.seconds, 4),
            "cpu_seconds": round(self.cpu_seconds, 4),
            "kwh": float(f"{self.kwh:.4g}"),
            **impacts(self.kwh),
        }


@contextmanager
def measure() -> Iterator[Measurement]:
    """Measure the enclosed work: RAPL when readable, else CPU time × power per core."""
    result = Measurement()
    domains = _rapl_domains()
    start_rapl = _read_rapl(domains) if domains else None
    start_cpu, start_wall = _cpu_seconds(), time.perf_counter()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - start_wall
        result.cpu_seconds = _cpu_seconds() - start_cpu
        end_rapl = _read_rapl(domains) if start_rapl is not None else None
        if start_rapl is not None and end_rapl is not None:
            joules = (
                sum(
                    (end - begin) if end >= begin else (end + span - begin)
                    for (_, span), begin, end in zip(domains, start_rapl, end_rapl, strict=True)
                )
                / 1e6
            )
            result.method = "rapl"
            result.detail = {"domains": len(domains), "scope": "CPU packages, whole machine"}
            result.kwh = joules / 3.6e6
        else:
            tdp = _tdp(result.seconds, result.cpu_seconds)
            result.method, result.detail, result.kwh = tdp.method, tdp.detail, tdp.kwh


def impacts(kwh: float) -> dict[str, float]:
    """gCO2e (both French factors) and litres of water for an amount of IT energy."""
    table = factors()
    carbon, water = table["carbon"], table["water"]
    site = water["site"]
    it_kwh = kwh * site["pue"]
    return {
        "g_co2e_lifecycle": float(f"{it_kwh * carbon['lifecycle']['g_co2e_per_kwh']:.4g}"),
        "g_co2e_direct": float(f"{it_kwh * carbon['direct']['g_co2e_per_kwh']:.4g}"),
        "water_l": float(f"{kwh * (site['l_per_kwh'] + site['pue'] * water['generation']['l_per_kwh']):.4g}"),
        "water_l_datacentre": float(
            f"{kwh * (water['site_sensitivity']['l_per_kwh'] + water['generation']['l_per_kwh']):.4g}"
        ),
    }


# ----------------------------------------------------------------------------------------------
# the pilot fit and the energy at stake
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pilot:
    """One measured fit of the retained reference model on the training part of its first fold."""

    model: str
    rows: int  # records the pilot trained on
    features: int
    usable_rows: int  # records with a target in the whole table
    measurement: Measurement
    repeats: int


def pilot_fit(dataset: Any) -> Pilot | str:
    """The measured cost of one fit of the reference model, or why it cannot be had.

    The reference fit times every fold's fit of the model it retains (ReferenceFit.fit_costs).
    Measured by the TDP method (no RAPL counters), energy is CPU time x power per core, so the
    pilot is the folds' CPU time per training record times the first fold's training records, with
    no fit of its own (a pilot fit repeated until 0.2 CPU s cost every run that was not a release
    0.2 s or more). Where RAPL counters are readable (they cannot be read while checking), or the
    reference fit carries no timings, the model is fitted again on the first fold's training part.
    """
    from datacert.artifacts import Artifacts
    from datacert.checks.reference_model import ReferenceFit, design_of, reference_fit

    fit = reference_fit(dataset)  # cached when a model-based check ran
    if not isinstance(fit, ReferenceFit):
        return f"no reference model could be fitted ({fit.reason})"
    design = design_of(dataset)
    train, test = Artifacts.of(dataset).get("folds").splits[0]  # the reference fit's first fold
    if fit.fit_costs and not _rapl_domains():
        per_fit, repeats = _per_fit(fit.fit_costs, int(train.size)), len(fit.fit_costs)
    else:
        per_fit, repeats = _pilot_refit(dataset, fit, design, train, test)
    target = dataset.frame.get_column(dataset.roles.target)
    return Pilot(
        fit.model, int(train.size), design.n_features, int(target.drop_nulls().len()), per_fit, repeats
    )


def _per_fit(costs: Sequence[tuple[int, float, float]], rows: int) -> Measurement:
    """One fit on `rows` training records from timed fits on other row counts, scaled linearly in
    rows (alpha = 1, as the energy at stake is), energy by the TDP method as `measure` has it."""
    scale = rows / max(1, sum(n for n, _, _ in costs))
    return _tdp(sum(s for _, s, _ in costs) * scale, sum(c for _, _, c in costs) * scale)


def _tdp(seconds: float, cpu_seconds: float) -> Measurement:
    """The TDP method's measurement of a span of work: CPU time x power per core."""
    power = cpu_power()
    return Measurement(
        method="tdp",
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        kwh=cpu_seconds * power["watts_per_core"] / 3.6e6,
        detail={"scope": "this process's CPU time", **power},
    )


def _pilot_refit(dataset: Any, fit: Any, design: Any, train: Any, test: Any) -> tuple[Measurement, int]:
    """Fit the retained model on the first fold's training part until the CPU clock has something
    to measure: the mean per fit and the number of fits."""
    from datacert.checks.reference_model import fit_predict, model_factory

    X = design.take(fit.rows)
    factory = model_factory(dataset, fit)
    n_classes = len(fit.classes) if fit.task == "classification" else 0
    repeats = 0
    with measure() as measured, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = _cpu_seconds()
        while repeats < PILOT_MAX_REPEATS:
            fit_predict(factory, X, fit.y, train, test[:1], fit.task, n_classes)
            repeats += 1
            if _cpu_seconds() - started >= PILOT_MIN_CPU_SECONDS:
                break
    per_fit = Measurement(
        method=measured.method,
        seconds=measured.seconds / repeats,
        cpu_seconds=measured.cpu_seconds / repeats,
        kwh=measured.kwh / repeats,
        detail=measured.detail,
    )
    return per_fit, repeats


def energy_block(
    verdict: str, campaign: Mapping[str, int] | None, campaign_source: str, pilot: Pilot | str | None
) -> dict[str, Any]:
    """The deterministic `energy` section of a certificate."""
    table = factors()
    block: dict[str, Any] = {
        "factors_version": table["version"],
        "carbon": {k: v for k, v in table["carbon"].items()},
        "water": table["water"],
        "measured_in": "run.energy (kWh, gCO2e and litres of this run; they vary with the machine)",
        "method": "RAPL package counters when readable, else process CPU time × TDP per core "
        "(CodeCarbon's method, methods §11.1)",
    }
    if verdict == "release":
        block["at_stake"] = {
            "status": "not_applicable",
            "reason": "the verdict is release: no campaign at stake",
        }
        return block
    if campaign is None:
        campaign = DEFAULT_CAMPAIGN
    fits = campaign["configs"] * campaign["folds"] * campaign["seeds"]
    stake: dict[str, Any] = {
        "campaign": dict(campaign),
        "campaign_source": campaign_source,
        "fits": fits,
        "wasted_campaigns": 1,
        "assumption": ASSUMPTION,
    }
    if isinstance(pilot, Pilot):
        stake.update(
            status="measured",
            pilot={"model": pilot.model, "rows": pilot.rows, "features": pilot.features},
            rows_per_campaign_fit=_campaign_rows(pilot, campaign),
        )
    else:
        stake.update(status="not_measured", reason=pilot or "no pilot fit")
    block["at_stake"] = stake
    return block


def _campaign_rows(pilot: Pilot, campaign: Mapping[str, int]) -> int:
    return round(pilot.usable_rows * (campaign["folds"] - 1) / campaign["folds"])


def run_energy(assay: Measurement, block: Mapping[str, Any], pilot: Pilot | str | None) -> dict[str, Any]:
    """The measured figures for `run.energy`: the assay, the pilot and the energy at stake."""
    out: dict[str, Any] = {"assay": assay.to_dict(), "machine": assay.detail}
    stake = block.get("at_stake", {})
    if isinstance(pilot, Pilot) and stake.get("status") == "measured":
        scale = stake["rows_per_campaign_fit"] / max(pilot.rows, 1)
        kwh = stake["fits"] * stake["wasted_campaigns"] * pilot.measurement.kwh * scale
        out["pilot_fit"] = {**pilot.measurement.to_dict(), "repeats": pilot.repeats}
        out["at_stake"] = {
            "kwh": float(f"{kwh:.4g}"),
            **impacts(kwh),
            "formula": "fits × wasted_campaigns × E_pilot × rows_per_campaign_fit / pilot_rows",
            "ratio_to_assay": float(f"{kwh / assay.kwh:.4g}") if assay.kwh > 0 else None,
        }
    return out


def with_energy(
    certificate: Any, dataset: Any, assay: Measurement, campaign: Mapping[str, int] | None
) -> Any:
    """The certificate with its `energy` block and `run.energy` figures.

    The pilot fit reuses the reference model the model-based checks already fitted; when none ran
    (no target, or a reduced check list) the energy at stake is reported as not measured.
    """
    from dataclasses import replace

    from datacert.artifacts import Artifacts

    pilot: Pilot | str | None = None
    if certificate.verdict != "release":
        if not dataset.roles.target:
            pilot = "no target: there is no model to scale a campaign from"
        elif not Artifacts.of(dataset).has("reference_fit"):
            pilot = "no model-based check ran, so no reference model was fitted"
        else:
            pilot = pilot_fit(dataset)
    source = "--campaign" if campaign is not None else "datacert default"
    block = energy_block(certificate.verdict, campaign, source, pilot)
    return replace(
        certificate,
        extra={**dict(certificate.extra), "energy": block},
        run={**dict(certificate.run), "energy": run_energy(assay, block, pilot)},
    )
