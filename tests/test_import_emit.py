"""The emitter, weights writer and command of `netspec import`, on records built by hand
(no ONNX file): the text checks, has one layer per stage in the planned order, chains
stand on one line, merges take branches where their inputs start from one tensor, the
weights file holds the state_dict's keys and the stages' values, and nothing is written
for a model that cannot be imported."""

from __future__ import annotations

import sys
import types
from functools import cache

import numpy as np
import pytest

from netspec.api import check
from netspec.backends.onnx.weights import read_weights
from netspec.frontends.emit import spec_text
from netspec.frontends.imported import Imported, Input, NotImportable, Stage, Unsupported
from netspec.frontends.plan import stage_order
from netspec.frontends.weights_out import Mismatch, write_weights
from netspec.source import Source

RNG = np.random.default_rng(0)


def _w(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def conv(cin: int, cout: int, k: int, x: str, y: str, bias: bool = True, **kw) -> Stage:
    weights = (("weight", _w(cout, cin, k, k)),) + ((("bias", _w(cout)),) if bias else ())
    kwargs = tuple(kw.items()) + (() if bias else (("bias", False),))
    return Stage("conv", (cout, k), kwargs, (x,), y, weights, f"Conv_{y}")


def bn(c: int, x: str, y: str) -> Stage:
    stats = (("running_mean", _w(c)), ("running_var", np.abs(_w(c)) + 0.5))
    return Stage("bn", (), (), (x,), y, (("weight", _w(c)), ("bias", _w(c)), *stats))


def op(name: str, x: str | tuple, y: str, *args, **kw) -> Stage:
    return Stage(name, args, tuple(kw.items()), (x,) if isinstance(x, str) else x, y)


@cache  # the same weights each time
def plain() -> Imported:
    stages = (
        conv(3, 8, 7, "x", "c1", bias=False, stride=2, padding=3),
        bn(8, "c1", "b1"),
        op("relu", "b1", "r1"),
        op("maxpool", "r1", "p1", 3, stride=2, padding=1),
        op("flatten", "p1", "f"),
        Stage("linear", (10,), (), ("f",), "logits", (("weight", _w(10, 512)), ("bias", _w(10)))),
    )
    return Imported("Plain", (Input("x", ("N", 3, 32, 32)),), ("logits",), stages, "plain.onnx")


@cache  # the same weights each time
def residual() -> Imported:
    stages = (
        conv(3, 8, 3, "x", "c0", padding=1),
        op("relu", "c0", "t"),
        conv(8, 8, 3, "t", "c1", bias=False, padding=1),
        bn(8, "c1", "b1"),
        op("relu", "b1", "r1"),
        conv(8, 8, 3, "r1", "c2", bias=False, padding=1),
        bn(8, "c2", "b2"),
        op("add", ("b2", "t"), "s"),
        op("relu", "s", "out"),
    )
    notes = ("batch norm kept apart",)
    return Imported("Res", (Input("x", ("N", 3, 16, 16)),), ("out",), stages, "res.onnx", notes)


@cache  # the same weights each time
def branches() -> Imported:
    stages = (
        conv(3, 8, 3, "x", "t", padding=1),
        conv(8, 4, 1, "t", "a"),
        op("relu", "a", "ar"),
        conv(8, 6, 3, "t", "b", padding=1),
        op("relu", "b", "br"),
        op("concat", ("ar", "br"), "cat", dim=1),
        op("global_avgpool", "cat", "g"),
    )
    return Imported("Cat", (Input("x", ("N", 3, 16, 16)),), ("g",), stages, "cat.onnx")


@cache  # the same weights each time
def fan_out() -> Imported:
    stages = (
        conv(3, 8, 3, "x", "t", padding=1),
        op("relu", "t", "feat"),
        conv(8, 8, 1, "feat", "u"),
        op("sigmoid", "u", "gate"),
        conv(8, 8, 3, "feat", "v", padding=1),
        op("mul", ("v", "gate"), "m"),
        op("add", ("feat", "m"), "o"),
    )
    return Imported("Fan", (Input("x", ("N", 3, 16, 16)),), ("o", "gate"), stages, "fan.onnx")


MODELS = [plain, residual, branches, fan_out]


def _graph(text: str):
    [analysis] = check(Source("<import>", text))
    return analysis.graph


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("folded", [True, False])
def test_the_text_checks_with_one_layer_per_stage(model, folded):
    imported = model()
    graph = _graph(spec_text(imported, branches=folded))
    order = stage_order(imported, folded)
    assert sorted(order) == list(range(len(imported.stages)))
    assert [n.op for n in graph.nodes] == [imported.stages[i].op for i in order]


def test_a_plain_chain_is_one_line():
    text = spec_text(plain())
    assert text.startswith("# Imported by `netspec import` from plain.onnx.\nnetwork Plain {\n")
    assert "    input x: [N, 3, 32, 32]\n" in text
    chain = "conv(8, 7, stride=2, padding=3, bias=false) bn relu maxpool(3, stride=2, padding=1)"
    assert f"    {chain} flatten\n    logits = linear(10)\n" in text
    assert "output" not in text  # the last statement is the output


def test_a_residual_add_takes_branches_with_an_empty_shortcut():
    text = spec_text(residual())
    assert "# Note: batch norm kept apart\n" in text
    body = "conv(8, 3, padding=1, bias=false) bn relu conv(8, 3, padding=1, bias=false) bn"
    assert f"    add {{ {body} | }}\n    out = relu\n" in text
    named = spec_text(residual(), branches=False)
    assert "    t = conv(8, 3, padding=1) relu\n" in named and "bn add(t) relu" in named


def test_a_concat_of_two_branches():
    text = spec_text(branches())
    assert "concat(dim=1) { conv(4, 1) relu | conv(6, 3, padding=1) relu }" in text
    named = spec_text(branches(), branches=False)
    assert "from t\n    br = conv(6, 3, padding=1) relu\n    from ar\n" in named
    assert "concat(br, dim=1)" in named


def test_a_fan_out_names_its_tensors_and_switches_the_stream():
    text = spec_text(fan_out())
    assert "    feat = conv(8, 3, padding=1) relu\n    gate = conv(8, 1) sigmoid\n" in text
    assert "    from feat\n    m = conv(8, 3, padding=1) mul(gate)\n    from feat\n" in text
    assert "    o = add(m)\n    output o, gate\n}\n" in text
    assert [name for name, _ in _graph(text).outputs] == ["o", "gate"]


def test_a_long_chain_is_split_over_lines_and_names_stay_clear_of_words():
    stages = [conv(3, 8, 3, "in", "relu", padding=1)]
    for k in range(12):
        prior = stages[-1].output
        stages += [conv(8, 8, 3, prior, f"c{k}", padding=1), op("relu", f"c{k}", f"r{k}")]
    stages.append(op("add", (stages[-1].output, "relu"), "N"))
    imported = Imported("network", (Input("in", ("N", 3, 8, 8)),), ("N", "relu"), tuple(stages), "")
    text = spec_text(imported, checkpoints=True)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "input in_2: [N, 3, 8, 8]" in text
    assert "relu_2 = conv(8, 3, padding=1) -> [N, 8, 8, 8]" in text
    assert "N_2 = add {" in text and "output N_2, relu_2" in text
    assert len(_graph(text).nodes) == len(stages)


def test_checkpoints_give_each_named_statement_its_shape():
    text = spec_text(fan_out(), checkpoints=True)
    assert "    gate = conv(8, 1) sigmoid -> [N, 8, 16, 16]\n" in text
    _graph(text)


def test_a_checkpoint_is_left_out_where_a_size_is_a_formula():
    stages = (
        conv(3, 8, 3, "x", "a", padding=1),
        op("relu", "a", "b"),
        conv(8, 8, 3, "b", "c", stride=2, padding=1),
        op("add", ("c", "c"), "d"),  # x + x: two empty branches
    )
    imported = Imported("S", (Input("x", ("N", 3, "H", "W")),), ("b", "d"), stages, "s.onnx")
    text = spec_text(imported, checkpoints=True)
    assert "    b = conv(8, 3, padding=1) relu -> [N, 8, H, W]\n" in text
    assert "    d = conv(8, 3, stride=2, padding=1) add { | }\n    output b, d\n" in text
    assert len(_graph(text).nodes) == 4


def test_the_text_is_deterministic():
    assert spec_text(residual()) == spec_text(residual())
    assert spec_text(fan_out(), checkpoints=True) == spec_text(fan_out(), checkpoints=True)


@pytest.mark.parametrize("model", MODELS)
def test_the_weights_round_trip_under_the_state_dict_keys(model, tmp_path):
    torch = pytest.importorskip("torch")
    from netspec.api import to_torch

    imported = model()
    text = spec_text(imported)
    path = tmp_path / "w.safetensors"
    values = write_weights(imported, text, path)
    assert values == sum(a.size for s in imported.stages for _, a in s.weights)
    saved = read_weights(path, _graph(text))
    module = to_torch(Source("<import>", text))
    assert list(saved) == list(module.state_dict())
    module.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in saved.items()})
    order = [imported.stages[i] for i in stage_order(imported)]
    for stage, node in zip(order, _graph(text).nodes, strict=True):
        for name, array in stage.weights:
            np.testing.assert_array_equal(saved[f"{node.path}.{name}"], array)


