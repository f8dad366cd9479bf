import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from qiservice.core.validators import (
    CREDIT_CODE_ALPHABET,
    credit_code_check_character,
    validate_credit_code,
    validate_phone,
)

# Published, real codes (the GB 32100 worked example and registered companies).
REAL_CODES = ["91350100M000100Y43", "91110000600037341L", "91440300708461136T", "91350200260130346B"]

alphabet = st.sampled_from(CREDIT_CODE_ALPHABET)
digits = st.sampled_from("0123456789")
bodies = st.tuples(
    st.lists(alphabet, min_size=2, max_size=2),
    st.lists(digits, min_size=6, max_size=6),
    st.lists(alphabet, min_size=9, max_size=9),
).map(lambda parts: "".join(parts[0] + parts[1] + parts[2]))


def valid(code):
    try:
        validate_credit_code(code)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert valid(code)
    assert valid(code.lower()), "codes typed in lower case are accepted and normalised"


@given(bodies)
def test_the_computed_check_character_makes_a_valid_code(body):
    assert valid(body + credit_code_check_character(body))


@given(bodies, st.integers(0, 17), alphabet)
def test_any_single_character_change_is_detected(body, position, replacement):
    code = body + credit_code_check_character(body)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        assert not valid(changed)


# Positions 0..15: swaps inside the 17 weighted characters (every pair of weights differs
# mod 31). A swap with the check character itself can, by chance, give a valid code.
@given(bodies, st.integers(0, 15))
def test_swapping_two_neighbouring_characters_is_detected(body, position):
    code = body + credit_code_check_character(body)
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    if swapped != code:
        assert not valid(swapped)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "应为18位"),
        ("91350100M000100Y4", "应为18位"),
        ("91350100M000100Y433", "应为18位"),
        ("91350100M000100I43", "不允许的字符"),  # I is not in the alphabet
        ("913501A0M000100Y43", "不允许的字符"),  # the division code must be digits
        ("91350100M000100Y44", "校验位不正确"),
    ],
)
def test_invalid_codes_get_a_chinese_reason(code, message):
    with pytest.raises(ValidationError) as error:
        validate_credit_code(code)
    assert message in error.value.messages[0]


@pytest.mark.parametrize(
    "phone", ["13800138000", "+86 138 0013 8000", "0592-5100000", "05925100000", "010-12345678-801"]
)
def test_chinese_phone_numbers_are_accepted(phone):
    validate_phone(phone)


@pytest.mark.parametrize("phone", ["12800138000", "1380013800", "5100000", "phone", "0592-51", ""])
def test_bad_phone_numbers_are_refused_in_chinese(phone):
    with pytest.raises(ValidationError) as error:
        validate_phone(phone)
    assert "联系电话" in error.value.messages[0]
