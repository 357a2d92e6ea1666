"""Chat on the tiny models: conversation encoding, trimming, history files, session commands."""

import json

import pytest

from gpttasks.cli.chat_session import InteractiveChat
from gpttasks.cli.chat_settings import change_setting
from gpttasks.errors import ContextLengthError, InputError, UsageError
from gpttasks.generation import build_decoding_options
from gpttasks.generation.engine import Generator
from gpttasks.modeling import load_model, resolve_model_spec
from gpttasks.tasks.chat import (
    ChatSession,
    chat_task_defaults,
    encode_conversation,
    fit_conversation,
    split_turns,
)
from gpttasks.tasks.chat_history import load_history, save_history


@pytest.fixture(scope="module")
def base_handle(tiny_model_dir):
    return load_model(resolve_model_spec(str(tiny_model_dir)), device="cpu")


@pytest.fixture(scope="module")
def chat_handle(tiny_chat_model_dir):
    return load_model(resolve_model_spec(str(tiny_chat_model_dir)), device="cpu")


def make_session(handle, max_new_tokens=6, **kwargs):
    options = build_decoding_options(task_defaults=chat_task_defaults(handle.is_chat), max_new_tokens=max_new_tokens)
    return ChatSession(Generator(handle, batch_size=1), options, **kwargs)


def conversation(turns, system="Be brief."):
    messages = [{"role": "system", "content": system}] if system else []
    for number in range(1, turns + 1):
        messages.append({"role": "user", "content": f"question {number} " + "word " * 20})
        messages.append({"role": "assistant", "content": f"answer {number} " + "word " * 20})
    return messages


# -- encoding --------------------------------------------------------------------------


def test_base_model_plain_format(base_handle):
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "你好"},
    ]
    ids, stop = encode_conversation(base_handle, messages)
    assert base_handle.tokenizer.decode(ids) == "Be brief.\n\nUser: Hi\nAssistant: Hello!\nUser: 你好\nAssistant:"
    assert stop == ("\nUser:",)


def test_chat_model_uses_chat_template(chat_handle):
    messages = [{"role": "user", "content": "Hi"}]
    ids, stop = encode_conversation(chat_handle, messages)
    assert chat_handle.tokenizer.decode(ids) == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    assert stop == ()


def test_training_encoding_ends_with_reply(chat_handle, base_handle):
    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    chat_ids, _ = encode_conversation(chat_handle, messages, add_generation_prompt=False)
    assert chat_handle.tokenizer.decode(chat_ids).endswith("<|im_start|>assistant\nHello!<|im_end|>\n")
    base_ids, _ = encode_conversation(base_handle, messages, add_generation_prompt=False)
    assert base_handle.tokenizer.decode(base_ids) == "User: Hi\nAssistant: Hello!\n"


def test_split_turns():
    system, turns = split_turns(conversation(3))
    assert [m["role"] for m in system] == ["system"]
    assert len(turns) == 3
    assert all([m["role"] for m in turn] == ["user", "assistant"] for turn in turns)


# -- trimming --------------------------------------------------------------------------


def test_fit_keeps_everything_that_fits(base_handle):
    messages = conversation(1) + [{"role": "user", "content": "latest"}]
    fitted = fit_conversation(base_handle, messages, reserve=16)
    assert fitted.dropped_turns == 0


def test_fit_drops_oldest_whole_turns(base_handle):
    messages = conversation(6) + [{"role": "user", "content": "the latest question"}]
    fitted = fit_conversation(base_handle, messages, reserve=32)
    text = base_handle.tokenizer.decode(fitted.prompt_ids)
    assert fitted.dropped_turns > 0
    assert len(fitted.prompt_ids) <= base_handle.context_length - 32
    assert text.startswith("Be brief.\n\n")
    assert text.endswith("User: the latest question\nAssistant:")
    assert "question 1 " not in text
    assert "question 6 " in text
    # Kept turns are whole: every kept question has its answer.
    for number in range(fitted.dropped_turns + 1, 7):
        assert f"question {number} " in text
        assert f"answer {number} " in text


def test_fit_single_message_too_long(base_handle):
    messages = [{"role": "user", "content": ("word " * 400).strip()}]
    with pytest.raises(ContextLengthError) as caught:
        fit_conversation(base_handle, messages, reserve=16)
    message = str(caught.value)
    assert "the message is 400 tokens" in message
    assert "the limit is 240 tokens" in message


# -- history files ---------------------------------------------------------------------


def test_history_round_trip(tmp_path):
    path = tmp_path / "h.json"
    messages = conversation(2) + [{"role": "user", "content": "中文也可以吗？"}, {"role": "assistant", "content": "可以。"}]
    save_history(path, messages)
    assert load_history(path) == messages
    assert json.loads(path.read_text(encoding="utf-8"))["messages"][-1]["content"] == "可以。"


def test_history_accepts_bare_list(tmp_path):
    path = tmp_path / "h.json"
    path.write_text('[{"role": "user", "content": "Hi"}]', encoding="utf-8")
    assert load_history(path) == [{"role": "user", "content": "Hi"}]


