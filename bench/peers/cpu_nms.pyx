# cython: boundscheck=False, wraparound=False, cdivision=True, language_level=3
# Suppressed-flag NMS with typed memoryviews: the "typed Cython" peer of the timing experiment.
import numpy as np


def nms_typed(float[:, ::1] dets, float thresh, bint inclusive=True):
    cdef float[::1] x1 = np.ascontiguousarray(dets[:, 0])
    cdef float[::1] y1 = np.ascontiguousarray(dets[:, 1])
    cdef float[::1] x2 = np.ascontiguousarray(dets[:, 2])
    cdef float[::1] y2 = np.ascontiguousarray(dets[:, 3])
    scores = np.asarray(dets[:, 4])
    cdef float one = 1.0 if inclusive else 0.0
    cdef float[::1] areas = (np.asarray(x2) - np.asarray(x1) + one) * (np.asarray(y2) - np.asarray(y1) + one)
    cdef long[::1] order = np.argsort(-scores, kind="stable")
    cdef int n = dets.shape[0]
    cdef char[::1] suppressed = np.zeros(n, dtype=np.int8)
    cdef int a, b, i, j
    cdef float ix1, iy1, ix2, iy2, iarea, w, h, inter, ovr
    keep = []
    for a in range(n):
        i = order[a]
        if suppressed[i]:
            continue
        keep.append(i)
        ix1 = x1[i]; iy1 = y1[i]; ix2 = x2[i]; iy2 = y2[i]; iarea = areas[i]
        for b in range(a + 1, n):
            j = order[b]
            if suppressed[j]:
                continue
            w = min(ix2, x2[j]) - max(ix1, x1[j]) + one
            h = min(iy2, y2[j]) - max(iy1, y1[j]) + one
            if w <= 0 or h <= 0:
                continue
            inter = w * h
            ovr = inter / (iarea + areas[j] - inter)
            if ovr > thresh:
                suppressed[j] = 1
    return keep
