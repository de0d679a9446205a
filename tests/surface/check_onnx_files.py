#!/usr/bin/env python3
"""onnx's checker (full_check: with shape inference) accepts every ONNX file test_onnx exported, and
each ends in a Softmax and names its classes. Exit 77 (skipped) without python3-onnx.

usage: check_onnx_files.py FOLDER
"""
import os
import sys

try:
    import onnx
    import onnx.checker
except ImportError:
    print("skipped: onnx is not installed (apt-get install python3-onnx)")
    sys.exit(77)

folder = sys.argv[1]
files = sorted(f for f in os.listdir(folder) if f.endswith(".onnx"))
assert len(files) >= 4, f"test_onnx exported {files}, expected 4 files or more"
for name in files:
    model = onnx.load(os.path.join(folder, name))
    onnx.checker.check_model(model, full_check=True)
    assert model.graph.node[-1].op_type == "Softmax", f"{name} does not end in Softmax"
    props = {p.key: p.value for p in model.metadata_props}
    print(f"{name}: checker ok, {len(model.graph.node)} nodes, opset {model.opset_import[0].version}, "
          f"classes {props.get('classes', '(none)')}")
print("ok")
