"""Sequence models: next-byte prediction (`netspec train --data text`), `netspec sample`,
and sequence classification from a .npz of int64 token ids.

The model tests train a one-layer causal transformer of 16 bytes of context on a
seeded synthetic text (sentences of a small vocabulary, 12,000 bytes): two epochs bring
its held-out loss below the unigram baseline, in about 10 s on a 2-core CPU.
"""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

from netspec import train  # noqa: E402
from netspec.api import one_network  # noqa: E402
from netspec.cli.main import main  # noqa: E402
from netspec.errors import CompileError  # noqa: E402
from netspec.training import TrainingError  # noqa: E402
from netspec.training.corpus import (  # noqa: E402
    CORPUS,
    decode,
    encode,
    entropy,
    is_text,
    load_text,
    unigram_cross_entropy,
)
from netspec.training.sample import generate, load_model  # noqa: E402
from netspec.training.text import consecutive_windows, split_text, window_sampler  # noqa: E402
from netspec.training.tokens import text_shape  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

BYTES_SPEC = """network Bytes(length=16, width=32) {
    input ids: [N, length] int64
    param pos: [1, length, width] = 0.02
    from ids
    tokens = embedding(256, width) add(pos)
    layer = add { layer_norm attention(2, causal=true) | }
    logits = layer_norm linear(256)
}
"""
FAST = {"epochs": 2, "lr": 0.01, "quiet": True}
WORDS = [
    "the",
    "a",
    "network",
    "layer",
    "input",
    "output",
    "shape",
    "spec",
    "trains",
    "learns",
    "reads",
    "writes",
]


def sentences(size: int = 12_000, seed: int = 0) -> str:
    """Seeded sentences of 4 to 9 words of WORDS, `size` characters."""
    rng, out = random.Random(seed), []
    while sum(map(len, out)) < size:
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 9))]
        out.append(" ".join(words).capitalize() + ". ")
    return "".join(out)[:size]


@pytest.fixture
def text(tmp_path: Path) -> Path:
    path = tmp_path / "sentences.txt"
    path.write_text(sentences())
    return path


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# ---- the tokenizer, the split, the windows, the baseline ----------------------------


@pytest.mark.parametrize("sample", ["", "plain ascii", "héllo · 2² — ok\n\ttab", "日本語"])
def test_tokenizer_round_trip(sample):
    symbols = encode(sample)
    assert symbols.dtype == np.int64
    assert all(0 <= s < 256 for s in symbols)
    assert len(symbols) == len(sample.encode("utf-8"))
    assert decode(symbols) == sample


def test_decode_shows_a_broken_byte_sequence_as_replacement():
    assert decode([0x68, 0xC3]) == "h\ufffd"  # the first byte of a two-byte é alone


def test_text_is_told_by_name_or_suffix():
    assert is_text("text") and is_text("notes.txt") and is_text("README.md")
    assert not is_text("digits") and not is_text("data.npz")


def test_split_is_by_position_last_part_held_out():
    symbols = np.arange(100) % 256
    train_part, held = split_text(symbols, 0.2, context=8)
    assert list(train_part) == list(range(80)) and list(held) == list(range(80, 100))


def test_split_refuses_a_text_too_short_for_windows():
    with pytest.raises(TrainingError, match="too few for windows of 17 bytes"):
        split_text(np.arange(40), 0.2, context=16)


def test_held_out_windows_predict_every_byte_once():
    part = torch.arange(1000, 1000 + 35)
    x, y = consecutive_windows(part, 8)
    assert x.shape == y.shape == (4, 8)  # (35 - 1) // 8; a tail of 2 bytes left out
    assert torch.equal(y.reshape(-1), part[1:33])  # each byte after the first, once
    assert torch.equal(x[:, 1:], y[:, :-1])  # targets are the inputs shifted by one


def test_training_windows_are_random_and_inside_the_part():
    part = torch.arange(200)
    draw = window_sampler(part, 10, 20)
    torch.manual_seed(0)
    x, y = draw()
    assert x.shape == y.shape == (20, 10)
    assert torch.equal(y, x + 1) and int(y.max()) < 200  # consecutive bytes of the part
    torch.manual_seed(0)
    assert torch.equal(draw()[0], x)  # the loop's seed decides them
    assert len(set(x[:, 0].tolist())) > 1


