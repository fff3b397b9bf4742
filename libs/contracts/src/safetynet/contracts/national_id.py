"""Taiwan national ID (身分證字號 / 新式居留證號) format and checksum."""

import re

_FORMAT = re.compile(r"^[A-Z][1289][0-9]{8}$")

# The letter stands for a two-digit area code; the order is historical, not alphabetical.
LETTER_CODES = {
    "A": 10,
    "B": 11,
    "C": 12,
    "D": 13,
    "E": 14,
    "F": 15,
    "G": 16,
    "H": 17,
    "I": 34,
    "J": 18,
    "K": 19,
    "L": 20,
    "M": 21,
    "N": 22,
    "O": 35,
    "P": 23,
    "Q": 24,
    "R": 25,
    "S": 26,
    "T": 27,
    "U": 28,
    "V": 29,
    "W": 32,
    "X": 30,
    "Y": 31,
    "Z": 33,
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 1, 1)


def normalize_national_id(value: str) -> str:
    """Upper-case and strip, as the contract requires before checking and hashing."""
    return value.strip().upper()


def national_id_problem(value: str) -> str | None:
    """Return why a normalized national ID is invalid, or None when it is valid."""
    if not _FORMAT.fullmatch(value):
        return "must be one letter, then 1, 2, 8 or 9, then 8 digits"
    if _checksum(value[0], value[1:]) % 10:
        return "checksum does not match"
    return None


def check_digit(letter: str, digits: str) -> str:
    """The last digit that makes `letter` + `digits` (eight digits) a valid ID."""
    return str((10 - _checksum(letter, digits) % 10) % 10)


def _checksum(letter: str, digits: str) -> int:
    code = LETTER_CODES[letter]
    return code // 10 + (code % 10) * 9 + sum(int(digit) * weight for digit, weight in zip(digits, _WEIGHTS))
