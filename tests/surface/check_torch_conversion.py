#!/usr/bin/env python3
"""PyTorch RTK networks (rtk_net and gap_net), converted by tools/torch_to_tarmac.py (torch.onnx.export,
then tarmac-import), give the same probabilities in tarmac as in PyTorch (|delta| < 1e-5) on the same
images; tarmac-export writes the model back as ONNX, which onnx's checker accepts (when installed),
OpenCV's dnn runs to the same probabilities and ONNX Runtime (when installed, from PyPI) to tarmac's; a
MatMul + Add graph (onnx.helper) imports as a dense layer; a model for another class count is refused.
Exit 77 (skipped) without PyTorch.

usage: check_torch_conversion.py PREDICT_RAW TARMAC_IMPORT TARMAC_EXPORT WORK_DIR
"""
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
tools = os.path.join(here, "..", "..", "tools")
sys.path.insert(0, tools)
try:
    import torch
except ImportError:
    print("skipped: PyTorch is not installed (apt-get install python3-torch)")
    sys.exit(77)
from torch_to_tarmac import gap_net, rtk_net  # noqa: E402

predict_raw, tarmac_import, tarmac_export, work = sys.argv[1:5]
os.makedirs(work, exist_ok=True)
torch.manual_seed(0)
images = torch.rand(6, 128, 128, 3)  # NHWC, what tarmac takes; PyTorch gets it as NCHW
images[0] = 0.0
images.numpy().astype("<f4").tofile(os.path.join(work, "images.f32"))
try:
    import onnx
    import onnx.checker
except ImportError:
    onnx = None
    print("onnx's checker: skipped (apt-get install python3-onnx)")
try:
    import cv2
except ImportError:
    cv2 = None
    print("OpenCV dnn: skipped (apt-get install python3-opencv)")
try:
    import onnxruntime
except ImportError:
    onnxruntime = None
    print("ONNX Runtime: skipped (not installed: `make test` installs it from PyPI into build/pydeps)")


def tarmac_probabilities(model):
    out = subprocess.run([predict_raw, model, os.path.join(work, "images.f32")], check=True,
                         capture_output=True, text=True).stdout
    return torch.tensor([[float(v) for v in line.split()] for line in out.splitlines()])


def compare(what, got, expected):
    delta = (got - expected).abs().max().item()
    print(f"{what}: largest |delta| = {delta:.3g}")
    assert got.shape == expected.shape, f"{what}: shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
    assert delta < 1e-5, f"{what}: probabilities differ by {delta}"


for name, make in (("rtk", rtk_net), ("gap", gap_net)):
    net = make(3).eval()
    with torch.no_grad():  # sharper logits than the default init, so a layout error cannot hide
        net[-1].weight.mul_(100 if name == "rtk" else 1000)
        for layer in net:
            if hasattr(layer, "bias"):
                layer.bias.uniform_(-0.1, 0.1)
        expected = torch.softmax(net(images.permute(0, 3, 1, 2)), 1)
    # not flat, not all saturated, and the rows differ (global pooling averages random images alike)
    assert expected.max().item() > 0.6 and expected.min().item() < 0.1 and (expected[0] - expected[1]).abs().max() > 1e-3, \
        f"{name}: test logits too flat or saturated"
    torch.save(net.state_dict(), os.path.join(work, f"{name}.pt"))
    model = os.path.join(work, f"{name}.json.gz")
    subprocess.run([sys.executable, os.path.join(tools, "torch_to_tarmac.py"), os.path.join(work, f"{name}.pt"), model,
                    "--classes", "asphalt", "paved", "unpaved", "--tarmac-import", tarmac_import], check=True)
    print(f"{name}: PyTorch's probabilities range over [{expected.min().item():.3g}, {expected.max().item():.3g}]")
    compare(f"{name}: PyTorch vs tarmac", tarmac_probabilities(model), expected)
    # ... and out again: the exported file is valid ONNX and runs in OpenCV to the same probabilities.
    exported = os.path.join(work, f"{name}.onnx")
    subprocess.run([tarmac_export, "--model", model, "--onnx", exported], check=True)
    if onnx:
        onnx.checker.check_model(onnx.load(exported), full_check=True)
        print(f"{name}: onnx checker accepts the exported file")
    # ... and in again without --classes: the classes come from the export's metadata.
    again = os.path.join(work, f"{name}-again.yml")
    subprocess.run([tarmac_import, "--onnx", exported, "--out", again], check=True)
    from_tarmac = tarmac_probabilities(again)
    compare(f"{name}: PyTorch vs tarmac after export and import", from_tarmac, expected)
    assert "id: unpaved" in open(again, errors="replace").read(), "the classes did not come back"
    if cv2:
        dnn = cv2.dnn.readNetFromONNX(exported)
        dnn.setInput(images.permute(0, 3, 1, 2).contiguous().numpy())
        compare(f"{name}: PyTorch vs OpenCV dnn on tarmac's export", torch.from_numpy(dnn.forward()), expected)
    if onnxruntime:
        session = onnxruntime.InferenceSession(exported, providers=["CPUExecutionProvider"])
        (got,) = session.run(None, {session.get_inputs()[0].name: images.permute(0, 3, 1, 2).contiguous().numpy()})
        compare(f"{name}: tarmac vs ONNX Runtime on tarmac's export", torch.from_numpy(got), from_tarmac)

