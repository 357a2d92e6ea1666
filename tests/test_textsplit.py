"""Sentence and paragraph splitting and chunk packing."""

from gpttasks.textsplit import pack_segments, split_paragraphs, split_sentences


def test_english_sentences():
    text = 'It rained. Did it stop? "No!" she said. Then it did'
    assert split_sentences(text) == ["It rained.", "Did it stop?", '"No!"', "she said.", "Then it did"]


def test_chinese_sentences_need_no_space():
    text = "今天下雨了。雨停了吗？还没有！“真的吗？”他问。"
    assert split_sentences(text) == ["今天下雨了。", "雨停了吗？", "还没有！", "“真的吗？”", "他问。"]


def test_paragraphs():
    assert split_paragraphs("one\n\n two \n   \n\nthree\n") == ["one", "two", "three"]


def test_pack_respects_budget():
    chunks = pack_segments(["aa", "bb", "cc", "dd"], 5, len)
    assert chunks == ["aa bb", "cc dd"]
    assert all(len(c) <= 5 for c in chunks)


def test_pack_splits_oversized_segment():
    chunks = pack_segments(["x" * 12], 5, len)
    assert chunks == ["xxxxx", "xxxxx", "xx"]
