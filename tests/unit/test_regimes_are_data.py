"""Regimes are data (regimes/*.toml): the package's code never compares a nation by name nor
carries a regime's words. A rule that differs by nation belongs in its regime file, where a
third regime can state its own (tests/integration/test_new_regime.py runs one)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import complaints
from complaints.domain.calendar import NATIONS

PACKAGE = Path(complaints.__file__).resolve().parent
# Words that are one regime's: its Ombudsman, its time limit.
REGIME_WORDS = ("12 months", "Housing Ombudsman", "SPSO")


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring constants: prose about the code, not code."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _strings(node: ast.AST) -> Iterator[str]:
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            yield child.value


def findings(source: str, name: str) -> list[str]:
    tree = ast.parse(source, name)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            nations = [s for part in (node.left, *node.comparators) for s in _strings(part)
                       if s in NATIONS]
            if nations:
                found.append(f"{name}:{node.lineno}: compares a nation by name ({nations[0]!r})")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in docstrings):
            words = [w for w in REGIME_WORDS if w in node.value]
            if words:
                found.append(f"{name}:{node.lineno}: {words[0]!r} in code")
    return found


def test_the_check_catches_what_it_is_for() -> None:
    assert findings('if policy.nation == "england":\n    pass\n', "x.py")
    assert findings('ok = "scotland" != nation\n', "x.py")
    assert findings('ok = nation in ("wales", "scotland")\n', "x.py")
    assert findings('text = f"the Housing Ombudsman says {x}"\n', "x.py")
    assert findings('limit = "12 months"\n', "x.py")
    assert not findings('"""The SPSO model, 12 months."""\nnations = {"scotland": 1}\n', "x.py")


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_nation_or_regime_in_code(path: Path) -> None:
    assert findings(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE))) == []


LETTERS = Path(__file__).resolve().parents[2] / "templates"
NATION_WORDS = ("Scotland", "Scottish", "England", "English", "Wales", "Welsh")


@pytest.mark.parametrize("path", sorted(LETTERS.glob("*.j2")), ids=lambda p: p.name)
def test_no_letter_template_carries_a_regimes_words(path: Path) -> None:
    """The letters say what their regime's data gives them (the Ombudsman, its time limit, the
    advice bodies of [[advice]]): a template naming one regime's bodies or nation would say it
    under every regime. The reports' templates (templates/reports/) name the regulators whose
    returns they are, by the regime's `reports` list."""
    from complaints.adapters.preset_files import PresetLibrary

    # each body's name, phone and web address, and the name's first words ("Citizens Advice")
    bodies = [x for p in PresetLibrary().all() for body in p.rules.advice
              for x in (*body, " ".join(body[0].split()[:2])) if x]
    assert bodies, "the regimes name their advice bodies"
    text = path.read_text(encoding="utf-8")
    found = [w for w in (*REGIME_WORDS, *NATION_WORDS, *bodies) if w in text]
    assert found == [], f"{path.name} names {found}"
