"""`POST /api/figure` (netspec/serve/figure.py): the layer panel's sliding window and
receptive field. The taps are held against geometry.py (the pictures' own tested
geometry) and against the convolution's definition written out here independently:
output j of a convolution with stride s, padding p, dilation d reads input j s - p + m d
(m < k); output o of a transposed convolution receives input i through tap m where
o = i s - p + m d. Receptive fields are held against the check report's."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient  # noqa: E402

from netspec.serve.app import create_app  # noqa: E402
from netspec.serve.figure import MAX_AXIS  # noqa: E402
from netspec.serve.worker import Pool  # noqa: E402
from netspec.teach.figures import geometry as cg  # noqa: E402
from netspec.teach.question import ConvQuestion  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

LENET = (ROOT / "specs" / "lenet5.netspec").read_text()
SMALL = """network T {
    input x: [N, 3, 20, 17]
    a = conv(8, 3, stride=2, padding=2, dilation=2)
    b = conv(8, 4, padding="same")
    c = conv_transpose(4, 3, stride=2, padding=1, output_padding=1)
    d = maxpool(3, stride=2, padding=1, ceil_mode=true)
    e = flatten linear(10)
}"""


@pytest.fixture(scope="module")
def client():
    pool = Pool(1)
    with TestClient(
        create_app(pool, ("mine.netspec", LENET)), base_url="http://127.0.0.1"
    ) as client:
        yield client
    pool.close()


def figure(client, layer: str, text: str = LENET, **more) -> dict:
    answer = client.post("/api/figure", json={"text": text, "layer": layer, **more})
    assert answer.status_code == 200, answer.text
    return answer.json()


def direct(i: int, k: int, s: int, p: int, d: int, j: int) -> list[int | None]:
    """The input positions output j's taps read (None: padding), by the definition."""
    return [x if 0 <= (x := j * s - p + m * d) < i else None for m in range(k)]


def test_lenet_c1_taps_slide_one_cell_per_output(client):
    answer = figure(client, "C1")
    assert answer["layer"] == "C1.conv" and answer["why"] == ""
    w = answer["window"]
    assert (w["input"], w["output"], w["frames"]) == ([32, 32], [28, 28], 784)
    for axis in ("rows", "cols"):
        assert w[axis]["positions"] == [direct(32, 5, 1, 0, 1, j) for j in range(28)]
    # the same windows as the pictures of `netspec draw conv --input 32 --kernel 5`
    drawn = cg.geometry(ConvQuestion(input=(32, 32), kernel=(5, 5)))
    for r, c in ((0, 0), (13, 7), (27, 27)):
        combined = {(y, x) for y in w["rows"]["windows"][r] for x in w["cols"]["windows"][c]}
        assert combined == set(drawn.window(r, c))


def test_lenet_s2_windows_do_not_overlap(client):
    w = figure(client, "S2")["window"]
    assert w["kind"] == "subsampling" and w["output"] == [14, 14]
    assert w["rows"]["positions"][:3] == [[0, 1], [2, 3], [4, 5]]
    assert w["rows"]["positions"][13] == [26, 27]


def test_a_strided_padded_dilated_conv_starts_at_j_s_minus_p(client):
    w = figure(client, "a", SMALL)["window"]
    assert w["input"] == [20, 17] and w["output"] == [10, 9]
    for axis, i, o in (("rows", 20, 10), ("cols", 17, 9)):
        g = w[axis]
        assert g["padding"] == [2, 2] and g["dilation"] == 2
        assert g["kinds"][:2] == ["padding"] * 2 and g["kinds"][-2:] == ["padding"] * 2
        assert g["positions"] == [direct(i, 3, 2, 2, 2, j) for j in range(o)]
        # canvas cell of output j's first tap, less the padding: j s - p in input cells
        assert [win[0] - 2 for win in g["windows"]] == [j * 2 - 2 for j in range(o)]


def test_same_padding_with_an_even_kernel_pads_one_side_more(client):
    rows = figure(client, "b", SMALL)["window"]["rows"]
    assert rows["padding"] == [1, 2] and rows["output"] == rows["input"] == 10
    assert rows["kinds"] == ["padding"] + ["input"] * 10 + ["padding"] * 2
    assert rows["positions"] == [direct(10, 4, 1, 1, 1, j) for j in range(10)]


