"""tarmac.nms, batched_nms and soft_nms: the C++ policies' answers on the C++ property cases,
torchvision's on inputs without ties, and the arrays they take and give."""
import os
import subprocess
import threading
import time
import tracemalloc

import numpy as np
import pytest

import tarmac

POLICIES = ("simd", "suppressed_flag", "naive")
CONVENTIONS = ("continuous", "pixel_inclusive")


def property_cases(path):
    """The cases python_nms_cases writes (see tests/python/nms_cases.cpp)."""
    data = open(path, "rb").read()
    at = 0
    while at < len(data):
        n, convention, max_keep, kept, size = np.frombuffer(data, np.int64, 5, at)
        iou_threshold, score_threshold = np.frombuffer(data, np.float64, 2, at + 40)
        at += 56
        dtype = np.float32 if size == 4 else np.float64
        boxes = np.frombuffer(data, dtype, 4 * n, at).reshape(n, 4)
        at += 4 * n * int(size)
        scores = np.frombuffer(data, dtype, n, at)
        at += n * int(size)
        keep = np.frombuffer(data, np.int64, kept, at)
        at += 8 * int(kept)
        yield dict(boxes=boxes, scores=scores, iou_threshold=float(iou_threshold),
                   score_threshold=None if np.isneginf(score_threshold) else float(score_threshold),
                   max_keep=None if max_keep < 0 else int(max_keep), convention=CONVENTIONS[convention]), keep


def test_every_policy_matches_the_cpp_property_cases(tmp_path):
    program = os.environ.get("TARMAC_NMS_CASES")
    if not program:
        pytest.skip("TARMAC_NMS_CASES (the python_nms_cases program) is not set")
    subprocess.run([program, str(tmp_path / "cases.bin"), "1000"], check=True)
    count = dtypes = suppressed = 0
    seen = set()
    for case, expected in property_cases(tmp_path / "cases.bin"):
        for policy in POLICIES:
            kept = tarmac.nms(**case, policy=policy)
            assert kept.dtype == np.int64
            np.testing.assert_array_equal(kept, expected, err_msg=f"case {count}, policy {policy}")
        count += 1
        seen.add(case["boxes"].dtype)
        suppressed += len(expected) < len(case["boxes"]) and case["max_keep"] is None
    assert count == 2000 and seen == {np.dtype(np.float32), np.dtype(np.float64)}
    assert suppressed > count // 4  # the cases do suppress


def random_boxes(rng, n, dtype=np.float32, extent=500.0):
    """Real-valued boxes and distinct scores: no ties, and (almost surely) no IoU at a threshold."""
    x1, y1 = rng.uniform(0, extent, n), rng.uniform(0, extent, n)
    w, h = rng.uniform(1, extent / 5, n), rng.uniform(1, extent / 5, n)
    boxes = np.stack([x1, y1, x1 + w, y1 + h], axis=1).astype(dtype)
    scores = (rng.permutation(n).astype(dtype) + dtype(0.5)) / max(n, 1)
    return boxes, scores


def test_nms_matches_torchvision():
    torch = pytest.importorskip("torch")
    ops = pytest.importorskip("torchvision.ops")
    rng = np.random.default_rng(7)
    compared = 0
    for n in (0, 1, 2, 10, 300, 3000):
        for dtype in (np.float32, np.float64):
            boxes, scores = random_boxes(rng, n, dtype)
            for t in (0.0, 0.1, 0.3, 0.5, 0.7, 0.9):
                expected = ops.nms(torch.from_numpy(boxes), torch.from_numpy(scores), t).numpy()
                for policy in POLICIES:
                    np.testing.assert_array_equal(tarmac.nms(boxes, scores, t, policy=policy), expected,
                                                  err_msg=f"n {n}, {dtype.__name__}, t {t}, {policy}")
                compared += len(expected) > 1
    assert compared > 20


def test_batched_nms_matches_torchvision():
    torch = pytest.importorskip("torch")
    ops = pytest.importorskip("torchvision.ops")
    rng = np.random.default_rng(8)
    boxes, scores = random_boxes(rng, 2000, extent=200.0)
    for ids in (rng.integers(0, 5, 2000), rng.integers(0, 5, 2000).astype(np.int32)):
        for t in (0.3, 0.5, 0.8):
            expected = ops.batched_nms(torch.from_numpy(boxes), torch.from_numpy(scores), torch.from_numpy(ids.astype(np.int64)), t).numpy()
            for policy in POLICIES:
                np.testing.assert_array_equal(tarmac.batched_nms(boxes, scores, ids, t, policy=policy), expected)
            # Class-aware: boxes of different classes do not suppress each other.
            assert len(expected) > len(tarmac.nms(boxes, scores, t))


