"""`datacert serve --demo`: a demo user in a demo project with a dataset of two versions (the
built-in demo cohort, then the same cohort with its duplicate records removed), both checked."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from datacert.service.access import Principal, load_roles
from datacert.service.models import User
from datacert.service.storage import ReceivedForm, received_from_path
from datacert.service.submissions import submit
from datacert.service.users import add_user

DEMO_USER = "demo"
DEMO_PROJECT = "demo"
DEMO_DATASET = "demo-cohort"


@dataclass(frozen=True)
class Demo:
    username: str
    password: str
    version_ids: list[str]


def setup_demo(service: Any, password: str | None = None) -> Demo:
    from datacert.demo import N_PATIENTS, demo_frame, demo_roles

    with service.db.session() as session:
        created = add_user(session, DEMO_USER, DEMO_PROJECT, "admin", password=password or "demo-password")
        user = session.scalar(select(User).where(User.id == created.user_id))
        assert user is not None
        session.expunge(user)
        roles = load_roles(session, user.id)
    principal = Principal(user, "token", roles=roles)
    frame = demo_frame()
    role_fields = {
        k: ",".join(v) if isinstance(v, list) else v for k, v in demo_roles().to_dict().items() if v
    }
    versions = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, table in (
            ("demo-cohort.csv", frame),
            ("demo-cohort-dedup.csv", frame.head(N_PATIENTS - 10)),
        ):
            path = Path(tmp) / name
            table.write_csv(path)
            form = ReceivedForm(
                fields={"dataset": DEMO_DATASET, "project": DEMO_PROJECT, **role_fields},
                file=received_from_path(service.settings, path),
            )
            versions.append(submit(service, principal, form).version_id)
    return Demo(DEMO_USER, password or "demo-password", versions)
