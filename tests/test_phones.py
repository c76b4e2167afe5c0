"""Phone numbers as people type them: the wa_id they give, or the line that says which rule they break."""

from __future__ import annotations

import pytest

from purgekit.errors import BadInputError
from purgekit.phones import BadPhoneNumber, BadPhones, parse_arguments, read_file, wa_id

GOOD = [
    ("+1 365 555 9020", 13655559020),
    ("1-365-555-9020", 13655559020),
    ("(+1) 365.555.9020", 13655559020),
    ("13655559020", 13655559020),
    ("  +44 (0)20 7946 0958 ".replace("(0)", ""), 442079460958),
    ("+49\t30 901820", 4930901820),
    ("+683 4002", 6834002),  # Niue: the shortest complete numbers, 7 digits
    ("+999 999 999 999 999", 999999999999999),  # 15 digits, E.164's most
]

BAD = [
    ("", "bad phone number '': empty"),
    ("   ", "bad phone number '   ': empty"),
    (
        "1365555902O",
        "bad phone number '1365555902O': contains letters:"
        " a phone number is digits, with spaces, '-', '.', '(' and ')'",
    ),
    (
        "call +1 365 555 9020",
        "bad phone number 'call +1 365 555 9020': contains letters:"
        " a phone number is digits, with spaces, '-', '.', '(' and ')'",
    ),
    ("1234567890123456", "bad phone number '1234567890123456': 16 digits: E.164 numbers have at most 15"),
    (
        "+1 365 55",
        "bad phone number '+1 365 55': 6 digits: too short for a phone number with its country code (at least 7)",
    ),
    (
        "99999999999999999999",
        "bad phone number '99999999999999999999': beyond BIGINT (9223372036854775807): not a phone number",
    ),
    (
        "13655559020; DROP TABLE wa_phones",
        "bad phone number '13655559020; DROP TABLE wa_phones': contains SQL (';', quotes, backslashes, '--' or '/*'):"
        " a phone number never does",
    ),
    (
        "13655559020' OR '1'='1",
        "bad phone number '13655559020' OR '1'='1': contains SQL (';', quotes, backslashes, '--' or '/*'):"
        " a phone number never does",
    ),
    (
        "13655559020 -- x",
        "bad phone number '13655559020 -- x': contains SQL (';', quotes, backslashes, '--' or '/*'):"
        " a phone number never does",
    ),
    (
        "13655559020-1600000000@g.us",
        "bad phone number '13655559020-1600000000@g.us': a group jid:"
        " groups are not users; erase their members by phone number",
    ),
    (
        "13655559020@s.whatsapp.net",
        "bad phone number '13655559020@s.whatsapp.net': a jid, not a phone number:"
        " give the phone number in international form",
    ),
    (
        "0013655559020",
        "bad phone number '0013655559020': starts with 0:"
        " give the number in international form, country code first, without 00 or 011",
    ),
    ("+1 365 +555 9020", "bad phone number '+1 365 +555 9020': '+' may only come once, before the country code"),
    (
        "1365#5559020",
        "bad phone number '1365#5559020': '#' is not allowed:"
        " only digits, spaces, '-', '.', '(' , ')' and a leading '+'",
    ),
    (
        "١٣٦٥٥٥٥٩٠٢٠",
        "bad phone number '١٣٦٥٥٥٥٩٠٢٠': '١' is not allowed:"
        " only digits, spaces, '-', '.', '(' , ')' and a leading '+'",
    ),
    ("+", "bad phone number '+': no digits"),
    (
        "-13655559020",
        "bad phone number '-13655559020': starts with '-': a phone number starts with '+', '(' or its country code",
    ),
    (
        "+44 (0) 20 7946 0958",
        "bad phone number '+44 (0) 20 7946 0958': a trunk prefix in parentheses, '(0)', is not international form:"
        " leave it out (+44 20 ..., not +44 (0) 20 ...)",
    ),
    (
        "+44(0)2079460958",
        "bad phone number '+44(0)2079460958': a trunk prefix in parentheses, '(0)', is not international form:"
        " leave it out (+44 20 ..., not +44 (0) 20 ...)",
    ),
    (
        "1365555\x009020",
        "bad phone number '1365555\\x009020': '\\x00' is not allowed:"
        " only digits, spaces, '-', '.', '(' , ')' and a leading '+'",
    ),
]


@pytest.mark.parametrize(("raw", "expected"), GOOD)
def test_usual_forms_give_the_wa_id(raw, expected):
    assert wa_id(raw) == expected


@pytest.mark.parametrize(("raw", "line"), BAD)
def test_each_bad_input_is_refused_with_its_rule(raw, line):
    with pytest.raises(BadPhoneNumber) as error:
        wa_id(raw)
    assert str(error.value) == line
    assert error.value.exit_code == 2


def test_a_file_lists_every_bad_line_and_gives_no_phone(tmp_path):
    path = tmp_path / "users.txt"
    path.write_text("+1 365 555 9020\nabc\n\n# a comment\n1-365-555-9021\n1@g.us\n123\n")
    with pytest.raises(BadPhones) as error:
        read_file(path)
    assert error.value.problems == [
        f"{path}:2: bad phone number 'abc': contains letters:"
        " a phone number is digits, with spaces, '-', '.', '(' and ')'",
        f"{path}:6: bad phone number '1@g.us': a group jid: groups are not users; erase their members by phone number",
        f"{path}:7: bad phone number '123': 3 digits: too short for a phone number with its country code (at least 7)",
    ]


def test_a_good_file_gives_its_phones_with_their_lines(tmp_path):
    path = tmp_path / "users.txt"
    path.write_text("# to erase\n+1 365 555 9020\n\n(+1) 365.555.9021\n")
    assert [(p.wa_id, p.source) for p in read_file(path)] == [(13655559020, f"{path}:2"), (13655559021, f"{path}:4")]


@pytest.mark.parametrize(
    ("content", "message"), [("", "no phone numbers in it"), ("# only\n\n", "no phone numbers in it")]
)
def test_a_file_without_phones_is_bad_input(tmp_path, content, message):
    path = tmp_path / "users.txt"
    path.write_text(content)
    with pytest.raises(BadInputError, match=message):
        read_file(path)


def test_a_missing_file_is_bad_input(tmp_path):
    with pytest.raises(BadInputError, match="no such file"):
        read_file(tmp_path / "absent.txt")


def test_every_bad_argument_is_listed():
    with pytest.raises(BadPhones) as error:
        parse_arguments(["+1 365 555 9020", "x1", "1@g.us"])
    assert error.value.problems == [
        "bad phone number 'x1': contains letters: a phone number is digits, with spaces, '-', '.', '(' and ')'",
        "bad phone number '1@g.us': a group jid: groups are not users; erase their members by phone number",
    ]


def test_a_byte_order_mark_at_the_start_of_a_file_is_not_part_of_its_first_line(tmp_path):
    # Spreadsheets' "CSV UTF-8" starts the file with U+FEFF, before a number or a comment.
    for first in ("+1 365 555 9020\n", "# requests\n+1 365 555 9020\n"):
        path = tmp_path / "bom.txt"
        path.write_text("\ufeff" + first + "1-365-555-9021\n", encoding="utf-8")
        assert [p.wa_id for p in read_file(path)] == [13655559020, 13655559021]
