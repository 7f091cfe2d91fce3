"""Issue 19's measure of the shape, on the four walks docs/architecture.md describes
(tests/walks.py traces them; `make bench` prints the same figures).

An email to its receipt and a staff `#extend` to its letter each cross at most 20 hops between
parts, and no walk calls back into a module already on its stack: the unit of work hands the
case to its caller rather than running the caller's change, Post takes drafts rather than a
drafting function, the domain's deadline rule is a domain value, and the store's sweep key lives
with the clock, not the sweep.
"""

from __future__ import annotations

import email

import pytest

from tests import mailfactory as mf
from tests.walks import GOAL_HOPS, Walk, World, trace, walks


@pytest.fixture(scope="module")
def traced() -> list[Walk]:
    return walks()


def test_no_walk_calls_back_into_a_module_on_its_stack(traced: list[Walk]) -> None:
    for walk in traced:
        assert walk.back == set(), walk.line()


def test_the_email_and_extend_walks_are_within_the_hop_goal(traced: list[Walk]) -> None:
    email_walk, extend_walk, handler_walk = traced[0], traced[1], traced[4]
    for walk in (email_walk, extend_walk, handler_walk):
        assert len(walk.hops) <= GOAL_HOPS, (walk.line(), sorted(walk.hops))


def test_the_walks_pass_through_the_parts_the_page_names(traced: list[Walk]) -> None:
    """The walks are the ones described: the email goes mailroom -> intake -> casework -> post
    -> unit of work; the web form and the sweep never touch the mailroom."""
    email_walk, extend_walk, form_walk, sweep_walk, handler_walk = traced
    chain = [m.removeprefix("complaints.service.") for m in email_walk.order
             if m in {f"complaints.service.{s}" for s in
                      ("mailroom", "intake", "casework", "post", "unit_of_work")}]
    assert chain == ["mailroom", "intake", "casework", "post", "unit_of_work"], chain
    assert ("complaints.service.mailroom", "complaints.service.unit_of_work") in extend_walk.hops
    for walk in (form_walk, sweep_walk):
        assert "complaints.service.mailroom" not in walk.order, walk.name
    order = handler_walk.order
    assert order.index("complaints.handlers.inbound_email") < order.index(
        "complaints.service.mailroom"), order[:4]


def test_a_staff_preview_calls_back_into_no_module_on_its_stack() -> None:
    """Issue 20's #preview runs the commands on a copy and drafts, builds, lints and keeps its
    letters: still nothing handed down to be called back."""
    world = World()
    reference = world.deliver(mf.message()).reference
    body = ("#preview\n#acknowledge\n#extend 5 waiting for the survey\n\nYou are unhappy that the "
            "mould in your bathroom has not been treated; you want it treated.")
    world.staff(reference, body)  # warm
    walk = trace("a staff #preview reply to its confirmation", lambda: world.staff(reference, body))
    assert walk.back == set(), walk.line()
    assert ("complaints.service.casework", "complaints.service.post") in walk.hops
    kinds = [str(email.message_from_bytes(m)["X-Complaints-Letter"])
             for m in world.outbox.letters()]
    assert kinds.count("command_result") == 2 and "acknowledgement" not in kinds
