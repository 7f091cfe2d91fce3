"""Module hops of the four walks docs/architecture.md describes (make bench). Prints.

The walks and the counting are tests/walks.py's (the same ones
tests/service/test_architecture.py holds to issue 19's goal): each walk is run once warm on the
in-memory ports under a profile hook. Printed per walk: hops between parts (services, adapters,
handlers, the composition root), module pairs (every module, the pure libraries included), the
modules in the order the walk first enters them, and any call back.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.walks

from tests.walks import GOAL_HOPS, walks


def main() -> None:
    for walk in walks():
        print(walk.line())
        print("    modules: " + " -> ".join(m.removeprefix("complaints.") for m in walk.order))
        for caller, callee in sorted(walk.back):
            print(f"    back: {caller.removeprefix('complaints.')} -> "
                  f"{callee.removeprefix('complaints.')}")
    print(f"goal (walks 1 and 2): at most {GOAL_HOPS} hops between parts, none back")


if __name__ == "__main__":
    main()
