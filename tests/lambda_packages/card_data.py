"""Card numbers as an attacker writes them, and the tests' scan of what the functions leave.

The scan (`reveals`) is the tests' own, not the functions' detector: every reading of a text
(as is, percent-decoded, base64 or hex decoded, two layers deep) is reduced to its decimal digits
alone, letters dropped too, and the planted number must not be among them.
"""

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterator
from urllib.parse import unquote

from hypothesis import strategies as st

# Issuer prefixes drawn from and lengths issued, per brand (public IIN ranges).
BRANDS: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "visa": (("4",), (13, 16, 19)),
    "mastercard": (("51", "53", "55", "2221", "2500", "2720"), (16,)),
    "amex": (("34", "37"), (15,)),
    "discover": (("6011", "644", "649", "65"), (16, 19)),
    "jcb": (("3528", "3589"), (16, 17, 19)),
    "diners": (("300", "305", "36", "38", "39"), (14, 16, 19)),
    "unionpay": (("62",), (16, 17, 18, 19)),
    "maestro": (("50", "56", "58", "63", "67", "69"), (12, 13, 15, 18, 19)),
    "mir": (("2200", "2204"), (16, 19)),
    "rupay": (("60", "81", "82", "508"), (16,)),
    "uatp": (("1",), (15,)),
    "troy": (("9792",), (16,)),
}
# The zero of each digit script a number is written in.
DIGIT_ZEROS = (0x30, 0xFF10, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0x1040, 0x1D7CE)
SEPARATORS = (
    *("", "", " ", "-", ".", "/", "_", ",", ":", "+"),
    *("\u2010", "\u2011", "\u2013", "\u2014", "\u2212", "\u00ad"),  # dashes, soft hyphen
    *("\u00a0", "\u2007", "\u202f", "\u3000"),  # no-break and wide spaces
    *("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"),  # zero-width
)
ENCODINGS = ("plain", "plain", "percent", "base64", "base64url", "hex")


def luhn_check_digit(payload: str) -> str:
    total = 0
    for position, character in enumerate(reversed(payload)):
        digit = int(character) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return str(-total % 10)


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    """The ASCII digits of a Luhn-valid number of a brand's prefix and one of its lengths."""
    prefixes, lengths = BRANDS[draw(st.sampled_from(sorted(BRANDS)))]
    prefix = draw(st.sampled_from(prefixes))
    length = draw(st.sampled_from(lengths))
    size = length - len(prefix) - 1
    payload = prefix + draw(st.text(alphabet="0123456789", min_size=size, max_size=size))
    return payload + luhn_check_digit(payload)


@st.composite
def written(draw: st.DrawFn, digits: str) -> str:
    """`digits` in one digit script, a separator of any kind after each digit, then encoded."""
    zero = draw(st.sampled_from(DIGIT_ZEROS))
    separators = draw(
        st.lists(st.sampled_from(SEPARATORS), min_size=len(digits), max_size=len(digits))
    )
    text = "".join(
        chr(zero + int(digit)) + separator
        for digit, separator in zip(digits, separators, strict=True)
    ).rstrip("".join(SEPARATORS))
    return encode(text, draw(st.sampled_from(ENCODINGS)))


def encode(text: str, encoding: str) -> str:
    data = text.encode("utf-8")
    match encoding:
        case "percent":
            return "".join(f"%{byte:02X}" for byte in data)
        case "base64":
            return base64.b64encode(data).decode("ascii")
        case "base64url":
            return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
        case "hex":
            return data.hex()
    return text


def reveals(digits: str, text: str) -> bool:
    """Whether `text`, read in every way, holds the card number `digits`."""
    return any(digits in _digits_only(reading) for reading in _readings(text, depth=2))


def _digits_only(text: str) -> str:
    return "".join(
        str(digit)
        for character in unicodedata.normalize("NFKC", text)
        if (digit := unicodedata.decimal(character, None)) is not None
    )


_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=_-]{8,}")
_HEX_RUN = re.compile(r"[0-9A-Fa-f]{16,}")


def _readings(text: str, depth: int) -> Iterator[str]:
    yield text
    if depth == 0:
        return
    decoded = [unquote(text)]
    for run in _BASE64_RUN.findall(text):
        standard = run.replace("=", "").replace("-", "+").replace("_", "/")
        for start in range(4):
            chunk = standard[start:]
            chunk = chunk[: len(chunk) - len(chunk) % 4 if len(chunk) % 4 == 1 else len(chunk)]
            try:
                data = base64.b64decode(chunk + "=" * (-len(chunk) % 4))
            except (binascii.Error, ValueError):
                continue
            decoded.append(data.decode("utf-8", errors="ignore"))
    for run in _HEX_RUN.findall(text):
        for start in range(2):
            chunk = run[start:]
            decoded.append(bytes.fromhex(chunk[: len(chunk) // 2 * 2]).decode("utf-8", "ignore"))
    for reading in decoded:
        yield from _readings(reading, depth - 1)
