#!/usr/bin/env python3
"""Convert a PyTorch RTK network (state_dict) into a tarmac model file, through ONNX.

The PyTorch module is `rtk_net(classes)` below (the RTK layers; torch_reference.py times the same
module) or `gap_net(classes)` (its global-average-pooling head); which one is read from the
state_dict's keys. Its state_dict is saved with torch.save(net.state_dict(), "model.pt"). This
script exports the module with torch.onnx.export (NCHW input, as tarmac's ONNX files take it) and
runs `tarmac-import`, which maps the ONNX graph onto tarmac's compiled network and writes the model
file (any name tarmac reads: .yml, .yaml or .json, optionally .gz). tarmac-import transposes the
layouts (docs/model-format.md) and reorders the first dense layer's rows: torch flattens (c, h, w),
tarmac (h, w, c).

tarmac feeds the network BGR images scaled to [0, 1]. If the PyTorch model was trained on RGB
input, pass --rgb and the first convolution's input channels are swapped.

usage: torch_to_tarmac.py MODEL.pt OUT --classes ID[:LABEL] ... [--rgb] [--roi RULE] [--onnx KEEP.onnx]
                          [--tarmac-import PROGRAM]
"""
import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarmac_model  # noqa: E402

INPUT = (128, 128, 3)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rtk_net(classes):
    import torch.nn as nn
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.MaxPool2d(2, ceil_mode=True), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.MaxPool2d(2, ceil_mode=True), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1), nn.MaxPool2d(2, ceil_mode=True), nn.ReLU(),
        nn.Flatten(), nn.Linear(16384, 128), nn.ReLU(), nn.Linear(128, classes))


def gap_net(classes):
    import torch.nn as nn
    return nn.Sequential(*list(rtk_net(classes))[:9], nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes))


def architecture(classes):
    """The layer list as tarmac's Net::architecture() reports it for rtk_net<classes>."""
    h, w, c = INPUT
    layers = []
    for filters in (32, 32, 64):
        layers.append(("conv2d", [filters, 3], [h, w, filters]))
        h, w, c = math.ceil(h / 2), math.ceil(w / 2), filters
        layers.append(("maxpool2d", [2], [h, w, c]))
        layers.append(("relu", [], [h, w, c]))
    layers += [("flatten", [], [1, 1, h * w * c]), ("dense", [128], [1, 1, 128]), ("relu", [], [1, 1, 128]),
               ("dense", [classes], [1, 1, classes])]
    return [{"kind": k, "arguments": a, "output": o} for k, a, o in layers], (h, w, c)


def module_for(state, classes):
    """The module whose state_dict `state` is, with its parameters; ValueError naming what differs."""
    for make in (rtk_net, gap_net):
        net = make(len(classes))
        if set(net.state_dict()) == set(state):
            last = list(state)[-1]
            if state[last].shape[0] != len(classes):
                raise ValueError(f"the model has {state[last].shape[0]} outputs but {len(classes)} classes were named")
            net.load_state_dict(state)
            return net.eval()
    raise ValueError(f"not an rtk_net or gap_net state_dict: keys {sorted(state)}")


def tarmac_import_program(given):
    for candidate in (given, shutil.which("tarmac-import"), os.path.join(ROOT, "build", "bin", "tarmac-import")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    sys.exit("torch_to_tarmac.py: error: tarmac-import not found (build it, or give --tarmac-import PROGRAM)")


def old_roi(text):
    """The earlier F,OFFSET,MARGIN form of --roi (top_fraction, top_offset, bottom_margin), or None."""
    parts = text.split(",")
    if len(parts) != 3 or ":" in text:
        return None
    try:
        return {"top_fraction": float(parts[0]), "top_offset": int(parts[1]), "bottom_margin": int(parts[2])}
    except ValueError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="state_dict saved with torch.save(net.state_dict(), path)")
    parser.add_argument("out", help="tarmac model file to write (.yml, .yaml, .json, optionally .gz)")
    parser.add_argument("--classes", nargs="+", required=True, help="class ids in output order, ID or ID:LABEL")
    parser.add_argument("--rgb", action="store_true", help="the PyTorch model was trained on RGB input")
    parser.add_argument("--roi", default="rtk", help="ROI rule as tarmac-import takes it (rtk, full, TOP:BOTTOM[,LEFT:RIGHT]), "
                        "or top_fraction,top_offset,bottom_margin (then OUT must end in .json or .json.gz)")
    parser.add_argument("--onnx", help="keep the ONNX file torch.onnx.export wrote here")
    parser.add_argument("--tarmac-import", help="the tarmac-import program (default: on PATH, else build/bin)")
    args = parser.parse_args()
    pixels_roi = old_roi(args.roi)
    if pixels_roi and not (args.out.endswith(".json") or args.out.endswith(".json.gz")):
        sys.exit("torch_to_tarmac.py: error: with --roi F,OFFSET,MARGIN, OUT must end in .json or .json.gz")
    program = tarmac_import_program(args.tarmac_import)
    try:
        import torch
    except ImportError:
        sys.exit("torch_to_tarmac.py: error: PyTorch is not installed (Debian: apt-get install python3-torch)")
    if any("," in c for c in args.classes):
        sys.exit("torch_to_tarmac.py: error: a class id or label may not hold a comma")
    try:
        state = torch.load(args.model, map_location="cpu")
        if args.rgb:
            state["0.weight"] = state["0.weight"].flip(1)
        net = module_for(state, args.classes)
    except (OSError, RuntimeError, ValueError, KeyError) as e:
        sys.exit(f"torch_to_tarmac.py: error: {args.model}: {e}")
    # With an old-style ROI the file is written twice (tarmac-import, then the ROI patched in):
    # both go to a temporary beside OUT, so that OUT is replaced only by the finished file.
    staged = args.out
    if pixels_roi:
        try:
            handle, staged = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(args.out)), prefix=".torch_to_tarmac-",
                                              suffix="-" + os.path.basename(args.out))
        except OSError as e:
            sys.exit(f"torch_to_tarmac.py: error: {args.out}: {e}")
        os.close(handle)
    try:
        with tempfile.TemporaryDirectory() as work:
            onnx = args.onnx or os.path.join(work, "model.onnx")
            with torch.no_grad():
                torch.onnx.export(net, torch.zeros(1, INPUT[2], INPUT[0], INPUT[1]), onnx, input_names=["input"],
                                  output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=13)
            command = [program, "--onnx", onnx, "--out", staged, "--classes", ",".join(args.classes),
                       "--roi", "rtk" if pixels_roi else args.roi, "--notes", "converted from PyTorch by tools/torch_to_tarmac.py"]
            if subprocess.run(command).returncode != 0:
                sys.exit(f"torch_to_tarmac.py: error: {program} failed")
        if pixels_roi:
            try:
                header, tensors = tarmac_model.read(staged)
                header["roi"] = pixels_roi
                tarmac_model.write(staged, {k: v for k, v in header.items() if k not in ("version", "parameters", "payload")}, tensors)
            except Exception as e:  # noqa: BLE001 (OpenCV's YAML reader raises cv2.error, JSON ValueError)
                sys.exit(f"torch_to_tarmac.py: error: {program} wrote no readable model file: {e}")
            os.replace(staged, args.out)
    finally:
        if staged != args.out and os.path.exists(staged):
            os.remove(staged)


if __name__ == "__main__":
    main()