def test_a_transposed_conv_reads_what_its_definition_sends(client):
    w = figure(client, "c", SMALL)["window"]
    assert w["transposed"] and w["input"] == [10, 9] and w["output"] == [20, 18]
    for axis, i, o in (("rows", 10, 20), ("cols", 9, 18)):
        g = w[axis]
        assert g["zeros"] == 1 and g["border"] == 1 and g["output_padding"] == 1
        assert g["kinds"][:4] == ["padding", "input", "zero", "input"]
        assert g["kinds"][-2:] == ["padding", "output_padding"]
        for out in range(o):  # o = i s - p + m d: input i reaches output o through tap m
            sent = {x for m in range(3) if (t := out + 1 - m) % 2 == 0 and 0 <= (x := t // 2) < i}
            assert {x for x in g["positions"][out] if x is not None} == sent
        q = ConvQuestion(
            input=(i, i), kernel=(3, 3), stride=(2, 2), padding=(1, 1), transposed=True,
            output_padding=(1, 1),
        )  # fmt: skip
        assert g["windows"] == [list(cg.axis_geometry(q, 0).window(j)) for j in range(o)]


def test_ceil_mode_pooling_reaches_past_the_input(client):
    rows = figure(client, "d", SMALL)["window"]["rows"]
    assert rows["output"] == 11 and rows["positions"][-1] == [19, None, None]
    assert rows["kinds"][-2:] == ["padding", "beyond"]


def test_receptive_field_of_c3_is_the_reports(client):
    report = client.post("/api/check", json={"text": LENET}).json()
    [c3] = [s for s in report["networks"][0]["layers"] if s["path"] == "C3.conv"]
    field = figure(client, "C3")["field"]
    assert field["size"] == ["14", "14"] and field["stride"] == ["2", "2"]
    assert [int(v) for v in field["size"]] == c3["receptive_field"]["size"]
    assert field["input"] == "image" and field["input_size"] == [32, 32]
    assert field["unit"] == [4, 4] and field["box"] == [[8, 22], [8, 22]]  # the centre
    assert field["rows"][0] == [0, 14] and field["rows"][9] == [18, 32]
    chosen = figure(client, "C3", unit=[0, 9])["field"]
    assert chosen["unit"] == [0, 9] and chosen["box"] == [[0, 14], [18, 32]]


def test_a_layer_without_a_window_says_so(client):
    answer = figure(client, "F6.linear")
    assert answer["window"] is None and "no sliding window" in answer["why"]
    assert answer["field"]["whole"]  # a linear layer sees the whole image
    statement = figure(client, "e", SMALL)
    assert statement["window"] is None and "flatten, linear" in statement["why"]


def test_a_large_input_sends_per_axis_data_and_a_huge_one_no_window(client):
    text = (
        "network Big {\n    input x: [N, 3, 224, 224]\n    c = conv(64, 7, stride=2, padding=3)\n}"
    )
    answer = figure(client, "c", text)
    assert answer["window"]["frames"] == 112 * 112
    assert len(json.dumps(answer)) < 60_000  # per axis, not per frame
    wide = text.replace("224, 224", f"8, {MAX_AXIS + 1}")
    answer = figure(client, "c", wide)
    assert answer["window"] is None and f"{MAX_AXIS:,}" in answer["why"]


@pytest.mark.parametrize(
    "fields",
    [{"layer": "C9"}, {"layer": ""}, {"layer": "C3", "unit": [99, 0]}, {"layer": "C3", "unit": 3}],
)
def test_a_request_that_names_nothing_is_a_400(client, fields):
    answer = client.post("/api/figure", json={"text": LENET, **fields})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "E-request"


def test_a_spec_with_errors_answers_its_errors(client):
    broken = LENET.replace("conv(120, 5)", "conv(120, 7)")
    doc = figure(client, "C1", broken)
    assert doc["errors"] and doc["errors"][0]["code"].startswith("E-")
    assert "window" not in doc