def test_the_keys_for_a_residual_block(tmp_path):
    path = tmp_path / "w.safetensors"
    write_weights(residual(), spec_text(residual()), path)
    first = path.read_bytes()
    keys = set(read_weights(path, _graph(spec_text(residual()))))
    assert {"conv1.weight", "add1.0.conv1.weight", "add1.0.bn2.running_var"} <= keys
    assert "add1.0.bn1.num_batches_tracked" in keys
    write_weights(residual(), spec_text(residual()), path)
    assert path.read_bytes() == first and len(first[8:]) % 8 == 0


def test_onnx_export_accepts_the_weights(tmp_path):
    pytest.importorskip("onnx")
    from netspec.api import to_onnx

    path = tmp_path / "w.safetensors"
    text = spec_text(residual())
    write_weights(residual(), text, path)
    model = to_onnx(Source("<import>", text), weights=path)
    found = {i.name: i for i in model.graph.initializer}
    expected = dict(residual().stages[2].weights)["weight"]
    assert found["add1.0.conv1.weight"].dims == list(expected.shape)


def test_a_text_of_another_model_is_a_mismatch(tmp_path):
    with pytest.raises(Mismatch, match="layers"):
        write_weights(residual(), spec_text(plain()), tmp_path / "w.safetensors")
    assert not list(tmp_path.iterdir())


