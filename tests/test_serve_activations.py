"""The activations panel's task (netspec/serve/activations.py): LeNet-5 run on the bundled
digit shows each layer's maps at the sizes the report gives; a cell's dot product adds up
to the module's own output there; uploaded weights change the maps; uploads that are too
large, not an image, or a pickle that would run code are refused with a diagnostic; a
path a client sends is never read; a network that takes no image is refused clearly.

The task is run as a worker runs it (tasks.run_task) except where the app's own part
is tested: the body limit of /api/activations and the fields it drops."""

from __future__ import annotations

import base64
import io
import pickle
import sys

import pytest

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")

from netspec.api import load, one_network, to_torch  # noqa: E402
from netspec.serve.activations import SEED  # noqa: E402
from netspec.serve.tasks import run_task  # noqa: E402

LENET = load("lenet5").text


def answer(**fields):
    return activations({"text": LENET, "image": "digit", "weights": "random", **fields})


def activations(request):
    """The answer as a worker gives it (a BadRequest becomes an E-request diagnostic)."""
    return run_task({**request, "task": "activations"})


def diagnostic(doc) -> str:
    assert "errors" in doc, doc.keys()
    d = doc["errors"][0]
    return f"{d['code']}: {d['message']}"


def checkpoint_bytes(state: dict, **extra) -> str:
    """A checkpoint as `netspec train` writes it (training/checkpoint.py), as base64."""
    from netspec.analysis.fingerprint import architecture_hash
    from netspec.training.checkpoint import FORMAT

    graph = one_network("lenet5", lowering=True).graph
    payload = {"format": FORMAT, "architecture_hash": architecture_hash(graph)}
    payload.update(network="LeNet5", spec="lenet5", state_dict=state, **extra)
    stream = io.BytesIO()
    torch.save(payload, stream)
    return base64.b64encode(stream.getvalue()).decode()


@pytest.fixture(scope="module")
def lenet():
    return answer(cell={"layer": "C1.conv", "channel": 2, "row": 13, "col": 9})


def test_lenet_maps_have_the_reported_sizes(lenet):
    layers = {layer["path"]: layer for layer in lenet["layers"]}
    c1 = layers["C1.conv"]
    assert c1["shape"] == [1, 6, 28, 28] and len(c1["maps"]) == 6
    assert all(m["png"].startswith("data:image/png;base64,") for m in c1["maps"])
    assert all(m["min"] <= m["max"] for m in c1["maps"])
    assert layers["C3.conv"]["shape"] == [1, 16, 10, 10] and len(layers["C3.conv"]["maps"]) == 16
    assert len(layers["output"]["top"]) == 8  # a vector: its values, rbf distances smallest first
    assert layers["output"]["order"] == "smallest" and layers["F6.linear"]["order"] == "largest"
    assert lenet["input"]["shape"] == [1, 1, 32, 32]


def test_a_cells_dot_product_is_the_modules_own_output(lenet):
    cell = lenet["cell"]
    products = sum(
        w * k
        for part in cell["channels"]
        for wr, kr in zip(part["window"], part["kernel"], strict=True)
        for w, k in zip(wr, kr, strict=True)
    )
    assert abs(products - cell["sum"]) < 1e-9
    assert abs(cell["sum"] + cell["bias"] - cell["pre_activation"]) < 1e-4
    assert cell["agrees"] and len(cell["channels"]) == 1 and len(cell["channels"][0]["kernel"]) == 5
    # independently: the module with the same seed, on the same image
    from netspec.serve.activation_inputs import image_bytes, image_tensor

    model = to_torch("lenet5", seed=SEED).eval()
    x = image_tensor(image_bytes({"image": "digit"}), 1, 32, 32)
    with torch.no_grad():
        c1 = model.C1.conv(x)
    assert abs(float(c1[0, 2, 13, 9]) - cell["pre_activation"]) < 1e-5
    [after] = lenet["after"]  # the activation that follows, at the same cell
    assert after["op"] == "scaled_tanh"
    assert abs(after["value"] - float(model.C1.scaled_tanh(c1)[0, 2, 13, 9])) < 1e-5


def test_a_table_convolution_reads_only_its_tables_channels():
    doc = answer(cell={"layer": "C3.conv", "channel": 6, "row": 2, "col": 3}, maps=False)
    assert [p["channel"] for p in doc["cell"]["channels"]] == [0, 1, 2, 3]
    assert doc["cell"]["agrees"] and "layers" not in doc


def test_uploaded_weights_are_used(lenet):
    state = to_torch("lenet5", seed=7).state_dict()
    doc = answer(weights={"upload": checkpoint_bytes(state)})
    assert doc["weights"] == "upload"
    before = lenet["layers"][0]["maps"][0]
    after = doc["layers"][0]["maps"][0]
    assert (after["min"], after["max"]) != (before["min"], before["max"])


