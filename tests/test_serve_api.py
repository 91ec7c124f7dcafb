"""The playground's API (netspec/serve/): answers as `netspec check --format json` does,
positions for underlines, bounded requests, hostile specs stopped without stalling the
others, JSON errors and never a stack trace. Starlette's test client, no browser."""

from __future__ import annotations

import json
import re

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient  # noqa: E402

from netspec.api import check  # noqa: E402
from netspec.serve.app import MAX_BODY, create_app  # noqa: E402
from netspec.serve.worker import MAX_ANSWER, Pool, Worker, encoded  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

LENET = (ROOT / "specs" / "lenet5.netspec").read_text()
# 9,800 layers: about 0.3 s of analysis, six times the time limit of the pool below
SLOW = "network Slow {\n    input x: [N, 16]\n    repeat 4900 {\n        linear(16) relu\n    }\n}"


@pytest.fixture(scope="module")
def client():
    pool = Pool(2, seconds=1.5)
    with TestClient(
        create_app(pool, ("mine.netspec", LENET)), base_url="http://127.0.0.1"
    ) as client:
        yield client
    pool.close()


def test_a_check_is_the_json_report(client):
    answer = client.post("/api/check", json={"text": LENET})
    assert answer.status_code == 200
    doc = answer.json()
    [expected] = check("lenet5")
    [network] = doc["networks"]
    assert network["totals"]["params"] == expected.totals.params
    assert [s["name"] for s in network["statements"]] == [s.name for s in expected.statements]


def test_an_error_has_its_span_and_the_report_before_it(client):
    text = re.sub(r"(C3 *= )", r"\1conv(16, 50) ", LENET, count=1)
    doc = client.post("/api/check", json={"text": text}).json()
    [error] = doc["errors"]
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "conv(16, 50)" in row)
    assert error["line"] == line and error["end_line"] == line
    assert error["end_column"] > error["column"] and error["help"]
    assert doc["partial"]["networks"][0]["statements"]  # the rows before the error


