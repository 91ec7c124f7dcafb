"""Issue 20 item 3: `netspec train --data DIR` on a folder of class sub-folders of images.

The images are generated here with Pillow: class k of 3 paints a coloured bar over the
k-th third of a 16x16 noisy image (so that grey levels tell the classes apart too). The
tests cover the scan (classes, suffixes, hidden files, nesting), the split (seeded,
stratified, or train/ and val/), decoding to the spec's input (grey and RGB, --fit),
standardisation, every error before training, pickling for DataLoader workers, and an
end-to-end run of `netspec train` and `netspec predict` on one of the images.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")
Image = pytest.importorskip("PIL.Image")

from netspec.api import one_network  # noqa: E402
from netspec.cli.main import main  # noqa: E402
from netspec.training import TrainingError, image_scan  # noqa: E402
from netspec.training.image_files import Decoding, ImageFiles  # noqa: E402
from netspec.training.images import is_image_folder, prepare_images  # noqa: E402
from netspec.training.options import TrainConfig  # noqa: E402

COLOURS = ((230, 40, 40), (40, 230, 40), (40, 40, 230))
RGB = """network Colours(classes=3) {
    input image: [N, 3, 16, 16]
    features = conv(4, 3, padding=1) relu
    scores = flatten linear(classes)
}
"""


def paint(path: Path, label: int, rng, size: int = 16) -> None:
    pixels = rng.integers(0, 50, (size, size, 3)).astype(np.uint8)
    third = size // 3
    pixels[label * third : (label + 1) * third] = COLOURS[label]
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def make_folder(root: Path, per: int = 20, classes: int = 3, seed: int = 0, size: int = 16) -> Path:
    rng = np.random.default_rng(seed)
    for label in range(classes):
        for i in range(per):
            paint(root / f"class{label}" / f"{i:03}.png", label, rng, size)
    return root


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make_folder(tmp_path / "shapes")


def graph(text: str, tmp_path: Path, **overrides):
    path = tmp_path / "net.netspec"
    path.write_text(text)
    return one_network(path, None, overrides).graph


def rgb(tmp_path: Path, size: str = "16, 16", channels: int = 3):
    return graph(RGB.replace("3, 16, 16", f"{channels}, {size}"), tmp_path)


def prepared(folder: Path, g, **config):
    return prepare_images(folder, g, TrainConfig(**config))


# ---- scan and split -------------------------------------------------------------------


def test_scan_sorts_classes_and_files_and_skips_what_is_not_an_image(folder):
    paint(folder / "class1" / "deeper" / "UPPER.PNG", 1, np.random.default_rng(1))
    (folder / "class0" / "notes.txt").write_text("not an image")
    (folder / "class0" / ".hidden.png").write_bytes(b"")
    (folder / ".cache").mkdir()
    (folder / "class3").symlink_to(folder / "class0")  # a link: its images counted twice
    found = image_scan.scan(folder)
    assert found.classes == ["class0", "class1", "class2"]
    assert len(found.paths) == 61 and found.skipped == 1
    assert found.labels == [0] * 20 + [1] * 21 + [2] * 20
    assert found.paths[20:22] == [
        str(folder / "class1" / "000.png"),
        str(folder / "class1" / "001.png"),
    ]
    assert str(folder / "class1" / "deeper" / "UPPER.PNG") in found.paths
    assert found.val_start is None and len(found.firsts) == 3


def test_the_split_is_seeded_and_stratified(folder, tmp_path):
    g = rgb(tmp_path)
    a = prepared(folder, g, val_fraction=0.25)
    assert (len(a.x_train), len(a.x_val)) == (45, 15)
    assert torch.bincount(a.y_val).tolist() == [5, 5, 5]
    again, other = prepared(folder, g, val_fraction=0.25), prepared(folder, g, seed=1)
    assert a.x_val.paths == again.x_val.paths
    assert a.x_val.paths != other.x_val.paths
    assert not set(a.x_val.paths) & set(a.x_train.paths)


def test_train_and_val_folders_are_the_split(tmp_path):
    make_folder(tmp_path / "d" / "train", per=12)
    make_folder(tmp_path / "d" / "val", per=4, seed=1)
    data = prepared(tmp_path / "d", rgb(tmp_path), val_fraction=0.5)
    assert (len(data.x_train), len(data.x_val)) == (36, 12)
    assert all("/val/" in p for p in data.x_val.paths)
    assert data.y_val.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert any("the train/ and val/ folders" in note for note in data.notes)


# ---- decoding -------------------------------------------------------------------------


def test_grey_and_rgb_decoding_to_the_input(tmp_path):
    red = tmp_path / "red.png"
    Image.new("RGB", (16, 16), (255, 0, 0)).save(red)
    colour = ImageFiles([str(red)], Decoding(("N", 3, 16, 16), "none", "x"))[0]
    assert colour.shape == (3, 16, 16) and colour.dtype == torch.float32
    assert colour[0].eq(1).all() and colour[1:].eq(0).all()
    grey = ImageFiles([str(red)], Decoding(("N", 1, 32, 32), "resize", "x"))[0]
    assert grey.shape == (1, 32, 32)
    assert grey.sub(76 / 255).abs().max() < 1e-6  # Pillow's luma of pure red: 76
    padded = ImageFiles([str(red)], Decoding(("N", 1, 20, 20), "pad", "x"))[0]
    assert padded[0, 0].eq(0).all() and padded[0, 10, 10] > 0


def test_wide_pixel_types_are_scaled_by_their_range(tmp_path, capsys):
    """16-bit images are divided by 65535 (Pillow's convert("L") clipped them to near
    white), 32-bit integers within 16 bits too, floats in [0, 1] taken as they are;
    other integers or floats are refused, in training and in `netspec predict` alike."""
    ramp = np.arange(256, dtype=np.uint16).reshape(16, 16) * 256  # 0 .. 65280
    sixteen = tmp_path / "sixteen.png"
    Image.fromarray(ramp).save(sixteen)
    assert Image.open(sixteen).mode == "I;16"
    big_endian = tmp_path / "big.tif"
    Image.frombytes("I;16B", (16, 16), ramp.astype(">u2").tobytes()).save(big_endian)
    floats = tmp_path / "floats.tif"
    Image.fromarray((ramp / 65535).astype(np.float32)).save(floats)
    grey = Decoding(("N", 1, 16, 16), "none", "x")
    for path in (sixteen, big_endian, floats):
        x = ImageFiles([str(path)], grey)[0]
        assert torch.allclose(x[0], torch.from_numpy(ramp / 65535).float(), atol=1e-6), path
    colour = ImageFiles([str(sixteen)], Decoding(("N", 3, 16, 16), "none", "x"))[0]
    assert torch.equal(colour[0], colour[2]) and float(colour.max()) == pytest.approx(65280 / 65535)
    wide = tmp_path / "wide.tif"
    Image.fromarray(np.full((4, 4), 70000, dtype=np.int32)).save(wide)
    with pytest.raises(TrainingError, match="wide.tif holds 32-bit integer pixels from 70000"):
        ImageFiles([str(wide)], grey)[0]
    hot = tmp_path / "hot.tif"
    Image.fromarray(np.full((4, 4), 3.5, dtype=np.float32)).save(hot)
    with pytest.raises(TrainingError, match="hot.tif holds floating-point pixels from 3.5"):
        ImageFiles([str(hot)], grey)[0]
    pytest.importorskip("onnxruntime")
    from netspec.cli.predict import read_input

    for native in (True, False):
        got = read_input(np, sixteen, ["N", 1, 16, 16], native=native)
        assert np.allclose(got[0], ramp / 65535, atol=1e-5), native
    with pytest.raises(Exception, match="hot.tif holds floating-point pixels"):
        read_input(np, hot, ["N", 1, 16, 16])


def test_exif_orientation_and_huge_images(tmp_path, monkeypatch):
    """A photo stored sideways with EXIF orientation 6 (turn 90 degrees) is read
    upright; an image beyond MAX_PIXELS is refused from its header, naming the file."""
    from netspec.training import levels
    from netspec.training.image_files import size_of

    stored = np.zeros((16, 8), dtype=np.uint8)  # 8 wide, 16 high as stored
    stored[:, :4] = 255  # the left half white
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = tmp_path / "photo.jpg"
    Image.fromarray(stored).save(photo, exif=exif, quality=100)
    assert size_of(str(photo)) == (1, 8, 16)  # upright: 8 high, 16 wide
    x = ImageFiles([str(photo)], Decoding(("N", 1, 8, 16), "none", "x"))[0]
    assert float(x[0, :4].mean()) > 0.9 and float(x[0, 4:].mean()) < 0.1  # the top half
    monkeypatch.setattr(levels, "MAX_PIXELS", 100)
    with pytest.raises(TrainingError, match="photo.jpg is 8x16, 128 pixels, more than the 100"):
        ImageFiles([str(photo)], Decoding(("N", 1, 8, 16), "none", "x"))[0]


def test_lenet5_takes_the_folder_as_grey_32x32_standardized(folder):
    data = prepared(folder, one_network("lenet5").graph)
    assert data.x_train[0].shape == (1, 32, 32) and data.classes == 10
    mean, std = data.standardized
    assert 0 < mean < 1 and 0 < std < 1 and data.scale == 1.0
    every = torch.stack([data.x_train[i] for i in range(len(data.x_train))])
    assert abs(float(every.mean())) < 1e-4 and abs(float(every.std()) - 1) < 0.02
    notes = "\n".join(data.notes)
    assert "60 images in 3 classes" in notes and "labels: 0 class0, 1 class1" in notes
    assert "decoded as grey levels in [0, 1] to 32x32" in notes and "10 classes" in notes
    raw = prepared(folder, one_network("lenet5").graph, standardize=False)
    assert raw.standardized is None and 0 <= float(raw.x_val[0].min()) <= 1


def test_predict_prepares_an_image_file_as_training_does(tmp_path):
    """Training decodes with torch (fit.py), predict with numpy (preprocess.py): one map."""
    pytest.importorskip("onnxruntime")
    from netspec.cli.predict import read_input
    from netspec.training.preprocess import Preprocessing, as_batch

    path = tmp_path / "odd.png"
    paint(path, 1, np.random.default_rng(2), size=23)
    shape = ["N", 3, 16, 16]
    files = ImageFiles([str(path)], Decoding(tuple(shape), "resize", "x"), (0.3, 0.2))
    x, _ = as_batch(read_input(np, path, shape, native=True), shape, "resize")
    x = Preprocessing(fit="resize", mean=0.3, std=0.2).standardize(x)
    assert np.allclose(files[0].numpy(), x[0], atol=1e-5)


def test_samples_pickle_for_worker_processes(folder, tmp_path):
    data = prepared(folder, rgb(tmp_path))
    copy = pickle.loads(pickle.dumps(data.x_train))
    assert torch.equal(copy[7], data.x_train[7])
    batches = torch.utils.data.DataLoader(data.x_val, batch_size=4, num_workers=1)
    assert next(iter(batches)).shape == (4, 3, 16, 16)


# ---- errors before training ------------------------------------------------------------


def message(folder, g, **config) -> str:
    with pytest.raises(TrainingError) as caught:
        prepared(folder, g, **config)
    return str(caught.value)


def test_folders_that_are_not_an_image_folder(tmp_path):
    g = rgb(tmp_path)
    assert "no folder" in message(tmp_path / "nothing", g)
    (tmp_path / "file").write_text("x")
    assert "is not a folder" in message(tmp_path / "file", g)
    make_folder(tmp_path / "one", classes=1)
    assert "only class0/" in message(tmp_path / "one", g)
    make_folder(tmp_path / "two", classes=2)
    (tmp_path / "two" / "empty").mkdir()
    assert "empty holds no images" in message(tmp_path / "two", g)
    make_folder(tmp_path / "half" / "train")
    assert "has train/ but no val/" in message(tmp_path / "half", g)


def test_val_must_hold_the_train_classes(tmp_path):
    make_folder(tmp_path / "d" / "train")
    make_folder(tmp_path / "d" / "val", classes=2)
    text = message(tmp_path / "d", rgb(tmp_path))
    assert "must hold the same class folders (missing in val/: class2)" in text


def test_unreadable_files_are_named(folder, tmp_path):
    g = rgb(tmp_path)
    (folder / "class0" / "000.png").write_bytes(b"not a png")  # a class's first: at once
    assert "class0/000.png is not an image Pillow can read" in message(folder, g)
    (folder / "class0" / "000.png").unlink()
    (folder / "class2" / "019.png").write_bytes(b"")  # a later one: when it is read
    data = prepared(folder, g, standardize=False)
    broken = data.x_train.paths.index(str(folder / "class2" / "019.png"))
    with pytest.raises(TrainingError, match="class2/019.png is not an image"):
        data.x_train[broken]
    loader = torch.utils.data.DataLoader(data.x_train, batch_size=64, num_workers=1)
    with pytest.raises(TrainingError) as caught:  # from a worker: one line, no traceback
        next(iter(loader))
    assert str(caught.value).startswith(str(folder / "class2" / "019.png"))
    assert "\n" not in str(caught.value)


def test_networks_that_cannot_take_the_folder(folder, tmp_path):
    fixed = RGB.replace("(classes=3)", "").replace("linear(classes)", "linear(2)")
    text = message(folder, graph(fixed, tmp_path))
    assert "has 3 classes (class0, class1, class2)" in text
    assert "scores 2; give the network 3 outputs" in text
    assert "scores 2; --set classes=3" in message(folder, graph(RGB, tmp_path, classes=2))
    assert "takes 4 channels" in message(folder, rgb(tmp_path, channels=4))
    assert "--input-shape image=[N,3,16,16]" in message(folder, rgb(tmp_path, size="H, W"))
    flat = graph("network Flat {\n    input x: [N, 768]\n    y = linear(3)\n}\n", tmp_path)
    assert "needs a network whose input is images [N, C, H, W]" in message(folder, flat)
    text = message(folder, rgb(tmp_path, size="8, 8"), fit="none")
    assert "class0/000.png: data samples of shape [3, 16, 16] do not fit" in text


def test_too_many_images_are_refused(folder, tmp_path, monkeypatch):
    monkeypatch.setattr(image_scan, "MAX_IMAGES", 30)
    assert "more than 30 images" in message(folder, rgb(tmp_path))


def test_which_data_values_are_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "digits").mkdir()
    assert not is_image_folder("digits") and not is_image_folder("text")
    assert is_image_folder("./digits") and is_image_folder(tmp_path / "digits")
    assert is_image_folder("missing/") and not is_image_folder("missing.npz")


# ---- end to end -------------------------------------------------------------------------


def test_netspec_train_and_predict_on_an_image_folder(tmp_path, capsys):
    folder = make_folder(tmp_path / "shapes", per=30, size=21)  # resized to 16x16
    spec = tmp_path / "colours.netspec"
    spec.write_text(RGB)
    weights = tmp_path / "c.pt"
    argv = ["train", spec, "--data", folder, "--epochs", "3", "--checkpoint", weights]
    assert main([*map(str, argv), "--lr", "0.01", "--batch-size", "16"]) == 0
    out, err = capsys.readouterr()
    assert "an image folder of 90 images in 3 classes" in out + err
    saved = torch.load(weights, weights_only=True)
    assert saved["metrics"][-1]["val_accuracy"] > 0.6  # chance: 1/3
    assert saved["preprocessing"]["mean"] is not None
    pytest.importorskip("onnxruntime")
    image = folder / "class2" / "005.png"
    assert main(["predict", str(spec), str(image), "--weights", str(weights), "--top", "1"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("sample 0: class 2") and "applied the preprocessing" in err
    assert "--fit resize (one sample, [3, 21, 21] -> [1, 3, 16, 16])" in err
