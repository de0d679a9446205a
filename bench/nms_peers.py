#!/usr/bin/env python3
"""Times the Python peers of tarmac's NMS (NumPy py_cpu_nms, typed Cython) on the same boxes
as bench_nms, runs bench_nms in the same session, and prints one table with the ratios.

usage: bench/nms_peers.py [--bench build/bin/bench_nms | --bench-json FILE] [--reps 20] [--max-scene 100000]
Needs Debian's python3-numpy and cython3 (make bench installs them)."""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import pyximport

HERE = os.path.dirname(os.path.abspath(__file__))
pyximport.install(build_dir=os.path.abspath(os.path.join(HERE, "..", "build", "pyxbld")), language_level=3)
sys.path.insert(0, os.path.join(HERE, "peers"))
sys.path.insert(0, HERE)
import cpu_nms  # noqa: E402  (compiled by pyximport)
from box_sets import classic_boxes, scene_boxes  # noqa: E402


def py_cpu_nms(dets, thresh, one=1.0):
    """The NumPy algorithm of the blog (Faster R-CNN's py_cpu_nms)."""
    x1, y1, x2, y2, scores = (dets[:, k] for k in range(5))
    areas = (x2 - x1 + one) * (y2 - y1 + one)
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size > 0:
        i = order[0]
        keep.append(i)
        xx1 = np.maximum(x1[i], x1[order[1:]])
        yy1 = np.maximum(y1[i], y1[order[1:]])
        xx2 = np.minimum(x2[i], x2[order[1:]])
        yy2 = np.minimum(y2[i], y2[order[1:]])
        w = np.maximum(0.0, xx2 - xx1 + one)
        h = np.maximum(0.0, yy2 - yy1 + one)
        inter = w * h
        ovr = inter / (areas[i] + areas[order[1:]] - inter)
        order = order[np.where(ovr <= thresh)[0] + 1]
    return keep


def mean_seconds(fn, reps):
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(reps):
        result = fn()
    return (time.perf_counter() - start) / reps, len(result)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=os.path.join(HERE, "..", "build", "bin", "bench_nms"))
    ap.add_argument("--bench-json", help="read bench_nms results from this JSON file instead of running it")
    ap.add_argument("--reps", type=int, default=20, help="calls averaged per classic case")
    ap.add_argument("--max-scene", type=int, default=100000, help="largest scene size for the Python peers")
    args = ap.parse_args()

    peers = {}  # (case, peer) -> (seconds, kept)
    classic = classic_boxes()
    for t in (0.7, 0.8, 0.9):
        case = f"classic t={t}"
        peers[case, "NumPy"] = mean_seconds(lambda: py_cpu_nms(classic, t), max(1, args.reps // 4))
        peers[case, "typed Cython"] = mean_seconds(lambda: cpu_nms.nms_typed(classic, t), args.reps)
    for n in (1000, 6000, 20000, 100000):
        if n > args.max_scene:
            continue
        scene = scene_boxes(n)
        case = f"scene n={n}"
        reps = 5 if n <= 6000 else 1
        peers[case, "NumPy"] = mean_seconds(lambda: py_cpu_nms(scene, 0.5, 0.0), reps)
        peers[case, "typed Cython"] = mean_seconds(lambda: cpu_nms.nms_typed(scene, 0.5, False), reps)

    if args.bench_json:
        with open(args.bench_json) as f:
            results = json.load(f)
    else:
        results = json.loads(subprocess.run([args.bench, "--benchmark_format=json"], check=True,
                                            capture_output=True, text=True).stdout)
    names = {"classic_policy<nms::naive>": "naive", "classic_policy<nms::suppressed_flag>": "suppressed_flag",
             "classic_policy<nms::simd>": "simd", "classic_opencv": "OpenCV NMSBoxes",
             "scene_policy<nms::naive>": "naive", "scene_policy<nms::suppressed_flag>": "suppressed_flag",
             "scene_policy<nms::simd>": "simd", "scene_opencv": "OpenCV NMSBoxes"}
    ours = {}
    for b in results["benchmarks"]:
        family, arg = b["name"].split("/")[:2]
        if family not in names:  # cases without a Python peer (the outlier sets): bench_nms's own output has them
            continue
        case = f"classic t=0.{arg}" if family.startswith("classic") else f"scene n={arg}"
        seconds = b["real_time"] / {"ms": 1e3, "us": 1e6, "ns": 1e9}[b["time_unit"]]
        ours[case, names[family]] = (seconds, int(b["kept"]))

    cases = [c for c in dict.fromkeys(c for c, _ in ours)]
    columns = ["NumPy", "typed Cython", "OpenCV NMSBoxes", "naive", "suppressed_flag", "simd"]
    print("| case | " + " | ".join(columns) + " | simd vs typed Cython | simd vs OpenCV | kept |")
    print("|---" * (len(columns) + 4) + "|")
    for case in cases:
        row = {**{p: v for (c, p), v in peers.items() if c == case}, **{p: v for (c, p), v in ours.items() if c == case}}
        cells = [f"{row[p][0] * 1e3:.3f} ms" if p in row else "-" for p in columns]
        simd = row["simd"][0]
        cy = f"{row['typed Cython'][0] / simd:.1f}x" if "typed Cython" in row else "-"
        cv = f"{row['OpenCV NMSBoxes'][0] / simd:.1f}x"
        kept = {v[1] for v in row.values()}
        print(f"| {case} | " + " | ".join(cells) + f" | {cy} | {cv} | {'/'.join(map(str, sorted(kept)))} |")


if __name__ == "__main__":
    main()
