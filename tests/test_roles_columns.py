"""Roles.columns: built once per Roles, each caller gets a set of its own."""

from __future__ import annotations

from dataclasses import replace

from datacert.roles import Roles


def test_role_columns_are_a_fresh_set_each_time():
    roles = Roles.build(target="y", id="pid", sensitive=["sex"], text=["note"])
    first = roles.columns()
    assert first == {"y", "pid", "sex", "note"}
    first.add("other")
    assert roles.columns() == {"y", "pid", "sex", "note"}
    assert replace(roles, group="site").columns() == {"y", "pid", "sex", "note", "site"}
    assert roles == Roles.build(target="y", id="pid", sensitive=["sex"], text=["note"])
