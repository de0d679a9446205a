#!/usr/bin/env python3
"""Read and write tarmac model files (docs/model-format.md) with numpy.

Version 2 (what tarmac writes): a header of YAML or JSON, ended by a NUL byte and padded with NULs
to a multiple of 64 bytes, then the payload: every tensor as little-endian float32, at the byte
offset its header entry gives, with the payload's size and CRC-32 in the header's `payload` map.
A name ending in .gz is a gzip stream of all of it. Version 1 (all text) is read too.

The header is read with cv2.FileStorage when OpenCV is installed (it reads YAML and JSON
headers, also straight from the file), else with the json module (JSON headers only).

    header, tensors = read("type.yml")          # tensors: [(layer, name, numpy array)]
    write("model.json", header, tensors)        # header: a dict of the top-level keys
"""
import gzip
import json
import os
import zlib

import numpy as np

FORMAT_VERSION = 2
ALIGNMENT = 64


def _from_node(node):
    """A cv2.FileNode as plain Python values."""
    if node.isMap():
        return {key: _from_node(node.getNode(key)) for key in node.keys()}
    if node.isSeq():
        return [_from_node(node.at(i)) for i in range(node.size())]
    if node.isInt():
        return int(node.real())
    if node.isReal():
        return node.real()
    if node.isString():
        return node.string()
    return None


def parse_header(text):
    """The header text (YAML or JSON) as a dict."""
    try:
        import cv2
    except ImportError:
        if not text.lstrip().startswith("{"):
            raise ValueError("a YAML header needs OpenCV's Python module (cv2); JSON headers need only json")
        return json.loads(text)
    fs = cv2.FileStorage(text, cv2.FILE_STORAGE_READ | cv2.FILE_STORAGE_MEMORY)
    return _from_node(fs.root())


def read(path):
    """Returns (header dict, [(layer, name, float32 array of its shape)]); ValueError if damaged."""
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    nul = data.find(b"\0")
    header = parse_header((data if nul < 0 else data[:nul]).decode("utf-8"))
    if header.get("format") != "tarmac-model" or header.get("version") not in (1, 2):
        raise ValueError(f"{path}: not a tarmac model file of version 1 or 2")
    tensors = []
    if header["version"] == 1:
        for p in header["parameters"]:
            tensors.append((p["layer"], p["name"], np.asarray(p["data"], dtype="<f4").reshape(p["shape"])))
        return header, tensors
    if nul < 0:
        raise ValueError(f"{path}: the binary payload after the header is missing")
    payload = memoryview(data)[(nul // ALIGNMENT + 1) * ALIGNMENT:]
    declared = header["payload"]
    if declared["encoding"] != "float32le" or declared["bytes"] != len(payload):
        raise ValueError(f"{path}: payload of {len(payload)} bytes, the header declares {declared['bytes']} {declared['encoding']}")
    if f"{zlib.crc32(payload):08x}" != declared["crc32"]:
        raise ValueError(f"{path}: the payload's CRC-32 is {zlib.crc32(payload):08x}, the header says {declared['crc32']}")
    for p in header["parameters"]:
        count = int(np.prod(p["shape"], dtype=np.int64))
        if p["offset"] % 4 or p["offset"] + 4 * count > len(payload):
            raise ValueError(f"{path}: parameter of layer {p['layer']} {p['name']} lies outside the payload")
        values = np.frombuffer(payload, dtype="<f4", count=count, offset=p["offset"]).reshape(p["shape"])
        if not np.isfinite(values).all():
            raise ValueError(f"{path}: parameter of layer {p['layer']} {p['name']} holds a value that is not finite")
        tensors.append((p["layer"], p["name"], values.copy()))
    return header, tensors


def write(path, header, tensors):
    """Writes a version-2 file with a JSON header (path ends in .json or .json.gz), atomically.

    header: the top-level keys but `version`, `parameters` and `payload`, which are made here.
    tensors: [(layer, name, array)] in the network's order (weights, then biases, per layer)."""
    if not (path.endswith(".json") or path.endswith(".json.gz")):
        raise ValueError(f"{path}: this writer writes JSON headers: the name must end in .json or .json.gz")
    parameters, chunks, offset = [], [], 0
    for layer, name, array in tensors:
        values = np.ascontiguousarray(array, dtype="<f4")
        parameters.append({"layer": int(layer), "name": name, "shape": [int(d) for d in values.shape], "offset": offset})
        chunks.append(values.tobytes())
        offset += values.nbytes
    payload = b"".join(chunks)
    full = dict(header, version=FORMAT_VERSION, parameters=parameters,
                payload={"encoding": "float32le", "bytes": len(payload), "crc32": f"{zlib.crc32(payload):08x}"})
    text = json.dumps(full, indent=1, ensure_ascii=False).encode("utf-8")  # OpenCV reads no \\u escapes
    data = text + b"\0" * ((len(text) // ALIGNMENT + 1) * ALIGNMENT - len(text)) + payload
    if path.endswith(".gz"):
        data = gzip.compress(data, compresslevel=0)  # stored: float32 values hardly compress
    temporary = path + ".tmp"
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
