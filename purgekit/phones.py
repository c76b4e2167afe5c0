"""Phone numbers as people type them, turned into the wa_id the erase routine takes.

Document 000: the input is "the phone number without any formatting and any special characters":
"+1 365 555 9020" is 13655559020. purgekit accepts the usual ways of writing a number in
international form and refuses, with the rule it breaks, anything that is not one, before any
database is touched:

- separators: spaces (any whitespace), '-', '.', '(' and ')', and one '+' before the first digit;
- what remains must be ASCII digits: no letters, no other characters;
- not a jid: '...@g.us' is a group, '...@s.whatsapp.net' a user's jid (give the phone number);
- no SQL: ';', quotes, backslashes, '--' and '/*' never appear in a phone number;
- country code first: no leading 0 (an international prefix such as 00 or 011, or a national
  trunk prefix, means the number is not in international form), and no trunk prefix in parentheses
  ('+44 (0) 20 ...': dialled from abroad the 0 is left out, so keeping its digit would be another number);
- MIN_DIGITS to MAX_DIGITS digits, and within BIGINT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from purgekit import jids
from purgekit.errors import BadInputError

# E.164: a country code and subscriber number have at most 15 digits together.
MAX_DIGITS = 15
# The shortest complete international numbers in service have 7 digits: Niue (+683) and Tokelau
# (+690) give fixed lines 4-digit subscriber numbers, so +683 4002 is 6834002. Nothing shorter is a
# phone number with its country code; a shorter input is a typo or an extension.
MIN_DIGITS = 7
# The routine's parameter is a BIGINT.
BIGINT_MAX = 2**63 - 1

_SEPARATORS = re.compile(r"[\s().-]+")
# '(0)' after the country code: a national trunk prefix, not part of the international number.
_TRUNK_PREFIX = re.compile(r"\(\s*0+\s*\)")
# What Excel's "CSV UTF-8" puts at the start of a file.
BOM = "\ufeff"
_SQL = (";", "'", '"', "`", "\\", "--", "/*", "*/")


class BadPhoneNumber(BadInputError):
    """An input that is not a phone number; `rule` says which rule it breaks."""

    def __init__(self, raw: str, rule: str) -> None:
        self.raw, self.rule = raw, rule
        super().__init__(f"bad phone number {quote(raw)}: {rule}")


class BadPhones(BadInputError):
    """Several inputs, some bad: a line for every bad one (from a file: `<file>:<line>: ...`)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))  # the CLI prefixes each line with "purgekit: "


def quote(raw: str) -> str:
    """The input as the error line shows it: in single quotes, control characters escaped."""
    shown = raw.encode("unicode_escape").decode("ascii") if not raw.isprintable() else raw
    return f"'{shown}'"


def wa_id(raw: str) -> int:
    """The wa_id of a phone number in international form, or BadPhoneNumber naming the rule."""
    text = raw.strip()
    if not text:
        raise BadPhoneNumber(raw, "empty")
    if "@" in text:
        if text.lower().endswith(f"@{jids.GROUP_DOMAIN}"):
            raise BadPhoneNumber(raw, "a group jid: groups are not users; erase their members by phone number")
        raise BadPhoneNumber(raw, "a jid, not a phone number: give the phone number in international form")
    if any(token in text for token in _SQL):
        raise BadPhoneNumber(raw, "contains SQL (';', quotes, backslashes, '--' or '/*'): a phone number never does")
    if any(character.isalpha() for character in text):
        raise BadPhoneNumber(raw, "contains letters: a phone number is digits, with spaces, '-', '.', '(' and ')'")
    if text[0] in "-.":
        raise BadPhoneNumber(
            raw, f"starts with {quote(text[0])}: a phone number starts with '+', '(' or its country code"
        )
    if _TRUNK_PREFIX.search(text):
        raise BadPhoneNumber(
            raw,
            "a trunk prefix in parentheses, '(0)', is not international form:"
            " leave it out (+44 20 ..., not +44 (0) 20 ...)",
        )
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+"):
        digits = digits[1:]
    if "+" in digits:
        raise BadPhoneNumber(raw, "'+' may only come once, before the country code")
    stray = next((c for c in digits if c not in "0123456789"), None)
    if stray is not None:
        raise BadPhoneNumber(
            raw, f"{quote(stray)} is not allowed: only digits, spaces, '-', '.', '(' , ')' and a leading '+'"
        )
    if not digits:
        raise BadPhoneNumber(raw, "no digits")
    if digits.startswith("0"):
        raise BadPhoneNumber(
            raw, "starts with 0: give the number in international form, country code first, without 00 or 011"
        )
    if int(digits) > BIGINT_MAX:
        raise BadPhoneNumber(raw, f"beyond BIGINT ({BIGINT_MAX}): not a phone number")
    if len(digits) > MAX_DIGITS:
        raise BadPhoneNumber(raw, f"{len(digits)} digits: E.164 numbers have at most {MAX_DIGITS}")
    if len(digits) < MIN_DIGITS:
        raise BadPhoneNumber(
            raw, f"{len(digits)} digits: too short for a phone number with its country code (at least {MIN_DIGITS})"
        )
    return int(digits)


@dataclass(frozen=True)
class Phone:
    """A phone number to erase: its wa_id, and where it came from (for messages that name it)."""

    wa_id: int
    source: str  # "argument 2", "users.txt:14"

    @property
    def display(self) -> str:
        return f"+{self.wa_id}"


def parse_arguments(values: list[str]) -> list[Phone]:
    """Phones from the command line; BadPhones lists every bad one."""
    phones, problems = [], []
    for index, value in enumerate(values, 1):
        try:
            phones.append(Phone(wa_id(value), f"argument {index}"))
        except BadPhoneNumber as error:
            problems.append(str(error))
    if problems:
        raise BadPhones(problems)
    return phones


def read_file(path: str | Path) -> list[Phone]:
    """One phone number a line; blank lines and lines starting with '#' are skipped; a UTF-8 byte order mark
    at the start of the file (what spreadsheets write) is not part of the first line.

    Every line is checked before any is returned: BadPhones lists all the bad ones.
    """
    name = str(path)
    try:
        content = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInputError(f"{name}: no such file") from None
    except UnicodeDecodeError as error:
        raise BadInputError(f"{name}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise BadInputError(f"{name}: cannot read it ({error.strerror})") from None
    phones, problems = [], []
    for number, line in enumerate(content.removeprefix(BOM).splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            phones.append(Phone(wa_id(line), f"{name}:{number}"))
        except BadPhoneNumber as error:
            problems.append(f"{name}:{number}: {error}")
    if problems:
        raise BadPhones(problems)
    if not phones:
        raise BadInputError(f"{name}: no phone numbers in it")
    return phones
