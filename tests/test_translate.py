"""Translation on the tiny models: prompts by model kind, segmentation, layout, CLI errors."""

import json

import pytest

from gpttasks.errors import UsageError
from gpttasks.generation import build_decoding_options
from gpttasks.generation.engine import Generator
from gpttasks.languages import lookup_language
from gpttasks.modeling import load_model, resolve_model_spec
from gpttasks.tasks.translate import Translator, translate_task_defaults
from gpttasks.types import Example


@pytest.fixture(scope="module")
def base_handle(tiny_model_dir):
    return load_model(resolve_model_spec(str(tiny_model_dir)), device="cpu")


@pytest.fixture(scope="module")
def chat_handle(tiny_chat_model_dir):
    return load_model(resolve_model_spec(str(tiny_chat_model_dir)), device="cpu")


def make_translator(handle, max_new_tokens=8, **kwargs):
    defaults = translate_task_defaults(handle.is_chat)
    options = build_decoding_options(task_defaults=defaults, max_new_tokens=max_new_tokens)
    return Translator(Generator(handle, batch_size=4), options, **kwargs)


def decode(handle, ids):
    return handle.tokenizer.decode(ids)


# -- prompts ---------------------------------------------------------------------------


def test_base_prompt_is_fewshot_pairs(base_handle):
    translator = make_translator(base_handle, source_lang="en", target_lang="fr", shots=3)
    prompt = decode(base_handle, translator.prompt_ids("The sun is out.", "en", "fr"))
    lines = prompt.split("\n")
    assert lines[0] == "The cat is sleeping on the chair. = Le chat dort sur la chaise."
    assert len(lines) == 4
    assert all(" = " in line for line in lines[:3])
    assert lines[-1] == "The sun is out. ="


def test_base_prompt_without_source_mixes_languages(base_handle):
    translator = make_translator(base_handle, target_lang="en", shots=4)
    prompt = decode(base_handle, translator.prompt_ids("Il pleut.", None, "en"))
    sources = [line.split(" = ")[0] for line in prompt.split("\n")[:-1]]
    targets = [line.split(" = ")[1] for line in prompt.split("\n")[:-1]]
    assert len(set(sources)) == 4
    assert targets[0] == "The cat is sleeping on the chair."
    assert sources[0] == "Die Katze schläft auf dem Stuhl."
    assert "Quisiera una taza de café, por favor." in sources


def test_base_prompt_chinese_pairs(base_handle):
    translator = make_translator(base_handle, shots=2)
    prompt = decode(base_handle, translator.prompt_ids("天气很好。", "zh", "en"))
    assert prompt.startswith("猫在椅子上睡觉。 = The cat is sleeping on the chair.\n")
    assert prompt.endswith("天气很好。 =")


def test_base_prompt_drops_pairs_to_fit_context(base_handle):
    translator = make_translator(base_handle, shots=10)
    plan = translator._plan(None, lookup_language("ja"))
    assert len(plan.examples) < 10
    assert plan.segment_budget >= 16


def test_base_without_pairs_for_target_is_error(base_handle):
    translator = make_translator(base_handle, target_lang="sw")
    with pytest.raises(UsageError, match="no example pairs into Swahili"):
        translator.translate([Example("1", "Hello.")])


def test_chat_prompt_uses_chat_template(chat_handle):
    translator = make_translator(chat_handle, source_lang="en", target_lang="fr")
    prompt = decode(chat_handle, translator.prompt_ids("The sun is out.", "en", "fr"))
    assert prompt.startswith("<|im_start|>user\nTranslate the following text from English to French.")
    assert "Output only the translation." in prompt
    assert prompt.endswith("The sun is out.<|im_end|>\n<|im_start|>assistant\n")


def test_chat_prompt_without_source_names_target_only(chat_handle):
    translator = make_translator(chat_handle, target_lang="zh")
    prompt = decode(chat_handle, translator.prompt_ids("Hello.", None, "Chinese"))
    assert "Translate the following text to Chinese." in prompt
    assert " from " not in prompt


def test_chat_shots_become_earlier_turns(chat_handle):
    translator = make_translator(chat_handle, shots=1)
    prompt = decode(chat_handle, translator.prompt_ids("Hello.", "en", "de"))
    assert "<|im_start|>assistant\nDie Katze schläft auf dem Stuhl.<|im_end|>" in prompt
    assert prompt.count("Translate the following text from English to German.") == 2


def test_user_pairs_json_replace_builtin(base_handle, tmp_path):
    pairs = tmp_path / "pairs.json"
    pairs.write_text(json.dumps([{"en": "Good night.", "French": "Bonne nuit."}]), encoding="utf-8")
    translator = make_translator(base_handle, fewshot_file=pairs)
    prompt = decode(base_handle, translator.prompt_ids("Hi.", "en", "fr"))
    assert prompt == "Good night. = Bonne nuit.\nHi. ="


