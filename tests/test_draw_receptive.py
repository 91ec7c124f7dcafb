"""`netspec draw SPEC --receptive-field LAYER`: the drawn rectangle against the reference
fields, read back from the SVG; unknown fields and names; and `netspec draw SPEC` (the
network diagram, another module's picture) written through the command.

The field rectangle's position is converted back to input cells with the drawn input's
own width (input cells per pixel), so a picture that put the field anywhere else fails.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from netspec.api import one_network
from netspec.cli.main import main
from netspec.teach.figures.receptive import ChoiceError, field_view, find_layer


def draw(tmp_path, *argv: str, name: str = "rf.svg") -> tuple[int, object]:
    out = tmp_path / name
    return main(["draw", *argv, "-o", str(out)]), out


def box(root, name: str) -> tuple[float, float, float, float]:
    (element,) = [e for e in root.iter() if e.get("class") == name]
    return tuple(float(element.get(k)) for k in ("x", "y", "width", "height"))


def words(root) -> str:
    """The picture's text, wrapped lines joined by single spaces."""
    return " ".join("".join(root.itertext()).split())


def drawn_field(path, input_size: int, name: str = "field") -> tuple[float, float, float, float]:
    """The rectangle `name` in input cells: (row start, col start, rows, cols)."""
    root = ET.parse(path).getroot()
    ix, iy, iw, ih = box(root, "input-area")
    u = iw / input_size
    assert ih / input_size == pytest.approx(u)
    x, y, w, h = box(root, name)
    return ((y - iy) / u, (x - ix) / u, h / u, w / u)


def lenet_fields() -> dict[str, tuple[int, int]]:
    """(r, S) after each LeNet-5 layer by the notes' recurrence r' = r + (k - 1) j, j' = j s
    (LeCun et al. 1998: 5x5 convolutions, 2x2 subsampling, no padding)."""
    r, j, out = 1, 1, {}
    for name, k, s in (("C1", 5, 1), ("S2", 2, 2), ("C3", 5, 1), ("S4", 2, 2), ("C5", 5, 1)):
        r, j = r + (k - 1) * j, j * s
        out[name] = (r, j)
    return out


@pytest.mark.parametrize(
    ("layer", "side"), [("C1.conv", 28), ("S2", 14), ("C3.conv", 10), ("S4", 5), ("C5", 1)]
)
def test_lenet5_fields_are_drawn_where_they_are(tmp_path, layer, side):
    code, out = draw(tmp_path, "lenet5", "--receptive-field", layer)
    assert code == 0
    r, s = lenet_fields()[layer.split(".")[0]]
    centre = (side - 1) // 2
    assert drawn_field(out, 32) == pytest.approx((centre * s, centre * s, r, r))
    if side > 1:  # the neighbour one unit to the right, S cells further
        assert drawn_field(out, 32, "neighbour-field") == pytest.approx(
            (centre * s, (centre + 1) * s, r, r)
        )
    text = words(ET.parse(out).getroot())
    assert f"r = {r}, S = {s}, P = 0" in text


def test_vgg16_after_pool5(tmp_path):
    """r = 212, S = 32, P = 90 (Araujo et al.); unit x sees [32 x - 90, 32 x + 121]."""
    code, out = draw(tmp_path, "vgg16", "--receptive-field", "stage5.maxpool1")
    assert code == 0
    assert drawn_field(out, 224) == pytest.approx((3 * 32 - 90, 3 * 32 - 90, 212, 212))
    assert drawn_field(out, 224, "neighbour-field") == pytest.approx((6, 38, 212, 212))
    text = words(ET.parse(out).getroot())
    assert "r = 212, S = 32, P = 90" in text and "rows 6 to 217" in text
    code, out = draw(tmp_path, "vgg16", "--receptive-field", "stage5", "--unit", "0,0")
    assert drawn_field(out, 224) == pytest.approx((-90, -90, 212, 212))
    root = ET.parse(out).getroot()
    assert [e for e in root.iter() if e.get("class") == "field-on-padding"]
    assert "90 of its rows and 90 of its cols are padding" in words(root)


def test_the_png_is_the_same_picture(tmp_path):
    image = pytest.importorskip("PIL.Image")
    code, svg = draw(tmp_path, "lenet5", "--receptive-field", "C3.conv")
    code, png = draw(tmp_path, "lenet5", "--receptive-field", "C3.conv", name="rf.png")
    assert code == 0
    width = float(ET.parse(svg).getroot().get("width"))
    with image.open(png) as im:
        assert im.width == round(2 * width)  # drawn at twice the SVG's size


def test_layer_names_statements_and_blocks():
    a = one_network("resnet18")
    assert find_layer(a, "layer4").path == a.layers[a.statement("layer4").layers[-1]].path
    assert find_layer(a, "layer1.basic1").path == "layer1.basic1.relu1"  # the block's output
    assert find_layer(a, "layer1.basic1.add1.0.conv2").op == "conv"
    with pytest.raises(ChoiceError, match="did you mean layer4"):
        find_layer(a, "layer44")


def test_unknown_names_and_units_are_misuse(tmp_path, capsys):
    code, out = draw(tmp_path, "lenet5", "--receptive-field", "C33")
    assert code == 2 and "did you mean C3" in capsys.readouterr().err
    code, out = draw(tmp_path, "lenet5", "--receptive-field", "C3", "--unit", "10,0")
    assert code == 2 and "outside C3's 10x10 output" in capsys.readouterr().err
    code, out = draw(tmp_path, "lenet5", "--receptive-field", "F6", "--unit", "1,1")
    assert code == 2 and "no spatial positions" in capsys.readouterr().err
    assert not out.exists()


def test_an_unknown_field_is_said_not_drawn(tmp_path, capsys):
    spec = tmp_path / "strides.netspec"
    spec.write_text(
        "network Strides {\n    input x: [N, 3, 32, 32]\n"
        "    s = add { maxpool(2) | conv(3, 17) }\n    t = conv(8, 3, padding=1)\n}\n"
    )
    code, out = draw(tmp_path, str(spec), "--receptive-field", "t")
    err = capsys.readouterr().err
    assert code == 1 and "no known receptive field" in err and "W-rf-stride (line 3)" in err
    assert not out.exists()
    spec.write_text("network Flat {\n    input x: [N, 10]\n    h = linear(4)\n}\n")
    code, out = draw(tmp_path, str(spec), "--receptive-field", "h")
    assert code == 1 and "no input with concrete spatial axes" in capsys.readouterr().err


def test_a_layer_without_spatial_axes_sees_the_whole_field(tmp_path):
    view = field_view(one_network("lenet5"), "F6")
    assert view.output_size is None and view.neighbour is None
    code, out = draw(tmp_path, "lenet5", "--receptive-field", "F6")
    assert drawn_field(out, 32) == pytest.approx((0, 0, 32, 32))


def test_spec_errors_are_printed_as_compile_errors(tmp_path, capsys):
    spec = tmp_path / "bad.netspec"
    spec.write_text("network B {\n    input x: [N, 1, 8, 8]\n    y = conv(2, 9)\n}\n")
    code, out = draw(tmp_path, str(spec), "--receptive-field", "y")
    err = capsys.readouterr().err
    assert code == 1 and "error[" in err and "Traceback" not in err


def test_the_network_diagram_is_written_as_the_diagram_module_draws_it(tmp_path):
    from netspec.teach.diagram.render import network_svg

    code, out = draw(tmp_path, "lenet5", "--depth", "1", name="net.svg")
    assert code == 0
    assert out.read_text() == network_svg(one_network("lenet5"), depth=1)
    ET.parse(out)  # well-formed
