"""tarmac-fleet on a LocalCluster on the loopback interface: a killed worker, a broken video, reruns,
checked file by file against single-process tarmac-annotate."""
import argparse
import csv
import fcntl
import os
import signal
import subprocess
import sys
import time

import cv2
import pytest

from conftest import run, tool
from tarmac import fleet

distributed = pytest.importorskip("distributed")


def write_video(path, frames):
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def videos(drive, work):
    """Generated drives as MJPG AVIs (two named a.avi, a long one, a broken one) and tarmac-annotate's
    AVI and CSV of each good one."""
    root = (work / "fleet").resolve()
    frames = [cv2.imread(str(drive["frames"] / name)) for name in sorted(os.listdir(drive["frames"]))
              if name.endswith(".png")]
    inputs = root / "in"
    good = {"a.avi": frames, "b.avi": frames[::-1], "sub/a.avi": frames[:20], "long.avi": frames * 4}
    for name, sequence in good.items():
        write_video(inputs / name, sequence)
    (inputs / "broken.avi").write_bytes(b"not a video")
    annotate = tool("tarmac-annotate")
    reference = {}
    for name in good:
        stem = name.replace("/", "-")[:-4]
        avi, table = root / "reference" / f"{stem}.avi", root / "reference" / f"{stem}.csv"
        avi.parent.mkdir(parents=True, exist_ok=True)
        run(annotate, "--cascade", drive["cascade"], inputs / name, avi, "--csv", table)
        reference[inputs / name] = (avi, table)
    return {"in": inputs, "reference": reference, "cascade": str(drive["cascade"])}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as c:
        yield c


def same_as_reference(videos, out, inputs):
    for video, stem in zip(inputs, fleet.output_stems(inputs)):
        avi, table = videos["reference"][video]
        assert (out / f"{stem}.csv").read_bytes() == table.read_bytes(), video
        assert (out / f"{stem}.avi").read_bytes() == avi.read_bytes(), video


