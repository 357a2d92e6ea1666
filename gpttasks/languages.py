"""Language codes and names: ISO 639-1 codes, English names, and lookup by either."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from gpttasks.errors import UsageError

LIST_HINT = "run 'gpttasks translate --list-languages' to see the supported ones"


@dataclass(frozen=True)
class Language:
    """A language as prompts name it, with its ISO 639-1 code."""

    code: str
    name: str
    # False for scripts written without spaces between words (Chinese, Japanese,
    # Thai, ...), so translated pieces are joined without a space.
    spaced: bool = True
    aliases: tuple[str, ...] = ()


def _lang(code: str, name: str, *aliases: str, spaced: bool = True) -> Language:
    return Language(code, name, spaced, aliases)


LANGUAGES: tuple[Language, ...] = (
    _lang("af", "Afrikaans"),
    _lang("am", "Amharic"),
    _lang("ar", "Arabic"),
    _lang("az", "Azerbaijani"),
    _lang("be", "Belarusian"),
    _lang("bg", "Bulgarian"),
    _lang("bn", "Bengali", "Bangla"),
    _lang("bs", "Bosnian"),
    _lang("ca", "Catalan"),
    _lang("cs", "Czech"),
    _lang("cy", "Welsh"),
    _lang("da", "Danish"),
    _lang("de", "German"),
    _lang("el", "Greek"),
    _lang("en", "English"),
    _lang("eo", "Esperanto"),
    _lang("es", "Spanish", "Castilian"),
    _lang("et", "Estonian"),
    _lang("eu", "Basque"),
    _lang("fa", "Persian", "Farsi"),
    _lang("fi", "Finnish"),
    _lang("fr", "French"),
    _lang("ga", "Irish"),
    _lang("gl", "Galician"),
    _lang("gu", "Gujarati"),
    _lang("he", "Hebrew"),
    _lang("hi", "Hindi"),
    _lang("hr", "Croatian"),
    _lang("hu", "Hungarian"),
    _lang("hy", "Armenian"),
    _lang("id", "Indonesian"),
    _lang("is", "Icelandic"),
    _lang("it", "Italian"),
    _lang("ja", "Japanese", spaced=False),
    _lang("ka", "Georgian"),
    _lang("kk", "Kazakh"),
    _lang("km", "Khmer", spaced=False),
    _lang("kn", "Kannada"),
    _lang("ko", "Korean"),
    _lang("la", "Latin"),
    _lang("lo", "Lao", spaced=False),
    _lang("lt", "Lithuanian"),
    _lang("lv", "Latvian"),
    _lang("mk", "Macedonian"),
    _lang("ml", "Malayalam"),
    _lang("mn", "Mongolian"),
    _lang("mr", "Marathi"),
    _lang("ms", "Malay"),
    _lang("my", "Burmese", "Myanmar", spaced=False),
    _lang("nb", "Norwegian Bokmål", "Norwegian", "Bokmal", "Norwegian Bokmal"),
    _lang("ne", "Nepali"),
    _lang("nl", "Dutch", "Flemish"),
    _lang("nn", "Norwegian Nynorsk", "Nynorsk"),
    _lang("pa", "Punjabi", "Panjabi"),
    _lang("pl", "Polish"),
    _lang("ps", "Pashto"),
    _lang("pt", "Portuguese"),
    _lang("ro", "Romanian", "Moldavian", "Moldovan"),
    _lang("ru", "Russian"),
    _lang("si", "Sinhala", "Sinhalese"),
    _lang("sk", "Slovak"),
    _lang("sl", "Slovenian", "Slovene"),
    _lang("sq", "Albanian"),
    _lang("sr", "Serbian"),
    _lang("sv", "Swedish"),
    _lang("sw", "Swahili"),
    _lang("ta", "Tamil"),
    _lang("te", "Telugu"),
    _lang("th", "Thai", spaced=False),
    _lang("tl", "Tagalog", "Filipino"),
    _lang("tr", "Turkish"),
    _lang("uk", "Ukrainian"),
    _lang("ur", "Urdu"),
    _lang("uz", "Uzbek"),
    _lang("vi", "Vietnamese"),
    _lang("yi", "Yiddish"),
    _lang("zh", "Chinese", "Mandarin", "Simplified Chinese", "zh-Hans", "zh-CN", "zh-SG", spaced=False),
    _lang(
        "zh-Hant", "Traditional Chinese", "Chinese (Traditional)", "zh-TW", "zh-HK", "zh-MO",
        spaced=False,
    ),
    _lang("zu", "Zulu"),
)

# Keys are lower-cased codes, names and aliases, with "_" read as "-" (en_US = en-US).
_INDEX: dict[str, Language] = {}
for _language in LANGUAGES:
    for _key in (_language.code, _language.name, *_language.aliases):
        _INDEX[_key.lower().replace("_", "-")] = _language


def list_languages() -> list[Language]:
    """Return every supported language, sorted by code."""
    return sorted(LANGUAGES, key=lambda language: language.code)


def lookup_language(value: str) -> Language:
    """Find a language by ISO 639-1 code, English name or alias, ignoring case.

    A regional tag such as ``pt-BR`` or ``en_US`` falls back to its base language;
    ``zh-TW``, ``zh-HK`` and ``zh-Hant`` select Traditional Chinese. An unknown value
    raises :class:`UsageError` with close matches and how to list all languages.
    """
    key = value.strip().lower().replace("_", "-")
    if not key:
        raise UsageError(
            f"empty language; give an ISO 639-1 code or English name such as fr or French; {LIST_HINT}"
        )
    if key in _INDEX:
        return _INDEX[key]
    base = key.split("-", 1)[0]
    if "-" in key and base in _INDEX:
        return _INDEX[base]

    close = difflib.get_close_matches(key, list(_INDEX), n=3, cutoff=0.75)
    names = list(dict.fromkeys(_INDEX[match].name for match in close))
    suggestion = f" (did you mean {' or '.join(names)}?)" if names else ""
    raise UsageError(
        f"unknown language {value!r}{suggestion}; use an ISO 639-1 code or English name "
        f"such as fr or French; {LIST_HINT}"
    )


def optional_language(value: str | None) -> Language | None:
    """Look up ``value`` unless it is ``None`` or blank (meaning: not specified)."""
    if value is None or not value.strip():
        return None
    return lookup_language(value)