def test_unigram_entropy_of_known_texts():
    assert entropy(encode("aabb")) == pytest.approx(math.log(2))
    assert entropy(encode("abcd" * 10)) == pytest.approx(math.log(4))
    assert entropy(encode("aaaa")) == 0.0


def test_unigram_cross_entropy_is_add_one_smoothed():
    # counts a: 2, b: 1, plus one each over 256 symbols: p(b) = 2/259, p(c) = 1/259
    assert unigram_cross_entropy(encode("aab"), encode("b")) == pytest.approx(math.log(259 / 2))
    held = encode("bc")
    expected = (math.log(259 / 2) + math.log(259)) / 2
    assert unigram_cross_entropy(encode("aab"), held) == pytest.approx(expected)


def test_the_packaged_corpus_is_the_docs():
    symbols, note = load_text("text")
    joined = b"\n\n".join((ROOT / "docs" / n).read_bytes().strip() for n in CORPUS) + b"\n"
    assert bytes(symbols.astype(np.uint8)) == joined
    assert "netspec's own docs" in note and f"{len(joined):,} bytes" in note


def test_the_wheel_force_includes_the_corpus():
    text = (ROOT / "pyproject.toml").read_text()
    for name in CORPUS:
        assert f'"docs/{name}" = "netspec/_data/docs/{name}"' in text


# ---- training on text ----------------------------------------------------------------


def test_a_tiny_model_beats_the_unigram_baseline(spec, text):
    result = train(spec, text, **FAST)
    symbols = encode(text.read_text())
    assert result.baseline == pytest.approx(unigram_cross_entropy(symbols[:9600], symbols[9600:]))
    last = result.history[-1]
    assert last.val_loss < result.baseline - 0.3, (last.val_loss, result.baseline)
    assert not result.warnings
    assert last.val_samples == 149 * 16  # every held-out position, (2400 - 1) // 16 windows


def test_train_prints_bits_per_byte_beside_the_baseline(capsys, spec, text, tmp_path):
    code, out, err = run(capsys, "train", spec, "--data", text, "--epochs", "1", "--lr", "0.01",
                         "--checkpoint", tmp_path / "b.pt")  # fmt: skip
    assert code == 0, err
    assert "split by position: the first 9,600 bytes for training, the last 2,400 held out" in out
    assert re.search(r"unigram baseline .*: \d\.\d{4} nats = \d\.\d{4} bits per byte", out)
    assert re.search(r"held-out loss \d\.\d{4} nats = \d\.\d{3} bits per byte \(unigram", out)
    saved = torch.load(tmp_path / "b.pt", weights_only=True)
    assert saved["text"]["tokenizer"] == "bytes" and saved["text"]["context"] == 16


def test_the_same_seed_draws_the_same_windows(spec, tmp_path):
    text = tmp_path / "short.txt"
    text.write_text(sentences(3_000))
    runs = [train(spec, text, epochs=1, quiet=True).history[0] for _ in range(2)]
    assert runs[0].train_loss == runs[1].train_loss and runs[0].val_loss == runs[1].val_loss


def test_gpt_tiny_reads_bytes():
    graph = one_network("gpt_tiny", lowering=True).graph
    assert text_shape(graph) == (64, 256)


# ---- sampling --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained_pair(tmp_path_factory) -> tuple[Path, Path]:
    """A spec and its checkpoint after two epochs, trained once for the sampling tests."""
    folder = tmp_path_factory.mktemp("trained")
    spec, text = folder / "bytes.netspec", folder / "sentences.txt"
    spec.write_text(BYTES_SPEC)
    text.write_text(sentences())
    train(spec, text, checkpoint=folder / "Bytes.pt", **FAST)
    return spec, folder / "Bytes.pt"


@pytest.fixture
def trained(trained_pair) -> Path:
    return trained_pair[1]


@pytest.fixture
def spec(tmp_path: Path, request) -> Path:
    if "trained" in request.fixturenames:  # the spec the checkpoint was trained from
        return request.getfixturevalue("trained_pair")[0]
    path = tmp_path / "bytes.netspec"
    path.write_text(BYTES_SPEC)
    return path


