#!/usr/bin/env python3
"""The real-data accuracy table of bench/RESULTS.md from `tarmac-eval --cv K --json` outputs.

usage: accuracy_table.py NAME=FILE.json[:GOAL[:CLASS>=RECALL]] ...

Each argument names a data set, its JSON, and optionally the goal on balanced accuracy and on
one class's recall. Prints one markdown row per set (mean +- sample standard deviation over the
folds), then each set's confusion matrix pooled over the held-out folds.
"""
import json
import statistics
import sys


def spread(values):
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return mean, sd


def main(arguments):
    rows, matrices = [], []
    for argument in arguments:
        name, spec = argument.split("=", 1)
        path, *goal = spec.split(":")
        with open(path) as f:
            report = json.load(f)
        labels = report["labels"]
        folds = report["folds"]
        recalls = []
        for k, label in enumerate(labels):
            values = [fold["recall"][k] for fold in folds if fold["recall"][k] is not None]
            mean, sd = spread(values)
            recalls.append(f"{label} {100 * mean:.0f}% +- {100 * sd:.0f}")
        verdict = ""
        if goal:
            target = float(goal[0])
            met = report["balanced_accuracy_mean"] >= target
            parts = [f">= {target:.2f}"]
            if len(goal) > 1:
                cls, least = goal[1].split(">=")
                k = report["classes"].index(cls)
                recall = report["recall"][k]
                met = met and recall >= float(least)
                parts.append(f"{labels[k]} recall >= {100 * float(least):.0f}% (pooled {100 * recall:.0f}%)")
            verdict = ", ".join(parts) + (": **met**" if met else ": **missed**")
        rows.append(
            f"| {name} | {report['n']} | **{report['balanced_accuracy_mean']:.3f} +- {report['balanced_accuracy_std']:.3f}** "
            f"| {report['accuracy_mean']:.3f} +- {report['accuracy_std']:.3f} | {'; '.join(recalls)} | {verdict} |")
        header = "| true \\ predicted | " + " | ".join(labels) + " |"
        lines = [f"{name}, pooled over {len(folds)} held-out folds:", "", header, "|---" * (len(labels) + 1) + "|"]
        for label, row in zip(labels, report["confusion"]):
            lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
        matrices.append("\n".join(lines))
    print("| data set | images | balanced accuracy | accuracy | recall per class | goal |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    for m in matrices:
        print()
        print(m)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
