"""An installed `complaints` (`pip install .`, not editable) carries and finds its templates.

Given the sources copied out of the checkout and installed by pip into a fresh virtual
environment (its dependencies borrowed from this one), when the installed package renders a
letter and its `complaints check-letter` command checks it, then the templates come from
inside the installed package, every template file is there, and the letter is fit to send.
Installing builds the package as pip does: with network access for the build backend
(setuptools, wheel), or pip's cache.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from complaints.adapters.preset_files import PresetLibrary
from tests.unit.test_letter_templates import context

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md")
RENDER = """
import json, sys
from pathlib import Path
from complaints import rendering
from complaints.mail.letters import Envelope, build
from complaints.web import pages

ctx = json.loads(Path(sys.argv[1]).read_text())
envelope = Envelope("Example Homes", "complaints@landlord.example", "jo.bloggs@example.com",
                    "Jo Bloggs", "CMP-2026-000042", "We have acknowledged your complaint")
Path(sys.argv[2]).write_bytes(bytes(build(envelope, "acknowledgement", ctx)))
assert pages.stylesheet()  # the form's CSS, read as a file
found = sorted(str(p.relative_to(rendering.templates_dir()))
               for p in rendering.templates_dir().rglob("*") if p.is_file())
print(json.dumps({"dir": str(rendering.templates_dir()), "files": found}))
"""


def _files(top: Path) -> list[str]:
    return sorted(str(p.relative_to(top)) for p in top.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


def test_an_installed_package_finds_its_templates(tmp_path: Path) -> None:
    src = tmp_path / "src"  # outside the checkout: nothing to fall back on
    src.mkdir()
    for name in SOURCES:
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "templates", src / "templates")
    shutil.copytree(ROOT / "layers" / "core" / "complaints", src / "layers" / "core" / "complaints",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "templates"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python, cli = venv / "bin" / "python", venv / "bin" / "complaints"
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "COMPLAINTS_TEMPLATES_DIR", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    installed = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps",
                                str(src)], env=env, capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # the dependencies, from this environment's site-packages (a .pth line adds a directory
    # but runs none of its own .pth files: this checkout's editable install stays out)
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], check=True, capture_output=True, text=True)
    (Path(purelib.stdout.strip()) / "borrowed-deps.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n")

    policy = PresetLibrary().get("hos-2024")
    ctx = tmp_path / "context.json"
    ctx.write_text(json.dumps(context("acknowledgement", policy, 1), default=str))
    letter = tmp_path / "acknowledgement.eml"
    rendered = subprocess.run([str(python), "-c", RENDER, str(ctx), str(letter)], env=env,
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    found = json.loads(rendered.stdout)
    assert Path(found["dir"]).is_relative_to(venv), found["dir"]
    assert found["dir"].endswith(os.path.join("site-packages", "complaints", "templates"))
    assert found["files"] == _files(ROOT / "templates")

    checked = subprocess.run([str(cli), "check-letter", "acknowledgement", str(letter),
                              "--policy", "hos-2024"], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "fit for hos-2024" in checked.stdout
