"""Builds tarmac._tarmac from build.json, the description python/CMakeLists.txt reads too: the same
source file and flags as the CMake build. The headers are the repository's (../include), so this
runs from a checkout: pip install --no-index --no-build-isolation ./python"""
import json
import os
import re
import subprocess

from pybind11.setup_helpers import Pybind11Extension, build_ext
from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
config = json.load(open(os.path.join(HERE, "build.json")))
version = re.search(r"project\(tarmac VERSION ([0-9.]+)", open(os.path.join(ROOT, "CMakeLists.txt")).read()).group(1)


def pkg_config(*args):
    return subprocess.run(["pkg-config", *args, *config["pkg_config"]], check=True, capture_output=True,
                          text=True).stdout.split()


extension = Pybind11Extension(
    config["module"],
    config["sources"],  # relative to this folder, where pip runs setup.py
    include_dirs=[os.path.join(ROOT, "include")],
    libraries=config["libraries"],
    # OpenCV's headers as system headers, as CMake takes them (they warn under C++20).
    extra_compile_args=[a for f in pkg_config("--cflags-only-I") for a in ("-isystem", f[2:])] + config["cxx_flags"] +
    ["-DNDEBUG", "-g0", f'-DTARMAC_VERSION="{version}"'],  # -g0: no debug info, as the release build
    cxx_std=20,
)

setup(name="tarmac", version=version, packages=["tarmac"], ext_modules=[extension], cmdclass={"build_ext": build_ext},
      zip_safe=False)
