"""Detecting anything that looks like a card number (PAN), so it is rejected and never stored.

A PAN here is 12 to 19 digits passing the Luhn check, written with or without spaces or dashes
between groups. Digits next to a card number in the same run (an expiry date, a reference)
must not hide it, so every stretch of whole groups of 12 to 19 digits in a run is checked.
"""

import re

_DIGIT_RUN = re.compile(r"[0-9]+(?:[ -]+[0-9]+)*")
_SEPARATORS = re.compile(r"[ -]+")
_MIN_DIGITS = 12
_MAX_DIGITS = 19


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, character in enumerate(reversed(digits)):
        digit = int(character)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def contains_card_number(text: str) -> bool:
    return any(_run_contains_card_number(run.group()) for run in _DIGIT_RUN.finditer(text))


def _run_contains_card_number(run: str) -> bool:
    groups = _SEPARATORS.split(run)
    for start in range(len(groups)):
        digits = ""
        for group in groups[start:]:
            digits += group
            if len(digits) > _MAX_DIGITS:
                break
            if len(digits) >= _MIN_DIGITS and luhn_valid(digits):
                return True
    return False
