"""The one build step pyproject.toml cannot say: the top-level templates/ ships inside the
package (complaints/templates/), where an installed `complaints` looks for them
(layers/core/complaints/rendering.py). Everything else is in pyproject.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TEMPLATES = Path(__file__).resolve().parent / "templates"


class BuildWithTemplates(build_py):
    def run(self) -> None:
        super().run()
        # an editable install reads the checkout's templates/ in place
        if not getattr(self, "editable_mode", False):
            target = Path(self.build_lib) / "complaints" / "templates"
            shutil.rmtree(target, ignore_errors=True)  # no template left from an earlier build
            shutil.copytree(TEMPLATES, target, ignore=shutil.ignore_patterns("__pycache__"))


setup(cmdclass={"build_py": BuildWithTemplates})
