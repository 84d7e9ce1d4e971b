"""The store of named shared results for one dataset: computed on first request, once per dataset.

Providers are registered by the modules that know how to compute a result (the learning task
here, the reference model in datacert.checks), so this package imports no private module. The
store lives beside the Dataset, not inside it: checks never write into the Dataset.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from datacert.artifacts._sample import RowSampler
from datacert.artifacts._task import learning_task
from datacert.dataset import Dataset

# the named artifacts a check may declare in Needs(artifacts=...)
ARTIFACTS = (
    "task",
    "folds",
    "design",
    "reference_fit",
    "row_sample",
    "population",
    "feature_duplicates",
)

Provider = Callable[["Artifacts"], Any]
_PROVIDERS: dict[str, Provider] = {}
_STORES: dict[int, Artifacts] = {}
_STORES_GUARD = threading.Lock()  # one store per dataset, also when checks side by side ask first


def provide(name: str) -> Callable[[Provider], Provider]:
    """Decorator: register the function that computes artifact `name` from a store."""
    if name not in ARTIFACTS:
        raise ValueError(f"unknown artifact {name!r}; known: {', '.join(ARTIFACTS)}")

    def register(function: Provider) -> Provider:
        _PROVIDERS[name] = function
        return function

    return register


class Artifacts:
    """The shared results of one dataset (`Artifacts.of(data)`): the same object for every check."""

    def __init__(self, data: Dataset) -> None:
        # a weak reference: the module-level index must not keep a finished dataset (and its
        # design matrices and fits) alive; the store goes with the dataset
        self._data = weakref.ref(data)
        self._values: dict[str, Any] = {}
        # wall seconds spent computing each artifact, its own artifacts' time excluded (run facts:
        # a check's time includes the artifacts it was the first to ask for)
        self.seconds: dict[str, float] = {}
        # time taken by nested artifacts, per artifact being computed, per thread (checks may run
        # side by side); one lock per artifact, so that each is computed once
        self._nesting = threading.local()
        self._locks: dict[str, threading.RLock] = {}
        self._locks_guard = threading.Lock()

    @property
    def data(self) -> Dataset:
        data = self._data()
        if data is None:
            raise RuntimeError("the dataset of this artifact store no longer exists")
        return data

    @classmethod
    def of(cls, data: Dataset) -> Artifacts:
        """The store of this dataset, created on first use and released with the dataset."""
        key = id(data)
        with _STORES_GUARD:
            store = _STORES.get(key)
            if store is None or store._data() is not data:
                store = _STORES[key] = cls(data)
                weakref.finalize(data, _STORES.pop, key, None)
        return store

    def has(self, name: str) -> bool:
        """Whether `name` was already computed for this dataset (nothing is computed to answer)."""
        return name in self._values

    def supply(self, name: str, value: Any) -> None:
        """Hand in a result computed outside the checks (the whole-table counts of a sampled run)."""
        if name not in ARTIFACTS:
            raise KeyError(f"unknown artifact {name!r}; known: {', '.join(ARTIFACTS)}")
        self._values[name] = value

    def get(self, name: str) -> Any:
        if name not in ARTIFACTS:
            raise KeyError(f"unknown artifact {name!r}; known: {', '.join(ARTIFACTS)}")
        if name in self._values:
            return self._values[name]
        with self._locks_guard:
            lock = self._locks.setdefault(name, threading.RLock())
        with lock:
            if name not in self._values:
                self._compute(name)
        return self._values[name]

    def _compute(self, name: str) -> None:
        opened: list[float] = self._nesting.__dict__.setdefault("open", [])
        started = time.perf_counter()
        opened.append(0.0)
        try:
            self._values[name] = read_only(_provider(name)(self))
        finally:
            nested = opened.pop()
            elapsed = time.perf_counter() - started
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed - nested
            if opened:
                opened[-1] += elapsed

    @property
    def task(self) -> str | None:
        """'classification', 'regression' or None: the learning task of the dataset's target."""
        return self.get("task")  # type: ignore[no-any-return]


def read_only(value: Any, fields: bool = True) -> Any:
    """`value` with the numpy arrays it holds (itself, the fields of a dataclass, the items of a tuple
    or a list) made read-only: every check shares them, also two at once, so a check that wrote into
    one would change what the others read. A write now raises instead. Only the artifact's own
    fields are walked (`fields`), not the dataclasses they hold in turn."""
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    elif fields and dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            read_only(getattr(value, item.name), fields=False)
    elif isinstance(value, (tuple, list)):
        for item in value:
            read_only(item, fields=False)
    return value


def _provider(name: str) -> Provider:
    if name not in _PROVIDERS:  # the reference model registers its providers when the checks load
        from datacert.checks import load_all_checks

        load_all_checks()
    return _PROVIDERS[name]


@provide("task")
def _task(store: Artifacts) -> str | None:
    data = store.data
    target = data.roles.target
    if not target:
        return None
    return learning_task(data.frame.get_column(target), data.semantic_types.get(target))


@provide("row_sample")
def _row_sampler(store: Artifacts) -> RowSampler:
    return RowSampler(store.data, store.task)


@provide("population")
def _population(store: Artifacts) -> Any:
    """None unless a sampled run supplied it: a table checked in memory is its own population."""
    return None
