"""The GGUF conversion cache: convert once, reuse, never leave a half-written entry."""

import pytest

from gpttasks.modeling import gguf_cache


@pytest.fixture
def fake_gguf(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF" + b"\x00" * 64)
    return path


def test_converts_once(monkeypatch, fake_gguf, tiny_model_dir):
    import shutil

    calls = []

    def convert(gguf_path, output):
        calls.append(gguf_path)
        shutil.copytree(tiny_model_dir, output, dirs_exist_ok=True)

    monkeypatch.setattr(gguf_cache, "_convert", convert)
    first = gguf_cache.converted_gguf_dir(fake_gguf)
    second = gguf_cache.converted_gguf_dir(fake_gguf)
    assert first == second
    assert len(calls) == 1
    assert (first / "model.safetensors").is_file()
    assert (first / gguf_cache.COMPLETE_MARKER).is_file()


def test_failed_conversion_leaves_nothing(monkeypatch, fake_gguf):
    def convert(gguf_path, output):
        (output / "model.safetensors").write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(gguf_cache, "_convert", convert)
    with pytest.raises(KeyboardInterrupt):
        gguf_cache.converted_gguf_dir(fake_gguf)
    models = gguf_cache.cache_dir() / "models"
    key = gguf_cache.cache_key(fake_gguf)
    assert [p.name for p in models.iterdir() if key in p.name] == []


def test_changed_file_gets_new_entry(fake_gguf):
    before = gguf_cache.cache_key(fake_gguf)
    fake_gguf.write_bytes(b"GGUF" + b"\x01" * 128)
    assert gguf_cache.cache_key(fake_gguf) != before


def test_unreadable_gguf_is_model_error(fake_gguf):
    from gpttasks.errors import ModelNotFoundError

    with pytest.raises(ModelNotFoundError, match="cannot read GGUF"):
        gguf_cache.converted_gguf_dir(fake_gguf)
