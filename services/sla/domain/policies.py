"""The SLA policies a service applies: :class:`PolicyStore` holds the parsed ``shared/data/sla_policies.json`` and
re-reads it when its modification time changes, keeping the last good version (and reporting the error) if an edit
does not validate. What a policy is lives in ``policy_model.py``, how the file is read in ``policy_file.py``; the
model's classes most callers take with the store are importable from here too.

Pure domain code: no web framework, database, bus or clock.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import shared
from services.sla.domain.policy_file import read_policy_file
from services.sla.domain.policy_model import DEFAULT_SET, Milestone, Policy, PolicyError, PolicyFile

__all__ = ["DEFAULT_POLICIES_PATH", "Milestone", "Policy", "PolicyError", "PolicyStore", "load_policies"]

DEFAULT_POLICIES_PATH = Path(shared.__file__).resolve().parent / "data" / "sla_policies.json"

log = logging.getLogger("complaints.sla.policies")


class PolicyStore:
    """The policies of one file; re-reads the file when its modification time (or size) changes.

    A changed file that fails validation is not applied: the store keeps serving the last good policies, logs the
    error on ``complaints.sla.policies`` and exposes it as :attr:`last_error` until a valid version is saved.
    """

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else DEFAULT_POLICIES_PATH
        self._lock = threading.Lock()
        self._stamp = self._file_stamp()
        self._data = read_policy_file(self.path)  # the first load must succeed
        self.last_error: str | None = None
        self.generation = 1  # bumped on every applied reload

    @classmethod
    def load(cls, path: str | Path | None = None) -> PolicyStore:
        return cls(path)

    def _file_stamp(self) -> tuple[int, int]:
        st = os.stat(self.path)
        return (st.st_mtime_ns, st.st_size)

    def reload_if_changed(self) -> bool:
        """Re-read the file if it changed since the last read; True when new policies were applied."""
        try:
            stamp = self._file_stamp()
        except OSError as exc:
            self.last_error = f"{self.path}: {exc}"
            log.error("policy file unreadable, keeping the loaded policies: %s", self.last_error)
            return False
        if stamp == self._stamp:
            return False
        with self._lock:
            if stamp == self._stamp:
                return False
            self._stamp = stamp
            try:
                data = read_policy_file(self.path)
            except (OSError, PolicyError) as exc:
                self.last_error = str(exc)
                log.error("policy file changed but is invalid, keeping the loaded policies: %s", exc)
                return False
            self._data = data
            self.last_error = None
            self.generation += 1
            log.info("policy file reloaded: %s", self.path)
            return True

    @property
    def data(self) -> PolicyFile:
        self.reload_if_changed()
        return self._data

    def names(self) -> tuple[str, ...]:
        return tuple(self.data.policies)

    def set_names(self) -> tuple[str, ...]:
        return tuple(self.data.sets)

    def get(self, name: str) -> Policy:
        data = self.data
        try:
            return data.policies[name]
        except KeyError:
            raise PolicyError(f"unknown policy {name!r} (known: {', '.join(data.policies)})") from None

    def policy_for(self, sla_class: str, set_name: str = DEFAULT_SET) -> Policy:
        """The policy the deployment's policy set applies to complaints of ``sla_class``."""
        data = self.data
        if set_name not in data.sets:
            raise PolicyError(f"unknown policy set {set_name!r} (known: {', '.join(data.sets)})")
        mapping = data.sets[set_name]
        if sla_class not in mapping:
            raise PolicyError(f"unknown SLA class {sla_class!r} (known: {', '.join(mapping)})")
        return data.policies[mapping[sla_class]]


def load_policies(path: str | Path | None = None) -> PolicyStore:
    """A :class:`PolicyStore` on ``path`` (default: shared/data/sla_policies.json)."""
    return PolicyStore(path)
