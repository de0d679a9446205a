#!/usr/bin/env python3
"""tarmac.nms from Python against torchvision.ops.nms (CPU) and the typed-Cython peer, on the
classic set (6000 pixel-inclusive boxes, t = 0.7 / 0.8 / 0.9) and the realistic scenes (boxes over
a 1920x1080 image, t = 0.5, N = 1k..100k). Every time is a whole Python call, conversions
included; the contestants alternate within each round (5 rounds of 0.2 s each, or 2 rounds of one
call where a call takes seconds) and the best round of each stands.

usage: PYTHONPATH=build/release/python bench/python_nms.py [--rounds 5] [--max-scene 100000]
Needs the module (make release, or pip install ./python), python3-torchvision and cython3.
Goals (issue 17): >= 10x torchvision at every classic threshold, >= 200x on 100k realistic boxes."""
import argparse
import os
import sys

import numpy as np
import torch
import torchvision

import tarmac

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from box_sets import classic_boxes, scene_boxes  # noqa: E402
from torch_reference import timed  # noqa: E402


def cython_peer():
    """bench/peers/cpu_nms.pyx, compiled as nms_peers.py compiles it (None without cython3)."""
    try:
        import pyximport
    except ImportError:
        return None
    pyximport.install(build_dir=os.path.abspath(os.path.join(HERE, "..", "build", "pyxbld")), language_level=3)
    sys.path.insert(0, os.path.join(HERE, "peers"))
    import cpu_nms
    return cpu_nms.nms_typed


def cases(max_scene):
    classic = classic_boxes()
    boxes, scores = np.ascontiguousarray(classic[:, :4]), np.ascontiguousarray(classic[:, 4])
    # torchvision knows only the continuous convention: x2 + 1 and y2 + 1 give it the same areas.
    shifted = torch.from_numpy(boxes + np.array([0, 0, 1, 1], np.float32))
    for t in (0.7, 0.8, 0.9):
        yield f"classic t={t}", classic, boxes, scores, shifted, t, "pixel_inclusive"
    for n in (1000, 6000, 20000, 100000):
        if n <= max_scene:
            scene = scene_boxes(n)
            boxes, scores = np.ascontiguousarray(scene[:, :4]), np.ascontiguousarray(scene[:, 4])
            yield f"scene n={n}", scene, boxes, scores, torch.from_numpy(boxes), 0.5, "continuous"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--max-scene", type=int, default=100000)
    args = ap.parse_args()
    typed = cython_peer()
    print(f"tarmac {tarmac.__version__}, torchvision {torchvision.__version__} (torch threads {torch.get_num_threads()}),"
          f" typed Cython: {'yes' if typed else 'no (install cython3)'}; best of {args.rounds} alternating rounds")
    print("| case | tarmac.nms | torchvision.ops.nms | typed Cython | vs torchvision | vs Cython | kept (tarmac/tv/Cython) |")
    print("|---|---|---|---|---|---|---|")
    for name, dets, boxes, scores, tv_boxes, t, convention in cases(args.max_scene):
        tv_scores = torch.from_numpy(scores)
        contestants = {
            "tarmac": lambda: tarmac.nms(boxes, scores, t, convention=convention),
            "torchvision": lambda: torchvision.ops.nms(tv_boxes, tv_scores, t),
        }
        if typed:
            contestants["cython"] = lambda: typed(dets, t, convention == "pixel_inclusive")
        kept, first = {}, {}  # the first call warms up and gives the kept count
        for k, f in contestants.items():
            first[k] = timed(lambda: kept.__setitem__(k, len(f())), 0, warmup=0, min_runs=1)
        # Calls of seconds (torchvision and Cython on 100k boxes): two rounds of one call each.
        slow = max(first.values()) > 1.0
        best = {k: float("inf") for k in contestants}
        for r in range(min(args.rounds, 2) if slow else args.rounds):
            order = list(contestants) if r % 2 == 0 else list(reversed(contestants))
            for k in order:
                best[k] = min(best[k], timed(contestants[k], 0 if slow else 0.2, warmup=0, min_runs=1))
        ms = {k: f"{v * 1e3:.3f} ms" for k, v in best.items()}
        vs_tv = best["torchvision"] / best["tarmac"]
        vs_cy = f"{best['cython'] / best['tarmac']:.1f}x" if typed else "-"
        print(f"| {name} | {ms['tarmac']} | {ms['torchvision']} | {ms.get('cython', '-')} | {vs_tv:.1f}x | {vs_cy} |"
              f" {'/'.join(str(kept.get(k, '-')) for k in ('tarmac', 'torchvision', 'cython'))} |", flush=True)


if __name__ == "__main__":
    main()
