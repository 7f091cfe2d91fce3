"""Policy presets from TOML files: the built-in policies/ plus any configured directories."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path

from complaints.domain.calendar import NATIONS
from complaints.domain.policy import Policy, PolicyError, ombudsman_dependency, parse_policy
from complaints.domain.regime import Regime, apply_floor, parse_regime

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "policies"
REGIMES_DIR = Path(__file__).resolve().parent.parent / "regimes"


def load_regimes(*extra_dirs: Path) -> dict[str, Regime]:
    """The regime floors by nation: the built-in regimes/, then any configured directories
    (COMPLAINTS_REGIME_DIRS): a regime is data, so a new one needs no code. Two regimes for
    one nation are refused: which floor applies must never depend on file order."""
    by_nation: dict[str, Regime] = {}
    for directory in (REGIMES_DIR, *extra_dirs):
        if not directory.is_dir():
            raise PolicyError(f"{directory}: regime directory does not exist")
        for path in sorted(directory.glob("*.toml")):
            try:
                regime = parse_regime(tomllib.loads(path.read_text(encoding="utf-8")), str(path))
            except (OSError, UnicodeDecodeError) as exc:
                raise PolicyError(f"{path}: cannot be read: {exc}") from None
            except tomllib.TOMLDecodeError as exc:
                raise PolicyError(f"{path}: not valid TOML: {exc}") from None
            for nation in regime.nations:
                if nation not in NATIONS:
                    raise PolicyError(f"{path}: nations: {nation!r} is not one of "
                                      f"{', '.join(NATIONS)}")
                earlier = by_nation.get(nation)
                if earlier is not None:
                    raise PolicyError(f"{path}: {nation} already has the regime {earlier.id} "
                                      f"({earlier.file})")
                by_nation[nation] = regime
    return by_nation


class PresetLibrary:
    """Finds preset files by id and loads each on first use (a broken file only breaks itself)."""

    def __init__(self, extra_dirs: Sequence[Path] = (), regime_dirs: Sequence[Path] = ()) -> None:
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
        self._regimes: dict[str, Regime] | None = None
        self._regime_dirs = tuple(regime_dirs)

    def regime_for(self, nation: str) -> Regime | None:
        if self._regimes is None:
            self._regimes = load_regimes(*self._regime_dirs)
        return self._regimes.get(nation)

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
        regime = self.regime_for(policy.nation)
        if regime is not None:  # the regime is the floor
            policy = apply_floor(policy, regime)
        self._loaded[policy_id] = policy
        return policy
