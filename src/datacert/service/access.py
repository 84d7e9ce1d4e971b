"""Who is asking, and what they may see.

A request is authenticated by an API token (`Authorization: Bearer dct_...`) or by a session
cookie. Every object a user can reach belongs to a project; `get_scoped` fetches an object only
when the user is a member of its project, and answers 404 otherwise, the same answer as for an id
that does not exist, so ids cannot be probed. Roles are ordered: submitter < reviewer < admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from datacert.service.models import ApiToken, Membership, Project, User, WebSession, utcnow
from datacert.service.security import VerifiedTokenCache, sha256_hex, split_token, verify_secret

RANK = {"submitter": 1, "reviewer": 2, "admin": 3}
SESSION_COOKIE = "datacert_session"

T = TypeVar("T")


class NotFound(Exception):
    """Answered as 404: the object does not exist or is not the user's to see."""


class Forbidden(Exception):
    """Answered as 403: the object is visible but the user's role does not allow the action."""


@dataclass
class Principal:
    user: User
    via: str  # "token" or "session"
    token_id: str | None = None
    session_value: str | None = None
    roles: dict[str, str] = field(default_factory=dict)  # project id -> role

    @property
    def project_ids(self) -> list[str]:
        return sorted(self.roles)

    @property
    def rate_key(self) -> str:
        return f"token:{self.token_id}" if self.token_id else f"user:{self.user.id}"

    def require(self, project_id: str, role: str) -> None:
        if RANK.get(self.roles.get(project_id, ""), 0) < RANK[role]:
            if project_id not in self.roles:
                raise NotFound()
            raise Forbidden(f"this needs the {role} role in the project.")


def load_roles(session: Session, user_id: str) -> dict[str, str]:
    rows = session.execute(
        select(Membership.project_id, Membership.role).where(Membership.user_id == user_id)
    )
    return {project_id: role for project_id, role in rows}


def from_token(session: Session, token: str, cache: VerifiedTokenCache) -> Principal | None:
    cached = cache.get(token)
    if cached is not None:
        user_id, token_id = cached
        user = session.get(User, user_id)
        row = session.get(ApiToken, token_id)
        if user is None or user.disabled or row is None or row.revoked_at is not None:
            cache.forget_token_id(token_id)
            return None
        return Principal(user, "token", token_id=token_id, roles=load_roles(session, user.id))
    parts = split_token(token)
    if parts is None:
        return None
    token_id, secret = parts
    row = session.get(ApiToken, token_id)
    valid = verify_secret(row.secret_hash if row else None, secret)
    if row is None or not valid or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    row.last_used_at = utcnow()
    cache.put(token, user.id, token_id)
    return Principal(user, "token", token_id=token_id, roles=load_roles(session, user.id))


def from_session_cookie(session: Session, value: str) -> Principal | None:
    row = session.get(WebSession, sha256_hex(value))
    if row is None or row.expires_at < utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    return Principal(user, "session", session_value=value, roles=load_roles(session, user.id))


def open_session(session: Session, user: User, value: str, hours: float) -> None:
    session.add(
        WebSession(id_hash=sha256_hex(value), user_id=user.id, expires_at=utcnow() + timedelta(hours=hours))
    )


def close_session(session: Session, value: str) -> None:
    row = session.get(WebSession, sha256_hex(value))
    if row is not None:
        session.delete(row)


def get_scoped(
    session: Session, principal: Principal, model: type[T], object_id: str, role: str = "submitter"
) -> T:
    """The object with this id if it lies in a project of the user with at least `role`; else 404/403."""
    obj: Any = session.get(model, object_id) if object_id and len(object_id) <= 64 else None
    if obj is None or obj.project_id not in principal.roles:
        raise NotFound()
    principal.require(obj.project_id, role)
    return obj


def resolve_project(session: Session, principal: Principal, given: str | None) -> Project:
    """A project of the user by id or name; the only one when the user has one and none is given."""
    if not given:
        if len(principal.roles) == 1:
            project = session.get(Project, next(iter(principal.roles)))
            if project is not None:
                return project
        raise NotFound("name the project (you are a member of several, or of none).")
    project = session.get(Project, given) if len(given) <= 64 else None
    if project is None:
        project = session.scalar(select(Project).where(Project.name == given))
    if project is None or project.id not in principal.roles:
        raise NotFound(f"no project {given!r} among yours.")
    return project
