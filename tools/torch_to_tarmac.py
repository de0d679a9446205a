#!/usr/bin/env python3
"""Convert a PyTorch RTK network (state_dict) into a tarmac model file.

The PyTorch module is `rtk_net(classes)` below (the RTK layers; torch_reference.py times the same
module). Its state_dict is saved with torch.save(net.state_dict(), "model.pt"); this script writes
a tarmac model file (format version 2: a JSON header and the float32 values in binary, through
tarmac_model.py; gzip-wrapped when the name ends in .gz) that tarmac::surface::load_model reads
into tarmac::nn::rtk_net<classes>. The layouts are in docs/model-format.md:

  conv2d   torch [out][in][kh][kw]   -> tarmac [kh][kw][in][out]
  dense    torch [out][in]           -> tarmac [in][out]
  first dense after flatten: torch flattens (c, h, w), tarmac (h, w, c); its rows are reordered.

tarmac feeds the network BGR images scaled to [0, 1], NHWC. If the PyTorch model was trained on
RGB input, pass --rgb and the first convolution's input channels are swapped.

usage: torch_to_tarmac.py MODEL.pt OUT.json.gz --classes ID[:LABEL] ... [--rgb] [--roi F,OFFSET,MARGIN]
"""
import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarmac_model  # noqa: E402

INPUT = (128, 128, 3)


def rtk_net(classes):
    import torch.nn as nn
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.MaxPool2d(2, ceil_mode=True), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.MaxPool2d(2, ceil_mode=True), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1), nn.MaxPool2d(2, ceil_mode=True), nn.ReLU(),
        nn.Flatten(), nn.Linear(16384, 128), nn.ReLU(), nn.Linear(128, classes))


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


def convert(state, classes, rgb=False, roi=(0.5, -5, 50), notes="converted from PyTorch by tools/torch_to_tarmac.py"):
    """Returns the model file as (header dict, [(layer, name, float32 numpy array)]) for tarmac_model.write."""
    layers, (fh, fw, fc) = architecture(len(classes))
    conv_keys, dense_keys = ["0", "3", "6"], ["10", "12"]
    expected = {f"{k}.weight" for k in conv_keys + dense_keys} | {f"{k}.bias" for k in conv_keys + dense_keys}
    if set(state) != expected:
        raise ValueError(f"not an rtk_net state_dict: keys {sorted(state)}, expected {sorted(expected)}")
    if state["12.weight"].shape[0] != len(classes):
        raise ValueError(f"the model has {state['12.weight'].shape[0]} outputs but {len(classes)} classes were named")
    tensors = []
    layer_index = {"0": 0, "3": 3, "6": 6, "10": 10, "12": 12}
    for key in conv_keys:
        weight = state[f"{key}.weight"].detach().float()
        if key == "0" and rgb:
            weight = weight.flip(1)
        tensors.append((layer_index[key], "weights", weight.permute(2, 3, 1, 0)))
        tensors.append((layer_index[key], "biases", state[f"{key}.bias"].detach().float()))
    first = state["10.weight"].detach().float()  # [128][c*h*w]
    first = first.view(first.shape[0], fc, fh, fw).permute(2, 3, 1, 0).reshape(fh * fw * fc, first.shape[0])
    tensors.append((10, "weights", first))
    tensors.append((10, "biases", state["10.bias"].detach().float()))
    tensors.append((12, "weights", state["12.weight"].detach().float().t()))
    tensors.append((12, "biases", state["12.bias"].detach().float()))
    header = {
        "format": "tarmac-model", "layout": "NHWC", "channel_order": "BGR",
        "resize": "bilinear", "scale": 1.0 / 255.0, "input": list(INPUT),
        "roi": {"top_fraction": roi[0], "top_offset": roi[1], "bottom_margin": roi[2]},
        "classes": [{"id": i, "label": label} for i, label in classes], "notes": notes,
        "architecture": layers,
    }
    return header, [(layer, name, t.contiguous().numpy()) for layer, name, t in tensors]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="state_dict saved with torch.save(net.state_dict(), path)")
    parser.add_argument("out", help="tarmac model file to write (.json or .json.gz)")
    parser.add_argument("--classes", nargs="+", required=True, help="class ids in output order, ID or ID:LABEL")
    parser.add_argument("--rgb", action="store_true", help="the PyTorch model was trained on RGB input")
    parser.add_argument("--roi", default="0.5,-5,50", help="ROI rule: top_fraction,top_offset,bottom_margin")
    args = parser.parse_args()
    if not (args.out.endswith(".json") or args.out.endswith(".json.gz")):
        sys.exit("torch_to_tarmac.py: error: OUT must end in .json or .json.gz")
    try:
        import torch
    except ImportError:
        sys.exit("torch_to_tarmac.py: error: PyTorch is not installed (Debian: apt-get install python3-torch)")
    try:
        roi = [float(v) for v in args.roi.split(",")]
        roi = (roi[0], int(roi[1]), int(roi[2]))
    except (ValueError, IndexError):
        sys.exit(f"torch_to_tarmac.py: error: --roi must be F,OFFSET,MARGIN, got {args.roi!r}")
    classes = [(c.split(":", 1)[0], c.split(":", 1)[-1]) for c in args.classes]
    try:
        state = torch.load(args.model, map_location="cpu")
        header, tensors = convert(state, classes, args.rgb, roi)
    except (OSError, RuntimeError, ValueError, KeyError) as e:
        sys.exit(f"torch_to_tarmac.py: error: {args.model}: {e}")
    tarmac_model.write(args.out, header, tensors)


if __name__ == "__main__":
    main()
