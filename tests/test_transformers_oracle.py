"""GPT-2 and BERT against an independent implementation: Hugging Face transformers'
GPT2LMHeadModel and BertModel built from their default configurations (no download,
eager attention).

At the default configuration (on the meta device: no memory, no weights drawn) the
parameter counts, each layer's parameters and every block's output shape equal the spec's
analysis. On a small configuration, the transformers model's weights loaded into the
module netspec builds give the same outputs (eval mode, float32, within 1e-4): the same
computation, not only the same sizes (gelu's tanh approximation, the layer norms' eps,
the causal mask, the tied head, the pooler).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from netspec import api  # noqa: E402

GPT2 = "specs/gpt2_small.netspec"
BERT = "specs/bert_base.netspec"
SMALL = dict(vocab=101, width=64, layers=2, heads=4, mlp=256, max_positions=40)


def _analysis(spec: str, **overrides):
    return api.check(spec, overrides=overrides or None)[0]


def _meta(model_class, config_class):
    with torch.device("meta"):
        return model_class(config_class(attn_implementation="eager")).eval()


def _block_shapes(blocks, run) -> list[tuple[int, ...]]:
    shapes: list[tuple[int, ...]] = []

    def hook(module, inputs, out):
        shapes.append(tuple((out[0] if isinstance(out, tuple) else out).shape))

    handles = [b.register_forward_hook(hook) for b in blocks]
    with torch.no_grad():
        run()
    for h in handles:
        h.remove()
    return shapes


def _call_shapes(analysis, block: str) -> list[tuple[int, ...]]:
    graph = analysis.graph
    shapes = [graph.shape(c.output) for c in graph.calls if c.block == block]
    return [tuple(1 if not isinstance(d, int) else d for d in s) for s in shapes]


def _scope_params(analysis, prefix: str) -> int:
    return sum(f.counts.params for f in analysis.layers if f.path.startswith(prefix + "."))


# --- the default configurations: counts and shapes -----------------------------------------


def test_gpt2_counts_and_block_shapes():
    hf = _meta(transformers.GPT2LMHeadModel, transformers.GPT2Config)
    ours = _analysis(GPT2)
    assert sum(p.numel() for p in hf.parameters()) == ours.totals.trainable_params == 124_439_808
    for i, block in enumerate(hf.transformer.h):
        assert _scope_params(ours, f"gpt2_layer{i + 1}") == sum(
            p.numel() for p in block.parameters()
        )
    ids = torch.zeros(1, 1024, dtype=torch.long, device="meta")
    shapes = _block_shapes(hf.transformer.h, lambda: hf(input_ids=ids))
    assert shapes == _call_shapes(ours, "gpt2_layer") == [(1, 1024, 768)] * 12


def test_bert_counts_and_block_shapes():
    hf = _meta(transformers.BertModel, transformers.BertConfig)
    ours = _analysis(BERT)
    assert sum(p.numel() for p in hf.parameters()) == ours.totals.trainable_params == 109_482_240
    for i, layer in enumerate(hf.encoder.layer):
        assert _scope_params(ours, f"bert_layer{i + 1}") == sum(
            p.numel() for p in layer.parameters()
        )
    ids = torch.zeros(1, 128, dtype=torch.long, device="meta")
    shapes = _block_shapes(hf.encoder.layer, lambda: hf(input_ids=ids, token_type_ids=ids))
    assert shapes == _call_shapes(ours, "bert_layer") == [(1, 128, 768)] * 12


# --- small configurations: the same outputs from the same weights -------------------------


def _gpt2_weights(hf, layers: int) -> dict:
    s, t = hf.state_dict(), "transformer."
    w = {
        "words.weight": s[t + "wte.weight"],
        "tokens.learned_positions.weight": s[t + "wpe.weight"],
    }
    for i in range(layers):
        h, ours = f"{t}h.{i}.", f"gpt2_layer{i + 1}."
        attention, mlp = ours + "add1.0.", ours + "add2.0."
        for name, key in (("weight", "weight"), ("bias", "bias")):
            w[f"{attention}layer_norm1.{name}"] = s[f"{h}ln_1.{key}"]
            w[f"{mlp}layer_norm1.{name}"] = s[f"{h}ln_2.{key}"]
        # Conv1D keeps [in, out]: PyTorch's linear is its transpose
        qkv_w, qkv_b = s[h + "attn.c_attn.weight"].T, s[h + "attn.c_attn.bias"]
        for part, wq, bq in zip("qkv", qkv_w.chunk(3), qkv_b.chunk(3), strict=True):
            w[f"{attention}attention1.{part}.weight"], w[f"{attention}attention1.{part}.bias"] = (
                wq,
                bq,
            )
        for ours_name, theirs in (
            ("attention1.out", "attn.c_proj"),
            ("linear1", "mlp.c_fc"),
            ("linear2", "mlp.c_proj"),
        ):
            where = attention if ours_name.startswith("attention") else mlp
            w[f"{where}{ours_name}.weight"] = s[f"{h}{theirs}.weight"].T
            w[f"{where}{ours_name}.bias"] = s[f"{h}{theirs}.bias"]
    w["logits.layer_norm.weight"], w["logits.layer_norm.bias"] = (
        s[t + "ln_f.weight"],
        s[t + "ln_f.bias"],
    )
    w["logits.linear.weight"] = s["lm_head.weight"]
    return w


def test_gpt2_same_outputs_from_the_same_weights():
    config = transformers.GPT2Config(
        vocab_size=101,
        n_positions=40,
        n_embd=64,
        n_layer=2,
        n_head=4,
        bos_token_id=0,
        eos_token_id=0,
        attn_implementation="eager",
    )
    torch.manual_seed(0)
    hf = transformers.GPT2LMHeadModel(config).eval()
    ours = api.to_torch(GPT2, overrides={**SMALL, "context": 12}).eval()
    ours.load_state_dict(_gpt2_weights(hf, 2))
    assert ours.logits.linear.weight is ours.words.weight  # the head is the embedding, tied
    ids = torch.randint(0, 101, (3, 12))
    with torch.no_grad():
        expected, got = hf(input_ids=ids).logits, ours(ids)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
    # causal: the first 5 positions do not see what comes after them
    later = ids.clone()
    later[:, 5:] = (later[:, 5:] + 1) % 101
    with torch.no_grad():
        torch.testing.assert_close(ours(later)[:, :5], got[:, :5], atol=1e-5, rtol=1e-5)


def _bert_weights(hf, layers: int) -> dict:
    s, e = hf.state_dict(), "embeddings."
    w = {
        "words.embedding.weight": s[e + "word_embeddings.weight"],
        "words.learned_positions.weight": s[e + "position_embeddings.weight"],
        "kinds.weight": s[e + "token_type_embeddings.weight"],
        "embedded.layer_norm.weight": s[e + "LayerNorm.weight"],
        "embedded.layer_norm.bias": s[e + "LayerNorm.bias"],
        "pooled.linear.weight": s["pooler.dense.weight"],
        "pooled.linear.bias": s["pooler.dense.bias"],
    }
    for i in range(layers):
        h, ours = f"encoder.layer.{i}.", f"bert_layer{i + 1}."
        pairs = {
            "add1.0.attention1.q": "attention.self.query",
            "add1.0.attention1.k": "attention.self.key",
            "add1.0.attention1.v": "attention.self.value",
            "add1.0.attention1.out": "attention.output.dense",
            "layer_norm1": "attention.output.LayerNorm",
            "add2.0.linear1": "intermediate.dense",
            "add2.0.linear2": "output.dense",
            "layer_norm2": "output.LayerNorm",
        }
        for mine, theirs in pairs.items():
            for name in ("weight", "bias"):
                w[f"{ours}{mine}.{name}"] = s[f"{h}{theirs}.{name}"]
    return w


def test_bert_same_outputs_from_the_same_weights():
    config = transformers.BertConfig(
        vocab_size=101,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=256,
        max_position_embeddings=40,
        attn_implementation="eager",
    )
    torch.manual_seed(0)
    hf = transformers.BertModel(config).eval()
    ours = api.to_torch(BERT, overrides={**SMALL, "length": 12}).eval()
    ours.load_state_dict(_bert_weights(hf, 2))
    ids, kinds = torch.randint(0, 101, (3, 12)), torch.randint(0, 2, (3, 12))
    with torch.no_grad():
        expected = hf(input_ids=ids, token_type_ids=kinds)
        sequence, pooled = ours(ids, kinds)
    torch.testing.assert_close(sequence, expected.last_hidden_state, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(pooled, expected.pooler_output, atol=1e-4, rtol=1e-4)