def test_an_explanation_is_its_sections(client):
    doc = client.post("/api/explain", json={"text": LENET, "layer": "C1.conv"}).json()
    [layer] = doc["layers"]
    titles = [s["title"] for s in layer["sections"]]
    assert titles[:2] == ["output size", "parameters"]
    assert any("122,304" in step["result"] for s in layer["sections"] for step in s["steps"])


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "a JSON object"),
        (b"{}", "`text` must be the spec's text"),
        (json.dumps({"text": "x", "input_shapes": {"x": "big"}}).encode(), "input_shapes"),
        (json.dumps({"text": LENET, "layer": "nowhere"}).encode(), "nowhere"),
    ],
)
def test_a_request_it_cannot_read_is_a_400_in_json(client, body, says):
    path = "/api/explain" if b"layer" in body else "/api/check"
    answer = client.post(path, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["code"] == "E-request" and says in error["message"]


def test_a_body_too_large_is_refused_before_it_is_read(client):
    json_ = {"content-type": "application/json"}
    answer = client.post("/api/check", content=b"x" * (MAX_BODY + 1), headers=json_)
    assert answer.status_code == 413 and answer.json()["errors"][0]["code"] == "E-request"


def test_a_body_nested_past_the_parser_is_a_400_from_the_worker(client):
    json_ = {"content-type": "application/json"}
    answer = client.post("/api/check", content=b"[" * 100_000, headers=json_)
    assert answer.status_code == 400 and "not JSON" in answer.json()["errors"][0]["message"]


def test_a_post_from_another_site_or_host_is_refused(client):
    """A page elsewhere can post text/plain without asking the browser first; a DNS
    rebinding page reaches the server under its own host name. Neither gets an answer."""
    plain = client.post("/api/check", content=json.dumps({"text": LENET}))
    assert plain.status_code == 415 and plain.json()["errors"][0]["code"] == "E-request"
    rebound = client.post("/api/check", json={"text": LENET}, headers={"host": "evil.example"})
    assert rebound.status_code == 400 and "networks" not in rebound.text
    assert client.get("/", headers={"host": "localhost:8765"}).status_code == 200


def test_a_figure_too_large_to_send_is_refused(client):
    # a 4096x4096 input and a 2049-wide kernel: millions of taps to list per axis
    text = "network Big {\n input x: [1, 1, 4096, 4096]\n c = conv(1, 2049)\n}"
    answer = client.post("/api/figure", json={"text": text, "layer": "c"})
    assert len(answer.content) < 100_000
    doc = answer.json()
    assert doc["window"] is None and "taps" in doc["why"]


def test_a_slow_spec_is_stopped_and_the_server_answers_the_next():
    pool = Pool(1, seconds=10)
    with TestClient(create_app(pool), base_url="http://127.0.0.1") as client:
        warm = client.post("/api/check", json={"text": LENET})  # the worker started
        assert warm.json()["networks"]
        pool.workers[0].seconds = 0.05  # far below the spec's 0.3 s, far above LeNet's
        assert client.post("/api/check", json={"text": LENET}).json()["networks"]
        stopped = client.post("/api/check", json={"text": SLOW}).json()
        assert stopped["errors"][0]["code"] == "E-timeout"
        assert "Traceback" not in json.dumps(stopped)
        pool.workers[0].seconds = 10  # the next request: a fresh worker, time to start
        again = client.post("/api/check", json={"text": LENET})
        assert again.status_code == 200 and again.json()["networks"]


def test_the_zoo_and_the_opening_spec(client):
    names = [s["name"] for s in client.get("/api/zoo").json()["specs"]]
    assert "lenet5" in names and "gpt2_small" in names
    assert client.get("/api/zoo/lenet5").json()["text"] == LENET
    assert client.get("/api/zoo/nope").status_code == 400
    assert client.get("/api/initial").json() == {"name": "mine.netspec", "text": LENET}


def test_the_page_and_json_for_what_is_not_there(client):
    page = client.get("/")
    assert page.status_code == 200 and 'id="editor"' in page.text
    assert client.get("/static/playground.js").status_code == 200
    missing = client.get("/nothing")
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "E-request"
    wrong = client.get("/api/check")
    assert wrong.status_code == 405 and "Traceback" not in wrong.text


def test_serve_listens_on_loopback_and_warns_otherwise(capsys, monkeypatch):
    uvicorn = pytest.importorskip("uvicorn")
    from netspec.cli.main import main

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, **kw: seen.update(host=host))
    monkeypatch.setattr(Pool, "warm", lambda self: None)
    assert main(["serve", "lenet5", "--port", "9"]) == 0
    assert seen["host"] == "127.0.0.1" and "warning" not in capsys.readouterr().err
    assert main(["serve", "--host", "0.0.0.0", "--port", "9"]) == 0
    assert seen["host"] == "0.0.0.0" and "warning: listening on 0.0.0.0" in capsys.readouterr().err


def test_a_worker_over_its_memory_cap_is_an_e_limit_answer():
    """The cap is RLIMIT_DATA (what an analysis allocates; shared libraries such as
    torch's do not count). A spec of 110,000 tokens, within the token limit, needs about
    100 MiB to parse; a worker allowed 48 MiB fails on it (or dies), and says so."""
    text = "const T = [" + ",".join(["1"] * 55_000) + "]\n" + LENET
    worker = Worker(seconds=20, memory=48 * 1024**2)
    try:
        answer = worker.run({"task": "check", "text": text})
    finally:
        worker.stop()
    [error] = answer["errors"]
    assert error["code"] == "E-limit" and "memory" in error["message"]


def test_an_answer_too_large_to_send_is_an_e_limit():
    status, data = encoded({"networks": ["x" * MAX_ANSWER]})
    assert status == 200 and len(data) < 2000
    assert json.loads(data)["errors"][0]["code"] == "E-limit"
