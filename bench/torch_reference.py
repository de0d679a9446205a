#!/usr/bin/env python3
"""The RTK network in PyTorch, timed the way bench_cnn times tarmac's (same shapes, batch sizes,
thread counts), so `make bench` can print the two side by side.

Two configurations:
  default: what a PyTorch user gets out of the box (NCHW, glibc malloc defaults);
  best:    channels_last tensors and glibc told to keep freed memory (MALLOC_MMAP_MAX_=0,
           MALLOC_TRIM_THRESHOLD_=1e11), which avoids paying first-touch page faults every step
           on this VM; inference also through torch.utils.mkldnn (oneDNN's blocked layout). The
           script re-runs itself with those variables set, since glibc reads them at start-up.

Prints one JSON object per measurement (one per line) and a table on stderr.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from torch_to_tarmac import rtk_net  # noqa: E402  the one PyTorch definition of the RTK network

BEST_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "100000000000"}


def timed(fn, min_time, warmup=3, min_runs=5):
    for _ in range(warmup):
        fn()
    runs, start = 0, time.perf_counter()
    while True:
        fn()
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time and runs >= min_runs:
            return elapsed / runs


def measure(config, threads, min_time):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    fmt = torch.channels_last if config == "best" else torch.contiguous_format
    net = rtk_net(3).to(memory_format=fmt)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()
    results = []

    def images(n):
        return torch.rand(n, 3, 128, 128).contiguous(memory_format=fmt)

    x32, y32 = images(32), torch.randint(0, 3, (32,))

    def train():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x32), y32)
        loss.backward()
        opt.step()

    net.train()
    t = timed(train, min_time)
    results.append(("train_batch32", 32, t))
    net.eval()
    with torch.inference_mode():
        for batch in (32, 1):
            x = images(batch)
            t = timed(lambda: torch.softmax(net(x), 1), min_time)
            results.append((f"infer_batch{batch}", batch, t))
        if config == "best":  # oneDNN's own tensor layout: the fastest PyTorch inference measured here
            from torch.utils import mkldnn
            mk = mkldnn.to_mkldnn(rtk_net(3).eval())
            for batch in (32, 1):
                x = torch.rand(batch, 3, 128, 128).to_mkldnn()
                t = timed(lambda: torch.softmax(mk(x).to_dense(), 1), min_time)
                results.append((f"infer_batch{batch}_mkldnn", batch, t))
    return [{"framework": "pytorch " + torch.__version__, "config": config, "threads": threads, "name": name,
             "seconds_per_call": t, "items_per_second": batch / t} for name, batch, t in results]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--configs", nargs="+", default=["default", "best"], choices=["default", "best"])
    parser.add_argument("--min-time", type=float, default=2.0, help="seconds per measurement")
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        for row in measure(args.child[0], int(args.child[1]), args.min_time):
            print(json.dumps(row), flush=True)
        return
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.exit("torch_reference.py: PyTorch is not installed (Debian: apt-get install python3-torch)")
    rows = []
    for config in args.configs:
        for threads in args.threads:
            env = dict(os.environ, **(BEST_ENV if config == "best" else {}))
            out = subprocess.run([sys.executable, __file__, "--child", config, str(threads), "--min-time",
                                  str(args.min_time)], env=env, check=True, capture_output=True, text=True).stdout
            for line in out.splitlines():
                rows.append(json.loads(line))
                print(line, flush=True)
    print(f"{'pytorch':10} {'config':8} {'threads':>7} {'measurement':15} {'images/s':>9} {'ms/call':>8}", file=sys.stderr)
    for r in rows:
        print(f"{'':10} {r['config']:8} {r['threads']:>7} {r['name']:15} {r['items_per_second']:9.1f} "
              f"{r['seconds_per_call'] * 1e3:8.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()
