"""Document layout for translation, sentence splitting and cleaning of model output."""

import pytest

from gpttasks.tasks.translate_text import clean_translation, mostly_unspaced, parse_layout
from gpttasks.textsplit import split_sentences


def blocks(text):
    return [(block.prefix, block.text) for block in parse_layout(text).blocks]


def identity(text):
    layout = parse_layout(text)
    return layout.render([block.text for block in layout.blocks])


@pytest.mark.parametrize(
    "text",
    [
        "One paragraph.",
        "One paragraph.\n",
        "First.\n\nSecond.\n",
        "\n\nLeading blank lines.\n\n\n\nThree blank lines before this.\n\n",
        "- item one\n- item two\n\n1. first\n2) second\n",
        "# Title\nBody text.\n",
        "第一段。\n\n第二段。\n",
        "   \n",
        "",
    ],
)
def test_layout_round_trip(text):
    assert identity(text) == text


def test_layout_joins_wrapped_lines():
    assert blocks("The quick brown fox\njumps over the dog.\n") == [("", "The quick brown fox jumps over the dog.")]


def test_layout_joins_cjk_lines_without_space():
    assert blocks("今天天气\n很好。") == [("", "今天天气很好。")]


def test_layout_keeps_list_markers_out_of_text():
    assert blocks("Intro:\n- apples\n- pears\n  and plums\n") == [
        ("", "Intro:"),
        ("- ", "apples"),
        ("- ", "pears and plums"),
    ]


def test_layout_heading_is_one_block():
    assert blocks("## Weather\nIt rains.") == [("## ", "Weather"), ("", "It rains.")]


def test_layout_render_places_translations():
    layout = parse_layout("Hello.\n\n\nGoodbye.\n")
    assert layout.render(["Bonjour.", "Au revoir."]) == "Bonjour.\n\n\nAu revoir.\n"


def test_layout_crlf_input():
    layout = parse_layout("One.\r\n\r\nTwo.\r\n")
    assert [block.text for block in layout.blocks] == ["One.", "Two."]


def test_split_sentences_english():
    assert split_sentences("It rained. We stayed in! Did you? Yes.") == ["It rained.", "We stayed in!", "Did you?", "Yes."]


def test_split_sentences_chinese():
    text = "今天下雨了。我们待在家里！你呢？我也是。"
    assert split_sentences(text) == ["今天下雨了。", "我们待在家里！", "你呢？", "我也是。"]


def test_split_sentences_japanese():
    assert split_sentences("雨が降っています。傘を持っていますか？") == ["雨が降っています。", "傘を持っていますか？"]


def test_mostly_unspaced():
    assert mostly_unspaced("我们明天早上去市场。")
    assert not mostly_unspaced("We go to the market.")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Il fait beau aujourd'hui.", "Il fait beau aujourd'hui."),
        ("  Il fait beau.  \n", "Il fait beau."),
        ("Here is the translation:\n\nIl fait beau.", "Il fait beau."),
        ("Sure! Here's the French translation of the text:\nIl fait beau.", "Il fait beau."),
        ("Translation: Il fait beau.", "Il fait beau."),
        ("French: Il fait beau.", "Il fait beau."),
        ("Il fait beau.\n\nExplanation: 'beau' means nice.", "Il fait beau."),
        ("Il fait beau.\nThe cat is sleeping. = Le chat dort.", "Il fait beau."),
        ("Il fait beau. = The weather is nice.", "Il fait beau."),
        ('"Il fait beau."', "Il fait beau."),
        ("«Il fait beau.»", "Il fait beau."),
        ("The weather is nice.\nIl fait beau.", "Il fait beau."),
        ("", ""),
    ],
)
def test_clean_translation(answer, expected):
    assert clean_translation(answer, "The weather is nice.", ("French",)) == expected


def test_clean_keeps_quotes_the_source_has():
    assert clean_translation('"Bonjour."', '"Hello."', ("French",)) == '"Bonjour."'


def test_clean_keeps_inner_quotes():
    answer = '"Oui" et "non"'
    assert clean_translation(answer, "Yes and no", ("French",)) == answer


def test_clean_keeps_equals_from_source():
    assert clean_translation("x = 2 ist wahr.", "x = 2 is true.", ("German",)) == "x = 2 ist wahr."


def test_clean_chinese_preamble_colon():
    assert clean_translation("以下是翻译：\n今天天气很好。", "The weather is nice today.", ("Chinese",)) == "今天天气很好。"
