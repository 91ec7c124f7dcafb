"""The exact set of accepted input sizes (issue 15, item 3): the reference cases (AlexNet
227-230, ResNet-50 at its checkpoints and without them, U-Net's multiples of 16 with the
failing merge named), agreement with brute force on every zoo spec, one axis at a time,
over 1..256 (1..1024 with NETSPEC_SLOW=1), and with PyTorch at sampled sizes.
"""

from __future__ import annotations

import os

import pytest

from netspec.analysis.accepted import accepted_sizes
from netspec.analysis.sizes import sweep
from netspec.api import check_text, load, one_network, parse
from netspec.cli.main import main
from netspec.report.accepted import describe
from netspec.zoo import zoo_names
from tests.conftest import ROOT

BRUTE = 1024 if os.environ.get("NETSPEC_SLOW") == "1" else 256


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(["sizes", *args])
    return code, capsys.readouterr().out


def test_alexnet_227_to_230_and_224_refused_with_the_reason(capsys):
    code, out = run(capsys, "alexnet", "--near", "224")
    assert code == 0
    assert "every size s from 1 to 2^53" in out
    assert "accepted: 227-230 (4 sizes)" in out and "smallest: 227" in out
    assert "nearest to 224: 227" in out
    assert "224 is refused: E-checkpoint at line 26: shape checkpoint failed: the statement "
    assert "gives [N, 96, 54, 54], the checkpoint says [N, 96, 55, 55]" in out
    assert "(exact: 5 symbolic elaborations" in out
    code, out = run(capsys, "alexnet", "--exact")
    assert "accepted: 227 (1 size)" in out
    assert "  228-230: W-floor at line 26" in out


def test_resnet50_at_its_checkpoints_and_without_them(capsys):
    code, out = run(capsys, "resnet50")
    assert "accepted: 221-224 (4 sizes)" in out  # the numbers of LANGUAGE.md's checkpoints
    code, out = run(capsys, "resnet50", "--ignore-checkpoints")
    assert "accepted: 1-262144 (262,144 sizes)" in out and "smallest: 1" in out
    # above 2^18, the stem's output passes the limit on a tensor's elements
    assert "262145-605395: E-limit at line 42" in out


def test_unet_wants_multiples_of_16_and_names_the_merge(capsys):
    code, out = run(capsys, "unet", "--near", "100")
    assert "accepted: 16-92672 step 16 (5,792 sizes)" in out
    assert "period: 16 (s mod 16 in {0} from 16 to 92672)" in out
    assert "nearest to 100: 96" in out
    assert (
        "100 is refused: E-shape at line 37: concat on dim 1: shapes [N, 256, 24, 24] and "
        "[N, 256, 25, 25] differ outside dim 1"
    ) in out
    # odd sizes fail at the last skip, 2 mod 4 at the one before, ...
    assert "  17-131057 step 16, " not in out
    assert ": E-shape at line 39" in out and ": E-shape at line 36" in out


def test_one_axis(capsys):
    code, out = run(capsys, "resnet18", "--axis", "W")
    assert "input image [N, 3, 224, s] (W = s)" in out
    assert "accepted: 32-" in out and "step 32" in out


