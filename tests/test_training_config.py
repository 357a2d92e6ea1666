"""Fine-tuning settings: YAML reading, type checks, flag precedence and invalid combinations."""

from __future__ import annotations

import pytest

from gpttasks.errors import UsageError
from gpttasks.training.config import TrainSettings, merge_settings, read_yaml_config

REQUIRED = {"task": "summarize", "dataset": "d.jsonl", "output_dir": "out"}


def write(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_values_and_dashed_keys(tmp_path):
    values = read_yaml_config(write(tmp_path, "learning-rate: 2e-4\nmax_steps: 10\nlora: true\n"
                                              "lora-target-modules: [c_attn]\nepochs: 2\n"))
    assert values == {"learning_rate": 2e-4, "max_steps": 10, "lora": True,
                      "lora_target_modules": ["c_attn"], "epochs": 2.0}


def test_flags_override_yaml(tmp_path):
    values = read_yaml_config(write(tmp_path, "task: summarize\ndataset: d.jsonl\noutput_dir: out\n"
                                              "batch_size: 4\nseed: 1\n"))
    settings = merge_settings(values, {"batch_size": 2})
    assert settings.batch_size == 2
    assert settings.seed == 1


def test_unknown_yaml_key_rejected(tmp_path):
    with pytest.raises(UsageError, match="unknown option 'learning_rat'"):
        read_yaml_config(write(tmp_path, "learning_rat: 0.1\n"))


def test_wrong_yaml_type_rejected(tmp_path):
    with pytest.raises(UsageError, match="invalid value 'many' for batch_size.*an integer"):
        read_yaml_config(write(tmp_path, "batch_size: many\n"))


def test_yaml_bool_is_not_an_integer(tmp_path):
    with pytest.raises(UsageError, match="batch_size"):
        read_yaml_config(write(tmp_path, "batch_size: true\n"))


def test_yaml_must_be_mapping(tmp_path):
    with pytest.raises(UsageError, match="mapping"):
        read_yaml_config(write(tmp_path, "- a\n- b\n"))


def test_invalid_yaml_syntax(tmp_path):
    with pytest.raises(UsageError, match="invalid YAML"):
        read_yaml_config(write(tmp_path, "a: [1, 2\n"))


def test_missing_config_file(tmp_path):
    with pytest.raises(UsageError, match="config file not found"):
        read_yaml_config(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"task": "poem"}, "invalid --task 'poem'"),
        ({"task": None}, "missing --task"),
        ({"dataset": None}, "missing --dataset"),
        ({"output_dir": None}, "missing --output-dir"),
        ({"epochs": 0}, "invalid --epochs 0"),
        ({"learning_rate": -1.0}, "invalid --learning-rate -1.0"),
        ({"eval_ratio": 1.0}, r"invalid --eval-ratio 1.0: must be in \[0, 1\)"),
        ({"warmup_ratio": 1.5}, "invalid --warmup-ratio"),
        ({"eval_split": "validation", "eval_ratio": 0.1}, "either --eval-split or --eval-ratio"),
        ({"bf16": True, "fp16": True}, "either --bf16 or --fp16"),
        ({"merge_lora": True}, "--merge-lora needs --lora"),
        ({"lora_target_modules": ["c_attn"]}, "--lora-target-modules needs --lora"),
        ({"resume": True, "overwrite": True}, "either --resume or --overwrite"),
        ({"loss_on": "prompt"}, "invalid --loss-on"),
        ({"metric_for_best": "bleu"}, "invalid --metric-for-best 'bleu' for task summarize"),
        ({"metric_for_best": "rouge1"}, "needs an eval set"),
        ({"metric_for_best": "loss", "eval_ratio": 0.2, "save_steps": 10, "eval_steps": 3},
         "must be a multiple of --eval-steps 3"),
        ({"task": "translate", "pair": "english"}, "invalid --pair 'english'"),
    ],
)
def test_invalid_settings(overrides, message):
    with pytest.raises(UsageError, match=message):
        TrainSettings(**{**REQUIRED, **overrides}).validate()


def test_lora_changes_default_learning_rate():
    assert TrainSettings(**REQUIRED).effective_learning_rate == 5e-5
    assert TrainSettings(**REQUIRED, lora=True).effective_learning_rate == 2e-4
    assert TrainSettings(**REQUIRED, lora=True, learning_rate=1e-3).effective_learning_rate == 1e-3
