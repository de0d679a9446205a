"""Bad input raises the mapped exception with the library's message, never crashes."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tarmac

BOXES = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], np.float32)
SCORES = np.array([0.9, 0.8, 0.7], np.float32)


def test_exception_types():
    assert issubclass(tarmac.FormatError, ValueError)
    assert issubclass(tarmac.Error, RuntimeError)


@pytest.mark.parametrize("boxes, scores, match", [
    (BOXES.astype(np.int64), SCORES, "nms: boxes must be float32 or float64, got int64"),
    (BOXES.astype(np.float16), SCORES, "boxes must be float32 or float64, got float16"),
    (BOXES, SCORES.astype(np.float64), r"scores must have the boxes' dtype \(float32\), got float64"),
    (BOXES[:, :3], SCORES, r"boxes must have shape \(N, 4\), got \(3, 3\)"),
    (BOXES.reshape(-1), SCORES, r"boxes must have shape \(N, 4\), got \(12,\)"),
    (SCORES, SCORES, r"boxes must have shape \(N, 4\), got \(3,\)"),
    (BOXES, SCORES.reshape(3, 1), r"scores must have shape \(N,\), got \(3, 1\)"),
    (np.hstack([BOXES, BOXES])[:, :4], SCORES, "boxes is not C-contiguous"),
    (BOXES, np.repeat(SCORES, 2)[::2], "scores is not C-contiguous"),
    (BOXES, SCORES[:2], "nms: 3 boxes but 2 scores"),
    (np.where(np.arange(12).reshape(3, 4) == 5, np.nan, BOXES).astype(np.float32), SCORES,
     "nms: box 1 has a non-finite coordinate"),
    (np.where(np.arange(12).reshape(3, 4) == 6, np.inf, BOXES).astype(np.float32), SCORES,
     "nms: box 1 has a non-finite coordinate"),
    (BOXES, np.array([0.9, np.inf, 0.7], np.float32), r"nms: score 1 is not finite \(inf\)"),
    (BOXES[:, [2, 1, 0, 3]].copy(), SCORES, "nms: box 0 has x2 < x1 or y2 < y1"),
    ("boxes", SCORES, "boxes must be float32 or float64"),
])
def test_bad_arrays(boxes, scores, match):
    with pytest.raises(ValueError, match=match):
        tarmac.nms(boxes, scores)


def test_misaligned_boxes():
    raw = np.zeros(3 * 16 + 1, np.uint8)
    boxes = np.frombuffer(raw.data, np.float32, 12, 1).reshape(3, 4)
    with pytest.raises(ValueError, match="boxes is not aligned"):
        tarmac.nms(boxes, SCORES)


@pytest.mark.parametrize("kwargs, match", [
    (dict(iou_threshold=-0.1), r"nms: iou_threshold must be in \[0, 1\], got -0.1"),
    (dict(iou_threshold=1.5), r"iou_threshold must be in \[0, 1\]"),
    (dict(iou_threshold=float("nan")), r"iou_threshold must be in \[0, 1\]"),
    (dict(score_threshold=float("nan")), "nms: score_threshold is NaN"),
    (dict(max_keep=-1), "nms: max_keep must be >= 0 or None, got -1"),
    (dict(convention="pixels"), "nms: convention must be 'continuous' or 'pixel_inclusive', got 'pixels'"),
    (dict(policy="cuda"), "nms: policy must be 'simd', 'suppressed_flag' or 'naive', got 'cuda'"),
])
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tarmac.nms(BOXES, SCORES, **kwargs)


def test_bad_batched_and_soft_nms_input():
    with pytest.raises(ValueError, match="batched_nms: class_ids must be int64 or int32, got float64"):
        tarmac.batched_nms(BOXES, SCORES, np.zeros(3))
    with pytest.raises(ValueError, match="batched_nms: 3 boxes but 2 class ids"):
        tarmac.batched_nms(BOXES, SCORES, np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="batched_nms: boxes must have shape"):
        tarmac.batched_nms(BOXES[:, :3], SCORES, np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="soft_nms: method must be 'gaussian' or 'linear', got 'hard'"):
        tarmac.soft_nms(BOXES, SCORES, method="hard")
    with pytest.raises(ValueError, match="soft_nms: sigma must be positive and finite"):
        tarmac.soft_nms(BOXES, SCORES, sigma=0)
    with pytest.raises(ValueError, match="soft_nms: 3 boxes but 2 scores"):
        tarmac.soft_nms(BOXES, SCORES[:2])


def test_bad_files(tmp_path):
    with pytest.raises(OSError, match="no-such-model.yml"):
        tarmac.load_model(tmp_path / "no-such-model.yml")
    (tmp_path / "garbage.yml").write_text("format: something else\n")
    with pytest.raises(tarmac.FormatError):
        tarmac.load_model(tmp_path / "garbage.yml")
    with pytest.raises(tarmac.FormatError, match="cascade file .*garbage.yml: "):
        tarmac.load_cascade(tmp_path / "garbage.yml")
    with pytest.raises(OSError, match="cannot read cascade file .*: no such file"):
        tarmac.load_cascade(tmp_path / "none.yml")


def test_thread_counts_above_the_library_cap_are_refused(drive):
    # Refused before any thread starts (a huge count used to end the interpreter).
    folder = drive["cascade"].parent
    for load, path in ((tarmac.load_model, folder / "type.yml.gz"), (tarmac.load_cascade, drive["cascade"])):
        with pytest.raises(ValueError, match=r"thread_pool: threads must be at most 1024 \(0 = all cores\), got 1025"):
            load(path, threads=1025)


def test_threads_that_cannot_start_raise_tarmac_error_naming_the_count(tmp_path):
    # A library error of no narrower kind: the address space is limited so thread stacks run out
    # part-way through the pool (in a child process, so the limit stays there).
    script = textwrap.dedent("""
        import resource, sys, tarmac
        vm = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (vm + (40 << 20), vm + (40 << 20)))
        try:
            tarmac.load_model(sys.argv[1], threads=256)
        except tarmac.Error as e:
            print(type(e).__name__, "|", e)
    """)
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "model.yml")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Error | thread_pool: cannot start 256 threads (")


def test_tensors_numpy_cannot_view_keep_torchs_reason():
    torch = pytest.importorskip("torch")
    boxes = torch.tensor(BOXES, requires_grad=True)
    with pytest.raises(ValueError, match=r"nms: boxes is not an array \(RuntimeError: .*requires grad"):
        tarmac.nms(boxes, torch.from_numpy(SCORES))