def test_torch_tensors_work_through_the_array_protocol():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    boxes, scores = random_boxes(rng, 500)
    expected = tarmac.nms(boxes, scores, 0.4)
    np.testing.assert_array_equal(tarmac.nms(torch.from_numpy(boxes), torch.from_numpy(scores), 0.4), expected)
    # Lists too (float64; integer lists are refused like integer arrays).
    assert tarmac.nms([[0.0, 0, 10, 10], [1.0, 1, 10, 10], [50.0, 50, 60, 60]], [0.9, 0.8, 0.7], 0.5).tolist() == [0, 2]


def test_options_and_conventions():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 9], [20, 20, 30, 30], [21, 21, 30, 30]], np.float32)
    scores = np.array([0.9, 0.8, 0.7, 0.95], np.float32)
    assert tarmac.nms(boxes, scores).tolist() == [3, 0]
    assert tarmac.nms(boxes, scores, 0.95).tolist() == [3, 0, 1, 2]
    assert tarmac.nms(boxes, scores, score_threshold=0.85).tolist() == [3, 0]
    assert tarmac.nms(boxes, scores, 0.95, score_threshold=0.85).tolist() == [3, 0]
    assert tarmac.nms(boxes, scores, 0.95, max_keep=2).tolist() == [3, 0]
    assert tarmac.nms(boxes, scores, max_keep=0).tolist() == []
    # IoU of boxes 2 and 3: 81/100 continuous, 100/121 pixel-inclusive; a threshold between keeps
    # box 2 in one convention only.
    assert tarmac.nms(boxes[2:], scores[2:], 0.815).tolist() == [1, 0]
    assert tarmac.nms(boxes[2:], scores[2:], 0.815, convention="pixel_inclusive").tolist() == [1]
    # Equal scores: the lower index first.
    same = np.array([[0, 0, 1, 1], [5, 5, 6, 6], [9, 9, 10, 10]], np.float64)
    assert tarmac.nms(same, np.array([0.5, 0.5, 0.5])).tolist() == [0, 1, 2]
    assert tarmac.nms(np.empty((0, 4), np.float32), np.empty(0, np.float32)).shape == (0,)


def test_batched_nms_options():
    # Classes 0 and 1 each hold a pair: IoU 0.9 in class 0, 0.95 in class 1.
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 9], [0, 0, 10, 10], [0, 0, 10, 9.5]], np.float32)
    scores = np.array([0.9, 0.8, 0.7, 0.6], np.float32)
    for ids in (np.array([0, 0, 1, 1]), np.array([0, 0, 1, 1], np.int32)):
        assert tarmac.batched_nms(boxes, scores, ids).tolist() == [0, 2]
        assert tarmac.batched_nms(boxes, scores, ids, 0.92).tolist() == [0, 1, 2]
        assert tarmac.batched_nms(boxes, scores, ids, 0.99).tolist() == [0, 1, 2, 3]
        assert tarmac.batched_nms(boxes, scores, ids, 0.99, max_keep=3).tolist() == [0, 1, 2]
        assert tarmac.batched_nms(boxes, scores, ids, 0.92, max_keep=2).tolist() == [0, 1]
        assert tarmac.batched_nms(boxes, scores, ids, 0.99, score_threshold=0.65).tolist() == [0, 1, 2]
        assert tarmac.batched_nms(boxes, scores, ids, score_threshold=0.75).tolist() == [0]
        assert tarmac.batched_nms(boxes, scores, ids, 0.99, 0.65, 1, "pixel_inclusive").tolist() == [0]
    # Boxes 0 and 1: IoU 0.9 continuous, 110/121 pixel-inclusive; a threshold between tells them apart.
    ids = np.array([0, 0, 1, 1])
    assert tarmac.batched_nms(boxes, scores, ids, 0.905, convention="continuous").tolist() == [0, 1, 2]
    assert tarmac.batched_nms(boxes, scores, ids, 0.905, convention="pixel_inclusive").tolist() == [0, 2]


@pytest.mark.parametrize("convention, iou", [("continuous", 81 / 100), ("pixel_inclusive", 100 / 121)])
def test_soft_nms_convention(convention, iou):
    boxes = np.array([[20, 20, 30, 30], [21, 21, 30, 30]], np.float64)
    scores = np.array([0.95, 0.9])
    indices, decayed = tarmac.soft_nms(boxes, scores, method="linear", iou_threshold=0.3, convention=convention)
    assert indices.tolist() == [0, 1]
    np.testing.assert_allclose(decayed, [0.95, 0.9 * (1 - iou)], rtol=1e-12)


