"""Fixtures of the Python module's tests: the C++ tools (TARMAC_BIN, set by CTest's test_python)
and a small generated drive with a quickly trained cascade, made once per session."""
import os
import pathlib
import shutil
import subprocess

import pytest


def tool(name):
    folder = os.environ.get("TARMAC_BIN")
    if not folder or not os.path.exists(os.path.join(folder, name)):
        pytest.skip(f"{name} not built (set TARMAC_BIN to the tools' folder)")
    return os.path.join(folder, name)


def run(*command):
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True)
    assert done.returncode == 0, f"{command[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="session")
def work(tmp_path_factory):
    folder = os.environ.get("TARMAC_TEST_WORK")
    if not folder:
        return tmp_path_factory.mktemp("tarmac")
    path = pathlib.Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def drive(work):
    """A 40-frame generated drive (PNG frames), its cascade, and tarmac-annotate's CSV of it
    (default smoothing, and --smooth 0 for the per-image predictions)."""
    synth, train, annotate = tool("tarmac-synth"), tool("tarmac-train-cascade"), tool("tarmac-annotate")
    root = work / "drive"
    shutil.rmtree(root, ignore_errors=True)
    run(synth, "--out", root / "synth", "--size", "176x144", "--per-class", "6", "--drive", "40", "--seed", "5")
    run(train, "--data", root / "synth", "--out", root / "cascade", "--net", "gap", "--epochs", "1", "--augment", "none")
    cascade = root / "cascade" / "cascade.yml"
    run(annotate, "--cascade", cascade, root / "synth" / "drive", root / "cli.avi", "--csv", root / "cli.csv")
    run(annotate, "--cascade", cascade, root / "synth" / "drive", root / "cli-smooth0.avi", "--csv",
        root / "cli-smooth0.csv", "--smooth", "0")
    return {
        "root": root,
        "frames": root / "synth" / "drive",
        "cascade": root / "cascade" / "cascade.yml",
        "csv": root / "cli.csv",
        "avi": root / "cli.avi",
        "csv_smooth0": root / "cli-smooth0.csv",
    }