# MatMul + Add (what a hand-written x @ W + b exports as) imports as dense, its weights [in][out];
# the graph has no Softmax (it is optional).
if onnx:
    from onnx import TensorProto, helper, numpy_helper
    net = rtk_net(3).eval()
    net.load_state_dict(torch.load(os.path.join(work, "rtk.pt")))
    state = {k: v.numpy() for k, v in net.state_dict().items()}
    nodes, x = [], "x"
    for i in (0, 3, 6):
        nodes += [helper.make_node("Conv", [x, f"{i}.weight", f"{i}.bias"], [f"c{i}"], pads=[1, 1, 1, 1]),
                  helper.make_node("MaxPool", [f"c{i}"], [f"p{i}"], kernel_shape=[2, 2], strides=[2, 2]),
                  helper.make_node("Relu", [f"p{i}"], [f"r{i}"])]
        x = f"r{i}"
    nodes += [helper.make_node("Flatten", [x], ["f"]), helper.make_node("MatMul", ["f", "w10"], ["m10"]),
              helper.make_node("Add", ["m10", "10.bias"], ["a10"]), helper.make_node("Relu", ["a10"], ["r10"]),
              helper.make_node("MatMul", ["r10", "w12"], ["m12"]), helper.make_node("Add", ["12.bias", "m12"], ["y"])]
    initializers = [numpy_helper.from_array(state[k], k) for k in state if k.endswith(".bias") or k[0] in "036"]
    initializers += [numpy_helper.from_array(state["10.weight"].T.copy(), "w10"), numpy_helper.from_array(state["12.weight"].T.copy(), "w12")]
    graph = helper.make_graph(nodes, "matmul", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 128, 128])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])], initializers)
    path = os.path.join(work, "matmul.onnx")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    model = os.path.join(work, "matmul.yml")
    subprocess.run([tarmac_import, "--onnx", path, "--out", model, "--classes", "a,b,c", "--roi", "full"], check=True)
    with torch.no_grad():
        expected = torch.softmax(net(images.permute(0, 3, 1, 2)), 1)
    compare("MatMul + Add graph: PyTorch vs tarmac", tarmac_probabilities(model), expected)

# A model for the wrong class count is refused with a message, not converted.
bad = subprocess.run([sys.executable, os.path.join(tools, "torch_to_tarmac.py"), os.path.join(work, "rtk.pt"),
                      os.path.join(work, "two.json"), "--classes", "a", "b", "--tarmac-import", tarmac_import],
                     capture_output=True, text=True)
assert bad.returncode != 0 and "3 outputs but 2 classes" in bad.stderr, bad.stderr
# With the old --roi F,OFFSET,MARGIN form the file is written twice: a failure between the two
# leaves OUT as it was (here a tarmac-import that writes no model file) and no temporary behind.
kept = os.path.join(work, "kept.json")
with open(kept, "w") as f:
    f.write("the user's old file")
broken = os.path.join(work, "broken-import")
with open(broken, "w") as f:
    f.write('#!/bin/sh\nwhile [ "$1" != --out ]; do shift; done\necho garbage > "$2"\n')
os.chmod(broken, 0o755)
bad = subprocess.run([sys.executable, os.path.join(tools, "torch_to_tarmac.py"), os.path.join(work, "rtk.pt"), kept,
                      "--classes", "a", "b", "c", "--roi", "0.5,-5,50", "--tarmac-import", broken], capture_output=True, text=True)
assert bad.returncode != 0 and "wrote no readable model file" in bad.stderr, bad.stderr
with open(kept) as f:
    assert f.read() == "the user's old file"
assert not [n for n in os.listdir(work) if n.startswith(".torch_to_tarmac-")], os.listdir(work)
# An operator tarmac has no layer for is refused by tarmac-import, naming the node.
if onnx:
    graph.node[2].op_type = "Tanh"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    bad = subprocess.run([tarmac_import, "--onnx", path, "--out", model, "--classes", "a,b"], capture_output=True, text=True)
    assert bad.returncode == 2 and "node 2 '' (Tanh): this operator has no tarmac layer" in bad.stderr, bad.stderr
    print(bad.stderr.strip())
print("ok")
