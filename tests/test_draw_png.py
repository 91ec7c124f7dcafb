"""Pictures where people want them: the network diagram as PNG and PDF, connectors that
end on their output cell, a legend for the grey taps, titles wrapped between phrases, and
animations of many frames that loop in under a minute.

The PNG is read back with Pillow and compared with the SVG's own geometry (a box's
border and fill at the place the SVG puts it); the convolution pictures are read back
from the SVG, as tests/test_draw.py does.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET

import pytest

from netspec.api import one_network
from netspec.cli.main import main
from netspec.teach.diagram.render import network_svg
from netspec.teach.figures import conv, geometry
from netspec.teach.figures.conv_text import title_lines
from netspec.teach.figures.scene import GLUE
from netspec.teach.question import ConvQuestion

Image = pytest.importorskip("PIL.Image")

NS = {"s": "http://www.w3.org/2000/svg"}
S = f"{{{NS['s']}}}"


def run(tmp_path, argv: str, name: str) -> tuple[int, object]:
    out = tmp_path / name
    return main(["draw", *argv.split(), "-o", str(out)]), out


def rgb(colour: str) -> tuple[int, int, int]:
    value = int(colour.lstrip("#"), 16)
    return (value >> 16, (value >> 8) & 255, value & 255)


@pytest.mark.parametrize("spec", ["lenet5", "resnet18"])
def test_the_diagram_png_is_the_svg_painted_at_twice_its_size(tmp_path, spec):
    code, out = run(tmp_path, spec, "net.png")
    assert code == 0
    root = ET.fromstring(network_svg(one_network(spec)))
    image = Image.open(out)
    assert image.format == "PNG"
    assert image.size == (2 * int(root.get("width")), 2 * int(root.get("height")))
    pixels = image.convert("RGB")
    assert len(pixels.getcolors(1 << 20)) > 10  # not blank: boxes, text, edges
    boxes = [g for g in root.iter(f"{S}g") if g.get("class") == "box"]
    assert len(boxes) > 3
    for box in boxes:
        r = box.find(f"{S}rect")
        x, y, w, h = (float(r.get(k)) for k in ("x", "y", "width", "height"))
        # The top border, halfway along; the fill a few pixels inside the left border,
        # halfway down (no text reaches there: text is centred with padding).
        assert pixels.getpixel((round(2 * (x + w / 2)), round(2 * y) + 1)) == rgb(r.get("stroke"))
        assert pixels.getpixel((round(2 * x) + 8, round(2 * (y + h / 2)))) == rgb(r.get("fill"))


def test_the_diagram_as_pdf_is_one_page_the_svg_size(tmp_path):
    code, out = run(tmp_path, "lenet5", "net.pdf")
    assert code == 0
    data = out.read_bytes()
    root = ET.fromstring(network_svg(one_network("lenet5")))
    width, height = int(root.get("width")), int(root.get("height"))
    assert data.startswith(b"%PDF-")
    assert f"/MediaBox [ 0 0 {width}.0 {height}.0 ]".encode() in data  # points = SVG units
    assert data.count(b"/Type /Page\n") == 1


def test_a_diagram_png_without_pillow_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "PIL", None)
    code, out = run(tmp_path, "lenet5", "net.png")
    assert code == 1 and not out.exists()
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "netspec[images]" in err


def _svg(tmp_path, options: str):
    code, out = run(tmp_path, "conv " + options, "conv.svg")
    assert code == 0
    return ET.parse(out).getroot()


def _rect(element) -> tuple[float, float, float, float]:
    return tuple(float(element.get(k)) for k in ("x", "y", "width", "height"))


@pytest.mark.parametrize(
    "options",
    [
        "--input 5 --kernel 3 --stride 2 --padding 1",
        "--input 3 --kernel 3 --stride 2 --padding 1 --transposed",
        "--input 6 --kernel 2 --stride 3",
    ],
)
def test_the_connectors_end_on_the_output_cell_being_computed(tmp_path, options):
    root = _svg(tmp_path, options)
    frames = [g for g in root.iter(f"{S}g") if g.get("class") == "frame"]
    assert frames
    for frame in frames:
        (cell,) = [e for e in frame.iter() if e.get("class") == "output-cell"]
        x, y, w, h = _rect(cell)
        (window,) = [e for e in frame.iter() if e.get("class") == "kernel-window"]
        wx, wy, ww, wh = _rect(window)
        lines = list(frame.iter(f"{S}line"))
        assert len(lines) == 2
        for line in lines:
            x1, y1, x2, y2 = (float(line.get(k)) for k in ("x1", "y1", "x2", "y2"))
            assert x <= x2 <= x + w and y <= y2 <= y + h  # ends on the cell
            assert x1 == pytest.approx(wx + ww) and wy <= y1 <= wy + wh  # from the window


def _legend(root) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{S}text")]


@pytest.mark.parametrize(
    ("options", "named", "absent"),
    [
        ("--input 5 --kernel 3 --stride 2 --padding 1", "kernel taps on zero padding", None),
        ("--input 3 --kernel 3 --stride 2 --padding 1 --transposed",
         "kernel taps on zero padding or inserted zeros", None),
        ("--input 4 --kernel 2 --pool max --padding 1", "window on padding (−∞ for max)", None),
        ("--input 4 --kernel 3", "kernel taps", "kernel taps on"),
    ],
)  # fmt: skip
def test_the_legend_names_the_grey_taps_on_padding(tmp_path, options, named, absent):
    texts = _legend(_svg(tmp_path, options))
    assert named in texts
    if absent:
        assert not any(t.startswith(absent) for t in texts)


@pytest.mark.parametrize(
    "question",
    [
        ConvQuestion(input=(5, 5), kernel=(3, 3), stride=(2, 2), padding=(1, 1)),
        ConvQuestion(
            input=(3, 3),
            kernel=(3, 3),
            stride=(2, 2),
            padding=(1, 1),
            transposed=True,
            output_padding=(1, 1),
            dilation=(2, 2),
        ),  # fmt: skip
        ConvQuestion(input=(2, 2), kernel=(2, 2), pool="max", ceil_mode=True, stride=(2, 2)),
    ],
)
def test_titles_wrap_between_phrases_never_inside_one(question):
    g = geometry.geometry(question)
    scene = conv.animation_scene(g)
    drawn = [s.text for s in scene.header.shapes if s.bold]
    assert len(drawn) >= 2  # these titles are too long for one line
    title = title_lines(g)[0].replace(GLUE, " ")
    assert " ".join(drawn) == title
    # The phrases: "convolution 3×3", "stride 2", ..., "on a 5×5 input", "→ 3×3 output".
    phrases = re.split(r", | (?=on a )| (?=→ )", title)
    assert len(phrases) >= 3
    for phrase in phrases:
        assert any(phrase in line for line in drawn), phrase
    assert GLUE not in scene.title and all(GLUE not in s.text for s in scene.header.shapes)


def test_a_gif_of_lenet5_c1_plays_in_under_a_minute(tmp_path, capsys):
    code, out = run(tmp_path, "conv --input 32 --kernel 5", "c1.gif")  # C1: 28x28 frames
    assert code == 0
    image = Image.open(out)
    assert image.n_frames == 784
    assert image.info["duration"] * image.n_frames <= 60_000
    assert "--delay" in capsys.readouterr().err  # says how to choose another


def test_an_asked_delay_and_a_short_animation_keep_their_frame_time(tmp_path):
    code, out = run(tmp_path, "conv --input 32 --kernel 5 --delay 100", "c1.gif")
    assert code == 0 and Image.open(out).info["duration"] == 100
    code, out = run(tmp_path, "conv --input 5 --kernel 3 --stride 2 --padding 1", "s2.gif")
    assert code == 0 and Image.open(out).info["duration"] == 700


@pytest.mark.parametrize("frames", [1, 9, 84, 85, 784, geometry.MAX_FRAMES])
def test_the_default_frame_time_keeps_every_loop_under_a_minute(frames):
    ms = conv.frame_delay(frames)
    assert 20 <= ms <= 700 and ms % 10 == 0 and frames * ms <= 60_000
    assert ms == 700 or frames * 700 > 60_000
    assert conv.frame_delay(frames, 250) == 250


def test_the_animated_svg_of_many_frames_loops_in_under_a_minute(tmp_path):
    root = _svg(tmp_path, "--input 32 --kernel 5")
    durations = {a.get("dur") for a in root.iter(f"{S}animateTransform")}
    (dur,) = durations
    assert float(dur.rstrip("s")) <= 60


def test_the_png_canvas_reads_the_paths_the_diagram_writes():
    from netspec.teach.figures.canvas import _subpaths

    (line, open_), (square, closed) = _subpaths("M1,2 L3,4 C3,5 6,5 6,8 M0,0 L1,0 L1,1 Z")
    assert (open_, closed) == (False, True)
    assert line[:2] == [(1.0, 2.0), (3.0, 4.0)] and line[-1] == pytest.approx((6.0, 8.0))
    assert square == [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]
    with pytest.raises(ValueError, match="unexpected path data"):
        _subpaths("1,2")
