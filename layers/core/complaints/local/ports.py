"""The stack's ports: free ones found, taken ones refused (and by whom, from /proc on Linux), and
waiting until a server, or a given process, answers on one."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

from complaints.local.errors import StackError


def wait_for_port(host: str, port: int, timeout: float,
                  process: subprocess.Popen[bytes] | None = None) -> None:
    """Until ``port`` answers; with ``process``, until that process itself listens there (on
    Linux, read from /proc), so that another program on the port is never taken for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise StackError(f"process on port {port} exited with {process.returncode}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            answered = sock.connect_ex((host, port)) == 0
        if answered:
            holders = port_holders(port)
            if process is None or holders is None or process.pid in holders:
                return
        time.sleep(0.1)
    raise StackError(f"nothing answered on {host}:{port} within {timeout:.0f} s")


def _listening_inodes(port: int) -> set[str] | None:
    """Inodes of the sockets listening on ``port`` (IPv4 or IPv6), or None without /proc."""
    found: set[str] = set()
    seen = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        seen = True
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rpartition(":")[2], 16) == port:
                found.add(fields[9])
    return found if seen else None


def port_holders(port: int) -> set[int] | None:
    """The processes listening on ``port`` that we may look at (None: cannot tell here)."""
    inodes = _listening_inodes(port)
    if inodes is None:
        return None
    links = {f"socket:[{inode}]" for inode in inodes}
    pids: set[int] = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in links:
                    pids.add(int(proc.name))
                    break
        except OSError:  # gone, or another user's
            continue
    return pids


def check_port_free(port: int, what: str, option: str) -> None:
    """Refuse a port something already listens on (bound as the servers bind: SO_REUSEADDR)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            return
        except OSError as exc:
            why = exc.strerror or str(exc)
    holders = sorted(port_holders(port) or ())
    held = ""
    if holders:
        names = []
        for pid in holders:
            try:
                names.append(f"{pid} ({Path(f'/proc/{pid}/comm').read_text().strip()})")
            except OSError:
                names.append(str(pid))
        held = f", held by process {', '.join(names)}"
    raise StackError(
        f"port {port} for {what} is already in use ({why}{held}). Stop what holds it (perhaps "
        f"a DynamoDB Local or stack left by a `complaints local up` that was killed: "
        f"`kill <pid>`), or choose another port with {option}.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
