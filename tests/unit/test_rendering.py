"""One place finds the templates and one jinja2 Environment renders them all (issue 19).

Given COMPLAINTS_TEMPLATES_DIR, a checkout, or an installed package, the templates are found
in that order; the Environment escapes *.html.j2 and not *.txt.j2, refuses a missing field,
and gives every template the same filters; no other module builds an Environment.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

from complaints import rendering
from complaints.config import load_settings
from complaints.rendering import TemplatesMissing, find_templates

PACKAGE_ROOT = Path(rendering.__file__).resolve().parent


def _package(top: Path, *, checkout: bool, shipped: bool) -> Path:
    package = top / "layers" / "core" / "complaints"
    package.mkdir(parents=True)
    if checkout:
        (top / "pyproject.toml").write_text("[project]\n")
        (top / "templates").mkdir()
    if shipped:
        (package / "templates").mkdir()
    return package


def test_the_configured_directory_comes_first(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    package = _package(tmp_path / "repo", checkout=True, shipped=True)
    assert find_templates(own, package) == own
    with pytest.raises(TemplatesMissing, match="COMPLAINTS_TEMPLATES_DIR"):
        find_templates(tmp_path / "nowhere", package)


def test_a_checkout_uses_its_own_templates_before_any_copy(tmp_path: Path) -> None:
    package = _package(tmp_path, checkout=True, shipped=True)
    assert find_templates(None, package) == tmp_path / "templates"


def test_an_installed_package_uses_the_copy_it_carries(tmp_path: Path) -> None:
    # site-packages/complaints (or the layer's /opt/python/complaints): no checkout above it
    package = _package(tmp_path, checkout=False, shipped=True)
    assert find_templates(None, package) == package / "templates"
    bare = _package(tmp_path / "bare", checkout=False, shipped=False)
    with pytest.raises(TemplatesMissing, match="set COMPLAINTS_TEMPLATES_DIR"):
        find_templates(None, bare)


def test_the_setting_is_read_from_the_environment(tmp_path: Path) -> None:
    assert load_settings({}).templates_dir is None
    assert load_settings({"COMPLAINTS_TEMPLATES_DIR": str(tmp_path)}).templates_dir == tmp_path


def test_this_checkout_renders_from_its_top_level_templates() -> None:
    assert rendering.templates_dir() == PACKAGE_ROOT.parents[2] / "templates"
    assert not (PACKAGE_ROOT / "templates").exists() or not any(
        (PACKAGE_ROOT / "templates").iterdir()), "a stale copy of templates/ in the package"


def test_html_is_escaped_text_is_not_and_a_missing_field_is_an_error(tmp_path: Path) -> None:
    env = rendering.environment()
    loader = jinja2.DictLoader({"x.html.j2": "{{ v }}", "x.txt.j2": "{{ v }}",
                                "gap.txt.j2": "{{ missing }}"})
    own = env.overlay(loader=loader)
    assert own.get_template("x.html.j2").render(v="<b>&") == "&lt;b&gt;&amp;"
    assert own.get_template("x.txt.j2").render(v="<b>&") == "<b>&"
    with pytest.raises(jinja2.UndefinedError):
        own.get_template("gap.txt.j2").render()


def test_every_template_has_every_filter() -> None:
    env = rendering.environment()
    for name in ("longdate", "filesize", "london", "plain", "pct", "num", "gbp", "month"):
        assert name in env.filters, name
    assert "share" in env.globals
    source = env.from_string("{{ '2026-06-01' | longdate }} {{ 2048 | filesize }} "
                             "{{ '2026-06-01T09:00:00Z' | london }} {{ none | plain }} "
                             "{{ 12.34 | pct }} {{ 1234 | num }} {{ 5 | gbp }} "
                             "{{ '2025-04' | month }} {{ share(1, 4) }}")
    assert source.render() == ("Monday 1 June 2026 2.0 KB 2026-06-01 10:00:00 BST none 12.3% "
                               "1,234 £5.00 Apr 2025 25.0%")


def test_no_other_module_builds_an_environment() -> None:
    builders = [str(p.relative_to(PACKAGE_ROOT)) for p in PACKAGE_ROOT.rglob("*.py")
                if re.search(r"jinja2\.(Environment|Template)\(", p.read_text(encoding="utf-8"))]
    assert builders == ["rendering.py"]