def test_refused_uploads_say_why(tmp_path):
    big = base64.b64encode(b"\x89PNG" + bytes(2 * 1024**2)).decode()
    assert "larger than" in diagnostic(answer(image={"upload": big}))
    text = base64.b64encode(b"not an image at all").decode()
    assert diagnostic(answer(image={"upload": text})).startswith("E-request: the upload is not")
    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, format="PNG")  # 49 kB, 400 megapixels
    doc = answer(image={"upload": base64.b64encode(bomb.getvalue()).decode()})
    assert "more than the 16,777,216 pixels" in diagnostic(doc)

    class Evil:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))

    stream = io.BytesIO()
    torch.save({"state_dict": Evil()}, stream)
    doc = answer(weights={"upload": base64.b64encode(stream.getvalue()).decode()})
    assert "weights_only" in diagnostic(doc) and not (tmp_path / "pwned").exists()
    plain = base64.b64encode(pickle.dumps(Evil())).decode()
    assert diagnostic(answer(weights={"upload": plain})).startswith("E-request")
    assert not (tmp_path / "pwned").exists()


def test_weights_of_another_shape_are_refused():
    state = to_torch("lenet5", seed=0).state_dict()
    state["C1.conv.weight"] = torch.zeros(6, 1, 3, 3)
    doc = answer(weights={"upload": checkpoint_bytes(state)})
    assert diagnostic(doc).startswith("E-weights: the weights do not fit")


def test_a_path_from_the_client_is_never_read(tmp_path):
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from netspec.serve.app import create_app
    from netspec.serve.worker import decoded

    secret = tmp_path / "server.pt"
    torch.save({"state_dict": to_torch("lenet5", seed=3).state_dict()}, secret)
    seen = []

    class Recorder:
        def answer(self, request):
            seen.append(decoded(request))  # as the worker reads it
            return 200, b"{}"

        def close(self):
            pass

    body = {"text": LENET, "weights": "checkpoint", "server_weights": "/etc/passwd"}
    local = "http://127.0.0.1"
    with TestClient(create_app(Recorder(), weights=str(secret)), base_url=local) as client:
        assert client.get("/api/initial").json()["checkpoint"] == "server.pt"
        client.post("/api/activations", json=body)
        client.post("/api/check", json={"text": LENET, "server_weights": "/etc/passwd"})
    with TestClient(create_app(Recorder()), base_url=local) as client:
        client.post("/api/activations", json=body)
        big = client.post("/api/activations", json={"image": {"upload": "A" * 17_000_000}})
        assert big.status_code == 413
    assert seen[0]["server_weights"] == str(secret)
    assert "server_weights" not in seen[1] and "server_weights" not in seen[2]
    # the task refuses "checkpoint" where the server has none
    assert "has no checkpoint" in diagnostic(activations({**seen[2], "image": "digit"}))


def test_the_servers_checkpoint_is_read_as_netspec_train_wrote_it(tmp_path, lenet):
    from netspec.analysis.fingerprint import architecture_hash
    from netspec.training.checkpoint import save

    graph = one_network("lenet5", lowering=True).graph
    state = to_torch("lenet5", seed=5).state_dict()
    payload = {"architecture_hash": architecture_hash(graph), "network": "LeNet5"}
    path = save(tmp_path / "lenet.pt", {**payload, "state_dict": state})
    doc = answer(weights="checkpoint", server_weights=str(path))
    assert doc["weights"] == "checkpoint" and len(doc["layers"]) == 14
    assert doc["layers"][0]["maps"][0] != lenet["layers"][0]["maps"][0]


def test_without_torch_the_task_says_how_to_install_it(monkeypatch):
    from netspec.serve.activations import activations_task

    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` fails as if absent
    doc = activations_task({"text": LENET, "image": "digit"})
    assert diagnostic(doc).startswith("E-extra: the activations panel runs the network")
    assert doc["errors"][0]["help"] == [
        "pip install 'netspec[torch]', then start netspec serve again"
    ]


def test_a_network_without_an_image_input_is_refused_clearly():
    doc = activations({"text": load("gpt_tiny").text, "image": "digit"})
    assert diagnostic(doc).startswith("E-activations: GPT_Tiny's input ids is [N, 64]")


def test_the_photo_is_resized_to_the_networks_input():
    spec = LENET.replace("[N, 1, 32, 32]", "[N, 3, 32, 32]")
    doc = activations({"text": spec, "image": "photo"})
    assert doc["input"]["shape"] == [1, 3, 32, 32] and doc["layers"][0]["shape"] == [1, 6, 28, 28]


def test_what_the_review_found_is_a_clear_refusal(tmp_path):
    """Weights keyed by numbers, a checkpoint gone from the disk, a `maps` that is not a
    boolean, a batch the panel does not run: diagnostics, never E-internal."""
    numbered = checkpoint_bytes({0: torch.zeros(1)})
    assert diagnostic(answer(weights={"upload": numbered})).startswith("E-weights")
    for name in ("gone.pt", "gone.safetensors"):
        gone = {"weights": "checkpoint", "server_weights": str(tmp_path / name)}
        assert diagnostic(answer(**gone)).startswith("E-weights")
    assert "true or false" in diagnostic(answer(maps="no"))
    # a batch of 64 declared: the panel runs one image, so it is judged at one
    big_batch = answer(input_shapes={"image": [64, 1, 32, 32]}, maps=False)
    assert "errors" not in big_batch