def test_user_pairs_jsonl_records(base_handle, tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    record = {"source_lang": "zh", "target_lang": "en", "source": "早上好。", "target": "Good morning."}
    pairs.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    translator = make_translator(base_handle, fewshot_file=pairs)
    prompt = decode(base_handle, translator.prompt_ids("晚安。", "zh", "en"))
    assert prompt == "早上好。 = Good morning.\n晚安。 ="


def test_user_template_variables(base_handle, tmp_path):
    from gpttasks.prompts import load_template_file

    template = tmp_path / "t.jinja"
    template.write_text("{{ source_code }}>{{ target_code }} {{ target_lang }}: {{ text }} =>", encoding="utf-8")
    translator = make_translator(base_handle, template=load_template_file(template))
    prompt = decode(base_handle, translator.prompt_ids("Hi.", "en", "de"))
    assert prompt == "en>de German: Hi. =>"


def test_prompt_ids_accepts_names(base_handle):
    translator = make_translator(base_handle)
    assert translator.prompt_ids("Hi.", "English", "French") == translator.prompt_ids("Hi.", "en", "fr")


# -- segmentation and layout -----------------------------------------------------------


def test_long_paragraph_split_at_sentences(base_handle):
    translator = make_translator(base_handle)
    sentence = "The river rose after three days of heavy rain in the hills."
    paragraph = " ".join([sentence] * 12)
    pieces = translator.split(paragraph, None, budget=40)
    assert len(pieces) > 1
    assert all(piece.endswith("rain in the hills.") for piece in pieces)
    assert " ".join(pieces) == paragraph


def test_long_chinese_split_without_spaces(base_handle):
    translator = make_translator(base_handle)
    paragraph = "今天早上下了一场大雨。" * 10
    pieces = translator.split(paragraph, None, budget=40)
    assert len(pieces) > 1
    assert "".join(pieces) == paragraph
    assert all(piece.endswith("。") for piece in pieces)


def test_translate_longer_than_context(base_handle):
    translator = make_translator(base_handle, source_lang="en", target_lang="fr")
    text = " ".join(["The council met on Monday to discuss the new bridge."] * 30)
    assert translator.generator.count_tokens(text) > base_handle.context_length
    [prediction] = translator.translate([Example("long", text)])
    assert prediction.metadata["segments"] > 1
    assert prediction.metadata["target_lang"] == "fr"


def test_translate_keeps_blank_lines(chat_handle):
    translator = make_translator(chat_handle, target_lang="de")
    text = "First paragraph.\n\n\nSecond paragraph\nwrapped here.\n\n- one\n- two\n"
    [prediction] = translator.translate([Example("doc", text)])
    lines = prediction.text.split("\n")
    assert [line == "" for line in lines] == [False, True, True, False, True, False, False, True]
    assert lines[5].startswith("- ")
    assert lines[6].startswith("- ")
    assert prediction.metadata["segments"] == 4


def test_translate_per_row_languages(base_handle):
    translator = make_translator(base_handle, target_lang="fr")
    rows = [
        Example("a", "Hello.", source_lang="en"),
        Example("b", "你好。", source_lang="zh", target_lang="en"),
        Example("c", "Bonjour.", target_lang="fr", source_lang="fr"),
    ]
    predictions = translator.translate(rows)
    assert [p.id for p in predictions] == ["a", "b", "c"]
    assert [p.metadata["target_lang"] for p in predictions] == ["fr", "en", "fr"]
    assert predictions[1].metadata["source_lang"] == "zh"
    # Source and target are the same language: the text is returned unchanged.
    assert predictions[2].text == "Bonjour."
    assert predictions[2].output_tokens == 0


def test_translate_needs_target(base_handle):
    translator = make_translator(base_handle)
    with pytest.raises(UsageError, match="missing target language for input 'x'"):
        translator.translate([Example("x", "Hello.")])


def test_translate_reports_progress_per_example(base_handle):
    translator = make_translator(base_handle, target_lang="fr")
    seen = []
    translator.translate([Example("1", "One.\n\nTwo."), Example("2", "Three.")], seen.append)
    assert sum(seen) == 2


def test_segment_output_limit_follows_source(base_handle):
    translator = make_translator(base_handle, max_new_tokens=500, target_lang="fr")
    plan = translator._plan(None, translator.target)
    segment = translator._segment(0, "Hi.", None, translator.target, plan)
    assert segment.max_new_tokens == 4 * translator.generator.count_tokens("Hi.") + 32


# -- command line ----------------------------------------------------------------------


def test_cli_stdin_text(cli, tiny_model_dir):
    result = cli("translate", "--to", "fr", "--model", tiny_model_dir, "--max-new-tokens", "6",
                 input="The weather is nice today.\n")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("\n")
    assert result.stdout.count("\n") == 1


def test_cli_json_fields(cli, tiny_model_dir, tmp_path):
    source = tmp_path / "zh.txt"
    source.write_text("今天天气很好。\n\n我们去公园吧。\n", encoding="utf-8")
    result = cli("translate", source, "--from", "Chinese", "--to", "en", "--model", tiny_model_dir,
                 "--max-new-tokens", "6", "--json")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["source_lang"] == "zh"
    assert record["target_lang"] == "en"
    assert record["segments"] == 2
    assert record["id"] == str(source)


def test_cli_batch_writes_jsonl(cli, tiny_model_dir, tmp_path):
    batch = tmp_path / "batch.jsonl"
    rows = [
        {"id": "a", "text": "Good morning."},
        {"id": "b", "text": "早上好。", "source_lang": "zh", "target_lang": "de"},
    ]
    batch.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = cli("translate", "--input", batch, "--to", "fr", "--model", tiny_model_dir,
                 "--max-new-tokens", "4", "-o", out)
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["a", "b"]
    assert [r["target_lang"] for r in records] == ["fr", "de"]


def test_cli_batch_row_without_target(cli, tiny_model_dir, tmp_path):
    batch = tmp_path / "batch.jsonl"
    batch.write_text('{"id": "a", "text": "Hi."}\n{"id": "b", "text": "Yo.", "target_lang": "fr"}\n')
    result = cli("translate", "--input", batch, "--model", tiny_model_dir)
    assert result.exit_code == 2
    assert "missing target language for input 'a'" in result.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--to", "Klingon"], "Hi.", "unknown language 'Klingon'"),
        (["--to", "fr", "--from", "xx"], "Hi.", "unknown language 'xx'"),
        (["--to", "fr"], "", "standard input is empty"),
        (["--to", "fr"], "  \n\n", "standard input is empty"),
        ([], "Hi.", "missing target language"),
        (["--to", "fr", "--shots", "-1"], "Hi.", "--shots"),
    ],
)
def test_cli_bad_input_exit_2(cli, tiny_model_dir, args, stdin, message):
    result = cli("translate", *args, "--model", tiny_model_dir, input=stdin)
    assert result.exit_code == 2
    assert message in result.stderr


