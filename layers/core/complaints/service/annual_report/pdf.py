"""The annual report's PDF: its page printed by headless Chromium (the browser the form
tests use), a private profile each time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Final

CHROMIUM_TIMEOUT_S: Final = 120


class ChromiumMissing(RuntimeError):
    """No headless Chromium to print the PDF with."""


class PdfFailed(RuntimeError):
    """Chromium ran but wrote no PDF."""


def find_chromium(chromium: str | None = None) -> str:
    """The Chromium to print with: the one given (a path or a name on PATH), else `chromium`."""
    candidates = [chromium] if chromium else ["chromium", "chromium-browser", "google-chrome"]
    for name in candidates:
        found = shutil.which(name) or (name if Path(name).is_file() and os.access(name, os.X_OK)
                                       else None)
        if found:
            return found
    raise ChromiumMissing(
        f"no headless Chromium to print the PDF with ({', '.join(candidates)} not found): install "
        "Debian's chromium (make test does) or pass its path")


def print_pdf(chromium: str, page: Path, pdf: Path) -> None:
    """Print the page to PDF with headless Chromium, a private profile each time (so it never
    meets a running browser's), no header or footer."""
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="complaints-chromium-") as profile:
        command = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                   "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                   f"--user-data-dir={profile}", "--no-pdf-header-footer",
                   f"--print-to-pdf={pdf}", page.resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, timeout=CHROMIUM_TIMEOUT_S,
                                  check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as slow:
            raise PdfFailed(f"Chromium did not print {page.name} within {CHROMIUM_TIMEOUT_S} s") \
                from slow
    if done.returncode != 0 or not pdf.is_file() or not pdf.read_bytes().startswith(b"%PDF"):
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise PdfFailed(f"Chromium exited {done.returncode} without a PDF of {page.name}: "
                        + " | ".join(tail))
