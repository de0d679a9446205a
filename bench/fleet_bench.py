"""tarmac-fleet against one tarmac-annotate per video in sequence (bench/RESULTS.md, "Fleet annotation").

    PYTHONPATH=build/release/python /usr/bin/python3 bench/fleet_bench.py [--bin build/bin] [--work DIR]
        [--videos 8] [--frames 300] [--workers 2] [--rounds 2]

Makes the demo's cascade (tarmac-synth --per-class 20, tarmac-train-cascade --epochs 1) and VIDEOS
generated drives of FRAMES frames at 352x288 (MJPG AVIs), then times, in rounds whose order
rotates (the machine is shared: neighbours' load drifts), the whole of
  - sequential, default threads: tarmac-annotate VIDEO OUT.avi --csv OUT.csv for each video in turn;
  - sequential, --threads 1: the same with one network thread;
  - fleet: tarmac-fleet --workers W --threads-per-worker 1 (LocalCluster start-up included).
Prints a Markdown table: each round's wall time and load average, the best of each, the speed-ups,
and the CPU time (user + system, all processes) each took.
"""
import argparse
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import time

import cv2


def run(*command, **kw):
    subprocess.run([str(c) for c in command], check=True, stdout=subprocess.DEVNULL, **kw)


def make_inputs(tools, work, videos, frames):
    cascade = work / "cascade" / "cascade.yml"
    if not cascade.exists():
        shutil.rmtree(work / "cascade", ignore_errors=True)
        run(tools / "tarmac-synth", "--out", work / "set", "--per-class", 20, "--seed", 1)
        run(tools / "tarmac-train-cascade", "--data", work / "set", "--out", work / "cascade", "--epochs", 1)
    inputs = []
    for k in range(videos):
        video = work / "videos" / f"drive-{k:02d}.avi"
        if not video.exists():
            synth = work / f"drive-{k:02d}"
            shutil.rmtree(synth, ignore_errors=True)
            run(tools / "tarmac-synth", "--out", synth, "--per-class", 0, "--drive", frames, "--seed", 100 + k)
            names = sorted(p for p in (synth / "drive").iterdir() if p.suffix == ".png")
            video.parent.mkdir(exist_ok=True)
            writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 15, (352, 288))
            for name in names:
                writer.write(cv2.imread(str(name)))
            writer.release()
            shutil.rmtree(synth)
        inputs.append(video)
    return cascade, inputs


def sequential(tools, cascade, inputs, out, threads):
    for video in inputs:
        command = [tools / "tarmac-annotate", "--cascade", cascade, video, out / f"{video.stem}.avi", "--csv",
                   out / f"{video.stem}.csv"]
        run(*command, *(["--threads", threads] if threads is not None else []))


def fleet(cascade, inputs, out, workers):
    run(sys.executable, "-m", "tarmac.fleet", "--cascade", cascade, "--out", out, "--workers", workers,
        "--threads-per-worker", 1, *inputs, stderr=subprocess.DEVNULL)


def cpu_seconds():
    # User + system time of the finished child processes (and theirs: the fleet's workers).
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default="build/bin")
    parser.add_argument("--work", default="/tmp/tarmac-fleet-bench")
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    tools, work = pathlib.Path(args.bin).resolve(), pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    cascade, inputs = make_inputs(tools, work, args.videos, args.frames)
    contenders = {
        "sequential tarmac-annotate, default threads": lambda out: sequential(tools, cascade, inputs, out, None),
        "sequential tarmac-annotate --threads 1": lambda out: sequential(tools, cascade, inputs, out, 1),
        f"tarmac-fleet, {args.workers} workers x 1 thread": lambda out: fleet(cascade, inputs, out, args.workers),
    }
    names = list(contenders)
    times = {name: [] for name in names}
    for r in range(args.rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            out = work / "out"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            load = os.getloadavg()[0]
            cpu, start = cpu_seconds(), time.perf_counter()
            contenders[name](out)
            seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
            times[name].append((seconds, load, cpu))
            print(f"round {r + 1}: {name}: {seconds:.1f} s, {cpu:.1f} CPU s (load {load:.1f})", file=sys.stderr,
                  flush=True)
    total = args.videos * args.frames
    fleet_best = min(s for s, _, _ in times[names[2]])
    print(f"| {args.videos} videos x {args.frames} frames | rounds: wall s (load average at start) | best | "
          f"frames/s | fleet speed-up | CPU s (median) |")
    print("|---|---|---|---|---|---|")
    for name in names:
        best = min(s for s, _, _ in times[name])
        rounds = ", ".join(f"{s:.1f} ({load:.1f})" for s, load, _ in times[name])
        cpu = sorted(c for _, _, c in times[name])[len(times[name]) // 2]
        print(f"| {name} | {rounds} | {best:.1f} s | {total / best:.0f} | {best / fleet_best:.2f}x | {cpu:.1f} |")


if __name__ == "__main__":
    main()
