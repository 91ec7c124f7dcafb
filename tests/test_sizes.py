"""`netspec sizes --up-to N`: the input sizes a network accepts over a range, each elaborated
and judged one by one (issue 15, item 3, the brute force; tests/test_accepted.py has the
exact answer): AlexNet at its checkpoints; EfficientNet-B0,
ResNet-18 and U-Net (multiples of 16) with checkpoints in the input's sizes; agreement
with PyTorch on a network without checkpoints (netspec refuses exactly the sizes torch
cannot run; a concat, since torch's add would broadcast a 1x1 map where netspec refuses
the mismatch).
"""

from __future__ import annotations

import pytest

from netspec.analysis.sizes import progressions, sweep
from netspec.api import parse
from netspec.cli.main import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["sizes", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_alexnet_accepts_227_to_230_and_says_why_not_224(capsys):
    code, out, _ = run(capsys, "alexnet", "--near", "224", "--up-to", "300")
    assert code == 0
    assert "accepted: 227-230 (4 sizes)" in out and "nearest to 224: 227" in out
    assert "224 is refused: E-checkpoint at line 26: shape checkpoint failed: the statement "
    assert "gives [N, 96, 54, 54], the checkpoint says [N, 96, 55, 55]" in out
    code, out, _ = run(capsys, "alexnet", "--exact", "--up-to", "300")
    assert "accepted: 227 (1 size)" in out
    assert "228-230: W-floor at line 26" in out


@pytest.mark.parametrize(
    ("spec", "accepted"),
    [
        ("efficientnet_b0", "accepted: 32-512 step 32 (16 sizes)"),
        ("resnet18", "accepted: 32-512 step 32 (16 sizes)"),
        ("unet", "accepted: 16-512 step 16 (32 sizes)"),
    ],
)
def test_zoo_specs(capsys, spec, accepted):
    code, out, _ = run(capsys, spec, "--up-to", "512")
    assert code == 0 and accepted in out


def test_one_axis_the_others_as_declared(capsys):
    code, out, _ = run(capsys, "resnet18", "--axis", "w", "--up-to", "100")
    assert "input image [N, 3, 224, s] (W = s)" in out
    assert "accepted: 32-96 step 32 (3 sizes)" in out


NO_CHECKPOINTS = """network Small {
    input x: [N, 3, 20, 20]
    stem = conv(8, 5, stride=2) relu
    concat {
        maxpool(2) conv(8, 3, padding=1)
      | conv(8, 1, stride=2)
    }
}
"""


def test_accepted_exactly_where_pytorch_runs():
    torch = pytest.importorskip("torch")
    from netspec.api import check_text
    from netspec.backends.torch.to_torch import to_torch

    module = parse(NO_CHECKPOINTS)
    verdicts = sweep(module, "Small", "x", ("N", 3, 20, 20), (2, 3), range(1, 41))
    [analysis] = check_text(NO_CHECKPOINTS)
    model = to_torch(analysis.graph, seed=0).eval()  # sizes do not change the weights
    for v in verdicts:
        try:
            with torch.no_grad():
                model(torch.zeros(1, 3, v.size, v.size))
            runs = True
        except RuntimeError:
            runs = False
        assert runs == (not v.reason), (v.size, v.reason, v.message)
    assert any(not v.reason for v in verdicts) and any(v.reason for v in verdicts)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["lenet5", "--up-to", "0"], "--up-to must be between 1 and"),
        (["lenet5", "--axis", "Q"], "--axis Q: the input's spatial axes are H, W"),
        (["lenet5", "--input", "y"], "no input 'y' in LeNet5; its inputs: image"),
        (["lenet5", "--input-shape", "image=[1,1,32,32]"], "--input-shape does not go"),
    ],
)
def test_misuse(capsys, args, says):
    code, _, err = run(capsys, *args)
    assert code == 2 and says in err, err


def test_an_input_without_spatial_axes_is_misuse(capsys, tmp_path):
    spec = tmp_path / "v.netspec"
    spec.write_text("network V {\n    input x: [N, 8]\n    linear(2)\n}\n")
    code, _, err = run(capsys, str(spec))
    assert code == 2 and "the input [N, 8] has no spatial axis to vary" in err


def test_nothing_accepted_is_exit_1(capsys):
    code, out, _ = run(capsys, "lenet5", "--up-to", "20")
    assert code == 1 and "accepted: none in this range" in out


def test_progressions():
    assert progressions([1, 2, 3, 5, 9, 13, 17, 20]) == [(1, 3, 1), (5, 17, 4), (20, 20, 1)]
    assert progressions([32, 64]) == [(32, 32, 1), (64, 64, 1)]
    assert progressions([]) == []
