"""Energy of `datacert check` on the medium (100,000 x 30) and wide (300 x 20,000) workloads.

Each check runs in a fresh process with DATACERT_HOME in a scratch folder; the figures are read
from the certificate's `run.energy` (the assay, the pilot fit, the energy at stake) and written to
benchmarks/results/energy.json. The pilot fit's share of the run is reported as a ratio: what the
energy measurement itself costs.

    python -m benchmarks.energy_bench [--workloads medium wide] [--campaign configs=50,folds=5,seeds=3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.workloads import TARGETS, workload_path

RESULTS = Path(__file__).resolve().parent / "results" / "energy.json"


def run_one(name: str, campaign: str) -> dict:
    path = workload_path(name)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "cert.json"
        env = {**os.environ, "DATACERT_HOME": scratch}
        started = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).with_name("datacert")), "check", str(path), "--target", TARGETS[name],
             "--json", str(out), "--campaign", campaign],
            env=env, check=False, capture_output=True,
        )  # fmt: skip
        wall = time.perf_counter() - started
        cert = json.loads(out.read_text())
    measured = cert["run"]["energy"]
    block = cert["energy"]
    row = {
        "workload": name,
        "shape": [cert["dataset"]["rows"], cert["dataset"]["columns"]],
        "verdict": cert["verdict"],
        "process_seconds": round(wall, 2),
        "assay": measured["assay"],
        "machine": measured["machine"],
        "at_stake_block": block.get("at_stake"),
    }
    if "pilot_fit" in measured:
        row["pilot_fit"] = measured["pilot_fit"]
        row["at_stake"] = measured["at_stake"]
        pilot_share = (
            measured["pilot_fit"]["seconds"] * measured["pilot_fit"]["repeats"] / measured["assay"]["seconds"]
        )
        row["pilot_share_of_assay_seconds"] = round(pilot_share, 4)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workloads", nargs="+", default=["medium", "wide"])
    parser.add_argument("--campaign", default="configs=50,folds=5,seeds=3")
    args = parser.parse_args()
    rows = [run_one(name, args.campaign) for name in args.workloads]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
    for row in rows:
        a = row["assay"]
        line = f"{row['workload']} {row['shape'][0]}x{row['shape'][1]} {row['verdict']}: assay {a['kwh']:.3g} kWh"
        line += f" ({a['method']}, {a['cpu_seconds']:.1f} CPU s, {a['g_co2e_lifecycle']:.3g} gCO2e, {a['water_l']:.3g} L)"
        if "at_stake" in row:
            s = row["at_stake"]
            line += f"; at stake {s['kwh']:.3g} kWh = {s['ratio_to_assay']}x the assay"
        print(line)


if __name__ == "__main__":
    main()
