"""Subjects: reply and forward prefixes in many languages, and the ticket tag."""

from __future__ import annotations

import pytest

from mailgate.mail.subject import display_subject, find_tags, strip_prefixes, tagged_subject


@pytest.mark.parametrize(
    ("subject", "stripped"),
    [
        ("Re: Printer offline", "Printer offline"),
        ("RE: Printer offline", "Printer offline"),
        ("re : Printer offline", "Printer offline"),
        ("Re:Printer offline", "Printer offline"),
        ("Fwd: Printer offline", "Printer offline"),
        ("FW: Printer offline", "Printer offline"),
        ("Fw: Printer offline", "Printer offline"),
        ("Re: Fwd: RE: FW: Printer offline", "Printer offline"),
        ("Fwd:Re:Printer offline", "Printer offline"),
        # German, Dutch, Scandinavian, Finnish
        ("AW: Drucker", "Drucker"),
        ("WG: AW: Drucker", "Drucker"),
        ("Aw: Antwort: ich kann leider keine neue Ausgabe", "ich kann leider keine neue Ausgabe"),
        ("Antw: Printer", "Printer"),
        ("SV: Skrivare", "Skrivare"),
        ("VS: Tulostin", "Tulostin"),
        # French, Italian, Spanish, Portuguese
        ("TR: Imprimante", "Imprimante"),
        ("Réf : Imprimante", "Imprimante"),
        ("RIF: Stampante", "Stampante"),
        ("R: Stampante", "Stampante"),
        ("RV: Impresora", "Impresora"),
        ("RES: ENC: Impressora", "Impressora"),
        # Polish, Czech, Turkish, Hungarian
        ("Odp: Drukarka", "Drukarka"),
        ("Ynt: Yazıcı", "Yazıcı"),
        # Greek, Russian
        ("Απ: Εκτυπωτής", "Εκτυπωτής"),
        ("ΣΧΕΤ: Εκτυπωτής", "Εκτυπωτής"),
        ("Отв: Принтер", "Принтер"),
        ("Ответ: Принтер", "Принтер"),
        # Japanese, Chinese, Korean, with ASCII and full-width colons
        ("返信: プリンタ", "プリンタ"),
        ("転送: 返信: プリンタ", "プリンタ"),
        ("Re：プリンタ", "プリンタ"),
        ("RE： 請求書の再発行について", "請求書の再発行について"),
        ("回复：打印机", "打印机"),
        ("答复: 打印机", "打印机"),
        ("转发: 打印机", "打印机"),
        ("回覆: 印表機", "印表機"),
        ("답장: 프린터", "프린터"),
        # counters that collapse a run
        ("Re[2]: Printer", "Printer"),
        ("Re^2: Printer", "Printer"),
        ("Re(3): Printer", "Printer"),
        ("RE [4]: Printer", "Printer"),
        # old Netscape forwards and Pine's suffix
        ("[Fwd: Printer offline]", "Printer offline"),
        ("Printer offline (fwd)", "Printer offline"),
        # only prefixes
        ("Re:", ""),
        ("Re: Fwd:  ", ""),
        ("", ""),
    ],
)
def test_reply_and_forward_prefixes_are_removed(subject: str, stripped: str) -> None:
    """A reply shows the same subject as the message it answers, in whatever language."""
    assert strip_prefixes(subject) == stripped


@pytest.mark.parametrize(
    "subject",
    [
        "Re-install fails on Windows",
        "Review: quarterly figures",
        "Research request",
        "Reply needed by Friday",
        "Return policy",
        "Fwdx: not a prefix",
        "Trouble with TRAM",
        "Svar saknas",
        "Revision 2: draft",
        "Answer: 42",
        "Réponse attendue",
        "R2: droid parts",
        "返信がありません",
        "転送設定について",
        "Re verification of accounts",
    ],
)
def test_words_that_only_begin_like_prefixes_are_kept(subject: str) -> None:
    """A customer's subject that starts with "Re-install" or "Review:" is shown as written."""
    assert strip_prefixes(subject) == subject


