"""tarmac from Python: fast non-maximum suppression and road-surface classification.

The functions are the C++ library's (include/tarmac), bound with pybind11; see README.md,
"From Python". Errors: ValueError (bad arguments), OSError (files), tarmac.FormatError (a
ValueError: a file that is not what it should be), tarmac.Error (any other library error).
"""
from ._tarmac import (AnnotateResult, Cascade, CascadeResult, Error, FormatError, Model, SkippedFrame, __version__,
                      annotate, batched_nms, load_cascade, load_model, nms, soft_nms)

__all__ = ["AnnotateResult", "Cascade", "CascadeResult", "Error", "FormatError", "Model", "SkippedFrame", "annotate",
           "batched_nms", "load_cascade", "load_model", "nms", "soft_nms"]
