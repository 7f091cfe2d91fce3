"""Policy presets from TOML files: the built-in policies/ plus any configured directories."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path

from complaints.domain.policy import Policy, PolicyError, ombudsman_dependency, parse_policy

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "policies"


class PresetLibrary:
    """Finds preset files by id and loads each on first use (a broken file only breaks itself)."""

    def __init__(self, extra_dirs: Sequence[Path] = ()) -> None:
        self._files: dict[str, Path] = {}
        for directory in (BUILTIN_DIR, *extra_dirs):
            if not directory.is_dir():
                raise PolicyError(f"{directory}: preset directory does not exist")
            for path in sorted(directory.glob("*.toml")):
                earlier = self._files.get(path.stem)
                if earlier is not None:
                    raise PolicyError(f"{path}: preset id {path.stem!r} is already defined by {earlier}")
                self._files[path.stem] = path
        self._loaded: dict[str, Policy] = {}

    def ids(self) -> list[str]:
        return sorted(self._files)

    def get(self, policy_id: str) -> Policy:
        return self._load(policy_id, ())

    def all(self) -> list[Policy]:
        return [self.get(i) for i in self.ids()]

    def _load(self, policy_id: str, chain: tuple[str, ...]) -> Policy:
        if policy_id in self._loaded:
            return self._loaded[policy_id]
        path = self._files.get(policy_id)
        if path is None:
            raise PolicyError(f"unknown policy {policy_id!r} (valid: {', '.join(self.ids())})")
        if policy_id in chain:
            raise PolicyError(f"{path}: ombudsman.same_as goes round in a circle: {' -> '.join(chain)}")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError(f"{path}: cannot be read: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"{path}: not valid TOML: {exc}") from None
        known: dict[str, Policy] = {}
        dependency = ombudsman_dependency(data)
        if dependency is not None and dependency in self._files and dependency != policy_id:
            known[dependency] = self._load(dependency, (*chain, policy_id))
        policy = parse_policy(data, str(path), known)
        self._loaded[policy_id] = policy
        return policy
