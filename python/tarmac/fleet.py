"""tarmac-fleet: annotates many videos as one Dask task each, on this machine or on a cluster.

    tarmac-fleet --cascade CASCADE.yml --out DIR [--scheduler ADDRESS] [--workers N]
                 [--threads-per-worker T] VIDEOS...

VIDEOS are video files, folders (searched recursively for video files), globs, or text files of
paths (@list.txt, or any existing *.txt; one entry a line, '#' starts a comment, relative entries
are relative to the list's folder). For each video the run writes DIR/<stem>.avi and DIR/<stem>.csv
(as tarmac-annotate does) and DIR/<stem>.fleet.json, the record that both are complete; then
DIR/fleet-summary.csv and DIR/fleet-summary.md, one row per video. See docs/scale-out.md.
"""
import argparse
import contextlib
import fcntl
import glob
import hashlib
import json
import os
import pathlib
import random
import re
import socket
import sys
import threading
import time

VIDEO_EXTENSIONS = {".avi", ".mp4", ".mkv", ".mov", ".m4v", ".mpg", ".mpeg", ".webm", ".wmv", ".flv", ".ts", ".mts",
                    ".m2ts", ".3gp"}
SUMMARY = "fleet-summary"  # DIR/fleet-summary.csv and .md; no video's outputs may take these names
RECORD = ".fleet.json"
# Threading knobs of the libraries a worker loads, set to the worker's network threads.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENCV_FOR_THREADS_NUM")


class UsageError(Exception):
    """Bad command-line input, found before any work starts."""


# ----- Inputs and output names -----

def _is_list(argument):
    return argument.startswith("@") or (argument.endswith(".txt") and os.path.isfile(argument))


def _list_entries(argument):
    path = pathlib.Path(argument[1:] if argument.startswith("@") else argument)
    try:
        lines = path.read_text().splitlines()
    except OSError as e:
        raise UsageError(f"cannot read the list of videos {path}: {e.strerror}") from e
    entries = (line.split("#", 1)[0].strip() for line in lines)
    return [str(path.parent / entry) for entry in entries if entry]


def _expand(entry):
    if os.path.isdir(entry):
        found = sorted(p for p in pathlib.Path(entry).rglob("*")
                       if p.suffix.lower() in VIDEO_EXTENSIONS and p.is_file())
        if not found:
            raise UsageError(f"{entry} holds no video files ({', '.join(sorted(VIDEO_EXTENSIONS))})")
        return found
    if os.path.exists(entry):
        return [pathlib.Path(entry)]  # a file named explicitly is taken whatever its extension
    if glob.has_magic(entry):
        matches = sorted(glob.glob(entry, recursive=True))
        if not matches:
            raise UsageError(f"no file matches {entry}")
        return [video for match in matches for video in _expand(match)]
    raise UsageError(f"{entry}: no such file or folder")


def find_videos(arguments):
    """The videos the arguments name, absolute, each once, in the order given."""
    videos = {}
    for argument in arguments:
        for entry in _list_entries(argument) if _is_list(argument) else [argument]:
            for video in _expand(entry):
                videos.setdefault(video.resolve(), None)
    if not videos:
        raise UsageError("no videos given")
    return list(videos)


def output_stems(videos):
    """Each video's output stem: its file name without the extension, unless another input has the
    same one (or it is the summary's): then the stem gets '-' and 8 hex digits of the SHA-1 of the
    input's absolute path, which stay the same from run to run."""
    count = {}
    for video in videos:
        count[video.stem] = count.get(video.stem, 0) + 1

    def stem(video):
        if count[video.stem] == 1 and video.stem != SUMMARY:
            return video.stem
        return f"{video.stem}-{hashlib.sha1(str(video).encode()).hexdigest()[:8]}"

    return [stem(video) for video in videos]


# ----- Files: temporaries, atomic writes, completion records -----

def _split_name(name):
    # As core/files.hpp names temporaries: "base.tmp-N.extensions", every extension kept last.
    dot = name.find(".", 1)
    return (name, "") if dot < 0 else (name[:dot], name[dot:])