def test_history_missing_file(tmp_path):
    assert load_history(tmp_path / "new.json", missing_ok=True) == []
    with pytest.raises(InputError, match="not found"):
        load_history(tmp_path / "new.json")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"messages": 3}', "must contain a list of messages"),
        ('[{"role": "robot", "content": "x"}]', "invalid role 'robot'"),
        ('[{"role": "user"}]', "needs a string 'content'"),
        ('[{"role": "user", "content": "a"}, {"role": "system", "content": "b"}]', "only the first message"),
        ('["hello"]', "message 1 is a str"),
    ],
)
def test_history_malformed(tmp_path, content, message):
    path = tmp_path / "h.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_history(path)


def test_history_crash_mid_write_keeps_previous(tmp_path, monkeypatch):
    import gpttasks.io

    path = tmp_path / "h.json"
    first = conversation(1)
    save_history(path, first)

    def crash(data, handle, **kwargs):
        handle.write('{"messages": [')  # half a file, then the process "dies"
        raise KeyboardInterrupt

    monkeypatch.setattr(gpttasks.io.json, "dump", crash)
    with pytest.raises(KeyboardInterrupt):
        save_history(path, conversation(2))
    monkeypatch.undo()
    assert load_history(path) == first
    assert [p.name for p in tmp_path.iterdir()] == ["h.json"]


# -- session ---------------------------------------------------------------------------


def test_session_records_turn_after_reply(base_handle):
    session = make_session(base_handle, system="Be brief.")
    reply = session.reply("Hello")
    chunks = list(reply)
    assert reply.result is not None
    assert session.turn_count() == 1
    assert session.messages[1] == {"role": "user", "content": "Hello"}
    assert session.messages[2]["content"] == "".join(chunks).strip()
    assert not session.messages[2]["content"].startswith(" ")


def test_session_stop_keeps_partial_reply(chat_handle):
    session = make_session(chat_handle, max_new_tokens=20)
    reply = session.reply("Hello")
    first = next(iter(reply))
    reply.stop()
    assert session.messages[-1] == {"role": "assistant", "content": first.strip()}


def test_session_stop_before_output_changes_nothing(chat_handle):
    session = make_session(chat_handle)
    reply = session.reply("Hello")
    reply.stop()
    assert session.messages == []


def test_session_reset_keeps_system(base_handle):
    session = make_session(base_handle, messages=conversation(2))
    session.reset()
    assert session.messages == [{"role": "system", "content": "Be brief."}]


def test_session_budget(base_handle):
    session = make_session(base_handle, max_new_tokens=40, messages=conversation(1))
    budget = session.budget()
    assert budget.context == 256
    assert budget.reply_reserve == 40
    assert budget.prompt == len(encode_conversation(base_handle, conversation(1))[0])
    assert budget.free == 256 - 40 - budget.prompt


def test_change_setting_rules():
    options = build_decoding_options()
    with pytest.raises(UsageError, match="only applies to sampling"):
        change_setting(options, "temperature", "0.5")
    sampled = change_setting(options, "strategy", "sample")
    assert sampled.do_sample
    assert change_setting(sampled, "temperature", "0.5").temperature == 0.5
    assert change_setting(options, "max-new-tokens", "12").max_new_tokens == 12
    with pytest.raises(UsageError, match="expected an integer"):
        change_setting(options, "max_new_tokens", "many")
    with pytest.raises(UsageError, match="must be at least 1"):
        change_setting(options, "max_new_tokens", "0")
    with pytest.raises(UsageError, match="unknown setting"):
        change_setting(options, "colour", "blue")


def scripted(lines):
    feed = iter(lines)

    def read_line(prompt):
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    return read_line


def test_interactive_commands(base_handle, tmp_path, capsys):
    history = tmp_path / "history.json"
    saved = tmp_path / "saved.json"
    session = make_session(base_handle)
    lines = [
        "/set temperature 0.5",
        "/set strategy sample",
        "/set seed 3",
        "Hello there",
        "/tokens",
        f"/save {saved}",
        "/reset",
        "/system Answer in French.",
        f"/load {saved}",
        "/settings",
        "/nonsense",
        "/quit",
        "never read",
    ]
    InteractiveChat(session, str(history), read_line=scripted(lines)).run()
    err = capsys.readouterr().err
    assert "temperature only applies to sampling" in err
    assert "strategy=sample" in err
    assert "Context 256 tokens" in err
    assert "unknown command /nonsense" in err
    assert session.options.seed == 3
    assert session.turn_count() == 1
    assert session.system is None  # /load replaced the conversation, system prompt included
    assert load_history(history) == session.messages
    assert load_history(saved)[0]["content"] == "Hello there"


def test_interactive_ctrl_c_stops_reply_only(chat_handle, tmp_path, capsys):
    history = tmp_path / "history.json"
    session = make_session(chat_handle, max_new_tokens=20)

    class InterruptingOutput:
        def __init__(self):
            self.writes = 0

        def write(self, text):
            self.writes += 1
            if self.writes == 2:  # the user presses Ctrl-C during the reply
                raise KeyboardInterrupt

        def flush(self):
            pass

    chat = InteractiveChat(session, str(history), read_line=scripted(["first", "second"]), out=InterruptingOutput())
    chat.run()
    assert "(reply stopped)" in capsys.readouterr().err
    assert session.turn_count() == 2
    assert [m["content"] for m in load_history(history) if m["role"] == "user"] == ["first", "second"]


