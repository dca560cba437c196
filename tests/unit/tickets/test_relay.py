"""What the customer receives of an engineer's answer: recipients, sender name, no engineer address."""

from __future__ import annotations

from mailgate.mail.parse import Address
from mailgate.tickets.notify import Person, TicketFacts
from mailgate.tickets.plan import RelayInput, plan_relay

TICKET = TicketFacts(
    id=7,
    ref="EX#7",
    subject="Printer on fire",
    status="open",
    priority="normal",
    language="en",
    requester="hanako@client.example",
    assignee=None,
    first_response_due=None,
    first_responded_at=None,
    resolution_due=None,
    participants=(
        Person("boss@client.example", "Boss", "cc"),
        Person("hanako@client.example", "Hanako", "requester"),
        Person("alice@example.com", "Alice", "cc"),
        Person("support@example.com", None, "cc"),
    ),
)


def relay(text: str) -> RelayInput:
    return RelayInput(
        ticket=TICKET,
        author=Address("alice@example.com", "Alice"),
        text=text,
        service_name="Example Support",
        service_address="support@example.com",
        secret="test-secret-0123456789",
        own_addresses=frozenset({"support@example.com"}),
        engineer_addresses=frozenset({"alice@example.com", "bob@example.com"}),
        in_reply_to="<last@client.example>",
        references=("<first@client.example>", "<last@client.example>"),
    )


def test_answer_goes_to_the_requester_with_every_other_customer_on_cc() -> None:
    """Hanako is addressed, her boss is copied; neither mailgate nor an engineer is a recipient."""
    [draft] = plan_relay(relay("Please unplug it.")).drafts

    assert [a.address for a in draft.to] == ["hanako@client.example"]
    assert [a.address for a in draft.cc] == ["boss@client.example"]
    assert draft.from_name == "Alice (Example Support)"
    assert draft.auto_submitted is None
    assert draft.subject == "Re: [EX#7] Printer on fire"


def test_an_engineer_address_typed_into_the_answer_becomes_the_support_address() -> None:
    """Even an address the engineer typed themselves reaches the customer as the support address."""
    [draft] = plan_relay(relay("Write to Alice@Example.com or bob@example.com any time.")).drafts

    assert draft.context["text"] == "Write to support@example.com or support@example.com any time."


def test_one_line_contact_signature_never_reaches_the_customer() -> None:
    """A signature without a `-- ` line still does not hand the customer the engineer's phone number."""
    answer = (
        "Fixed: the printer is back.\n\nThanks,\nAlice | Example Corp | +81 3-1234-5678 | alice@example.com"
    )
    [draft] = plan_relay(relay(answer)).drafts

    assert draft.context["text"] == "Fixed: the printer is back.\n\nThanks,\n"
    assert "1234-5678" not in str(draft.context["text"])


def test_labelled_phone_lines_at_the_end_are_dropped_but_a_number_in_a_sentence_stays() -> None:
    """ "Tel: …" under the answer goes; "call our support line at …" in the answer stays."""
    labelled = plan_relay(relay("Done.\n\nAlice Tanaka\nTel: 03-1234-5678\n携帯: 090-1234-5678")).drafts[0]
    sentence = plan_relay(
        relay("Done.\n\nIf it happens again, call our support line at +81 3-0000-0000.")
    ).drafts[0]

    assert labelled.context["text"] == "Done.\n\nAlice Tanaka\n"
    assert sentence.context["text"].endswith("call our support line at +81 3-0000-0000.")  # type: ignore[union-attr]
