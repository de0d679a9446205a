#!/usr/bin/env python3
"""tools/tarmac_model.py and tarmac agree on model files: a file written by Python loads in tarmac
(predict_raw), tarmac saves it again (YAML and JSON, plain and .gz) and Python reads back the very
same float32 values; the version-1 fixtures read alike in every format; a damaged payload is an
error. Exit 77 (skipped) without numpy.

usage: check_model_python.py PREDICT_RAW WORK_DIR
"""
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("numpy") is None:
    print("skipped: numpy is not installed (apt-get install python3-numpy)")
    sys.exit(77)
import numpy as np  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tools"))
import tarmac_model  # noqa: E402
from torch_to_tarmac import INPUT, architecture  # noqa: E402 (torch itself is not needed here)

has_cv2 = importlib.util.find_spec("cv2") is not None
if not has_cv2:
    print("note: OpenCV's Python module is not installed: YAML headers are not read")

predict_raw, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)

# An RTK 3-class network with random values, as the converter would write it.
layers, (fh, fw, fc) = architecture(3)
rng = np.random.default_rng(1)
tensors = []
for index, shape in {0: [3, 3, 3, 32], 3: [3, 3, 32, 32], 6: [3, 3, 32, 64], 10: [fh * fw * fc, 128], 12: [128, 3]}.items():
    tensors += [(index, "weights", rng.normal(0, 0.05, shape).astype("<f4")),
                (index, "biases", rng.normal(0, 0.1, shape[-1:]).astype("<f4"))]
header = {"format": "tarmac-model", "layout": "NHWC", "channel_order": "BGR", "resize": "bilinear", "scale": 1.0 / 255.0,
          "input": list(INPUT), "roi": {"top_fraction": 0.5, "top_offset": -5, "bottom_margin": 50},
          "classes": [{"id": c, "label": c} for c in ("asphalt", "paved", "unpaved")], "notes": "written by Python",
          "architecture": layers}
np.zeros((1, 128, 128, 3), dtype="<f4").tofile(os.path.join(work, "images.f32"))


def same(a, b):
    return len(a) == len(b) and all(x[:2] == y[:2] and x[2].shape == y[2].shape and x[2].tobytes() == y[2].tobytes()
                                    for x, y in zip(a, b))


for name in ("py.json", "py.json.gz"):
    tarmac_model.write(os.path.join(work, name), header, tensors)
    assert same(tarmac_model.read(os.path.join(work, name))[1], tensors), f"{name}: Python does not read back what it wrote"
    for saved in ["cpp.json", "cpp.json.gz"] + (["cpp.yml", "cpp.yml.gz"] if has_cv2 else []):
        subprocess.run([predict_raw, os.path.join(work, name), os.path.join(work, "images.f32"), os.path.join(work, saved)],
                       check=True, capture_output=True)
        read_header, read_tensors = tarmac_model.read(os.path.join(work, saved))
        assert read_header["version"] == 2 and read_header["notes"] == "written by Python", read_header
        assert same(read_tensors, tensors), f"{name} -> tarmac -> {saved}: the values differ"

fixtures = os.path.join(here, "model_v1")
v1 = [tarmac_model.read(os.path.join(fixtures, n))[1] for n in ["small.json"] + (["small.yml", "small.yml.gz"] if has_cv2 else [])]
assert all(same(v1[0], t) for t in v1) and len(v1[0]) == 6, "the version-1 fixtures differ"

with open(os.path.join(work, "py.json"), "rb") as f:
    data = bytearray(f.read())
data[-3] ^= 0x40
with open(os.path.join(work, "damaged.json"), "wb") as f:
    f.write(data)
try:
    tarmac_model.read(os.path.join(work, "damaged.json"))
    raise AssertionError("a damaged payload was read")
except ValueError as e:
    assert "CRC-32" in str(e), e
print("ok")
