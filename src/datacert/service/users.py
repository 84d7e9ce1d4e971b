"""Users, projects and memberships from the command line (`datacert users`) and the demo set-up."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from datacert.service.models import ROLES, ApiToken, Membership, Project, User, utcnow
from datacert.service.security import hash_secret, new_id, new_token


@dataclass(frozen=True)
class CreatedUser:
    user_id: str
    username: str
    password: str | None  # set when generated here, to be shown once
    project_id: str


def ensure_project(session: Session, name: str, redact: bool | None = None) -> Project:
    project = session.scalar(select(Project).where(Project.name == name))
    if project is None:
        project = Project(id=new_id(), name=name, redact_reports=bool(redact), created_at=utcnow())
        session.add(project)
        session.flush()
    elif redact is not None:
        project.redact_reports = redact
    return project


def add_user(
    session: Session, username: str, project: str, role: str, password: str | None = None
) -> CreatedUser:
    """Create the user if needed (a generated password is returned once) and set their role in a project."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}.")
    if not username or len(username) > 120:
        raise ValueError("a username has 1 to 120 characters.")
    generated = None
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        if password is None:
            password = generated = secrets.token_urlsafe(12)
        user = User(id=new_id(), username=username, password_hash=hash_secret(password), created_at=utcnow())
        session.add(user)
        session.flush()
    elif password is not None:
        user.password_hash = hash_secret(password)
    target = ensure_project(session, project)
    membership = session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.project_id == target.id)
    )
    if membership is None:
        session.add(Membership(id=new_id(), user_id=user.id, project_id=target.id, role=role))
    else:
        membership.role = role
    return CreatedUser(user.id, username, generated, target.id)


def issue_token(session: Session, username: str, name: str = "") -> str:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise ValueError(f"no user {username!r}.")
    token_id, secret, token = new_token()
    session.add(
        ApiToken(
            id=token_id, user_id=user.id, name=name, secret_hash=hash_secret(secret), created_at=utcnow()
        )
    )
    return token