def temporaries(path):
    """The temporaries (left by a killed writer) of the output `path`, as core/files.hpp names them."""
    path = pathlib.Path(path)
    base, extensions = _split_name(path.name)
    pattern = re.compile(re.escape(base) + r"\.tmp-[0-9]+" + re.escape(extensions))
    with contextlib.suppress(FileNotFoundError):
        return sorted(p for p in path.parent.iterdir() if pattern.fullmatch(p.name))
    return []


def write_atomically(path, text):
    """Writes text under a temporary name beside `path`, syncs it and renames it over `path`."""
    path = pathlib.Path(path)
    base, extensions = _split_name(path.name)
    temporary = path.with_name(f"{base}.tmp-{random.SystemRandom().getrandbits(32)}{extensions}")
    try:
        with open(temporary, "x") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)  # the rename durable too
    finally:
        os.close(folder)


def _outputs(out, stem):
    return {"avi": out / f"{stem}.avi", "csv": out / f"{stem}.csv", "record": out / f"{stem}{RECORD}"}


def _identity(path):
    status = os.stat(path)
    return {"size": status.st_size, "mtime_ns": status.st_mtime_ns}


def completed_row(job):
    """The summary row a previous run recorded for this job, if its outputs are complete and were
    made from the input as it is now with the same settings; otherwise None."""
    paths = _outputs(pathlib.Path(job["out"]), job["stem"])
    try:
        record = json.loads(paths["record"].read_text())
        if (record["input"] != job["input"] or record["input_identity"] != _identity(job["input"])
                or record["settings"] != job["settings"]):
            return None
        if any(os.path.getsize(paths[kind]) != size for kind, size in record["output_sizes"].items()):
            return None
        return dict(record["row"], status="kept")
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remove_temporaries(out, stem):
    for path in _outputs(pathlib.Path(out), stem).values():
        for temporary in temporaries(path):
            with contextlib.suppress(FileNotFoundError):
                os.remove(temporary)


# ----- The task, run on a worker -----

_cascades = {}
_cascades_lock = threading.Lock()


def _worker_name():
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return socket.gethostname()


def _cascade(settings, threads):
    """The worker's cascade, loaded once per worker thread (a cascade runs one call at a time) and
    again when cascade.yml changes."""
    import tarmac
    key = (settings["cascade"], settings["cascade_mtime_ns"], threads, threading.get_ident())
    with _cascades_lock:
        if key not in _cascades:
            for old in [k for k in _cascades if k[3] == key[3]]:
                del _cascades[old]
            _cascades[key] = tarmac.load_cascade(settings["cascade"], threads=threads)
        return _cascades[key]


def annotate_video(job):
    """One video: tarmac.annotate into DIR/<stem>.avi and .csv, then the record that both are
    complete. A library error (an unreadable video) is the row's error, not an exception: it would
    fail again anywhere."""
    import tarmac
    out = pathlib.Path(job["out"])
    paths = _outputs(out, job["stem"])
    settings = job["settings"]
    row = {"video": job["stem"], "input": job["input"], "worker": _worker_name()}
    remove_temporaries(out, job["stem"])  # a killed earlier attempt's
    with contextlib.suppress(FileNotFoundError):
        os.remove(paths["record"])  # the outputs are about to change
    try:
        identity = _identity(job["input"])
        cascade = _cascade(settings, job["threads"])
        result = tarmac.annotate(cascade, job["input"], paths["avi"], paths["csv"], fps=settings["fps"],
                                 smoothing=settings["smoothing"], batch=settings["batch"], roi=settings["roi"])
    except (OSError, ValueError, tarmac.Error) as e:
        return dict(row, status="failed", error=str(e))
    row.update(status="annotated", frames=result.frames, skipped=result.skipped, seconds=result.seconds,
               frames_per_second=result.frames_per_second, type_shares=result.type_shares,
               quality_shares=result.quality_shares, error="")
    record = {"input": job["input"], "input_identity": identity, "settings": settings,
              "output_sizes": {kind: os.path.getsize(paths[kind]) for kind in ("avi", "csv")}, "row": row}
    write_atomically(paths["record"], json.dumps(record, indent=1) + "\n")
    return row


# ----- The summary -----

