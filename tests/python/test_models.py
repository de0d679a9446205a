"""Model, cascade and annotate against the C++ tools' output on a generated drive."""
import csv
import os
import signal
import threading

import cv2
import numpy as np
import pytest

import tarmac


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def frames_of(drive):
    names = sorted(p for p in os.listdir(drive["frames"]) if p.endswith(".png"))
    return names, [cv2.imread(str(drive["frames"] / n)) for n in names]


@pytest.fixture(scope="module")
def cascade(drive):
    return tarmac.load_cascade(drive["cascade"], threads=2)


def test_cascade_predict_matches_tarmac_annotate(drive, cascade):
    names, images = frames_of(drive)
    rows = read_csv(drive["csv_smooth0"])  # tarmac-annotate --smooth 0: each frame on its own
    assert [r["source"] for r in rows] == names and len(rows) == 40
    results = cascade.predict(images)
    assert len(results) == 40
    for row, r in zip(rows, results):
        assert r.type == row["type"] and f"{r.type_probability:.4f}" == row["type_probability"]
        assert (r.quality or "") == row["quality"]
        assert (f"{r.quality_probability:.6f}" if r.quality else "") == row["quality_probability"]
        assert r.type_probability == max(r.type_probabilities) and abs(sum(r.type_probabilities) - 1) < 1e-5


def test_model_predict_is_the_cascades_type_model(drive, cascade):
    folder = drive["cascade"].parent
    type_model = next(folder / line.split(":", 1)[1].strip().strip('"') for line in open(drive["cascade"])
                      if line.strip().startswith("model:"))
    model = tarmac.load_model(type_model, threads=1)
    assert model.threads == 1 and model.classes == cascade.types and "conv2d" in model.architecture
    _, images = frames_of(drive)
    names, probabilities = model.predict(images)
    assert probabilities.dtype == np.float32 and probabilities.shape == (40, len(model.classes))
    results = cascade.predict(images)
    for name, p, r in zip(names, probabilities, results):
        assert name == r.type_id == model.classes[int(np.argmax(p))]
        np.testing.assert_array_equal(p, np.array(r.type_probabilities, np.float32))
    # A crop of a frame (a strided view) and its contiguous copy give the same answer.
    view = images[0][10:130, 5:170]
    np.testing.assert_array_equal(model.predict([view])[1], model.predict([view.copy()])[1])


def test_bad_images(cascade):
    image = np.zeros((144, 176, 3), np.uint8)
    for bad, match in [
        ([image.astype(np.float32)], "Cascade.predict: image 0 must be uint8 .*got float32"),
        ([image, np.zeros((144, 176, 4), np.uint8)], r"image 1 must have shape \(H, W, 3\) \(BGR\), got \(144, 176, 4\)"),
        ([np.zeros((144, 176), np.uint8)], r"image 0 must have shape \(H, W, 3\)"),
        ([], "cascade: no frames"),
        (image, r"images is one array of shape \(144, 176, 3\): pass a list"),
        ("frames", "images must be a list"),
    ]:
        with pytest.raises(ValueError, match=match):
            cascade.predict(bad)


def test_annotate_matches_tarmac_annotate_frame_by_frame(drive, cascade, tmp_path):
    seen = []
    result = tarmac.annotate(cascade, drive["frames"], tmp_path / "drive.avi", tmp_path / "drive.csv",
                             progress=lambda done, total: seen.append((done, total)))
    assert read_csv(tmp_path / "drive.csv") == read_csv(drive["csv"])
    assert (tmp_path / "drive.avi").read_bytes() == drive["avi"].read_bytes()
    assert result.frames == 40 and result.skipped == 0 and result.frames_per_second > 0
    assert seen == [(i, 40) for i in range(1, 41)]
    rows = read_csv(drive["csv"])
    for label, share in result.type_shares.items():
        assert share == pytest.approx(sum(r["type"] == label for r in rows) / 40)
    assert sum(result.quality_frames.values()) == 40 and sum(result.type_shares.values()) == pytest.approx(1)
    assert str(result.output) == str(tmp_path / "drive.avi")


def test_annotate_on_a_worker_thread(drive, cascade, tmp_path):
    # As a fleet worker calls it: not on the main thread, with a progress callback.
    out = {}

    def work():
        out["result"] = tarmac.annotate(cascade, drive["frames"], tmp_path / "t.avi", tmp_path / "t.csv",
                                        progress=lambda done, total: out.setdefault("calls", []).append(done))

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert out["result"].frames == 40 and out["calls"][-1] == 40
    assert read_csv(tmp_path / "t.csv") == read_csv(drive["csv"])


def test_annotate_a_damaged_sequence_skips_and_reports(drive, cascade, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for name in sorted(os.listdir(drive["frames"]))[:6]:
        (folder / name).write_bytes((drive["frames"] / name).read_bytes())
    (folder / "000003.png").write_bytes(b"broken")
    result = tarmac.annotate(cascade, folder, tmp_path / "out.avi")
    assert (result.frames, result.skipped) == (5, 1) and result.csv is None
    assert result.skipped_details[0].name.endswith("000003.png")


def test_a_callback_exception_propagates_as_itself_and_nothing_is_written(drive, cascade, tmp_path):
    class Stop(Exception):
        pass

    def progress(done, total):
        if done == 3:
            raise Stop("from the callback")

    with pytest.raises(Stop, match="from the callback"):
        tarmac.annotate(cascade, drive["frames"], tmp_path / "out.avi", tmp_path / "out.csv", progress=progress)
    assert os.listdir(tmp_path) == []


def test_ctrl_c_stops_cleanly(drive, cascade, tmp_path):
    def progress(done, total):
        if done == 2:
            os.kill(os.getpid(), signal.SIGINT)  # Python's handler runs on the main thread, in annotate's wait

    with pytest.raises(KeyboardInterrupt):
        tarmac.annotate(cascade, drive["frames"], tmp_path / "out.avi", tmp_path / "out.csv", progress=progress)
    assert os.listdir(tmp_path) == []


def test_annotate_errors(drive, cascade, tmp_path):
    with pytest.raises(OSError, match="missing"):
        tarmac.annotate(cascade, drive["frames"], tmp_path / "missing" / "out.avi")
    with pytest.raises(ValueError, match="csv and output are the same file"):
        tarmac.annotate(cascade, drive["frames"], tmp_path / "out.avi", tmp_path / "out.avi")
    with pytest.raises(OSError):
        tarmac.annotate(cascade, tmp_path / "no-such-video.avi", tmp_path / "out.avi")
    with pytest.raises(ValueError, match="batch"):
        tarmac.annotate(cascade, drive["frames"], tmp_path / "out.avi", batch=0)
    assert os.listdir(tmp_path) == []
