"""Issue 20 through the local stack (real SMTP in, DynamoDB Local, the outbox read back): a
`#preview` reply changes nothing and sends the resident nothing, and shows its sender the
letters as they would go; a reply with a refused command says REFUSED in its subject.
"""

from __future__ import annotations

import email
import email.policy
import os
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from tests.e2e.test_local_stack import Stack
from tests.e2e.test_mailbox_loop import SAM, Mailbox, body, opened, staff

pytestmark = pytest.mark.slow

DEFINITION = "Black mould in the bathroom since March; Jo wants it treated."


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = tmp_path_factory.mktemp("confirm")
    env = dict(os.environ, COMPLAINTS_CACHE_DIR=str(data_dir / "cache"),
               COMPLAINTS_LETTERS_PER_HOUR="1000", POWERTOOLS_LOG_LEVEL="WARNING")
    running = Stack(data_dir, env)
    yield running
    if running.process.poll() is None:
        running.stop()


def test_a_preview_sends_the_resident_nothing_and_a_refusal_says_so_in_its_subject(
        stack: Stack) -> None:
    box = Mailbox(stack)
    resident = "jo.preview@example.org"
    reference, _, notice = opened(stack, box, resident, "Mould again")
    # Sam previews the acknowledgement: only Sam hears, with the letter as it would go
    staff(stack, notice, SAM, f"#preview\n#acknowledge\n\n{DEFINITION}", reference)
    [(kind, to, confirmation, _)] = box.new(reference)
    assert (kind, to) == ("command_result", SAM)
    assert str(confirmation["Subject"]) == (f"[{reference}] Preview, nothing done: "
                                            "#acknowledge would be done")
    [attached] = list(confirmation.iter_attachments())
    assert attached.get_filename() == "preview-1-acknowledgement.eml"
    letter = email.message_from_bytes(attached.get_content(), policy=email.policy.default)
    assert isinstance(letter, EmailMessage)
    assert str(letter["To"].addresses[0].addr_spec) == resident
    assert DEFINITION in body(letter) and body(letter) in body(confirmation)
    assert "The letter checker found nothing wanting." in body(confirmation)
    shown = stack.cli("show", reference, "--json")
    assert shown["status"] == "received"
    assert any(e["event"] == "commands previewed" for e in shown["timeline"])
    # for real, with an extension written in weeks: refused, and the subject says so
    staff(stack, notice, SAM, f"#acknowledge\n#extend 2 weeks survey\n\n{DEFINITION}",
          reference)
    got = {k: (to, m) for k, to, m, _ in box.new(reference)}
    assert got["acknowledgement"][0] == resident
    to, result = got["command_result"]
    assert to == SAM
    assert str(result["Subject"]).startswith(
        f"[{reference}] REFUSED: #extend: 2 weeks on from the response date now due (")
    assert "extension" not in got
    assert body(got["acknowledgement"][1]) in body(result)  # the text as it went
    assert stack.cli("show", reference, "--json")["status"] == "acknowledged"
