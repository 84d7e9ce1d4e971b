"""`datacert report CERT.json --html OUT`: draw the report of a certificate from its JSON alone."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from datacert.cli._app import app
from datacert.cli._output import exit_on_errors, fail, guard_outputs_differ, write_atomic


@app.command("report")
def report_command(
    certificate: Path = typer.Argument(..., help="A certificate written by `datacert check --json`."),
    html_out: Path | None = typer.Option(None, "--html", help="Write the HTML report here."),
    markdown_out: Path | None = typer.Option(None, "--markdown", help="Write the Markdown report here."),
    redact: bool = typer.Option(False, "--redact", help="Hide category levels and dates in the HTML report."),
) -> None:
    """Render the report of a certificate from its JSON: the same report `check --html` draws.

    The certificate carries its figure data, so the table is not needed. Exit 0, or 2 when the
    file is not a certificate.
    """
    from datacert.certificate import Certificate
    from datacert.io import InputError

    if html_out is None and markdown_out is None:
        raise fail("say what to write: --html OUT and/or --markdown OUT.")
    guard_outputs_differ([certificate], [html_out, markdown_out])
    with exit_on_errors():
        try:
            text = certificate.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read the certificate {certificate}: {exc.strerror or exc}") from None
        try:
            cert = Certificate.from_json(text)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{certificate} is not a datacert certificate ({type(exc).__name__}: {exc})."
            ) from None
        if html_out is not None:
            write_atomic(html_out, cert.to_html(redact=redact))
        if markdown_out is not None:
            write_atomic(markdown_out, cert.to_markdown())
