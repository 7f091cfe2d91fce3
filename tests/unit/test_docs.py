"""The docs a newcomer reads: a short README, links that land, code that cites only the repo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
CODE = sorted(p for top in ("layers", "functions", "benchmarks") for p in (REPO / top).rglob("*.py"))

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
# A file outside the repo: the design notes and the seeds beside the checkout (../shared).
# A seed's paragraph cited by its number ("003 ¶137") is fine: it names no path.
_OUTSIDE = re.compile(r"\.\./shared|\bshared/|\bseeds/|\bdesign\.md|\bregulation\.md")
_MD_CITED = re.compile(r"[\w./-]+\.md\b")


def _prose(text: str) -> str:
    """The text with code blocks and code spans taken out: a link inside them is an example."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for heading in _HEADING.findall(_FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def test_the_readme_is_at_most_200_lines() -> None:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines: move detail into docs/"


def test_the_readme_starts_with_the_two_commands_and_links_every_docs_page() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = text.split("```", 2)[1]
    assert "make run" in first_block and "make test" in first_block
    linked = {Path(t.split("#")[0]).as_posix() for t in _LINK.findall(_prose(text))}
    for page in PAGES[1:]:
        assert page.relative_to(REPO).as_posix() in linked, f"README.md does not link {page.name}"
    for shot in ("docs/web-form.png", "docs/annual-report.png"):
        assert shot in linked


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_relative_link_lands_on_a_file_and_a_heading(page: Path) -> None:
    broken = []
    for target in _LINK.findall(_prose(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not a file here
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.is_file() or not dest.is_relative_to(REPO):
            broken.append(f"{target}: no such file in the repo")
        elif anchor and anchor not in anchors(dest):
            broken.append(f"{target}: no heading #{anchor} in {dest.relative_to(REPO)}")
    assert not broken, f"{page.relative_to(REPO)}: " + "; ".join(broken)


def test_code_cites_only_files_in_the_repo() -> None:
    outside = []
    for path in CODE:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.relative_to(REPO)}:{n}"
            if _OUTSIDE.search(line):
                outside.append(f"{where}: {line.strip()}")
            for cited in _MD_CITED.findall(line):
                if not (REPO / cited).is_file():
                    outside.append(f"{where}: {cited} is not a file in the repo")
    assert not outside, "cite docs/ instead:\n" + "\n".join(outside)


def test_the_slug_is_githubs() -> None:
    assert slug("Threat model: who can do what") == "threat-model-who-can-do-what"
    assert slug("What an outside attack found (issue 18)") == "what-an-outside-attack-found-issue-18"
    assert slug("The CLI's `--json`") == "the-clis---json"