def test_cli_missing_file(cli, tiny_model_dir, tmp_path):
    result = cli("translate", tmp_path / "nope.txt", "--to", "fr", "--model", tiny_model_dir)
    assert result.exit_code == 2
    assert "input file not found" in result.stderr


def test_cli_bad_examples_file(cli, tiny_model_dir, tmp_path):
    pairs = tmp_path / "pairs.json"
    pairs.write_text('{"sentences": "nope"}', encoding="utf-8")
    result = cli("translate", "--to", "fr", "--examples", pairs, "--model", tiny_model_dir, input="Hi.")
    assert result.exit_code == 2
    assert "must contain a JSON list" in result.stderr


def test_cli_template_missing_variable(cli, tiny_model_dir, tmp_path):
    template = tmp_path / "t.jinja"
    template.write_text("{{ text }} -> {{ language }}", encoding="utf-8")
    result = cli("translate", "--to", "fr", "--template", template, "--model", tiny_model_dir, input="Hi.")
    assert result.exit_code == 2
    assert "undefined variable(s) language" in result.stderr


def test_cli_failed_run_keeps_previous_output(cli, tiny_model_dir, tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("previous\n", encoding="utf-8")
    result = cli("translate", "--to", "sw", "--model", tiny_model_dir, "-o", out, input="Hi.")
    assert result.exit_code == 2
    assert out.read_text(encoding="utf-8") == "previous\n"


def test_finetuned_template_used(tiny_model_dir, tmp_path):
    import json
    import shutil

    from gpttasks.generation.engine import Generator
    from gpttasks.generation.options import DecodingOptions
    from gpttasks.modeling import load_model, resolve_model_spec
    from gpttasks.tasks.translate import Translator

    model_dir = tmp_path / "tuned"
    shutil.copytree(tiny_model_dir, model_dir)
    recorded = {"name": "mine", "source": "Into {{ target_lang }}: {{ text }} =>"}
    (model_dir / "gpttasks.json").write_text(json.dumps({"task": "translate", "template": recorded}), encoding="utf-8")
    handle = load_model(resolve_model_spec(str(model_dir)), device="cpu")
    translator = Translator(Generator(handle), DecodingOptions(), target_lang="fr", shots=0)
    prompt = handle.tokenizer.decode(translator.prompt_ids("Hello.", None, "fr"))
    assert prompt == "Into French: Hello. =>"