def test_a_structure_computed_from_the_size_falls_back_to_the_range(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("netspec.analysis.accepted.MAX_PATHS", 5)  # 100 sizes a region
    spec = tmp_path / "r.netspec"
    spec.write_text(
        "network R {\n    input x: [N, 3, 32, 32]\n    repeat x.h // 100 {\n"
        "        conv(3, 1)\n    }\n}\n"
    )
    code = main(["sizes", str(spec)])
    captured = capsys.readouterr()
    assert code == 0
    assert "not exact for R" in captured.err and "s from 1 to 512" in captured.out


def test_a_spec_refused_at_its_declared_size_is_still_analysed(capsys):
    code = main(
        ["sizes", str(ROOT / "examples/exercises/09_unet_size_100.netspec"), "--near", "100"]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert "SmallUNet is refused at its declared size (E-shape at line 14)" in captured.err
    assert "accepted: 8-262144 step 8" in captured.out and "nearest to 100: 96, 104" in captured.out


def _job(spec: str):
    source = load(spec)
    graph = one_network(source, None, None).graph
    name, tensor = graph.inputs[0]
    return parse(source), graph.name, name, graph.shape(tensor)


ZOO = [s for s in zoo_names() if len(_job(s)[3]) >= 3]


@pytest.mark.parametrize("spec", ZOO)
def test_exact_agrees_with_brute_force(spec):
    """H alone with the checkpoints; W alone refusing dropped rows (--exact)."""
    module, network, name, declared = _job(spec)
    for axis, symbol, exact in ((2, "H", False), (3, "W", True)):
        if axis >= len(declared):
            continue
        answer = accepted_sizes(module, network, name, declared, (axis,), symbol, exact=exact)
        assert answer.complete, answer.why
        verdicts = sweep(module, network, name, declared, (axis,), range(1, BRUTE + 1), exact=exact)
        brute = [v.size for v in verdicts if not v.reason]
        assert brute == answer.accepted.members(1, BRUTE), (spec, symbol)
        # each region's reason is the first problem brute force meets there
        for region in answer.regions:
            for v in verdicts:
                if v.size in region.sizes:
                    assert v.reason == region.reason, (spec, v.size)


SMALL = """network Small {
    input x: [N, 3, 20, 20]
    stem = conv(8, 5, stride=2) relu
    concat {
        maxpool(2) conv(8, 3, padding=1)
      | conv(8, 1, stride=2)
    }
    maxpool(3, stride=2, ceil_mode=true)
    upsample(2) conv(4, 3, stride=3, padding=1, dilation=2)
}
"""


def test_exact_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    from netspec.backends.torch.to_torch import to_torch

    answer = accepted_sizes(parse(SMALL), "Small", "x", ("N", 3, 20, 20), (2, 3), "s")
    [analysis] = check_text(SMALL)
    model = to_torch(analysis.graph, seed=0).eval()
    for size in range(1, 61):
        try:
            with torch.no_grad():
                model(torch.zeros(1, 3, size, size))
            runs = True
        except RuntimeError:
            runs = False
        assert runs == (size in answer.accepted), size
    # the branches agree when the stem's output is even: period 4
    assert describe(answer.accepted) == "19-605395 with s mod 4 in {0, 3}"


def test_resnet50_without_checkpoints_runs_in_pytorch_where_accepted():
    torch = pytest.importorskip("torch")
    from netspec.backends.torch.to_torch import to_torch

    module, network, name, declared = _job("resnet50")
    answer = accepted_sizes(module, network, name, declared, (2, 3), "s", checkpoints=False)
    assert answer.accepted.smallest() == 1
    model = to_torch(one_network(load("resnet50"), None, None).graph, seed=0).eval()
    for size in (1, 7, 33, 97):
        assert size in answer.accepted
        with torch.no_grad():
            assert model(torch.zeros(1, 3, size, size)).shape == (1, 1000)


def test_a_named_size_is_the_one_varied(capsys, tmp_path):
    """[N, L, 64]: the sequence length L is varied, not the features; a spec's named
    H with --axis W keeps H at the size its formulas were traced at."""
    spec = tmp_path / "seq.netspec"
    spec.write_text("network Seq {\n    input x: [N, L, 64]\n    linear(128) gelu linear(64)\n}\n")
    code, out = run(capsys, str(spec))
    assert code == 0 and "input x [N, s, 64] (L = s)" in out and "smallest: 1" in out
    spec.write_text(
        "network Sym {\n    input x: [N, 3, H, W]\n    conv(8, 3, stride=2, padding=1)\n}\n"
    )
    code, out = run(capsys, str(spec), "--axis", "W")
    assert code == 0 and "input x [N, 3, 224, s] (W = s)" in out
