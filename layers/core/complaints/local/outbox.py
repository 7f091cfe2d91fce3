"""The outbox: an SMTP sink that writes every letter we send to <data>/outbox/*.eml."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class OutboxSink:
    """Writes every message we send to <outbox>/<time>-<n>.eml."""

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox
        self._n = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self._n += 1
            name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{self._n:05d}.eml"
        self.outbox.mkdir(parents=True, exist_ok=True)
        tmp = self.outbox / (name + ".part")
        tmp.write_bytes(envelope.original_content or b"")
        os.replace(tmp, self.outbox / name)
        return "250 2.0.0 Ok: delivered to the outbox"
