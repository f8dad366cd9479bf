"""The masks of phone numbers and e-mail addresses (qiservice/core/masking.py)."""

import re

from hypothesis import example, given
from hypothesis import strategies as st

from qiservice.core.masking import mask_contact, mask_email, mask_phone


def test_the_documented_examples():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_email("zhang.san@example.com") == "z***@example.com"
    assert mask_phone("0592-5551234") == "059****1234"
    assert mask_phone("") == mask_phone(None) == mask_email("") == mask_email(None) == ""
    assert mask_phone("12345") == "****"
    assert mask_email("@example.com") == "***@example.com"
    assert mask_email("not an address") == "***"
    assert mask_contact("13812345678") == "138****5678"
    assert mask_contact("a@b.cn") == "a***@b.cn"


def digits(text):
    return re.sub(r"\D", "", text)


@given(st.text())
@example("13812345678")
@example("+86 138 1234 5678")
@example("1234567")
@example("12345678")
@example("\x00\n\t")
def test_a_masked_phone_never_shows_more_than_three_and_four_characters(value):
    masked = mask_phone(value)
    stripped = value.strip()
    assert "****" in masked or masked == ""
    # Never more than 3 + 4 characters of the original, and only from its two ends.
    revealed = masked.replace("****", "", 1)
    assert len(revealed) <= 7
    if revealed:
        assert stripped.startswith(revealed[:3]) and stripped.endswith(revealed[3:])
        assert len(stripped) >= 8, "a short number is hidden entirely"
    assert len(digits(masked)) <= 7
    # When the number is long enough, the hidden middle is really hidden.
    if len(stripped) >= 8:
        assert masked == stripped[:3] + "****" + stripped[-4:]


@given(st.emails())
def test_a_masked_email_keeps_the_domain_and_one_letter(address):
    masked = mask_email(address)
    name, _, domain = address.rpartition("@")
    assert masked == f"{name[:1]}***@{domain}"
    assert masked.endswith("@" + domain)
    if len(name) > 1:
        assert name not in masked


@given(st.one_of(st.none(), st.text(), st.integers(), st.emails()))
def test_odd_input_never_crashes_and_gives_text(value):
    for mask in (mask_phone, mask_email, mask_contact):
        assert isinstance(mask(value), str)
