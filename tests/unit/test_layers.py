"""The layers docs/architecture.md promises, checked on the package's own imports: the domain is
pure (no service, adapter, handler, I/O library or clock), services are typed against ports and
never import an adapter, and the aggregate carries no adapter's bookkeeping by name."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import complaints
from complaints.domain.case import Complaint

PACKAGE = Path(complaints.__file__).parent
IO_LIBRARIES = {"boto3", "botocore", "pynamodb", "smtplib", "socket", "urllib.request",
                "requests", "subprocess"}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_the_domain_imports_nothing_outside_the_domain() -> None:
    found = {}
    for path in sorted((PACKAGE / "domain").glob("*.py")):
        bad = {n for n in imports_of(path)
               if (n.startswith("complaints.") and not n.startswith("complaints.domain"))
               or n.split(".")[0] in {x.split(".")[0] for x in IO_LIBRARIES}}
        if bad:
            found[path.name] = sorted(bad)
    assert found == {}


def test_services_use_ports_not_adapters() -> None:
    found = {}
    for path in sorted((PACKAGE / "service").rglob("*.py")):
        bad = {n for n in imports_of(path)
               if n.startswith("complaints.adapters") or n.split(".")[0] in {"pynamodb", "boto3"}}
        if bad:
            found[str(path.relative_to(PACKAGE))] = sorted(bad)
    assert found == {}


def test_the_aggregate_names_no_store_bookkeeping() -> None:
    """The store's lock version and what it last wrote are one opaque value the case carries
    (service/records.Stored), not fields of the aggregate."""
    names = {f.name for f in dataclasses.fields(Complaint)}
    assert not {n for n in names if n in {"version", "saved_events"} or n.startswith("indexed_")}
    assert "stored" in names
