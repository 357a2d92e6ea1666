"""Language lookup by ISO 639-1 code, English name and alias."""

import pytest

from gpttasks.errors import UsageError
from gpttasks.languages import list_languages, lookup_language, optional_language


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("fr", "fr"),
        ("French", "fr"),
        ("FRENCH", "fr"),
        (" zh ", "zh"),
        ("Chinese", "zh"),
        ("zh-CN", "zh"),
        ("zh_TW", "zh-Hant"),
        ("Traditional Chinese", "zh-Hant"),
        ("pt-BR", "pt"),
        ("en_US", "en"),
        ("Farsi", "fa"),
        ("ja", "ja"),
    ],
)
def test_lookup_accepts_codes_and_names(value, code):
    assert lookup_language(value).code == code


def test_lookup_unknown_names_list_command():
    with pytest.raises(UsageError) as caught:
        lookup_language("Klingon")
    message = str(caught.value)
    assert "'Klingon'" in message
    assert "gpttasks translate --list-languages" in message


def test_lookup_suggests_close_match():
    with pytest.raises(UsageError, match="did you mean German"):
        lookup_language("Germna")


def test_lookup_rejects_blank():
    with pytest.raises(UsageError, match="empty language"):
        lookup_language("  ")


def test_optional_language_blank_is_none():
    assert optional_language(None) is None
    assert optional_language("") is None
    assert optional_language("de").name == "German"


def test_list_is_sorted_and_unique():
    codes = [language.code for language in list_languages()]
    assert codes == sorted(codes)
    assert len(codes) == len(set(codes))
    assert len(codes) > 60


def test_unspaced_scripts_flagged():
    assert not lookup_language("zh").spaced
    assert not lookup_language("ja").spaced
    assert not lookup_language("th").spaced
    assert lookup_language("ko").spaced
    assert lookup_language("fr").spaced


def test_list_languages_command(cli):
    result = cli("translate", "--list-languages")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "fr\tFrench" in lines
    assert "zh\tChinese" in lines
