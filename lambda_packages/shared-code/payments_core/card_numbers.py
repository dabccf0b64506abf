"""Card numbers (PANs) in text, however they are written, found in time linear in the text.

What counts as a card number: 12 to 19 consecutive digits of one run that pass the Luhn check and
start with a prefix a card brand issues (`BRAND_PREFIXES`), whatever the brand's usual length.

How text is read: Unicode NFKC first (full-width and other compatibility forms become plain), then
every decimal digit of any script is its ASCII digit, letters break a run, and everything else
(spaces of every width, dashes, dots, slashes, underscores, commas, zero-width and other invisible
characters) is a separator, so it joins the digits around it. Digits next to a card number in the
same run (an expiry date, a reference) do not hide it: every window of the run is checked.

Each text is also read decoded: percent-encoding, and any stretch of base64 (standard or URL-safe)
or hex characters, from each offset its encoding could start at (text around it may use the same
characters), bytes that are no UTF-8 read as separators; up to `DECODING_DEPTH` layers deep.
"""

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from urllib.parse import unquote

MIN_DIGITS = 12
MAX_DIGITS = 19
DECODING_DEPTH = 2

# Issuer prefixes (ranges inclusive) of the brands a payments stack can meet.
BRAND_PREFIXES: dict[str, tuple[str, ...]] = {
    "Visa": ("4",),
    "Mastercard": ("51-55", "2221-2720"),
    "American Express": ("34", "37"),
    "Discover": ("6011", "644-649", "65"),
    "JCB": ("3528-3589",),
    "Diners Club": ("300-305", "36", "38-39"),
    "UnionPay": ("62",),
    "Maestro": ("50", "56-69"),
    "Mir": ("2200-2204",),
    "RuPay": ("60", "65", "81", "82", "508"),
    "UATP": ("1",),
    "Troy": ("9792",),
}

_PREFIX_DIGITS = 4
_LETTER = "a"
_SEPARATOR = " "
# Encoded stretches worth reading: within a text, from half of the shortest number (6 digits);
# at a text's ends, where a number split between texts may leave a single digit, from one byte.
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_HEX = re.compile(r"[0-9A-Fa-f]{12,}")
_SHORT_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{2,}={0,2}")
_SHORT_HEX = re.compile(r"[0-9A-Fa-f]{2,}")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, character in enumerate(reversed(digits)):
        digit = int(character)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def normalise(text: str) -> str:
    """`text` as the scan reads it: ASCII digits, `a` for a letter, a space for anything else."""
    if text.isascii():
        return text.translate(_ASCII_READINGS)
    return "".join(map(_reading, unicodedata.normalize("NFKC", text)))


def digit_runs(text: str) -> list[str]:
    """The runs of digits in `text` (separators dropped, letters splitting), in order."""
    return [segment.replace(_SEPARATOR, "") for segment in normalise(text).split(_LETTER)]


def contains_card_number(text: str) -> bool:
    return any(
        _run_contains_card_number(run) for reading in readings(text) for run in digit_runs(reading)
    )


def readings(text: str, *, clean: bool = False, depth: int = DECODING_DEPTH) -> Iterator[str]:
    """`text` itself, then each of its decodings, and theirs, `depth` layers deep. Bytes that are
    no UTF-8 (the encoding may begin inside the text around it) read as separators, or with
    `clean` as letters, which end a run."""
    yield text
    if depth > 0:
        for decoded in _decodings(text, clean):
            if decoded:
                yield from readings(decoded, clean=clean, depth=depth - 1)


def card_number_across(texts: Iterable[str]) -> bool:
    """Whether the texts read one after another hold a number across where one ends and the next
    begins (a number split between consecutive texts is still a number); each text on its own is
    `contains_card_number`'s to judge."""
    tail = ""
    for text in texts:
        runs = digit_runs(text)
        if tail and _run_contains_card_number(tail + runs[0][: MAX_DIGITS - 1]):
            return True
        tail = (tail + runs[0] if len(runs) == 1 else runs[-1])[-(MAX_DIGITS - 1) :]
    return False


