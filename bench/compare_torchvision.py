#!/usr/bin/env python3
"""torchvision.ops.nms against tarmac's CUDA policy on the same GPU, the same boxes and the same
(continuous) convention: times torchvision with CUDA events, runs bench_nms_cuda for tarmac's
times in the same session, and checks that the kept indices agree.

usage: python3 bench/compare_torchvision.py --tarmac build/cuda/bin/bench_nms_cuda [--reps 50]
Needs PyTorch and torchvision built with CUDA, and an NVIDIA GPU.

torchvision compares a float IoU with a double threshold, so a pair whose float IoU is exactly
the float threshold is suppressed there and kept by tarmac (IoU > t in the box's type); such
pairs can exist in the classic set (integer corners) and are counted, not hidden."""
import argparse
import re
import subprocess

import torch
import torchvision

from box_sets import classic_boxes, scene_boxes


def torchvision_us(dets, threshold, reps):
    boxes = torch.from_numpy(dets[:, :4]).cuda()
    scores = torch.from_numpy(dets[:, 4]).cuda()
    keep = torchvision.ops.nms(boxes, scores, threshold)  # warm-up
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        keep = torchvision.ops.nms(boxes, scores, threshold)
    end.record()
    torch.cuda.synchronize()
    return 1000.0 * start.elapsed_time(end) / reps, keep.cpu().tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tarmac", required=True, help="path of bench_nms_cuda")
    ap.add_argument("--reps", type=int, default=50)
    args = ap.parse_args()

    table = subprocess.run([args.tarmac], check=True, capture_output=True, text=True).stdout
    print(table)
    # tarmac's device-resident times from its table: | case | end to end | device | ...
    ours = {m.group(1).strip(): float(m.group(2)) for m in re.finditer(r"^\| ([^|]+) \| [0-9.]+ \| ([0-9.]+) \|", table, re.M)}

    print(f"torchvision {torchvision.__version__}, {torch.cuda.get_device_name()}")
    print("| case | torchvision (us) | tarmac device resident (us) | tarmac speed-up | kept (tv / tarmac) | indices differing |")
    print("|---|---|---|---|---|---|")
    cases = [("classic", 6000, t) for t in (0.7, 0.8, 0.9)] + [("scene", n, 0.5) for n in (1000, 6000, 20000, 100000, 200000)]
    for name, n, t in cases:
        dets = classic_boxes(n) if name == "classic" else scene_boxes(n)
        tv_us, tv_keep = torchvision_us(dets, t, args.reps if n <= 20000 else 10)
        out = subprocess.run([args.tarmac, "--indices", name, str(n), str(t)], check=True, capture_output=True, text=True).stdout
        our_keep = [int(x) for x in out.split()]
        differing = len(set(tv_keep) ^ set(our_keep))
        # tarmac's table names the classic set by threshold with the pixel-inclusive convention;
        # the speed-up uses the scene rows (continuous, like torchvision) only.
        key = f"scene n={n}" if name == "scene" else None
        speedup = f"{tv_us / ours[key]:.1f}x" if key in ours else "-"
        label = f"{name} n={n} t={t}"
        print(f"| {label} | {tv_us:.1f} | {ours.get(key, float('nan')):.1f} | {speedup} | {len(tv_keep)} / {len(our_keep)} | {differing} |")


if __name__ == "__main__":
    main()