def test_generate_gives_the_length_asked_and_is_seeded(spec, trained):
    graph = one_network(str(spec), lowering=True).graph
    module, shape, _ = load_model(graph, str(trained))
    first = generate(module, shape, b"The network", 40, temperature=1.0, seed=3)
    assert len(first) == 40
    assert generate(module, shape, b"The network", 40, temperature=1.0, seed=3) == first
    assert generate(module, shape, b"The network", 40, temperature=1.0, seed=4) != first
    greedy = generate(module, shape, b"x" * 50, 5, temperature=0)  # cropped to 16 bytes
    assert greedy == generate(module, shape, b"x" * 16, 5, temperature=0)


def test_right_padding_is_exact_for_a_causal_network(spec, trained):
    graph = one_network(str(spec), lowering=True).graph
    module, shape, _ = load_model(graph, str(trained))
    prompt = torch.tensor([list(b"The lay")])
    padded = torch.zeros(1, 16, dtype=torch.int64)
    padded[0, :7] = prompt
    other = padded.clone()
    other[0, 7:] = 101
    with torch.no_grad():
        assert torch.allclose(module(padded)[0, :7], module(other)[0, :7], atol=1e-5)


def test_sample_command_is_deterministic(capsys, spec, trained):
    args = ("sample", trained, "--spec", spec, "--prompt", "The ", "--length", "30", "--seed", 7)
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert out.startswith("The ") and "context 16 bytes" in err
    assert run(capsys, *args)[1] == out
    top1 = run(capsys, "sample", trained, "--spec", spec, "--top-k", "1", "--length", "9")[1]
    greedy = run(capsys, "sample", trained, "--spec", spec, "--temperature", "0", "--length", "9")
    assert top1 == greedy[1]


def test_sample_uses_the_spec_the_checkpoint_records(capsys, spec, trained):
    code, out, err = run(capsys, "sample", trained, "--length", "5")
    assert code == 0, err
    assert len(out.encode("utf-8")) >= 1 + 5  # the newline it starts from, 5 bytes, a newline


def test_sample_refuses_another_architecture(capsys, spec, trained, tmp_path):
    other = tmp_path / "other.netspec"
    other.write_text(BYTES_SPEC.replace("width=32", "width=16"))
    code, _, err = run(capsys, "sample", trained, "--spec", other)
    assert code == 1 and "its weights do not fit" in err and "Traceback" not in err


def test_sample_misuse(capsys, trained):
    with pytest.raises(SystemExit) as exit_:
        main(["sample", str(trained), "--temperature", "-1"])
    assert exit_.value.code == 2
    assert "expected a number >= 0" in capsys.readouterr().err
    assert run(capsys, "sample", "missing.pt")[0] == 1


# ---- specs that cannot read text: positioned errors ------------------------------------


FLOAT_INPUT = """network Flat {
    input x: [N, 16]
    logits = linear(256)
}
"""
WRONG_OUTPUT = """network Last(length=16) {
    input ids: [N, length] int64
    tokens = embedding(256, 8)
    logits = flatten linear(256)
}
"""
SMALL_VOCAB = """network Small {
    input ids: [N, 16] int64
    tokens = embedding(100, 8)
    logits = linear(256)
}
"""
SYMBOLIC = """network Any {
    input ids: [N, L] int64
    logits = embedding(256, 8) linear(256)
}
"""
# a model that reads the byte it is asked for learns to copy it: refused
BIDIRECTIONAL = """network Peek {
    input ids: [N, 16] int64
    x = embedding(256, 8)
    logits = lstm(8, bidirectional=true) linear(256)
}
"""
NOT_CAUSAL = """network Peek {
    input ids: [N, 16] int64
    x = embedding(256, 8)
    logits = attention(2) linear(256)
}
"""


@pytest.mark.parametrize(
    ("source", "line", "says"),
    [
        (FLOAT_INPUT, 2, "the input x is [N, 16] float32"),
        (WRONG_OUTPUT, 4, "but the output logits is [N, 256]"),
        (SMALL_VOCAB, 3, "has vocab 100"),
        (SYMBOLIC, 2, "with L symbolic"),
        (BIDIRECTIONAL, 4, "logits.lstm sees 15 position(s) after its own"),
        (NOT_CAUSAL, 4, "logits.attention sees 15 position(s) after its own"),
    ],
    ids=[
        "float-input",
        "output-not-per-position",
        "small-vocab",
        "symbolic-context",
        "bidirectional",
        "not-causal",
    ],
)
def test_a_spec_that_cannot_read_text_is_a_positioned_error(
    capsys, tmp_path, text, source, line, says
):
    path = tmp_path / "bad.netspec"
    path.write_text(source)
    code, out, err = run(capsys, "train", path, "--data", text)
    assert code == 1 and "Traceback" not in err
    assert err.startswith("error[E-data]: ") and says in err
    assert f"--> {path}:{line}:" in err
    assert re.search(r"^ *\| *\^+", err, re.M) and "= help: " in err