def split_card_number(texts: Sequence[str]) -> bool:
    """Whether the digits ending one text (after its last letter) and those starting another
    (before its first letter), in either order and however each is encoded, make one number."""
    heads: set[tuple[int, str]] = set()
    tails: set[tuple[int, str]] = set()
    for index, text in enumerate(texts):
        for runs in map(digit_runs, readings(text, clean=True)):
            heads.add((index, runs[0]))
            tails.add((index, runs[-1]))
    return any(
        _is_card_number(tail + head)
        for first, tail in tails
        for second, head in heads
        if first != second and tail and head
    )


def _is_card_number(digits: str) -> bool:
    return (
        MIN_DIGITS <= len(digits) <= MAX_DIGITS
        and digits[:_PREFIX_DIGITS] in _brand_prefixes()
        and luhn_valid(digits)
    )


def _reading(character: str) -> str:
    digit = unicodedata.decimal(character, None)
    if digit is not None:
        return str(digit)
    return _LETTER if unicodedata.category(character).startswith("L") else _SEPARATOR


_ASCII_READINGS = {code: _reading(chr(code)) for code in range(128)}


def _decodings(text: str, clean: bool) -> Iterator[str]:
    if "%" in text:
        yield unquote(text, errors="replace")
    base64_runs, hex_runs = (_SHORT_BASE64, _SHORT_HEX) if clean else (_BASE64, _HEX)
    for match in base64_runs.finditer(text):
        standard = match.group().rstrip("=").replace("-", "+").replace("_", "/")
        for offset in range(4):
            yield _text(_base64_bytes(standard[offset:]), clean)
    for match in hex_runs.finditer(text):
        for offset in range(2):
            digits = match.group()[offset:]
            yield _text(binascii.unhexlify(digits[: len(digits) // 2 * 2]), clean)


def _base64_bytes(standard: str) -> bytes:
    whole = standard[: len(standard) // 4 * 4]
    rest = standard[len(whole) :]
    # A last group of 2 or 3 characters still encodes 1 or 2 bytes.
    padded = whole + (rest + "=" * (4 - len(rest)) if len(rest) > 1 else "")
    try:
        return base64.b64decode(padded, validate=True)
    except binascii.Error:
        return b""


def _text(data: bytes, clean: bool) -> str:
    text = data.decode("utf-8", errors="replace")
    return text.replace("\ufffd", _LETTER) if clean else text


def _run_contains_card_number(run: str) -> bool:
    """Every window of 12-19 digits starting at a brand prefix, each Luhn sum in constant time."""
    length = len(run)
    if length < MIN_DIGITS:
        return False
    # Luhn doubles every second digit counting from a window's last one: keep running sums of
    # the digits as they count when the window ends on an even index, and on an odd one.
    even_end = [0] * (length + 1)
    odd_end = [0] * (length + 1)
    for index, character in enumerate(run):
        digit = ord(character) - 48
        doubled = digit * 2 - 9 if digit > 4 else digit * 2
        plain_when_even, plain_when_odd = (digit, doubled) if index % 2 == 0 else (doubled, digit)
        even_end[index + 1] = even_end[index] + plain_when_even
        odd_end[index + 1] = odd_end[index] + plain_when_odd
    prefixes = _brand_prefixes()
    for start in range(length - MIN_DIGITS + 1):
        if run[start : start + _PREFIX_DIGITS] not in prefixes:
            continue
        for end in range(start + MIN_DIGITS, min(start + MAX_DIGITS, length) + 1):
            sums = even_end if (end - 1) % 2 == 0 else odd_end
            if (sums[end] - sums[start]) % 10 == 0:
                return True
    return False


@cache
def _brand_prefixes() -> frozenset[str]:
    """Every 4-digit start some brand issues (each range is at most 4 digits long)."""
    starts: set[str] = set()
    for ranges in BRAND_PREFIXES.values():
        for prefix_range in ranges:
            low, _, high = prefix_range.partition("-")
            for prefix in range(int(low), int(high or low) + 1):
                text = str(prefix)
                width = _PREFIX_DIGITS - len(text)
                starts.update(
                    f"{text}{rest:0{width}d}"[:_PREFIX_DIGITS] for rest in range(10**width)
                )
    return frozenset(starts)