def summary_table(rows):
    """Header and rows (strings) of the summary: one row per video, a column per type and per
    type+quality share seen in any video."""
    types = sorted({label for row in rows for label in row.get("type_shares", {})})
    qualities = sorted({label for row in rows for label in row.get("quality_shares", {})})
    header = (["video", "status", "frames", "skipped", "frames_per_second", "seconds"] + [f"type:{t}" for t in types]
              + [f"quality:{q}" for q in qualities] + ["input", "worker", "error"])
    table = []
    for row in rows:
        done = "frames" in row

        def number(key, form):
            return form.format(row[key]) if done else ""

        def shares(kind, labels):
            return [f"{row[kind].get(label, 0.0):.4f}" if done else "" for label in labels]

        table.append([row["video"], row["status"], number("frames", "{}"), number("skipped", "{}"),
                      number("frames_per_second", "{:.1f}"), number("seconds", "{:.2f}")]
                     + shares("type_shares", types) + shares("quality_shares", qualities)
                     + [row["input"], row.get("worker", ""), row.get("error", "")])
    return header, table


def _csv_text(header, table):
    import csv
    import io
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(table)
    return text.getvalue()


def _markdown_text(header, table):
    def cell(text):
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in table]
    return "\n".join(lines) + "\n"


def write_summary(out, rows):
    header, table = summary_table(rows)
    write_atomically(out / f"{SUMMARY}.csv", _csv_text(header, table))
    markdown = _markdown_text(header, table)
    write_atomically(out / f"{SUMMARY}.md", markdown)
    return markdown


# ----- The run -----

def _arguments(argv):
    parser = argparse.ArgumentParser(
        prog="tarmac-fleet", description="Annotates many videos with a cascade, one Dask task per video.",
        epilog="Outputs: DIR/<stem>.avi, DIR/<stem>.csv, DIR/<stem>.fleet.json (the record that both are complete), "
               "DIR/fleet-summary.csv and .md. A rerun skips videos whose record matches the input and settings. "
               "Exit status: 0 all done, 1 some video failed, 2 bad arguments.")
    parser.add_argument("--cascade", required=True, help="cascade.yml written by tarmac-train-cascade")
    parser.add_argument("--out", required=True, help="output folder (created if missing)")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler (default: start a local cluster)")
    parser.add_argument("--workers", type=int, help="local worker processes (default: cores / threads-per-worker)")
    parser.add_argument("--threads-per-worker", type=int,
                        help="network threads of each task (default 1); a local worker runs one task at a time")
    parser.add_argument("--fps", type=float, default=15.0, help="frame rate of the output videos (default 15)")
    parser.add_argument("--smooth", type=float, default=0.6, help="probability smoothing, as tarmac-annotate's")
    parser.add_argument("--batch", type=int, default=16, help="frames per inference batch (default 16)")
    parser.add_argument("--roi", help="region of interest, as tarmac-annotate's --roi")
    parser.add_argument("videos", nargs="+", metavar="VIDEOS", help="video files, folders, globs, @lists or .txt lists")
    return parser.parse_args(argv)


def _plan(args):
    """The jobs, checked before any work starts."""
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    if args.threads_per_worker is not None and args.threads_per_worker < 1:
        raise UsageError(f"--threads-per-worker must be at least 1, got {args.threads_per_worker}")
    if args.scheduler and args.workers is not None:
        raise UsageError("--workers starts a local cluster: leave it out with --scheduler")
    for name, value, low, high in [("--batch", args.batch, 1, 1024), ("--fps", args.fps, 0.1, 1000),
                                   ("--smooth", args.smooth, 0, 0.99)]:  # tarmac-annotate's ranges
        if not low <= value <= high:
            raise UsageError(f"{name} must be in [{low}, {high}], got {value}")
    cascade = pathlib.Path(args.cascade).resolve()
    if not cascade.is_file():
        raise UsageError(f"--cascade {args.cascade}: no such file")
    out = pathlib.Path(args.out).resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {args.out} is a file, not a folder")
    videos = find_videos(args.videos)
    settings = {"cascade": str(cascade), "cascade_mtime_ns": os.stat(cascade).st_mtime_ns, "fps": args.fps,
                "smoothing": args.smooth, "batch": args.batch, "roi": args.roi}
    # Each task's network threads; a Dask worker runs as many tasks at once as it has Dask threads.
    threads = args.threads_per_worker or 1
    return out, [{"input": str(video), "stem": stem, "out": str(out), "settings": settings, "threads": threads}
                 for video, stem in zip(videos, output_stems(videos))]


