"""Taiwan national ID (身分證字號 / 新式居留證號): format and checksum.

The expected values come from an independent implementation of the published rule
(the letter's two-digit code: ABCDEFGHJKLMNPQRSTUVXYWZIO -> 10..35; weights
1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1; the sum is a multiple of 10), not from the code
under test.
"""

import pytest
from pydantic import ValidationError

from safetynet.contracts.national_id import national_id_problem, normalize_national_id
from safetynet.contracts.report import Subject

LETTER_ORDER = "ABCDEFGHJKLMNPQRSTUVXYWZIO"


def reference_is_valid(value: str) -> bool:
    if len(value) != 10 or value[0] not in LETTER_ORDER or value[1] not in "1289":
        return False
    if not all(c in "0123456789" for c in value[1:]):
        return False
    code = LETTER_ORDER.index(value[0]) + 10
    digits = [code // 10, code % 10, *map(int, value[1:])]
    weights = [1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1]
    return sum(d * w for d, w in zip(digits, weights)) % 10 == 0


def reference_check_digit(prefix: str) -> str:
    [digit] = [d for d in "0123456789" if reference_is_valid(prefix + d)]
    return digit


def test_reference_agrees_with_the_textbook_example() -> None:
    # A123456789 is the example every description of the algorithm uses.
    assert reference_is_valid("A123456789")
    assert not reference_is_valid("A123456788")
    assert reference_check_digit("A12345678") == "9"


VALID = [
    "A123456789",  # the textbook example
    "A223456781",  # female
    "A823456783",  # new-style resident certificate, 8
    "A923456785",  # new-style resident certificate, 9
    "Z812345672",
    "B912345674",
    "I123456781",  # I is 34, out of alphabetical order
    "O222222220",  # O is 35
    "W800000005",  # W is 32, between X (30) / Y (31) and Z (33)
    "F131000009",
]


@pytest.mark.parametrize("national_id", VALID)
def test_valid_ids(national_id: str) -> None:
    assert reference_is_valid(national_id)  # the fixture itself is right
    assert national_id_problem(national_id) is None


@pytest.mark.parametrize("letter", list(LETTER_ORDER))
@pytest.mark.parametrize("second", "1289")
def test_every_letter_and_second_digit_with_its_check_digit(letter: str, second: str) -> None:
    prefix = f"{letter}{second}3456780"
    good = prefix + reference_check_digit(prefix)

    assert national_id_problem(good) is None
    for digit in "0123456789":
        if prefix + digit != good:
            assert national_id_problem(prefix + digit) == "checksum does not match", prefix + digit


@pytest.mark.parametrize(
    "national_id",
    [
        "",
        "A12345678",  # 9 characters
        "A1234567890",  # 11 characters
        "A023456789",  # second digit 0
        "A323456789",  # second digit 3
        "A723456789",  # second digit 7
        "1123456789",  # no letter
        "AA23456789",  # two letters
        "A12345678X",  # letter at the end
        "a123456789",  # lower case (normalize first)
        " A123456789",  # not stripped (normalize first)
        "A1234 56789",
        "A12345678９",  # full-width digit
        "Ａ123456789",  # full-width letter
        "Ä123456789",
    ],
)
def test_bad_format(national_id: str) -> None:
    assert national_id_problem(national_id) == "must be one letter, then 1, 2, 8 or 9, then 8 digits"


@pytest.mark.parametrize(
    "national_id", ["A123456788", "A123456780", "B123456789", "A213456789", "A823456784", "A923456786", "Z812345673"]
)
def test_bad_checksum(national_id: str) -> None:
    assert not reference_is_valid(national_id)
    assert national_id_problem(national_id) == "checksum does not match"


def test_trailing_newline_is_a_bad_format() -> None:
    assert national_id_problem("A123456789\n") is not None


@pytest.mark.parametrize("valid", ["A123456789", "Z812345672", "I123456781"])
def test_agrees_with_the_reference_on_every_single_character_change(valid: str) -> None:
    caught = 0
    for position in range(10):
        for char in LETTER_ORDER if position == 0 else "0123456789":
            changed = valid[:position] + char + valid[position + 1 :]
            if changed == valid:
                continue
            assert (national_id_problem(changed) is None) == reference_is_valid(changed), changed
            caught += national_id_problem(changed) is not None
    # A mod-10 sum misses only a change by 5 under an even weight (and letter swaps of equal
    # sum): most changes are caught.
    assert caught >= 90  # 97 of 106 for these IDs


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("a123456789", "A123456789"),
        ("  a823456783\t", "A823456783"),
        ("A123456789", "A123456789"),
    ],
)
def test_normalize_upper_cases_and_strips(raw: str, normalized: str) -> None:
    assert normalize_national_id(raw) == normalized
    assert national_id_problem(normalize_national_id(raw)) is None


def test_subject_stores_the_normalized_id() -> None:
    assert Subject.model_validate({"role": "victim", "national_id": " z812345672 "}).national_id == "Z812345672"


@pytest.mark.parametrize("national_id", ["A123456788", "A12345678", "A323456789"])
def test_subject_rejects_invalid_ids_without_echoing_them(national_id: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Subject.model_validate({"role": "victim", "national_id": national_id})

    [error] = caught.value.errors(include_url=False, include_input=False)
    assert error["loc"] == ("national_id",)
    assert national_id not in error["msg"]