def _fake_reader(monkeypatch, read) -> None:
    """`netspec.frontends.onnx.read_onnx` replaced (the ONNX reader is not needed here)."""
    fake = types.ModuleType("netspec.frontends.onnx")
    fake.read_onnx = read
    monkeypatch.setitem(sys.modules, "netspec.frontends.onnx", fake)


def test_the_command_writes_nothing_for_a_model_it_cannot_import(monkeypatch, tmp_path, capsys):
    from netspec.cli.main import main

    def refuse(path, partial=False):
        raise NotImportable([Unsupported("loop_1", "Loop", "no netspec op"),
                             Unsupported("nms", "NonMaxSuppression", "no netspec op")])  # fmt: skip

    _fake_reader(monkeypatch, refuse)
    assert main(["import", "m.onnx", "-o", str(tmp_path / "m.netspec")]) == 1
    err = capsys.readouterr().err
    assert "error[E-import]: loop_1 (Loop): no netspec op" in err
    assert "error[E-import]: nms (NonMaxSuppression)" in err and "--partial" in err
    assert not list(tmp_path.iterdir())


def test_the_command_writes_the_spec_and_its_weights(monkeypatch, tmp_path, capsys):
    from netspec.cli.main import main

    seen = {}

    def read(path, partial=False):
        seen["partial"] = partial
        return residual()

    _fake_reader(monkeypatch, read)
    spec = tmp_path / "res.netspec"
    assert main(["import", "res.onnx", "-o", str(spec), "--partial", "--name", "Mine"]) == 0
    assert seen["partial"] and (tmp_path / "res.safetensors").is_file()
    graph = _graph(spec.read_text())
    assert graph.name == "Mine"
    assert "9 stages -> 3 statements" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res.netspec", "res.safetensors"]


def test_the_command_without_onnx_says_how_to_install_it(monkeypatch, capsys):
    import importlib.util

    from netspec.cli.main import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "onnx" else real(n))
    assert main(["import", "m.onnx", "-o", "m.netspec"]) == 1
    assert "pip install 'netspec[onnx]'" in capsys.readouterr().err
