"""`--input-shape NAME=[DIMS]` and `input_shapes=` (issue 15, item 1): an input checked at
another shape than the spec declares, for check, diff (both sides, or B's only), build,
export, explain and draw; the declared shape's symbols (N) bound to the sizes given.
"""

from __future__ import annotations

import json

import pytest

from netspec.api import check, check_text
from netspec.cli.main import main
from netspec.errors import CompileError

RESNET18_AT_128 = 592_695_296  # issue 15's reference figure


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_resnet18_at_128_through_the_api_and_the_command_line(capsys):
    [a] = check("resnet18", input_shapes={"image": (1, 3, 128, 128)})
    assert a.totals.macs == RESNET18_AT_128
    assert a.statement("layer4").output_shape == (1, 512, 4, 4)
    code, out, _ = run(capsys, "check", "resnet18", "--input-shape", "image=[1,3,128,128]",
                       "--format", "json")  # fmt: skip
    network = json.loads(out)["networks"][0]
    assert code == 0 and network["totals"]["macs"] == RESNET18_AT_128
    assert network["inputs"] == {"image": [1, 3, 128, 128]}
    [default] = check("resnet18")
    assert default.totals.macs == 1_814_073_344  # the declared 224 is unchanged


def test_a_declared_symbol_takes_the_size_given():
    text = (
        "network T {\n    input x: [N, 4, 8, 8]\n    input y: [N, 10]\n"
        "    conv(4, 3, padding=1) -> [N, 4, 8, 8]\n    reshape([N, -1]) linear(10) add(y)\n}\n"
    )
    [a] = check_text(text, input_shapes={"x": (2, 4, 8, 8)})
    assert a.graph.shape(dict(a.graph.inputs)["y"]) == (2, 10)  # y's N is x's 2
    assert a.statements[-1].output_shape == (2, 10)
    [b] = check_text(text, input_shapes={"x": ("B", 4, 8, 8)})  # another symbol
    assert b.statements[0].output_shape == ("B", 4, 8, 8)


@pytest.mark.parametrize(
    ("shapes", "says", "hint"),
    [
        ({"img": (1, 3, 64, 64)}, "--input-shape names 'img', which is no input of ResNet18",
         "did you mean 'image'?"),
        ({"image": (1, 3, 64)}, "3 sizes given, and the spec declares [N, 3, 224, 224]",
         "one size per declared axis"),
        ({"image": (1, 0, 64, 64)}, "sizes are positive integers or names, got 0", "e.g."),
        ({"image": (1, 3, 130, 130)}, "image.h / 4 = 32.5", "division is exact"),
    ],
)  # fmt: skip
def test_mistakes_are_positioned_errors(shapes, says, hint):
    with pytest.raises(CompileError) as caught:
        check("resnet18", input_shapes=shapes)
    [diag] = caught.value.diagnostics
    assert says in diag.message and hint in diag.help[0], (diag.message, diag.help)
    assert diag.span is not None


@pytest.mark.parametrize(
    "value", ["image", "image=1,3,8,8", "image=[1,3,x y]", "image=[1,-3]", "=[1]", "image=[]"]
)
def test_a_malformed_option_is_misuse(capsys, value):
    code, _, err = run(capsys, "check", "lenet5", "--input-shape", value)
    assert code == 2 and "--input-shape" in err and "Traceback" not in err


def test_diff_both_sides_or_b_only(capsys):
    code, out, _ = run(capsys, "diff", "resnet18", "resnet18", "--format", "json",
                       "--input-shape-b", "image=[1,3,128,128]")  # fmt: skip
    [pair] = json.loads(out)["diff"]
    assert code == 0 and pair["totals"]["b"]["cost"] == RESNET18_AT_128
    assert pair["totals"]["a"]["cost"] == 1_814_073_344


def test_build_export_explain_and_draw_take_it(capsys, tmp_path):
    shape = ["--input-shape", "image=[1,3,128,128]"]
    code, out, _ = run(capsys, "build", "resnet18", *shape, "-o", str(tmp_path / "r.py"))
    assert code == 0, out
    code, out, _ = run(capsys, "explain", "resnet18", "layer4.basic2.relu1", *shape)
    assert code == 0 and "[1, 512, 4, 4]" in out
    code, out, _ = run(capsys, "draw", "resnet18", *shape, "-o", str(tmp_path / "r.svg"))
    assert code == 0 and "[1, 512, 4, 4]" in (tmp_path / "r.svg").read_text()
    pytest.importorskip("onnx")
    code, out, err = run(capsys, "export", "resnet18", *shape, "-o", str(tmp_path / "r.onnx"))
    assert code == 0, err
    import onnx

    dims = onnx.load(tmp_path / "r.onnx").graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [1, 3, 128, 128]


@pytest.mark.parametrize("command", ["explain", "draw"])
def test_the_calculators_refuse_it(capsys, command):
    out = ["-o", "x.svg"] if command == "draw" else []
    code, _, err = run(capsys, command, "conv", "--input", "5", "--kernel", "3",
                       "--input-shape", "x=[1,1,5,5]", *out)  # fmt: skip
    assert code == 2 and "--input-shape" in err


# torchvision 0.28's models at [1, 3, 256, 256], torch.utils.flop_counter's total halved
# (measured on this machine with torchvision loaded beside the CPU torch, register_fake
# stubbed, as tools/modern_zoo_figures.py does): the zoo specs whose checkpoints are
# written in the input's sizes check at another size and agree.
AT_256 = {
    "mobilenet_v3_large": 281_663_360,
    "efficientnet_b0": 503_337_472,
    "convnext_tiny": 5_819_234_304,
    "densenet121": 3_701_448_704,
}


@pytest.mark.parametrize("name", sorted(AT_256))
def test_zoo_specs_at_256_equal_torchvision(name):
    [a] = check(name, input_shapes={"image": (1, 3, 256, 256)})
    assert a.totals.macs == AT_256[name]