@pytest.mark.parametrize(
    ("subject", "stripped"),
    [
        ("[Announce] GnuPG 2.1.20 released", "[Announce] GnuPG 2.1.20 released"),
        ("[Shapelib] need some help", "[Shapelib] need some help"),
        ("[list] Re: need help", "[list] need help"),
        ("Re: [list] Re: need help", "[list] need help"),
        (
            "RE: [xdebug-general] Xdebug & crappy firewall",
            "[xdebug-general] Xdebug & crappy firewall",
        ),
        ("Re: [Discourse Meta] [PM] Discourse", "[Discourse Meta] [PM] Discourse"),
        ("RE: [#1042] 請求書の再発行について", "[#1042] 請求書の再発行について"),
        ("[Automatyczna odpowiedź] test", "[Automatyczna odpowiedź] test"),
        (
            "案件のご相談[2024-05 第2期] - 見積依頼について",
            "案件のご相談[2024-05 第2期] - 見積依頼について",
        ),
    ],
)
def test_list_tags_are_kept(subject: str, stripped: str) -> None:
    """A list's or another system's bracketed tag stays in the subject; only the prefixes go."""
    assert strip_prefixes(subject) == stripped


@pytest.mark.parametrize(
    ("subject", "numbers"),
    [
        ("[EX#42] Printer offline", [42]),
        ("Re: [EX#42] Printer offline", [42]),
        ("Re: [ex#42] Printer offline", [42]),
        ("Re: [ EX # 42 ] Printer offline", [42]),
        ("Re: ［EX#42］ プリンタ", [42]),
        ("Re: [EX#42] Fwd: [EX#17] merged", [42, 17]),
        ("[EX#42] [EX#42] doubled", [42]),
        ("Printer offline", []),
        ("[EX#] no number", []),
        ("[EX#4x2] not a number", []),
        ("[EXA#42] another service", []),
        ("[#42] another tracker", []),
        ("EX#42 without brackets", []),
    ],
)
def test_ticket_numbers_are_read_from_tags(subject: str, numbers: list[int]) -> None:
    """A reply that keeps "[EX#42]" in its subject can be matched to ticket 42."""
    assert find_tags(subject, "EX") == numbers


def test_tags_of_other_services_are_not_read() -> None:
    """Another helpdesk's tag in the subject does not point into this one's tickets."""
    assert find_tags("Re: [RT#42] [EX#7] printer", "RT") == [42]


@pytest.mark.parametrize(
    ("subject", "shown"),
    [
        ("Re: [EX#42] Printer offline", "Printer offline"),
        ("[EX#42] Re: Printer offline", "Printer offline"),
        ("RE: [EX#42]   Printer\t offline  ", "Printer offline"),
        ("AW: [EX#42] AW: Drucker", "Drucker"),
        ("返信: [EX#42] プリンタ", "プリンタ"),
        ("Re: [list] [EX#42] Re: help", "[list] help"),
        ("Printer offline", "Printer offline"),
        ("Re: [EX#42]", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_display_subject_drops_prefixes_and_ticket_tags(subject: str | None, shown: str) -> None:
    """The ticket list shows the subject a person wrote, without Re: or [EX#42]."""
    assert display_subject(subject, "EX") == shown


@pytest.mark.parametrize(
    ("subject", "tagged"),
    [
        ("Printer offline", "[EX#42] Printer offline"),
        ("Re: Printer offline", "[EX#42] Printer offline"),
        ("Re: [EX#42] Printer offline", "[EX#42] Printer offline"),
        ("[EX#42] [EX#42] Printer offline", "[EX#42] Printer offline"),
        ("Re: [EX#17] Printer offline", "[EX#42] Printer offline"),
        ("請求書の再発行について", "[EX#42] 請求書の再発行について"),
        ("", "[EX#42]"),
        (None, "[EX#42]"),
    ],
)
def test_outgoing_subject_carries_the_ticket_tag_once(subject: str | None, tagged: str) -> None:
    """Mail about ticket 42 always shows "[EX#42]" once, however many replies went before."""
    assert tagged_subject(subject, "EX#42") == tagged
