#!/usr/bin/env python3
"""A PyTorch RTK network, converted by tools/torch_to_tarmac.py, gives the same probabilities in
tarmac as in PyTorch (|delta| < 1e-4) on the same images. Exit 77 (skipped) without PyTorch.

usage: check_torch_conversion.py PREDICT_RAW WORK_DIR
"""
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tools"))
try:
    import torch
except ImportError:
    print("skipped: PyTorch is not installed (apt-get install python3-torch)")
    sys.exit(77)
from torch_to_tarmac import rtk_net  # noqa: E402

predict_raw, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
torch.manual_seed(0)
net = rtk_net(3).eval()
with torch.no_grad():  # sharper logits than the default init, so a layout error cannot hide
    net[12].weight.mul_(100)
    for layer in net:
        if hasattr(layer, "bias"):
            layer.bias.uniform_(-0.1, 0.1)
torch.save(net.state_dict(), os.path.join(work, "rtk.pt"))
model = os.path.join(work, "rtk.json.gz")
subprocess.run([sys.executable, os.path.join(here, "..", "..", "tools", "torch_to_tarmac.py"),
                os.path.join(work, "rtk.pt"), model, "--classes", "asphalt", "paved", "unpaved"], check=True)

images = torch.rand(6, 128, 128, 3)  # NHWC, what tarmac takes; PyTorch gets it as NCHW
images[0] = 0.0
images.numpy().astype("<f4").tofile(os.path.join(work, "images.f32"))
with torch.no_grad():
    expected = torch.softmax(net(images.permute(0, 3, 1, 2)), 1)
out = subprocess.run([predict_raw, model, os.path.join(work, "images.f32")], check=True, capture_output=True,
                     text=True).stdout
got = torch.tensor([[float(v) for v in line.split()] for line in out.splitlines()])
delta = (got - expected).abs().max().item()
print(f"PyTorch:\n{expected}\ntarmac:\n{got}\nlargest |delta| = {delta:.3g}")
assert got.shape == expected.shape, "row count differs"
assert expected.max(1).values.min() < 0.9 and expected.max().item() > 0.6 and expected.min().item() < 0.1, "test logits too flat or saturated"
assert delta < 1e-4, f"probabilities differ by {delta}"

# A model for the wrong class count is refused with a message, not loaded.
bad = subprocess.run([sys.executable, os.path.join(here, "..", "..", "tools", "torch_to_tarmac.py"),
                      os.path.join(work, "rtk.pt"), os.path.join(work, "two.json"), "--classes", "a", "b"],
                     capture_output=True, text=True)
assert bad.returncode != 0 and "3 outputs but 2 classes" in bad.stderr, bad.stderr
print("ok")