def test_a_killed_worker_and_a_broken_video(videos, cluster, tmp_path):
    out = tmp_path / "out"
    with distributed.Client(cluster) as client:
        pids = client.run(os.getpid)
        fleet_run = subprocess.Popen(
            [sys.executable, "-m", "tarmac.fleet", "--cascade", videos["cascade"], "--out", str(out), "--scheduler",
             cluster.scheduler_address, str(videos["in"])], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        killed, deadline = None, time.monotonic() + 60
        while killed is None and time.monotonic() < deadline and fleet_run.poll() is None:
            if fleet.temporaries(out / "long.avi"):  # long.avi is being written: kill its worker
                for address, keys in client.processing().items():
                    if any(key.startswith("annotate-long-") for key in keys):
                        os.kill(pids[address], signal.SIGKILL)
                        killed = address
            time.sleep(0.002)
        stdout, stderr = fleet_run.communicate(timeout=120)
    assert killed, f"long.avi was not seen running:\n{stderr}"
    assert fleet_run.returncode == 1, stderr
    assert "1 of 5 videos failed (broken); see" in stderr and "[5/5]" in stderr

    inputs = fleet.find_videos([str(videos["in"])])
    same_as_reference(videos, out, [v for v in inputs if v.name != "broken.avi"])
    assert not [p for p in os.listdir(out) if ".tmp-" in p]
    rows = {row["video"]: row for row in read_rows(out / "fleet-summary.csv")}
    assert sorted(rows) == sorted(fleet.output_stems(inputs)) and len(rows) == 5
    assert rows["long"]["status"] == "annotated" and rows["long"]["frames"] == "160"
    assert rows["long"]["worker"] != killed  # retried on the other worker
    assert rows["broken"]["status"] == "failed" and "broken.avi" in rows["broken"]["error"]
    assert rows["broken"]["frames"] == "" and not (out / "broken.avi").exists()
    reference = read_rows(videos["reference"][videos["in"] / "b.avi"][1])
    for column, share in rows["b"].items():
        if column.startswith("type:"):
            assert float(share) == pytest.approx(sum(r["type"] == column[5:] for r in reference) / 40, abs=1e-4)
    assert "| long | annotated | 160 |" in stdout and (out / "fleet-summary.md").read_text() == stdout


def test_a_rerun_keeps_complete_outputs_and_redoes_changed_ones(videos, cluster, tmp_path, capsys):
    inputs = [videos["in"] / "a.avi", videos["in"] / "b.avi"]
    out = tmp_path / "out"
    local = ["--cascade", videos["cascade"], "--out", str(out), "--workers", "1", *map(str, inputs)]
    assert fleet.main(local) == 0  # a LocalCluster of its own
    same_as_reference(videos, out, inputs)
    written = {p: p.stat().st_mtime_ns for p in [out / "a.avi", out / "a.csv", out / "b.avi", out / "b.csv"]}

    on_cluster = local[:4] + ["--scheduler", cluster.scheduler_address] + local[6:]
    assert fleet.main(on_cluster) == 0
    assert "2 videos, 2 already complete, 0 to annotate" in capsys.readouterr().err
    assert [r["status"] for r in read_rows(out / "fleet-summary.csv")] == ["kept", "kept"]
    assert {p: p.stat().st_mtime_ns for p in written} == written

    os.utime(inputs[1])  # touched: b is annotated again
    (out / "a.csv").write_text("truncated")  # damaged: a too
    assert fleet.main(on_cluster) == 0
    assert "2 videos, 0 already complete, 2 to annotate" in capsys.readouterr().err
    same_as_reference(videos, out, inputs)
    assert fleet.main(on_cluster + ["--smooth", "0.5"]) == 0  # other settings: other outputs
    assert "0 already complete" in capsys.readouterr().err


def test_bad_command_lines_fail_before_any_work(videos, tmp_path, capsys):
    cascade, video = videos["cascade"], str(videos["in"] / "a.avi")
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("")
    (tmp_path / "list.txt").write_text(f"# one good, one missing\n{video}\nmissing.avi\n")
    out = str(tmp_path / "out")
    for argv, message in [
        (["--cascade", cascade, "--out", out, str(tmp_path / "empty")], "empty holds no video files"),
        (["--cascade", cascade, "--out", out, str(tmp_path / "*.mp4")], "no file matches"),
        (["--cascade", cascade, "--out", out, str(tmp_path / "list.txt")], f"{tmp_path}/missing.avi: no such file"),
        (["--cascade", cascade, "--out", out, "@" + str(tmp_path / "nope")], "cannot read the list of videos"),
        (["--cascade", str(tmp_path / "no.yml"), "--out", out, video], "no.yml: no such file"),
        (["--cascade", cascade, "--out", str(tmp_path / "file"), video], "is a file, not a folder"),
        (["--cascade", cascade, "--out", out, "--workers", "0", video], "--workers must be at least 1, got 0"),
        (["--cascade", cascade, "--out", out, "--threads-per-worker", "0", video], "must be at least 1, got 0"),
        (["--cascade", cascade, "--out", out, "--smooth", "1", video], "--smooth must be in [0, 0.99], got 1.0"),
        (["--cascade", cascade, "--out", out, "--batch", "0", video], "--batch must be in [1, 1024], got 0"),
        (["--cascade", cascade, "--out", out, "--scheduler", "tcp://127.0.0.1:1", "--workers", "2", video],
         "leave it out with --scheduler"),
    ]:
        assert fleet.main(argv) == 2, argv
        assert message in capsys.readouterr().err, argv
    assert not os.path.exists(out)

    os.mkdir(out)
    with open(os.path.join(out, ".fleet.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as a run in progress holds it
        assert fleet.main(["--cascade", cascade, "--out", out, video]) == 2
    assert "another tarmac-fleet run is writing" in capsys.readouterr().err


def test_local_workers_get_their_thread_budget():
    args = argparse.Namespace(scheduler=None, workers=1, threads_per_worker=2)
    with fleet.connect(args) as client:
        budgets = list(client.run(lambda: {v: os.environ.get(v) for v in fleet.THREAD_VARIABLES}).values())
        assert budgets == [{v: "2" for v in fleet.THREAD_VARIABLES}] and list(client.nthreads().values()) == [1]
        assert client.scheduler_info()["address"].startswith("tcp://127.0.0.1:")


def test_find_videos_and_output_stems(tmp_path):
    for name in ["x/day1/cam.mp4", "x/day2/cam.MP4", "x/notes.md", "y/fleet-summary.avi", "y/z.v1.avi"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "y" / "list.txt").write_text("z.v1.avi\n../x/day1/cam.mp4  # again\n")
    found = fleet.find_videos([str(tmp_path / "x"), "@" + str(tmp_path / "y" / "list.txt"),
                               str(tmp_path / "y" / "*.avi")])
    assert found == [tmp_path / "x/day1/cam.mp4", tmp_path / "x/day2/cam.MP4", tmp_path / "y/z.v1.avi",
                     tmp_path / "y/fleet-summary.avi"]
    stems = fleet.output_stems(found)
    assert stems[2] == "z.v1" and len(set(stems)) == 4
    assert all(s.startswith(p + "-") and len(s) == len(p) + 9 for s, p in zip(stems[:2], ["cam", "cam"]))
    assert stems[3].startswith("fleet-summary-")
    assert fleet.output_stems(found[:1]) == ["cam"] and fleet.output_stems(found[:2]) == stems[:2]


def test_temporaries_follow_the_library_naming(tmp_path):
    for name in ["z.v1.tmp-123.avi", "z.tmp-9.v1.avi", "z.tmp-9.avi", "z.tmp-x.v1.avi", "zz.tmp-1.v1.avi"]:
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in fleet.temporaries(tmp_path / "z.v1.avi")] == ["z.tmp-9.v1.avi"]
    assert [p.name for p in fleet.temporaries(tmp_path / "z.avi")] == ["z.tmp-9.avi"]
    fleet.write_atomically(tmp_path / "z.fleet.json", "{}\n")
    assert (tmp_path / "z.fleet.json").read_text() == "{}\n" and not fleet.temporaries(tmp_path / "z.fleet.json")


def test_summary_table():
    rows = [{"video": "a", "status": "annotated", "frames": 3, "skipped": 1, "frames_per_second": 12.34,
             "seconds": 0.25, "type_shares": {"asphalt": 2 / 3, "paved": 1 / 3},
             "quality_shares": {"asphalt Good": 2 / 3, "paved": 1 / 3}, "input": "/v/a.avi", "worker": "w",
             "error": ""},
            {"video": "b", "status": "failed", "input": "/v/b|c.avi", "error": "b: cannot open"}]
    header, table = fleet.summary_table(rows)
    assert header == ["video", "status", "frames", "skipped", "frames_per_second", "seconds", "type:asphalt",
                      "type:paved", "quality:asphalt Good", "quality:paved", "input", "worker", "error"]
    assert table[0] == ["a", "annotated", "3", "1", "12.3", "0.25", "0.6667", "0.3333", "0.6667", "0.3333", "/v/a.avi",
                        "w", ""]
    assert table[1] == ["b", "failed", "", "", "", "", "", "", "", "", "/v/b|c.avi", "", "b: cannot open"]
    markdown = fleet._markdown_text(header, table)
    assert "| b | failed |" in markdown and "/v/b\\|c.avi" in markdown
