"""The playground's diagram API (/api/diagram, netspec/serve/diagram.py): `netspec draw`'s
SVG with a record per box, boxes opened one at a time and closed again, the layer paths
the explain API takes, a spec's errors as the error document, bad fields as 400."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient  # noqa: E402

from netspec.api import check  # noqa: E402
from netspec.serve.app import create_app  # noqa: E402
from netspec.serve.worker import Pool  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

LENET = (ROOT / "specs" / "lenet5.netspec").read_text()
RESNET18 = (ROOT / "specs" / "resnet18.netspec").read_text()
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def client():
    pool = Pool(1)
    with TestClient(create_app(pool), base_url="http://127.0.0.1") as client:
        yield client
    pool.close()


def diagram(client, text: str, **fields) -> dict:
    answer = client.post("/api/diagram", json={"text": text, **fields})
    assert answer.status_code == 200, answer.text
    return answer.json()


def drawn_keys(svg: str) -> list[str]:
    """The data-key of every box group in the SVG, which must parse as XML."""
    root = ET.fromstring(svg)
    return [g.get("data-key") for g in root.iter(f"{SVG}g") if g.get("class") == "box"]


def test_lenet5_at_depth_0_is_one_box_per_statement(client):
    answer = diagram(client, LENET)
    [lenet] = check("lenet5")
    statements = [b for b in answer["boxes"] if b["kind"] == "statement"]
    assert [b["key"] for b in statements] == [s.name for s in lenet.statements]
    assert drawn_keys(answer["svg"]) == [b["key"] for b in answer["boxes"]]
    assert answer["network"] == "LeNet5" and answer["depth"] == 0 and answer["open"] == []
    c1 = statements[0]
    assert c1["layers"] == ["C1.conv", "C1.scaled_tanh"] and c1["expand"]
    assert not statements[-1]["expand"]  # `output = rbf(10)`: one layer, nothing to open


def test_opening_a_resnet18_stage_shows_its_blocks_and_closing_brings_it_back(client):
    closed = diagram(client, RESNET18)
    opened = diagram(client, RESNET18, open=["layer1"])
    out = [b for b in opened["boxes"] if b["parent"] == "layer1"]
    assert [(b["key"], b["kind"]) for b in out] == [
        ("layer1.basic1", "call"),
        ("layer1.basic2", "call"),
    ]
    assert all(b["expand"] for b in out) and opened["open"] == ["layer1"]
    assert len(opened["boxes"]) == len(closed["boxes"]) + 1
    deeper = diagram(client, RESNET18, open=["layer1", "layer1.basic1"])
    inner = [b["key"] for b in deeper["boxes"] if b["parent"] == "layer1.basic1"]
    assert "layer1.basic1.add1" in inner and "layer1.basic1.add1.0.conv1" in inner
    assert drawn_keys(deeper["svg"]) == [b["key"] for b in deeper["boxes"]]
    # closing the stage forgets the block opened inside it
    again = diagram(client, RESNET18, open=["layer1.basic1", "no_such_box"])
    assert again["open"] == [] and again["boxes"] == closed["boxes"]


def test_the_boxes_stand_for_the_analysis_layers_each_once(client):
    [resnet] = check("resnet18")
    paths = [layer.path for layer in resnet.layers]
    for fields in ({}, {"depth": 1}, {"open": ["layer2", "head"]}, {"depth": 5}):
        answer = diagram(client, RESNET18, **fields)
        drawn = [p for b in answer["boxes"] for p in b["layers"]]
        assert sorted(drawn) == sorted(paths), fields
        for box in answer["boxes"]:
            if box["layers"]:
                statement = resnet.layers[paths.index(box["layers"][0])].statement
                assert box["statement"] == statement
    assert diagram(client, RESNET18, depth=5)["max_depth"] == 2


def test_a_spec_with_an_error_answers_the_error_document(client):
    doc = diagram(client, LENET.replace("conv(120, 5)", "conv(120, 7)"))
    assert doc["errors"][0]["code"].startswith("E-") and doc["errors"][0]["code"] != "E-request"
    assert "svg" not in doc


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"depth": -1}, "`depth`"),
        ({"depth": "2"}, "`depth`"),
        ({"depth": 99}, "`depth`"),
        ({"open": "layer1"}, "`open`"),
        ({"open": [3]}, "`open`"),
    ],
)
def test_a_bad_field_is_a_400(client, fields, says):
    answer = client.post("/api/diagram", json={"text": LENET, **fields})
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["code"] == "E-request" and says in error["message"]


def test_too_many_boxes_is_refused_with_what_to_do(client):
    long = "block many() {\n    repeat 700 { linear(8) }\n}\n"
    long += "network Long {\n    input x: [N, 8]\n    body = many()\n}"
    assert len(diagram(client, long)["boxes"]) == 3
    answer = client.post("/api/diagram", json={"text": long, "open": ["body"]})
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert "700 boxes, more than the 600" in error["message"] and error["help"] == [
        "close a block (−) to draw fewer"
    ]
