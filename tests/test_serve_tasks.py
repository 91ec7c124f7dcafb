"""The playground's exercises, zoo and sizes tasks (netspec/serve/library.py, sizes.py),
called as the worker calls them: every exercise has a task, a hint and a solution; the
sizes answer is `netspec sizes`'s, as data; names from a request are never paths."""

from __future__ import annotations

import pytest

from netspec.serve.tasks import run_task
from tests.conftest import ROOT

EXERCISES = ROOT / "examples" / "exercises"


def test_every_exercise_has_its_task_hint_and_solution():
    listed = run_task({"task": "exercises"})["exercises"]
    assert [e["name"] for e in listed] == sorted(p.stem for p in EXERCISES.glob("*.netspec"))
    for e in listed:
        one = run_task({"task": "exercises", "name": e["name"]})
        assert one["title"].startswith("Exercise ") and one["title"] not in one["task"]
        assert "netspec " in one["task"]  # what to run
        assert len(one["hint"]) > 40, f"HINTS.md has no hint for {e['name']}"
        assert one["text"] == (EXERCISES / f"{e['name']}.netspec").read_text()
        assert one["solution"] == (EXERCISES / "solutions" / f"{e['name']}.netspec").read_text()


@pytest.mark.parametrize("name", ["../../pyproject", "/etc/passwd", "lenet5/../x", 3])
def test_a_name_is_looked_up_never_opened(name):
    for task in ("exercises", "zoo"):
        [error] = run_task({"task": task, "name": name})["errors"]
        assert error["code"] == "E-request"


def test_sizes_are_the_exact_answer_as_data():
    text = (EXERCISES / "09_unet_size_100.netspec").read_text()
    answer = run_task({"task": "sizes", "text": text})
    assert answer["declared_accepted"] is False  # refused at 100, answered all the same
    assert answer["axes"] == ["H", "W"] and answer["axis_indices"] == [2, 3]
    assert answer["accepted"] == "8-262144 step 8" and answer["count"] == 32768
    assert (answer["period"], answer["residues"], answer["smallest"]) == (8, [0], 8)
    assert answer["near"] == 100 and answer["nearest"] == [96, 104]
    at_14 = next(r for r in answer["refused"] if r["reason"] == "E-shape at line 14")
    assert at_14["at"] == 12 and "[N, 32, 2, 2] and [N, 32, 3, 3]" in at_14["message"]


def test_sizes_with_and_without_the_checkpoints():
    text = (ROOT / "specs" / "lenet5.netspec").read_text()
    assert run_task({"task": "sizes", "text": text})["accepted"] == "32"
    alone = run_task({"task": "sizes", "text": text, "ignore_checkpoints": True, "near": 28})
    assert alone["accepted"].startswith("32-") and alone["nearest"] == [32]
    assert alone["checkpoints"] is False and alone["near_accepted"] is False


CONV = "network A { input x: [N, 3, 8, 8]\n y = conv(4, 3) }"


@pytest.mark.parametrize(
    "request_, words",
    [
        ({"text": "network A { input x: [N, 16]\n output = linear(4) }"}, "no spatial axis"),
        ({"text": CONV, "near": 0}, "`near`"),
        ({"text": CONV, "input": "z"}, "no input"),
        ({"text": CONV, "input": [1]}, "an input's name"),
        ({"text": CONV, "set": []}, "`set`"),
        ({"text": CONV, "ignore_checkpoints": 1}, "true or false"),
        ({"text": "network A { input x: [N, 3, 8, 8]\n y = conv(4, 3 }"}, "does not match"),
    ],
)
def test_sizes_refuses_what_it_cannot_answer(request_, words):
    [error] = run_task({"task": "sizes", **request_})["errors"]
    assert words in error["message"]


@pytest.mark.parametrize(
    "text",
    [
        (ROOT / "specs" / "lenet5.netspec").read_text(),  # accepted
        (EXERCISES / "01_mnist_without_padding.netspec").read_text(),  # an error, partial
        (EXERCISES / "03_alexnet_224.netspec").read_text(),  # a warning
        (EXERCISES / "06_typos.netspec").read_text(),  # two errors
        "network {",  # a syntax error: nothing elaborated
        3,  # not a text: the API refuses it
    ],
)
def test_every_check_answer_is_the_pydantic_models_contract(text):
    from netspec.serve.models import CheckAnswer

    answer = run_task({"task": "check", "text": text})
    CheckAnswer.model_validate(answer)  # strict: no key missing, none extra
    for d in answer.get("errors", []) + answer.get("warnings", []):
        if "line" in d:  # a placed diagnostic has its whole span
            assert (d["end_line"], d["end_column"]) >= (d["line"], d["column"])
    with pytest.raises(ValueError):
        CheckAnswer.model_validate({**answer, "unexpected": 1})


def test_the_editor_colours_the_grammars_keywords():
    """The page's highlighter (static/editor.js) writes no grammar of its own: its
    keywords are the grammar's quoted words, its soft keywords the ones it declares."""
    import re

    grammar = (ROOT / "grammars" / "netspec.lark").read_text()
    script = (ROOT / "netspec" / "serve" / "static" / "editor.js").read_text()

    def js_set(name: str) -> set[str]:
        [body] = re.findall(rf"const {name} = new Set\(\[(.*?)\]\)", script, re.S)
        return set(re.findall(r'"(\w+)"', body))

    assert js_set("KEYWORDS") == set(re.findall(r'"([a-z_]+)"', grammar))
    [declared] = re.findall(r"^%declare (.*)$", grammar, re.M)
    assert js_set("SOFT") == {t.lower() for t in declared.split()}