def test_the_error_is_a_compile_error_for_the_api(tmp_path, text):
    path = tmp_path / "bad.netspec"
    path.write_text(FLOAT_INPUT)
    with pytest.raises(CompileError) as caught:
        train(path, text, **FAST)
    assert caught.value.diagnostics[0].code == "E-data"


def test_a_missing_text_file_is_one_line(capsys, spec, tmp_path):
    code, _, err = run(capsys, "train", spec, "--data", tmp_path / "none.txt")
    assert code == 1 and err.startswith("netspec: error: no text file")


# ---- sequence classification from a .npz of token ids ---------------------------------


CLASSIFIER = """network Tagger(vocab=20, length=8) {
    input ids: [N, length] int64
    tokens = embedding(vocab, 8)
    scores = flatten linear(2)
}
"""


@pytest.fixture
def classifier(tmp_path: Path) -> Path:
    path = tmp_path / "tagger.netspec"
    path.write_text(CLASSIFIER)
    return path


def ids_npz(path: Path, x=None, y=None) -> Path:
    """Class 1 where the first id is 10 or more."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 20, (300, 8)) if x is None else x
    y = (x[:, 0] >= 10).astype(np.int64) if y is None else y
    np.savez(path, x=x, y=y)
    return path


def test_sequence_classification_from_token_ids(classifier, tmp_path):
    result = train(classifier, ids_npz(tmp_path / "ids.npz"), epochs=8, lr=0.03, quiet=True)
    assert result.val_accuracy >= 0.9
    assert result.baseline is None


@pytest.mark.parametrize(
    ("x", "options", "says"),
    [
        (np.zeros((300, 8), np.float32), {}, "takes int64 token ids, but x holds float32"),
        (np.zeros((300, 6), np.int64), {}, "never resized or padded: give x as [samples, 8]"),
        (np.full((300, 8), 25), {}, "range from 25 to 25, but the input ids [N, 8] is read by"),
        (np.full((300, 8), -1), {}, "cannot be negative"),
        (np.zeros((300, 8), np.int64), {"standardize": True}, "token ids are indices"),
    ],
    ids=["float-ids", "other-length", "beyond-vocab", "negative", "standardize"],
)
def test_token_ids_that_do_not_fit_are_refused(classifier, tmp_path, x, options, says):
    data = ids_npz(tmp_path / "bad.npz", x, np.zeros(300, np.int64))
    with pytest.raises(TrainingError) as caught:
        train(classifier, data, **FAST, **options)
    assert says in str(caught.value)


def test_ids_beyond_the_vocab_suggest_the_parameter(classifier, tmp_path):
    data = ids_npz(tmp_path / "bad.npz", np.full((300, 8), 25), np.zeros(300, np.int64))
    with pytest.raises(TrainingError, match=r"--set vocab=26"):
        train(classifier, data, **FAST)


def test_sample_refuses_a_classifier_with_a_positioned_error(capsys, classifier, tmp_path):
    saved = tmp_path / "Tagger.pt"
    train(classifier, ids_npz(tmp_path / "ids.npz"), epochs=1, quiet=True, checkpoint=saved)
    code, _, err = run(capsys, "sample", saved)
    assert code == 1 and err.startswith("error[E-data]: ") and "Traceback" not in err
    assert "the embedding reading the input has vocab 20" in err  # checked before the output
    assert f"--> {classifier}:3:" in err


def test_text_is_cross_entropy_only(capsys, spec, text):
    code, _, err = run(capsys, "train", spec, "--data", text, "--loss", "mse")
    assert code == 1 and "--loss mse does not apply to text" in err and "Traceback" not in err


def test_a_tiny_temperature_takes_the_likeliest_byte(spec, trained):
    graph = one_network(str(spec), lowering=True).graph
    module, shape, _ = load_model(graph, str(trained))
    greedy = generate(module, shape, b"The ", 12, temperature=0.0, seed=0)
    assert generate(module, shape, b"The ", 12, temperature=1e-320, seed=0) == greedy
