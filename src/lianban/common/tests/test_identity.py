import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from lianban.common import identity


def make_id(first17: str) -> str:
    return first17 + identity.resident_id_check_char(first17)


def make_credit(first17: str) -> str:
    return first17 + identity.credit_code_check_char(first17)


def test_known_resident_id_from_the_standard():
    # The worked example of GB 11643-1999.
    assert identity.validate_resident_id("11010519491231002X") == "11010519491231002X"
    assert identity.validate_resident_id("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "id_check"),
        ("11010519491231002", "id_format"),
        ("1101051949123100AX", "id_format"),
        ("110105194913310029", "id_birth"),
        ("", "id_format"),
    ],
)
def test_bad_resident_ids_are_refused_with_a_reason(value, code):
    with pytest.raises(ValidationError) as exc:
        identity.validate_resident_id(value)
    assert exc.value.code == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.message)


@given(
    st.from_regex(
        r"\A[1-6][0-9]{5}(19[5-9][0-9]|200[0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}\Z"
    )
)
def test_every_generated_id_with_its_check_char_validates(first17):
    number = make_id(first17)
    assert identity.validate_resident_id(number) == number
    wrong = "0" if number[-1] != "0" else "1"
    with pytest.raises(ValidationError):
        identity.validate_resident_id(number[:-1] + wrong)


def test_known_credit_code():
    result = identity.validate_credit_code("91350100M000100Y43")
    assert result.value == "91350100M000100Y43"
    assert result.check_ok is True
    assert result.warning == ""


def test_credit_code_with_a_wrong_check_char_warns_but_passes():
    result = identity.validate_credit_code("91350100M000100Y44")
    assert result.check_ok is False
    assert "核对" in result.warning


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("91350100M000100Y4", "credit_length"),
        ("91350100M000100I43", "credit_chars"),
        ("91AB0100M000100Y43", "credit_area"),
    ],
)
def test_malformed_credit_codes_are_refused(value, code):
    with pytest.raises(ValidationError) as exc:
        identity.validate_credit_code(value)
    assert exc.value.code == code


@given(st.from_regex(r"\A[159][1-3][0-9]{6}[0-9A-HJ-NPQRTUWXY]{9}\Z"))
def test_generated_credit_codes_round_trip(first17):
    assert identity.validate_credit_code(make_credit(first17)).check_ok


@pytest.mark.parametrize("value", ["13812345678", "138 1234 5678", "+8613812345678"])
def test_good_phones(value):
    assert identity.validate_phone(value) == "13812345678"


@pytest.mark.parametrize("value", ["1381234567", "12812345678", "电话", "23812345678"])
def test_bad_phones(value):
    with pytest.raises(ValidationError):
        identity.validate_phone(value)


def test_masks():
    assert identity.mask_resident_id("11010519491231002X") == "110105********002X"
    assert identity.mask_phone("13812345678") == "138****5678"
    assert identity.mask_credit_code("91350100M000100Y43") == "91350100******0Y43"