def soft_nms_reference(boxes, scores, method, sigma, iou_threshold, score_threshold):
    """Bodla et al.'s loop in plain Python (float64)."""
    current = [float(s) for s in scores]
    alive = [i for i in range(len(boxes)) if current[i] >= score_threshold]
    kept, kept_scores = [], []

    def iou(a, b):
        w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        inter = w * h
        return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)

    while alive:
        best = max(alive, key=lambda i: (current[i], -i))
        alive.remove(best)
        kept.append(best)
        kept_scores.append(current[best])
        for j in list(alive):
            o = iou(boxes[best], boxes[j])
            if method == "gaussian":
                current[j] *= np.exp(-(o * o) / sigma)
            elif o > iou_threshold:
                current[j] *= 1 - o
            if current[j] < score_threshold:
                alive.remove(j)
    return kept, kept_scores


@pytest.mark.parametrize("method", ["gaussian", "linear"])
def test_soft_nms_matches_a_python_reference(method):
    rng = np.random.default_rng(10)
    boxes, scores = random_boxes(rng, 200, np.float64, extent=100.0)
    indices, decayed = tarmac.soft_nms(boxes, scores, method=method, sigma=0.5, iou_threshold=0.3, score_threshold=0.05)
    expected, expected_scores = soft_nms_reference(boxes, scores, method, 0.5, 0.3, 0.05)
    assert indices.dtype == np.int64 and decayed.dtype == np.float64
    assert indices.tolist() == expected
    np.testing.assert_allclose(decayed, expected_scores, rtol=1e-12)
    assert len(expected) < 200 and np.any(decayed < scores[indices])  # some were decayed, some dropped
    few, _ = tarmac.soft_nms(boxes.astype(np.float32), scores.astype(np.float32), method=method, max_keep=5)
    assert len(few) == 5


def test_the_input_is_viewed_in_place_not_changed_and_the_result_owns_its_memory():
    rng = np.random.default_rng(11)
    boxes, scores = random_boxes(rng, 1000)
    before = boxes.copy(), scores.copy()
    kept = tarmac.nms(boxes, scores, 0.3)
    np.testing.assert_array_equal(boxes, before[0])
    np.testing.assert_array_equal(scores, before[1])
    del boxes, scores
    assert kept.flags.owndata is False and kept.base is not None  # a view of the C++ vector, kept alive
    assert kept.max() < 1000 and len(set(kept.tolist())) == len(kept)
    np.testing.assert_array_equal(tarmac.nms(*before, 0.3), kept)
    # No copy of the input: a NumPy copy (a conversion, a forced cast) would be an allocation of
    # its size, which tracemalloc sees; read-only input is fine as it is only read.
    n = 250_000  # 4 MB of boxes, all the same box: one is kept
    same = np.tile(np.array([[0, 0, 10, 10]], np.float32), (n, 1))
    ranked = np.linspace(1, 0, n, dtype=np.float32)
    same.flags.writeable = ranked.flags.writeable = False
    tracemalloc.start()
    try:
        one = tarmac.nms(same, ranked)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert one.tolist() == [0] and peak < n  # bytes: well below the 1 MB of the scores alone


def test_the_gil_is_released_while_nms_runs():
    # A long call (naive, nothing suppressed: n^2 / 2 IoUs) on a thread while the main thread
    # counts its own 1 ms naps. If the call held the GIL the main thread could not wake until
    # it ended. The call is sized by timing a small one, so it lasts ~0.3 s on any machine.
    rng = np.random.default_rng(12)
    small = random_boxes(rng, 2000, extent=1e6)
    start = time.perf_counter()
    tarmac.nms(*small, 1.0, policy="naive")
    seconds = max(time.perf_counter() - start, 1e-4)
    n = int(min(2000 * (0.3 / seconds) ** 0.5, 60_000))
    boxes, scores = random_boxes(rng, n, extent=1e6)
    started, naps = threading.Event(), []

    def work():
        started.set()
        start = time.perf_counter()
        tarmac.nms(boxes, scores, 1.0, policy="naive")
        naps.append(time.perf_counter() - start)

    worker = threading.Thread(target=work)
    worker.start()
    started.wait()
    count = 0
    while worker.is_alive():
        time.sleep(0.001)
        count += 1
    worker.join()
    # Held GIL: a nap or two around the call; released: about one per millisecond of it.
    assert count >= 10 and count >= naps[0] * 1000 / 20, (count, naps[0], n)
