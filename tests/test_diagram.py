"""The network diagram as SVG (netspec.teach.diagram.render.network_svg), read back with
xml.etree: one box per statement with the analysis's shapes and parameter counts, no
overlapping boxes, edges from border to border, and the limits."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest

from netspec.api import check_text, one_network
from netspec.teach.diagram.render import MAX_BOXES, DiagramError, network_svg
from netspec.teach.diagram.style import PAD_X, text_width
from netspec.units import si
from netspec.values import show_shape

NS = {"s": "http://www.w3.org/2000/svg"}
ROOT = Path(__file__).resolve().parent.parent


@cache
def analysis(name: str):
    return one_network(name)


@cache
def drawing(name: str, depth: int = 0) -> ET.Element:
    svg = network_svg(analysis(name), depth=depth)
    root = ET.fromstring(svg)  # well-formed, or this raises
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def boxes(root) -> dict[str, tuple[ET.Element, tuple[float, float, float, float]]]:
    out = {}
    for g in root.iterfind(".//s:g[@class='box']", NS):
        r = g.find("s:rect", NS)
        x, y, w, h = (float(r.get(k)) for k in ("x", "y", "width", "height"))
        out[g.get("data-key")] = (g, (x, y, x + w, y + h))
    return out


def texts(element) -> list[str]:
    return [t.text or "" for t in element.iterfind(".//s:text", NS)]


CASES = [("lenet5", 0), ("resnet18", 0), ("resnet18", 1), ("googlenet", 1), ("unet", 0)]


@pytest.mark.parametrize(("name", "depth"), [("lenet5", 0), ("resnet18", 0), ("unet", 0)])
def test_one_box_per_statement_with_its_shape_and_parameters(name, depth):
    a = analysis(name)
    found = boxes(drawing(name, depth))
    statements = {s.name: s for s in a.statements}
    inputs = {f"input:{n}" for n, _ in a.graph.inputs}
    outputs = {f"output:{n}" for n, _ in a.graph.outputs}
    assert set(found) == set(statements) | inputs | outputs
    for name_, s in statements.items():
        shown = texts(found[name_][0])
        assert name_ in shown and show_shape(s.output_shape) in shown
        if s.counts.params:
            assert f"{si(s.counts.params)} params" in shown


def test_lenet5_boxes_carry_the_notes_figures():
    found = boxes(drawing("lenet5"))
    c1 = texts(found["C1"][0])
    # notes 001: C1 has (5*5+1)*6 = 156 parameters and 28x28 maps from a 5x5 window
    assert c1 == ["C1", "conv · scaled_tanh", "5x5 /1", "[N, 6, 28, 28]", "156 params"]
    assert texts(found["F6"][0])[-1] == "10,164 params"  # (120 + 1) * 84
    labels = texts(drawing("lenet5").find(".//s:g[@class='shapes']", NS))
    assert labels[:2] == ["6×28×28", "6×14×14"]  # shapes on the edges where they change


@pytest.mark.parametrize(("name", "depth"), CASES)
def test_no_two_boxes_overlap_and_text_fits(name, depth):
    found = boxes(drawing(name, depth))
    rects = [r for _, r in found.values()]
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    for g, (x0, y0, x1, y1) in found.values():
        for t in g.iterfind("s:text", NS):
            assert y0 < float(t.get("y")) < y1
            width = text_width(t.text, float(t.get("font-size")), t.get("font-weight") == "bold",
                               "Mono" in (t.get("font-family") or ""))  # fmt: skip
            assert width <= x1 - x0 - 2 * PAD_X + 0.2, t.text  # the rect is rounded to 0.1


def _points(d: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", d)]


@pytest.mark.parametrize(("name", "depth"), CASES)
def test_every_edge_runs_from_a_bottom_border_to_a_top_border(name, depth):
    root = drawing(name, depth)
    found = boxes(root)
    paths = root.findall(".//s:g[@class='edges']/s:path", NS)
    assert paths
    for p in paths:
        points = _points(p.get("d"))
        (sx, sy), (tx, ty) = points[0], points[-1]
        x0, _, x1, bottom = found[p.get("data-source")][1]
        assert sy == pytest.approx(bottom, abs=0.11) and x0 < sx < x1
        x0, top, x1, _ = found[p.get("data-target")][1]
        assert ty == pytest.approx(top, abs=0.11) and x0 < tx < x1
    heads = root.find(".//s:path[@class='arrowheads']", NS).get("d")
    assert heads.count("Z") == len(paths)


def test_merges_are_drawn_with_all_their_inputs():
    root = drawing("googlenet", 1)
    into = [p.get("data-source") for p in root.iterfind(".//s:g[@class='edges']/s:path", NS)
            if p.get("data-target") == "inception3a.concat1"]  # fmt: skip
    assert sorted(s.split(".")[2] for s in into) == ["0", "1", "2", "3"]
    unet = drawing("unet", 0)
    skips = {(p.get("data-source"), p.get("data-target"))
             for p in unet.iterfind(".//s:g[@class='edges']/s:path", NS)}  # fmt: skip
    assert {(f"enc{i}", f"dec{i}") for i in (1, 2, 3, 4)} <= skips


def test_title_and_legend():
    root = drawing("resnet18", 1)
    head = texts(root)[:3]
    assert head[0] == "ResNet18(classes=1000)"
    assert "input image [N, 3, 224, 224]" in head[1]
    assert "11,689,512 (11.7 M) parameters" in head[1]  # the spec's torchvision figure
    assert "1,814,073,344 (1.81 G) multiply-adds" in head[1]
    legend = texts(root.find(".//s:g[@class='legend']", NS))
    assert legend == ["convolution", "pooling", "normalisation", "activation", "linear",
                      "block / statement", "reshape, dropout", "input / output"]  # fmt: skip


def test_too_many_boxes_names_a_depth_that_fits():
    spec = "network Long {\n    input x: [N, 8]\n    repeat %d {\n        relu\n    }\n}\n"
    (long,) = check_text(spec % (MAX_BOXES + 1))
    assert network_svg(long, depth=0).startswith("<?xml")
    with pytest.raises(DiagramError, match=r"depth 1 would be 601 boxes.*use --depth 0 \(1 box\)"):
        network_svg(long, depth=1)
    with pytest.raises(DiagramError, match="0 or more"):
        network_svg(long, depth=-1)


@pytest.mark.parametrize(("name", "depth"), [("resnet101", 2), ("densenet121", 1)])
def test_large_networks_draw_quickly(name, depth):
    a = analysis(name)
    start = time.perf_counter()
    svg = network_svg(a, depth=depth)
    assert time.perf_counter() - start < 2.5  # about 0.2 s and 0.05 s on a laptop
    assert len(boxes(ET.fromstring(svg))) > 40


def test_drawing_imports_neither_torch_nor_onnx():
    code = (
        "import sys\nfrom netspec.api import one_network\n"
        "from netspec.teach.diagram.render import network_svg\n"
        "network_svg(one_network('lenet5'))\n"
        "print(sorted(m for m in ('torch', 'onnx', 'PIL') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# The examples in docs/diagrams.md: rewritten with --update-goldens after a deliberate
# change, so the documentation never shows an older drawing than netspec makes.
EXAMPLES = {
    "lenet5.svg": ("lenet5", 0),
    "resnet18_depth1.svg": ("resnet18", 1),
    "resnet18_depth2.svg": ("resnet18", 2),
    "googlenet_depth1.svg": ("googlenet", 1),
    "unet.svg": ("unet", 0),
}


@pytest.mark.parametrize("file", sorted(EXAMPLES))
def test_documentation_examples_are_current(file, update_goldens):
    name, depth = EXAMPLES[file]
    path = ROOT / "docs" / "pictures" / file
    svg = network_svg(analysis(name), depth=depth)
    if update_goldens:
        path.write_text(svg)
    assert path.read_text() == svg, f"{file} is stale: run pytest --update-goldens"
    assert len(svg) < 150_000  # small enough to keep in the repository


def _draw(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "netspec", "draw", *args], capture_output=True, text=True
    )


def test_netspec_draw_writes_the_network_diagram(tmp_path):
    out = tmp_path / "net.svg"
    run = _draw("resnet18", "-o", str(out), "--depth", "2")
    assert run.returncode == 0, run.stderr
    assert out.read_text() == network_svg(analysis("resnet18"), depth=2)
    found = boxes(ET.parse(out).getroot())
    assert {"layer1.basic1.add1", "layer1.basic1.add1.0.conv1", "input:image"} <= set(found)


def test_netspec_draw_refuses_a_diagram_too_large_in_one_line(tmp_path):
    spec = tmp_path / "long.netspec"
    spec.write_text(
        "network Long {\n    input x: [N, 8]\n    repeat 700 {\n        relu\n    }\n}\n"
    )
    out = tmp_path / "net.svg"
    run = _draw(str(spec), "-o", str(out), "--depth", "1")
    assert run.returncode == 2 and not out.exists()
    (line,) = run.stderr.strip().splitlines()
    assert "700 boxes" in line and "--depth 0" in line and "Traceback" not in run.stderr
