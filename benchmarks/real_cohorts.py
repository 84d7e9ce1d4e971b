"""Run `datacert check` on the real public cohorts of tests/_real_cohorts.py and list its findings.

    python -m benchmarks.real_cohorts OUT.json [--with-duration]

Only the documented outcome is given (`--target`), as a new user would; `--with-duration` also
passes the documented follow-up time. Writes, per table, the verdict, the reasons and every
warning-or-worse finding (check, severity, columns, message), so that the findings can be judged
against each table's documentation. Nothing about patients is written: only column names.
"""

from __future__ import annotations

import json
import sys
import warnings

from tests._real_cohorts import COHORTS, MissingCohort, load

import datacert


def main(argv: list[str]) -> int:
    out_path = argv[0]
    with_duration = "--with-duration" in argv
    report: dict[str, dict] = {}
    for name, cohort in COHORTS.items():
        try:
            frame = load(name)
        except MissingCohort as exc:
            report[name] = {"skipped": str(exc)}
            continue
        roles = {"target": cohort.target}
        if with_duration and cohort.duration:
            roles["duration"] = cohort.duration
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cert = datacert.check(frame, **roles)
        report[name] = {
            "verdict": cert.verdict,
            "reasons": cert.reasons,
            "inferred": cert.dataset.get("inferred", {}),
            "findings": [
                {
                    "check": f.check,
                    "severity": str(f.severity),
                    "columns": list(f.columns)[:8],
                    "message": f.message,
                }
                for f in cert.findings
                if str(f.severity) in ("warning", "error", "critical")
            ],
        }
        print(name, cert.verdict, len(report[name]["findings"]), flush=True)
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=1, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
