"""The benchmark box sets in NumPy, bit-identical to tarmac::nms::classic_boxes and scene_boxes."""
import numpy as np


def classic_boxes(n=6000, seed=1):
    """The 2018 NMS blog's experiment, exactly as it generated its boxes: rows x1, y1, x2, y2, score."""
    np.random.seed(seed)
    minxy = np.random.randint(50, 145, size=(n, 2))
    maxxy = np.random.randint(150, 200, size=(n, 2))
    score = 0.8 * np.random.random_sample((n, 1)) + 0.2
    return np.concatenate((minxy, maxxy, score), axis=1).astype(np.float32)


def scene_boxes(n, seed=1, width=1920, height=1080, lo=16, hi=256):
    """Boxes of lo..hi pixels scattered over a width x height image, uniform scores."""
    u = np.random.RandomState(seed).random_sample((n, 5))
    w = lo + (hi - lo) * u[:, 0]
    h = lo + (hi - lo) * u[:, 1]
    x1 = (width - w) * u[:, 2]
    y1 = (height - h) * u[:, 3]
    return np.stack([x1, y1, x1 + w, y1 + h, u[:, 4]], axis=1).astype(np.float32)
