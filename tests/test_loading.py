"""Loading a model directory, settings precedence, device/dtype rules, offline failures."""

import logging
import time

import pytest

from gpttasks.config import load_config, resolve_setting
from gpttasks.errors import ModelNotFoundError, UsageError
from gpttasks.modeling import load_model, resolve_model_spec
from gpttasks.modeling.device import resolve_device_and_dtype


def test_gpt2_tokenizer_prepared(tiny_model_dir):
    handle = load_model(resolve_model_spec(str(tiny_model_dir)), device="cpu")
    tokenizer = handle.tokenizer
    assert tokenizer.pad_token == tokenizer.eos_token == "<|endoftext|>"
    assert tokenizer.padding_side == "left"
    assert handle.context_length == 256
    assert handle.eos_token_ids == [50256]
    assert handle.dtype == "float32"
    assert handle.is_chat is False
    assert handle.model.training is False


def test_chat_model_detected(tiny_chat_model_dir):
    handle = load_model(resolve_model_spec(str(tiny_chat_model_dir)), device="cpu")
    assert handle.is_chat is True
    assert handle.tokenizer.convert_tokens_to_ids("<|im_end|>") in handle.eos_token_ids


def test_metadata_overrides_model_kind(tiny_chat_model_dir, tmp_path):
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(tiny_chat_model_dir, copy)
    (copy / "gpttasks.json").write_text('{"template_kind": "base"}', encoding="utf-8")
    handle = load_model(resolve_model_spec(str(copy)), device="cpu")
    assert handle.is_chat is False


def test_uncached_hub_model_fails_fast_offline():
    started = time.monotonic()
    with pytest.raises(ModelNotFoundError) as raised:
        load_model(resolve_model_spec("gpt2"))
    assert time.monotonic() - started < 30  # generous bound: huggingface_hub's retries take longer
    message = str(raised.value)
    assert "openai-community/gpt2" in message
    assert "--model" in message


def test_cuda_rejected_without_gpu():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(UsageError, match="--device cpu"):
        resolve_device_and_dtype("cuda", "auto")


def test_cpu_auto_dtype_is_float32():
    assert resolve_device_and_dtype("cpu", "auto") == ("cpu", "float32")


def test_cpu_float16_corrected_with_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="gpttasks"):
        assert resolve_device_and_dtype("cpu", "float16") == ("cpu", "float32")
    assert "float16" in caplog.text


@pytest.mark.parametrize("device,dtype", [("tpu", "auto"), ("cpu", "int8")])
def test_invalid_device_or_dtype(device, dtype):
    with pytest.raises(UsageError, match="choose one of"):
        resolve_device_and_dtype(device, dtype)


def test_setting_precedence(monkeypatch, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('model = "from-file"\n', encoding="utf-8")
    monkeypatch.setenv("GPTTASKS_CONFIG", str(config))
    load_config.cache_clear()
    assert resolve_setting(None, "GPTTASKS_MODEL", "model", "default") == "from-file"
    monkeypatch.setenv("GPTTASKS_MODEL", "from-env")
    assert resolve_setting(None, "GPTTASKS_MODEL", "model", "default") == "from-env"
    assert resolve_setting("from-flag", "GPTTASKS_MODEL", "model", "default") == "from-flag"


def test_config_unknown_key(monkeypatch, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('modle = "x"\n', encoding="utf-8")
    monkeypatch.setenv("GPTTASKS_CONFIG", str(config))
    load_config.cache_clear()
    with pytest.raises(UsageError, match="modle"):
        load_config()


def test_model_from_env_var(cli, monkeypatch, tiny_model_dir):
    monkeypatch.setenv("GPTTASKS_MODEL", str(tiny_model_dir))
    result = cli("generate", "Hello", "--max-new-tokens", "2", "--json")
    assert result.exit_code == 0, result.stderr