@contextlib.contextmanager
def _locked(out):
    # Two runs writing one folder would remove each other's temporaries.
    with open(out / ".fleet.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"another tarmac-fleet run is writing {out}") from None
        yield


@contextlib.contextmanager
def connect(args):
    """The Dask client of a run: to --scheduler, or to a LocalCluster of --workers processes on
    127.0.0.1 whose libraries get --threads-per-worker threads."""
    import dask
    from distributed import Client, LocalCluster
    if args.scheduler:
        try:
            client = Client(args.scheduler, timeout="20s")
        except (OSError, TimeoutError) as e:
            raise UsageError(f"cannot reach the Dask scheduler at {args.scheduler}: {e}") from e
        with client:
            yield client
        return
    threads = args.threads_per_worker or 1
    cores = len(os.sched_getaffinity(0))
    workers = args.workers or max(1, cores // threads)
    if workers * threads > cores:
        print(f"tarmac-fleet: warning: {workers} workers x {threads} threads exceed this machine's {cores} cores",
              file=sys.stderr)
    # A task whose worker dies is retried on another; after 3 deaths it is reported failed.
    with dask.config.set({"distributed.scheduler.allowed-failures": 3}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=":0", env={v: str(threads) for v in THREAD_VARIABLES})
    with cluster, Client(cluster) as client:
        yield client


def _duration(seconds):
    seconds = int(seconds + 0.5)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _failure(job, error):
    return {"video": job["stem"], "status": "failed", "input": job["input"], "error": error}


def _annotate_all(args, jobs, rows):
    from distributed import as_completed
    with connect(args) as client:
        futures = {client.submit(annotate_video, jobs[i], pure=False, retries=1,
                                 key=f"annotate-{jobs[i]['stem']}-{random.getrandbits(32):08x}"): i for i in rows}
        start, done, frames = time.monotonic(), 0, 0
        for future in as_completed(futures):
            i = futures[future]
            try:
                rows[i] = future.result()
            except Exception as e:  # KilledWorker (lost too often), or a bug: this video only
                rows[i] = _failure(jobs[i], f"{type(e).__name__}: {e}")
            done += 1
            frames += rows[i].get("frames", 0)
            elapsed = time.monotonic() - start
            left = len(futures) - done
            what = (f"{rows[i]['frames']} frames, {rows[i]['frames_per_second']:.1f} frames/s"
                    if rows[i]["status"] == "annotated" else f"FAILED: {rows[i]['error']}")
            print(f"[{done}/{len(futures)}] {rows[i]['video']}: {what} | {done / elapsed * 60:.1f} videos/min, "
                  f"{frames / elapsed:.1f} frames/s, ETA {_duration(elapsed / done * left)}", file=sys.stderr,
                  flush=True)


def run(args):
    """The whole run; returns the exit status."""
    out, jobs = _plan(args)
    out.mkdir(parents=True, exist_ok=True)
    with _locked(out):
        rows = [completed_row(job) for job in jobs]
        kept = sum(row is not None for row in rows)
        print(f"tarmac-fleet: {len(jobs)} videos, {kept} already complete, {len(jobs) - kept} to annotate",
              file=sys.stderr, flush=True)
        todo = {i: None for i, row in enumerate(rows) if row is None}
        if todo:
            _annotate_all(args, jobs, todo)
            for i, row in todo.items():
                rows[i] = row
                remove_temporaries(out, jobs[i]["stem"])  # of attempts on workers that died
        print(write_summary(out, rows), end="")
    failed = [row for row in rows if row["status"] == "failed"]
    if failed:
        print(f"tarmac-fleet: {len(failed)} of {len(rows)} videos failed ({', '.join(r['video'] for r in failed)}); "
              f"see {out / (SUMMARY + '.csv')}", file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    args = _arguments(argv)
    try:
        return run(args)
    except UsageError as e:
        print(f"tarmac-fleet: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tarmac-fleet: interrupted; completed videos are kept, a rerun does the rest", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # Under `python -m` this file is __main__, whose functions Dask would pickle by value (with
    # their module's locks); the workers must import the package's instead.
    from tarmac.fleet import main as package_main
    sys.exit(package_main())
