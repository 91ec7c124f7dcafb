"""Memory of sequence models (netspec/analysis/memory.py, docs/costs.md §3.5 and §3.5a):
what attention keeps inside it for the backward pass, and a decoder's key/value cache
for a context set with `--context`."""

from __future__ import annotations

import json

from netspec.api import check, check_text
from netspec.cli.main import main

LAYER = 1024 * 4 * 768 + 12 * 1024 * 1024 * 2  # q, k, v, context; weights and dropped copy


def test_gpt2_attention_keeps_its_weights_for_the_backward_pass():
    [a] = check("gpt2_small")
    m = a.memory()
    assert m.internal_bytes == 12 * LAYER * 4 == 1_358_954_496
    without = m.training_bytes["sgd"] - m.internal_bytes
    assert without == (a.totals.params * 3 + a.totals.activations) * 4 + 1024 * 8  # ids: int64
    assert a.memory(batch=8).internal_bytes == 8 * m.internal_bytes


def test_gpt2_key_value_cache_for_its_context_and_another():
    [a] = check("gpt2_small")
    assert a.memory().kv_cache_bytes == 12 * 2 * 1024 * 768 * 4 == 75_497_472
    assert a.memory().kv_context == 1024
    other = a.memory("bfloat16", batch=4, context=4096)
    assert (other.kv_cache_bytes, other.kv_context) == (12 * 2 * 4096 * 768 * 2 * 4, 4096)


def test_grouped_query_attention_divides_the_cache():
    text = """
network D(kv=4) {
    input x: [N, 16, 64]
    attention(8, causal=true, kv_heads=kv)
}
"""
    [full] = check_text(text.replace("kv=4", "kv=8"))
    [grouped] = check_text(text)
    assert full.memory().kv_cache_bytes == 2 * 16 * 64 * 4
    assert grouped.memory().kv_cache_bytes == full.memory().kv_cache_bytes // 2


def test_an_encoder_has_no_cache_and_a_convnet_keeps_nothing_inside():
    [bert] = check("bert_base")
    assert bert.memory().kv_cache_bytes is None and bert.memory().internal_bytes > 0
    [lenet] = check("lenet5")
    assert lenet.memory().internal_bytes == 0 and lenet.memory().kv_cache_bytes is None


def test_context_option_in_the_table_and_json(capsys):
    assert main(["check", "gpt2_small", "--context", "128", "--format", "json"]) == 0
    totals = json.loads(capsys.readouterr().out)["networks"][0]["totals"]
    assert (totals["kv_cache_bytes"], totals["kv_cache_context"]) == (12 * 2 * 128 * 768 * 4, 128)
    assert main(["check", "gpt2_small", "--context", "2048", "--batch", "4"]) == 0
    out = capsys.readouterr().out
    assert "kv cache                  576 MiB   keys and values of 2,048 positions x batch 4" in out
    assert "of which 5.06 GiB kept inside layers for the backward pass" in out


def test_a_named_length_and_a_concrete_batch_in_the_cache(capsys):
    pytest = __import__("pytest")
    schema = pytest.importorskip("netspec.report.schema")
    assert main(["check", "gpt2_small", "--input-shape", "ids=[N,L]", "--format", "json"]) == 0
    doc = capsys.readouterr().out
    totals = json.loads(doc)["networks"][0]["totals"]
    assert (totals["kv_cache_context"], totals["kv_cache_bytes"]) == ("L", "73728 * L")
    schema.Report.model_validate_json(doc)  # a formula where the schema allows one
    [a] = check("gpt_tiny", input_shapes={"ids": (4, 64)})
    [one] = check("gpt_tiny")
    assert a.memory().kv_cache_bytes == 4 * one.memory().kv_cache_bytes  # every sample's
