"""Chat on the embedded SmolLM2 model (slow: run with -m slow)."""

import json

import pytest

from gpttasks.tasks.chat_history import load_history

pytestmark = pytest.mark.slow


def test_second_turn_uses_first(run_gpttasks, smollm2, smollm2_cache):
    result = run_gpttasks(
        "chat", "--model", smollm2, "--max-new-tokens", "40", "--json",
        input="I have a cat called Tom.\nWhat is my cat called?\n",
        env={"GPTTASKS_CACHE": str(smollm2_cache)},
    )
    assert result.returncode == 0, result.stderr.decode()
    first, second = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert "Tom" in second["text"], second
    assert second["prompt_tokens"] > first["prompt_tokens"] + first["output_tokens"]


def test_history_persists_and_resumes(run_gpttasks, smollm2, smollm2_cache, tmp_path):
    history = tmp_path / "chat.json"
    env = {"GPTTASKS_CACHE": str(smollm2_cache)}
    args = ("chat", "--model", smollm2, "--max-new-tokens", "40", "--history", history)
    first = run_gpttasks(*args, input="I have a cat called Tom.\n", env=env)
    assert first.returncode == 0, first.stderr.decode()
    assert len(load_history(history)) == 2

    second = run_gpttasks(*args, input="What is my cat called?\n", env=env)
    assert second.returncode == 0, second.stderr.decode()
    assert "Tom" in second.stdout.decode()
    messages = load_history(history)
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[3]["content"] == second.stdout.decode().strip()


def test_shared_conversation_user_turns(cli, smollm2, shared_data):
    record = json.loads((shared_data / "chat_mtbench.jsonl").read_text(encoding="utf-8").splitlines()[1])
    users = [m["content"].replace("\n", " ") for m in record["messages"] if m["role"] == "user"]
    result = cli("chat", "--model", smollm2, "--max-new-tokens", "48", "--json", input="\n".join(users) + "\n")
    assert result.exit_code == 0, result.stderr
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(replies) == len(users)
    assert all(reply["text"].strip() for reply in replies)