def test_interactive_message_starting_with_slash(base_handle):
    session = make_session(base_handle)
    InteractiveChat(session, None, read_line=scripted(["//usr is a folder"])).run()
    assert session.messages[0]["content"] == "/usr is a folder"


# -- command line ----------------------------------------------------------------------


def test_cli_script_mode_json(cli, tiny_model_dir, tmp_path):
    history = tmp_path / "h.json"
    result = cli("chat", "--model", tiny_model_dir, "--max-new-tokens", "4", "--json", "--history", history,
                 input="Hi\n\n你好\n")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["1", "2"]
    assert all(r["output_tokens"] <= 4 for r in records)
    assert "no chat template" in result.stderr
    messages = load_history(history)
    assert [m["content"] for m in messages if m["role"] == "user"] == ["Hi", "你好"]
    assert [m["content"] for m in messages if m["role"] == "assistant"] == [r["text"] for r in records]


def test_cli_history_resumes(cli, tiny_chat_model_dir, tmp_path):
    history = tmp_path / "h.json"
    save_history(history, [{"role": "system", "content": "Old."}, {"role": "user", "content": "a"},
                           {"role": "assistant", "content": "b"}])
    result = cli("chat", "--model", tiny_chat_model_dir, "--max-new-tokens", "3", "--history", history,
                 "--system", "New.", input="c\n")
    assert result.exit_code == 0, result.stderr
    assert "replaces the system prompt" in result.stderr
    messages = load_history(history)
    assert messages[0] == {"role": "system", "content": "New."}
    assert [m["content"] for m in messages if m["role"] == "user"] == ["a", "c"]


def test_cli_system_file(cli, tiny_chat_model_dir, tmp_path):
    system = tmp_path / "system.txt"
    system.write_text("Answer in German.\n", encoding="utf-8")
    history = tmp_path / "h.json"
    result = cli("chat", "--model", tiny_chat_model_dir, "--max-new-tokens", "2", "--system-file", system,
                 "--history", history, input="Hi\n")
    assert result.exit_code == 0, result.stderr
    assert load_history(history)[0] == {"role": "system", "content": "Answer in German."}


@pytest.mark.parametrize(
    ("args", "stdin", "history_text", "message"),
    [
        ([], "", None, "standard input contains no messages"),
        ([], "\n  \n", None, "standard input contains no messages"),
        (["--system", "a", "--system-file", "b"], "Hi\n", None, "either --system or --system-file"),
        (["--system-file", "missing.txt"], "Hi\n", None, "input file not found"),
        ([], "Hi\n", "{oops", "is not valid JSON"),
        ([], "Hi\n", '{"messages": [{"role": "user", "content": 5}]}', "needs a string 'content'"),
        (["--temperature", "0"], "Hi\n", None, "--temperature 0"),
    ],
)
def test_cli_bad_input_exit_2(cli, tiny_model_dir, tmp_path, monkeypatch, args, stdin, history_text, message):
    monkeypatch.chdir(tmp_path)
    extra = []
    if history_text is not None:
        (tmp_path / "h.json").write_text(history_text, encoding="utf-8")
        extra = ["--history", "h.json"]
    result = cli("chat", "--model", tiny_model_dir, *args, *extra, input=stdin)
    assert result.exit_code == 2
    assert message in result.stderr


def test_cli_message_too_long_exit_2(cli, tiny_model_dir):
    result = cli("chat", "--model", tiny_model_dir, "--max-new-tokens", "4", input="word " * 400 + "\n")
    assert result.exit_code == 2
    assert "the message is 400 tokens" in result.stderr


def test_subprocess_pipe_chat(run_gpttasks, tiny_model_dir, tmp_path):
    history = tmp_path / "h.json"
    args = ("chat", "--model", tiny_model_dir, "--max-new-tokens", "3", "--json", "--history", history)
    first = run_gpttasks(*args, input="My name is Ada.\nWhat is my name?\n")
    assert first.returncode == 0, first.stderr.decode()
    assert len(first.stdout.decode().splitlines()) == 2
    second = run_gpttasks(*args, input="Still there?\n")
    assert second.returncode == 0, second.stderr.decode()
    record = json.loads(second.stdout)
    # The resumed prompt contains the two earlier turns plus the new message.
    assert record["prompt_tokens"] > json.loads(first.stdout.decode().splitlines()[1])["prompt_tokens"]
    users = [m["content"] for m in load_history(history) if m["role"] == "user"]
    assert users == ["My name is Ada.", "What is my name?", "Still there?"]


def test_subprocess_invalid_utf8(run_gpttasks, tiny_model_dir):
    result = run_gpttasks("chat", "--model", tiny_model_dir, input=b"\xff\xfe bad\n")
    assert result.returncode == 2
    assert "not valid UTF-8" in result.stderr.decode()
