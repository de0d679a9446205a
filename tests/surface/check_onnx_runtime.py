#!/usr/bin/env python3
"""ONNX Runtime (PyPI's onnxruntime, CPU provider), a second runtime beside OpenCV dnn, runs every ONNX
file test_onnx exported on the frames test_onnx gave OpenCV dnn (NAME.input.f32: the NCHW float32 blob)
and gives tarmac's probabilities (NAME.tarmac.f32) within 1e-5. Exit 77 (skipped) without onnxruntime,
which `make test` installs into build/pydeps (this test's PYTHONPATH).

usage: check_onnx_runtime.py FOLDER
"""
import os
import sys

try:
    import numpy as np
    import onnxruntime as ort
except ImportError as e:
    print(f"skipped: onnxruntime not installed ({e}; `make test` installs it from PyPI into build/pydeps)")
    sys.exit(77)

folder = sys.argv[1]
files = sorted(f for f in os.listdir(folder) if f.endswith(".onnx"))
assert len(files) >= 4, f"test_onnx exported {files}, expected 4 files or more"
options = ort.SessionOptions()
options.intra_op_num_threads = 1  # tests run side by side
for name in files:
    stem = os.path.join(folder, name[: -len(".onnx")])
    session = ort.InferenceSession(os.path.join(folder, name), options, providers=["CPUExecutionProvider"])
    (given,) = session.get_inputs()
    images = np.fromfile(stem + ".input.f32", "<f4").reshape([-1] + given.shape[1:])
    expected = np.fromfile(stem + ".tarmac.f32", "<f4").reshape(len(images), -1)
    (got,) = session.run(None, {given.name: images})
    assert got.shape == expected.shape, f"{name}: ONNX Runtime gives {got.shape}, tarmac {expected.shape}"
    delta = float(np.abs(got - expected).max())
    print(f"{name}: {len(images)} frames, largest |tarmac - ONNX Runtime {ort.__version__}| = {delta:.3g}")
    assert delta < 1e-5, f"{name}: probabilities differ by {delta}"
print("ok")
