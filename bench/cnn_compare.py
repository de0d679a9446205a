#!/usr/bin/env python3
"""Prints tarmac's RTK-network rates (bench_cnn JSON) beside PyTorch's (torch_reference.py JSON
lines) and OpenCV dnn's, from one `make bench` run, with the ratios the CNN issue sets goals on.
Given several rounds (run alternately: tarmac, PyTorch, tarmac, PyTorch, ...), each rate is the best
of its rounds: on a VM whose neighbours take CPU time, the best round is the least disturbed one.

usage: bench/cnn_compare.py --bench BENCH_CNN.json [...] --torch TORCH.jsonl [...]
"""
import argparse
import json


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", nargs="+", required=True)
    parser.add_argument("--torch", nargs="+", required=True)
    args = parser.parse_args()
    rate, gflops = {}, {}
    for path in args.bench:
        for b in json.load(open(path))["benchmarks"]:
            if "items_per_second" in b and b["items_per_second"] > rate.get(b["name"], 0):
                rate[b["name"]], gflops[b["name"]] = b["items_per_second"], b.get("GFLOP/s", 0)
            elif "GFLOP/s" in b and "items_per_second" not in b:
                gflops[b["name"]] = max(gflops.get(b["name"], 0), b["GFLOP/s"])
    torch_rows = [json.loads(line) for path in args.torch for line in open(path) if line.startswith("{")]

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
    for t in (1, 2):
        ceiling = gflops.get(f"openblas_sgemm_1024/threads:{t}/real_time")
        if ceiling:
            print(f"OpenBLAS sgemm 1024^3 ceiling, {t} thread(s): {ceiling:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
