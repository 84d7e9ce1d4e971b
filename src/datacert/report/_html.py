"""Self-contained HTML report (no network, no CDN): verdict first, then findings."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

_ENV = Environment(loader=PackageLoader("datacert", "report/templates"), autoescape=select_autoescape(["html", "j2"]),
                   trim_blocks=True, lstrip_blocks=True)


def render_html(certificate, redact: bool = False) -> str:
    template = _ENV.get_template("report.html.j2")
    findings = [f.to_dict() for f in certificate.findings]
    if redact:
        for f in findings:
            f["evidence"] = {k: v for k, v in f["evidence"].items() if k not in ("odd_values", "examples", "values")}
    return template.render(cert=certificate, findings=findings, redact=redact)
