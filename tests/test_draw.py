"""`netspec draw conv`: the pictures' geometry read back from the SVG, the GIF and PNG
frames, the limits and the one-line errors.

The SVG is parsed (xml.etree): every frame group, every tap cell and the kernel window's
position are compared with the definitions (output j's window starts at canvas cell
j s, or j for the transposed case's stride-1 convolution), not with golden bytes.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

from netspec.cli.main import main

NS = {"s": "http://www.w3.org/2000/svg"}


def draw(tmp_path, options: str, name: str = "out.svg") -> tuple[int, object]:
    """`netspec draw conv OPTIONS -o tmp_path/name`."""
    out = tmp_path / name
    code = main(["draw", "conv", *options.split(), "-o", str(out)])
    return code, out


def cells(element) -> list[tuple[float, float, float, float]]:
    """The rectangles a <rect>, a group of them, or a path of `M x y h w v h h -w z` cells
    draws."""
    if element.tag.endswith("rect"):
        return [tuple(float(element.get(k)) for k in ("x", "y", "width", "height"))]
    if element.tag.endswith("}g"):  # dashed cells: one <rect> each
        return [c for child in element for c in cells(child)]
    found = re.findall(r"M(-?[\d.]+) (-?[\d.]+)h(-?[\d.]+)v(-?[\d.]+)", element.get("d"))
    return [tuple(map(float, f)) for f in found]


def of_class(root, name: str) -> list:
    return [e for e in root.iter() if e.get("class") == name]


def frame_groups(root) -> list:
    groups = root.iter(f"{{{NS['s']}}}g")
    return [g for g in groups if g.get("class") == "frame"]


@pytest.mark.parametrize(
    ("options", "canvas", "output", "starts", "taps"),
    [
        # Relationship 6: i = 5, k = 3, s = 2, p = 1 -> 3; windows start at 0, 2, 4.
        ("--input 5 --kernel 3 --stride 2 --padding 1", 7, 3, [0, 2, 4], 9),
        # Relationship 1: no padding, unit strides, i = 4, k = 3 -> 2.
        ("--input 4 --kernel 3", 4, 2, [0, 1], 9),
        # Relationship 15: dilation 2, i = 7, k = 3 -> 3; taps 2 apart.
        ("--input 7 --kernel 3 --dilation 2", 7, 3, [0, 1, 2], 9),
        # Relationship 14: transposed, i' = 3, k = 3, s = 2, p = 1, a = 1 -> 6: the canvas is
        # 1 + 3 + 2 zeros + 1 + 1 = 8 cells, a stride-1 convolution over it.
        ("--input 3 --kernel 3 --stride 2 --padding 1 --transposed --output-padding 1",
         8, 6, [0, 1, 2, 3, 4, 5], 9),
        # Ceil-mode pooling: the last window hangs one cell past the input.
        ("--input 5 --kernel 2 --stride 2 --pool max --ceil-mode", 6, 3, [0, 2, 4], 4),
    ],
)  # fmt: skip
def test_the_animation_has_one_frame_per_output_cell_at_the_right_place(
    tmp_path, options, canvas, output, starts, taps
):
    code, out = draw(tmp_path, options)
    assert code == 0
    root = ET.parse(out).getroot()
    canvas_cells = [c for k in ("input", "padding", "zero", "output_padding", "beyond")
                    for e in of_class(root, f"canvas-{k}") for c in cells(e)]  # fmt: skip
    assert len(canvas_cells) == canvas * canvas
    size = canvas_cells[0][2]
    x0 = min(c[0] for c in canvas_cells)
    y0 = min(c[1] for c in canvas_cells)
    (grid,) = of_class(root, "output-grid")
    assert len(cells(grid)) == output * output
    groups = frame_groups(root)
    assert len(groups) == output * output
    ox = min(c[0] for c in cells(grid))
    oy = min(c[1] for c in cells(grid))
    for f, group in enumerate(groups):
        r, c = divmod(f, output)
        (window,) = cells(of_class(group, "kernel-window")[0])
        assert (round((window[1] - y0) / size), round((window[0] - x0) / size)) == (
            starts[r], starts[c])  # fmt: skip
        tapped = [t for e in group.iter() if (e.get("class") or "").startswith("tap-")
                  for t in cells(e)]  # fmt: skip
        assert sum(w * h for _, _, w, h in tapped) == pytest.approx(taps * size * size)
        for x, y, w, h in tapped:  # every tap inside the window
            assert window[0] <= x and x + w <= window[0] + window[2] + 1e-6
            assert window[1] <= y and y + h <= window[1] + window[3] + 1e-6
        (cell,) = cells(of_class(group, "output-cell")[0])
        assert (round((cell[1] - oy) / size), round((cell[0] - ox) / size)) == (r, c)
        assert f"output ({r}, {c})" in "".join(group.itertext())


def test_dilated_taps_have_gaps(tmp_path):
    code, out = draw(tmp_path, "--input 7 --kernel 3 --dilation 2")
    group = frame_groups(ET.parse(out).getroot())[0]
    (window,) = cells(of_class(group, "kernel-window")[0])
    taps = [t for e in group.iter() if e.get("class") == "tap-input" for t in cells(e)]
    size = window[2] / 5  # the window spans d(k - 1) + 1 = 5 cells
    assert sorted({round((x - window[0]) / size) for x, *_ in taps}) == [0, 2, 4]
    assert len(taps) == 9 and all(w == pytest.approx(size) for _, _, w, _ in taps)


def test_the_transposed_picture_shows_input_cells_apart_from_inserted_zeros(tmp_path):
    code, out = draw(tmp_path, "--input 3 --kernel 3 --stride 2 --padding 1 "
                     "--transposed --output-padding 1")  # fmt: skip
    root = ET.parse(out).getroot()
    count = {k: sum(len(cells(e)) for e in of_class(root, f"canvas-{k}"))
             for k in ("input", "zero", "padding", "output_padding")}  # fmt: skip
    # 5 stretched cells per axis (3 input, 2 zeros); 1 padding around, 1 output padding.
    assert count == {"input": 9, "zero": 25 - 9, "padding": 7 * 7 - 25, "output_padding": 15}
    assert "k − p − 1 = 1" in "".join(root.itertext())


def test_the_frames_take_turns_and_loop(tmp_path):
    code, out = draw(tmp_path, "--input 4 --kernel 3 --delay 500")
    groups = frame_groups(ET.parse(out).getroot())
    animations = [g.find("s:animateTransform", NS) for g in groups]
    assert [a.get("dur") for a in animations] == ["2s"] * 4
    assert all(a.get("calcMode") == "discrete" and a.get("repeatCount") == "indefinite"
               for a in animations)  # fmt: skip
    # Without animation only frame 0 is in sight; the others lie far off the picture.
    off = "translate(-100000,-100000)"
    assert [g.get("transform") for g in groups] == ["translate(0,0)", off, off, off]
    assert animations[1].get("values") == "-100000 -100000;0 0;-100000 -100000"
    assert animations[1].get("keyTimes") == "0;0.25;0.5"
    assert animations[3].get("keyTimes") == "0;0.75"
    assert animations[0].get("values") == "0 0;-100000 -100000"


def test_the_sheet_has_every_frame_labelled(tmp_path):
    code, out = draw(tmp_path, "--input 5 --kernel 3 --stride 2 --padding 1 "
                     "--frames")  # fmt: skip
    assert code == 0
    root = ET.parse(out).getroot()
    assert len(root.findall(".//s:use", NS)) == 9
    assert len(of_class(root, "kernel-window")) == 9
    text = "".join(root.itertext())
    assert all(f"output ({r}, {c})" in text for r in range(3) for c in range(3))


def test_gif_and_png(tmp_path):
    image = pytest.importorskip("PIL.Image")
    code, gif = draw(tmp_path, "--input 5 --kernel 3 --stride 2 --padding 1",
                     name="c.gif")  # fmt: skip
    assert code == 0
    with image.open(gif) as im:
        assert im.n_frames == 9 and im.info.get("loop") == 0 and im.info["duration"] == 700
    code, png = draw(tmp_path, "--input 5 --kernel 3 --stride 2 --padding 1",
                     name="c.png")  # fmt: skip
    with image.open(png) as im:
        assert im.format == "PNG" and im.width > 600 and im.height > 500


def test_the_svg_needs_neither_pillow_nor_torch(tmp_path):
    code = (
        "import sys; sys.modules['PIL'] = None\n"
        "from netspec.cli.main import main\n"
        f"argv = ['draw', 'conv', '--input', '5', '--kernel', '3', '-o', r'{tmp_path}/a.']\n"
        "assert main(argv[:-1] + [argv[-1] + 'svg']) == 0\n"
        "assert main(argv[:-1] + [argv[-1] + 'gif']) == 1\n"
        "assert 'torch' not in sys.modules and 'onnx' not in sys.modules\n"
    )  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "pip install 'netspec[images]'" in result.stderr
    assert not (tmp_path / "a.gif").exists()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        ("conv --input 100000 --kernel 3 -o x.svg", "too many to watch"),
        ("conv --input 13 --kernel 1 -o x.png", "too many for one sheet"),
        ("conv --input 70x1 --kernel 1x1 -o x.svg", "70 cells tall"),
        ("conv --input 5 --kernel 7 -o x.svg", "the output would be -1 wide"),
        ("conv --input 5 -o x.svg", "give at least --input and --kernel"),
        ("conv --input 5 --kernel 3 -o x.pdf", "write .svg"),
        ("conv --input 5 --kernel 3 --frames -o x.gif", "a .gif is the animation"),
        ("conv --input 5 --kernel 3 --receptive-field C1 -o x.svg", "--receptive-field is for"),
        ("conv --input 5 --kernel 3 --set a=1 -o x.svg", "--set is for a spec"),
        ("lenet5 --kernel 3 -o x.svg", "--kernel belongs to `netspec draw conv"),
        ("lenet5 --unit 1,1 -o x.svg", "--unit chooses a unit"),
        ("lenet5 -o x.gif", "write .svg, .png or .pdf"),
    ],
)
def test_misuse_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, argv, words):
    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    assert main(["draw", *argv.split()]) == 2
    assert time.perf_counter() - start < 1
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_bad_values_are_argparse_errors(capsys):
    for argv in (["--delay", "5"], ["--unit", "a,b"], ["--input", "5x"]):
        with pytest.raises(SystemExit) as exc:
            main(["draw", "conv", "-o", "x.svg", *argv])
        assert exc.value.code == 2
    assert "expected milliseconds" in capsys.readouterr().err


def test_a_file_named_conv_is_a_spec(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "conv").write_text(
        "network N {\n    input x: [N, 1, 8, 8]\n    c = conv(2, 3)\n}\n"
    )
    assert main(["draw", "conv", "--receptive-field", "c", "-o", "rf.svg"]) == 0
    assert (tmp_path / "rf.svg").exists()


def test_unwritable_output_is_an_error(tmp_path, capsys):
    code = main(
        ["draw", "conv", "--input", "4", "--kernel", "3", "-o", str(tmp_path / "no" / "x.svg")]
    )
    assert code == 1 and "cannot write" in capsys.readouterr().err


def test_an_existing_file_is_replaced_whole(tmp_path):
    out = tmp_path / "c.svg"
    out.write_text("old")
    assert main(["draw", "conv", "--input", "4", "--kernel", "3", "-o", str(out)]) == 0
    assert out.read_text().startswith("<?xml")
    assert main(["draw", "conv", "--input", "4", "--kernel", "9", "-o", str(out)]) == 2
    assert out.read_text().startswith("<?xml")  # a refused picture leaves the file alone


def test_gif_frames_show_the_window_moving(tmp_path):
    image = pytest.importorskip("PIL.Image")
    code, gif = draw(tmp_path, "--input 4 --kernel 3", name="c.gif")
    frames = []
    with image.open(gif) as im:
        for n in range(im.n_frames):
            im.seek(n)
            frames.append(im.convert("RGB").tobytes())
    assert len(set(frames)) == 4  # every frame differs from the others


def test_unread_input_rows_are_named(tmp_path):
    """Floor division drops the input's last rows: 8 with k = 3, s = 3 reads rows 0-5."""
    from netspec.teach.figures.geometry import axis_geometry
    from netspec.teach.question import ConvQuestion

    axis = axis_geometry(ConvQuestion(input=(8, 8), kernel=(3, 3), stride=(3, 3)), 0)
    read = {x for j in range(axis.output) for x in axis.covered(j)}
    assert set(range(8)) - read == {6, 7}
    code, out = draw(tmp_path, "--input 8 --kernel 3 --stride 3")
    text = " ".join("".join(ET.parse(out).getroot().itertext()).split())
    assert "the last 2 input rows and columns are never read" in text
