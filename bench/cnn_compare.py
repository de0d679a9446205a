#!/usr/bin/env python3
"""Prints tarmac's RTK-network rates (bench_cnn JSON) beside PyTorch's (torch_reference.py JSON
lines) and OpenCV dnn's, from one `make bench` run, with the ratios the CNN issue sets goals on.

usage: bench/cnn_compare.py BENCH_CNN.json TORCH.jsonl
"""
import json
import sys


def main():
    bench = json.load(open(sys.argv[1]))["benchmarks"]
    torch_rows = [json.loads(line) for line in open(sys.argv[2]) if line.startswith("{")]
    rate = {b["name"]: b["items_per_second"] for b in bench if "items_per_second" in b}
    gflops = {b["name"]: b.get("GFLOP/s", 0) for b in bench}

    def torch_rate(name, threads, config):
        rows = [r["items_per_second"] for r in torch_rows
                if r["threads"] == threads and r["config"] == config and r["name"].startswith(name)]
        return max(rows) if rows else float("nan")

    print(f"{'measurement':24} {'threads':>7} {'tarmac':>9} {'GFLOP/s':>8} {'torch best':>10} {'torch dflt':>10} "
          f"{'opencv dnn':>10} {'vs best':>8} {'vs dnn':>7}")
    for label, ours, theirs in (("train batch 32 (img/s)", "rtk_train_batch32/threads:{t}/real_time", "train_batch32"),
                                ("infer batch 32 (img/s)", "rtk_infer/batch:32/threads:{t}/real_time", "infer_batch32"),
                                ("infer batch 1 (img/s)", "rtk_infer/batch:1/threads:{t}/real_time", "infer_batch1")):
        for t in (1, 2):
            name = ours.format(t=t)
            mine, best, default = rate.get(name, float("nan")), torch_rate(theirs, t, "best"), torch_rate(theirs, t, "default")
            dnn = rate.get(name.replace("rtk_infer", "opencv_dnn_infer"), float("nan")) if "infer" in name else float("nan")
            print(f"{label:24} {t:>7} {mine:9.1f} {gflops.get(name, 0):8.1f} {best:10.1f} {default:10.1f} {dnn:10.1f} "
                  f"{mine / best:7.2f}x {mine / dnn:6.2f}x")
    b1 = rate.get("rtk_infer/batch:1/threads:2/real_time")
    if b1:
        print(f"batch-1 latency, 2 threads: {1000 / b1:.2f} ms")


if __name__ == "__main__":
    main()
