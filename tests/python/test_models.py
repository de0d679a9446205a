"""Model, cascade and annotate against the C++ tools' output on a generated drive."""
import csv
import os
import signal
import threading

import cv2
import numpy as np
import pytest

import tarmac
from conftest import run, tool


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def frames_of(drive):
    names = sorted(p for p in os.listdir(drive["frames"]) if p.endswith(".png"))
    return names, [cv2.imread(str(drive["frames"] / n)) for n in names]


def type_model_of(drive):
    folder = drive["cascade"].parent
    return next(folder / line.split(":", 1)[1].strip().strip('"') for line in open(drive["cascade"])
                if line.strip().startswith("model:"))


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
    model = tarmac.load_model(type_model_of(drive), threads=1)
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


RTK_ROI = "rtk (rows [round(h*0.5)-5, h-50))"


def test_model_and_cascade_properties(drive, cascade):
    quality = tarmac.load_model(drive["cascade"].parent / "asphalt_quality.yml.gz", threads=1)
    assert quality.classes == ["01asphalt(Good)", "02asphalt(Regular)", "03asphalt(Bad)"]
    assert quality.labels == ["asphalt (good)", "asphalt (regular)", "asphalt (bad)"]
    assert quality.input_size == (128, 128) and quality.roi == RTK_ROI and cascade.roi == RTK_ROI
    assert cascade.outcomes == ["asphalt good", "asphalt regular", "asphalt bad", "paved good", "paved regular",
                                "paved bad", "unpaved regular", "unpaved bad"]


def test_cascade_result_quality_fields_are_the_quality_models(drive, cascade):
    _, images = frames_of(drive)
    images = images[:12]
    folder = drive["cascade"].parent
    quality_models = {t: tarmac.load_model(folder / f"{t}_quality.yml.gz", threads=1) for t in cascade.types}
    results = cascade.predict(images)
    assert {r.type_id for r in results} <= set(quality_models)
    for image, r in zip(images, results):
        q = quality_models[r.type_id]
        ids, p = q.predict([image])
        assert r.quality_id == ids[0] and r.quality_id in q.classes
        np.testing.assert_allclose(r.quality_probabilities, p[0], rtol=1e-5)
        assert r.quality_probability == max(r.quality_probabilities)
        assert repr(r) == f"CascadeResult(type='{r.type}', quality='{r.quality}')"


def test_bad_images(drive, cascade):
    image = np.zeros((144, 176, 3), np.uint8)
    for bad, match in [
        ([image.astype(np.float32)], "Cascade.predict: image 0 must be uint8 .*got float32"),
        ([image, np.zeros((144, 176, 4), np.uint8)], r"image 1 must have shape \(H, W, 3\) \(BGR\), got \(144, 176, 4\)"),
        ([np.zeros((144, 176), np.uint8)], r"image 0 must have shape \(H, W, 3\)"),
        ([], "cascade: no frames"),
        ([image, image[:2, :2]], r"image 1: a 2x2 frame is too small for the ROI rtk"),
        ([np.zeros((0, 0, 3), np.uint8)], "image 0: crop_roi: empty image"),
        (image, r"images is one array of shape \(144, 176, 3\): pass a list"),
        ("frames", "images must be a list"),
    ]:
        with pytest.raises(ValueError, match=match):
            cascade.predict(bad)
    model = tarmac.load_model(type_model_of(drive), threads=1)
    with pytest.raises(ValueError, match=r"image 1: a 3x3 frame is too small for the ROI rtk"):
        model.predict([image, image[:3, :3]])


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
    for label, share in result.quality_shares.items():
        assert share == pytest.approx(sum(f"{r['type']} {r['quality']}" == label for r in rows) / 40)
    assert set(result.quality_shares) <= set(cascade.outcomes) and result.resized == 0
    assert str(result.output) == str(tmp_path / "drive.avi")


def copy_frames(drive, folder, count):
    folder.mkdir()
    for name in sorted(os.listdir(drive["frames"]))[:count]:
        (folder / name).write_bytes((drive["frames"] / name).read_bytes())
    return folder


def test_annotate_options_match_tarmac_annotate_with_the_same_flags(drive, cascade, tmp_path):
    frames = copy_frames(drive, tmp_path / "frames", 10)
    run(tool("tarmac-annotate"), "--cascade", drive["cascade"], frames, tmp_path / "cli.avi", "--csv", tmp_path / "cli.csv",
        "--fps", "7.5", "--smooth", "0.3", "--show-roi", "--roi", "0.4:0.9", "--batch", "3")
    result = tarmac.annotate(cascade, frames, tmp_path / "py.avi", tmp_path / "py.csv", fps=7.5, smoothing=0.3,
                             show_roi=True, roi="0.4:0.9", batch=3)
    assert result.frames == 10
    assert read_csv(tmp_path / "py.csv") == read_csv(tmp_path / "cli.csv")
    assert (tmp_path / "py.avi").read_bytes() == (tmp_path / "cli.avi").read_bytes()
    # The options change the result (so the comparison above says something).
    assert read_csv(tmp_path / "py.csv") != read_csv(drive["csv"])[:10]


def test_the_cascade_from_its_own_annotate_callback_is_an_error_not_a_deadlock(drive, tmp_path):
    own = tarmac.load_cascade(drive["cascade"], threads=1)  # a hang here leaves the other tests' cascade free
    frames = copy_frames(drive, tmp_path / "frames", 4)
    _, images = frames_of(drive)
    errors, out = [], {}

    def progress(done, total):
        for call in (lambda: own.predict(images[:1]), lambda: tarmac.annotate(own, frames, tmp_path / "inner.avi")):
            try:
                call()
            except ValueError as e:
                errors.append(str(e))

    worker = threading.Thread(target=lambda: out.update(result=tarmac.annotate(own, frames, tmp_path / "out.avi",
                                                                               progress=progress)), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "annotate hung: its progress callback waits for the cascade annotate holds"
    assert out["result"].frames == 4 and len(errors) == 8
    assert all(e.startswith(("Cascade.predict: ", "annotate: ")) and "the cascade is busy in tarmac.annotate" in e
               for e in errors)
    assert len(own.predict(images[:1])) == 1  # free again afterwards


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
    folder = copy_frames(drive, tmp_path / "frames", 6)
    (folder / "000003.png").write_bytes(b"broken")
    cv2.imwrite(str(folder / "000004.png"), cv2.resize(cv2.imread(str(folder / "000004.png")), (200, 150)))
    result = tarmac.annotate(cascade, folder, tmp_path / "out.avi")
    assert (result.frames, result.skipped, result.resized) == (5, 1, 1) and result.csv is None
    assert result.skipped_details[0].name.endswith("000003.png")
    assert result.skipped_details[0].reason == "cannot be decoded (damaged, or not an image format OpenCV reads)"


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
    for batch in (0, 1025):  # 1025 frames a batch would take gigabytes
        with pytest.raises(ValueError, match=rf"annotate: batch size must be in \[1, 1024\], got {batch}"):
            tarmac.annotate(cascade, drive["frames"], tmp_path / "out.avi", batch=batch)
    for fps in (0.05, 1001):  # below 0.1 the AVI header's rate rounds to 0 or overflows
        with pytest.raises(ValueError, match=r"frame rate must be in \[0.1, 1000\]"):
            tarmac.annotate(cascade, drive["frames"], tmp_path / "out.avi", fps=fps)
    assert os.listdir(tmp_path) == []
