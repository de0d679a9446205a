// tarmac._tarmac: the library's NMS, classifiers, cascades and annotate pipeline for Python.
// Bindings only (docs/DESIGN.md): arrays are checked and viewed without copies, every decision
// and every message is the library's, and long calls release the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <tarmac/core/error.hpp>
#include <tarmac/core/files.hpp>
#include <tarmac/nms.hpp>
#include <tarmac/surface/cascade.hpp>
#include <tarmac/surface/taxonomy.hpp>
#include <tarmac/video.hpp>

namespace py = pybind11;
namespace fs = std::filesystem;
namespace nms = tarmac::nms;
namespace surface = tarmac::surface;
namespace video = tarmac::video;

namespace {

std::string shape_of(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t d = 0; d < a.ndim(); ++d) s += (d ? ", " : "") + std::to_string(a.shape(d));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

std::string dtype_of(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

// Any array-like (NumPy array, CPU torch tensor, list) as an ndarray, without a copy when it is
// one. When the conversion fails, its own reason (a CUDA tensor, one that requires grad) is kept.
py::array as_array(const char* where, const char* name, const py::handle& object) {
  if (py::isinstance<py::array>(object)) return py::reinterpret_borrow<py::array>(object);
  try {
    return py::module_::import("numpy").attr("asarray")(object).cast<py::array>();
  } catch (py::error_already_set& e) {
    throw tarmac::invalid_argument(std::string(where) + ": " + name + " is not an array (" + e.what() + ")");
  }
}

// A C-contiguous, aligned array of `ndim` dimensions (the last of `columns`, when given).
void check_layout(const char* where, const char* name, const py::array& a, py::ssize_t ndim, py::ssize_t columns = 0) {
  if (a.ndim() != ndim || (columns && a.shape(ndim - 1) != columns))
    throw tarmac::invalid_argument(std::string(where) + ": " + name + " must have shape " +
                                   (ndim == 1 ? "(N,)" : "(N, " + std::to_string(columns) + ")") + ", got " + shape_of(a));
  if (!(a.flags() & py::array::c_style))
    throw tarmac::invalid_argument(std::string(where) + ": " + name +
                                   " is not C-contiguous (a strided view): pass numpy.ascontiguousarray(" + name + ")");
  if (reinterpret_cast<std::uintptr_t>(a.data()) % a.itemsize() != 0)
    throw tarmac::invalid_argument(std::string(where) + ": " + name + " is not aligned to its element size");
}

template <class T>
bool holds(const py::array& a) {
  return py::isinstance<py::array_t<T>>(a);  // the dtype, in native byte order
}

// Boxes (N, 4) and scores (N,) of one floating type, viewed in place.
struct scored_input {
  py::array boxes, scores;
  bool is_double;

  scored_input(const char* where, const py::handle& b, const py::handle& s)
      : boxes(as_array(where, "boxes", b)), scores(as_array(where, "scores", s)) {
    is_double = holds<double>(boxes);
    if (!is_double && !holds<float>(boxes))
      throw tarmac::invalid_argument(std::string(where) + ": boxes must be float32 or float64, got " + dtype_of(boxes));
    if (!(is_double ? holds<double>(scores) : holds<float>(scores)))
      throw tarmac::invalid_argument(std::string(where) + ": scores must have the boxes' dtype (" + dtype_of(boxes) +
                                     "), got " + dtype_of(scores));
    check_layout(where, "boxes", boxes, 2, 4);
    check_layout(where, "scores", scores, 1);
  }

  template <class T>
  std::span<const nms::box<T>> box_span() const {
    return {static_cast<const nms::box<T>*>(boxes.data()), std::size_t(boxes.shape(0))};
  }
  template <class T>
  std::span<const T> score_span() const {
    return {static_cast<const T*>(scores.data()), std::size_t(scores.shape(0))};
  }
};

// The library's index vector as an int64 array that owns it (no copy).
py::array_t<std::int64_t> indices(std::vector<std::size_t> kept) {
  static_assert(sizeof(std::size_t) == sizeof(std::int64_t));
  if (kept.empty()) return py::array_t<std::int64_t>(0);
  auto* owned = new std::vector<std::size_t>(std::move(kept));
  py::capsule free(owned, [](void* p) { delete static_cast<std::vector<std::size_t>*>(p); });
  return py::array_t<std::int64_t>(py::ssize_t(owned->size()), reinterpret_cast<const std::int64_t*>(owned->data()), free);
}

nms::coords convention_of(const char* where, const std::string& name) {
  if (name == "continuous") return nms::coords::continuous;
  if (name == "pixel_inclusive") return nms::coords::pixel_inclusive;
  throw tarmac::invalid_argument(std::string(where) + ": convention must be 'continuous' or 'pixel_inclusive', got '" + name + "'");
}

std::size_t max_keep_of(const char* where, std::optional<long long> max_keep) {
  if (!max_keep) return std::numeric_limits<std::size_t>::max();
  if (*max_keep < 0)
    throw tarmac::invalid_argument(std::string(where) + ": max_keep must be >= 0 or None, got " + std::to_string(*max_keep));
  return std::size_t(*max_keep);
}

nms::params params_of(const char* where, float iou_threshold, std::optional<float> score_threshold,
                      std::optional<long long> max_keep, const std::string& convention) {
  nms::params p;
  p.iou_threshold = iou_threshold;
  if (score_threshold) p.score_threshold = *score_threshold;
  p.max_keep = max_keep_of(where, max_keep);
  p.convention = convention_of(where, convention);
  return p;
}

// Calls run(tag) with the policy tag `name` selects.
template <class Run>
auto with_policy(const char* where, const std::string& name, Run&& run) {
  if (name == "simd") return run(nms::simd{});
  if (name == "suppressed_flag") return run(nms::suppressed_flag{});
  if (name == "naive") return run(nms::naive{});
  throw tarmac::invalid_argument(std::string(where) + ": policy must be 'simd', 'suppressed_flag' or 'naive', got '" + name + "'");
}

// Calls run(T{}) with the input's scalar type.
template <class Run>
auto with_scalar(const scored_input& in, Run&& run) {
  return in.is_double ? run(double{}) : run(float{});
}

py::array_t<std::int64_t> nms_py(const py::handle& boxes, const py::handle& scores, float iou_threshold,
                                 std::optional<float> score_threshold, std::optional<long long> max_keep,
                                 const std::string& convention, const std::string& policy) {
  const scored_input in("nms", boxes, scores);
  const nms::params p = params_of("nms", iou_threshold, score_threshold, max_keep, convention);
  return indices(with_policy("nms", policy, [&](auto tag) {
    return with_scalar(in, [&]<class T>(T) {
      py::gil_scoped_release release;
      return nms::nms(in.box_span<T>(), in.score_span<T>(), p, tag);
    });
  }));
}

py::array_t<std::int64_t> batched_nms_py(const py::handle& boxes, const py::handle& scores, const py::handle& class_ids,
                                         float iou_threshold, std::optional<float> score_threshold,
                                         std::optional<long long> max_keep, const std::string& convention,
                                         const std::string& policy) {
  const scored_input in("batched_nms", boxes, scores);
  const py::array ids = as_array("batched_nms", "class_ids", class_ids);
  const bool wide = holds<std::int64_t>(ids);
  if (!wide && !holds<std::int32_t>(ids))
    throw tarmac::invalid_argument("batched_nms: class_ids must be int64 or int32, got " + dtype_of(ids));
  check_layout("batched_nms", "class_ids", ids, 1);
  const nms::params p = params_of("batched_nms", iou_threshold, score_threshold, max_keep, convention);
  return indices(with_policy("batched_nms", policy, [&](auto tag) {
    return with_scalar(in, [&]<class T>(T) {
      const auto run = [&]<class Id>(Id) {
        const std::span<const Id> id_span(static_cast<const Id*>(ids.data()), std::size_t(ids.shape(0)));
        py::gil_scoped_release release;
        return nms::batched_nms(in.box_span<T>(), in.score_span<T>(), id_span, p, tag);
      };
      return wide ? run(std::int64_t{}) : run(std::int32_t{});
    });
  }));
}

py::tuple soft_nms_py(const py::handle& boxes, const py::handle& scores, const std::string& method, float sigma,
                      float iou_threshold, float score_threshold, std::optional<long long> max_keep,
                      const std::string& convention) {
  const scored_input in("soft_nms", boxes, scores);
  nms::soft_params p;
  if (method == "gaussian") p.method = nms::decay::gaussian;
  else if (method == "linear") p.method = nms::decay::linear;
  else throw tarmac::invalid_argument("soft_nms: method must be 'gaussian' or 'linear', got '" + method + "'");
  p.sigma = sigma;
  p.iou_threshold = iou_threshold;
  p.score_threshold = score_threshold;
  p.max_keep = max_keep_of("soft_nms", max_keep);
  p.convention = convention_of("soft_nms", convention);
  return with_scalar(in, [&]<class T>(T) {
    nms::soft_result<T> r;
    {
      py::gil_scoped_release release;
      r = nms::soft_nms(in.box_span<T>(), in.score_span<T>(), p);
    }
    return py::make_tuple(indices(std::move(r.indices)), py::array_t<T>(py::ssize_t(r.scores.size()), r.scores.data()));
  });
}

// Images as cv2.imread gives them (H x W x 3 uint8 BGR), viewed as cv::Mat without a copy; a
// view whose pixels are not packed (a reversed or sliced channel axis) is copied first. `keep`
// holds the arrays the views point into.
std::vector<cv::Mat> frames_of(const char* where, const py::handle& images, std::vector<py::array>& keep) {
  if (py::isinstance<py::array>(images) && py::reinterpret_borrow<py::array>(images).ndim() == 3)
    throw tarmac::invalid_argument(std::string(where) + ": images is one array of shape " +
                                   shape_of(py::reinterpret_borrow<py::array>(images)) + ": pass a list of images ([image])");
  if (!py::isinstance<py::sequence>(images) || py::isinstance<py::str>(images))
    throw tarmac::invalid_argument(std::string(where) + ": images must be a list of H x W x 3 uint8 arrays");
  std::vector<cv::Mat> frames;
  for (const py::handle item : images) {
    const std::string name = "image " + std::to_string(frames.size());
    py::array a = as_array(where, name.c_str(), item);
    if (!holds<std::uint8_t>(a))
      throw tarmac::invalid_argument(std::string(where) + ": " + name + " must be uint8 (BGR, as cv2.imread gives), got " + dtype_of(a));
    if (a.ndim() != 3 || a.shape(2) != 3)
      throw tarmac::invalid_argument(std::string(where) + ": " + name + " must have shape (H, W, 3) (BGR), got " + shape_of(a));
    if (a.strides(2) != 1 || a.strides(1) != 3 || a.strides(0) < 3 * a.shape(1))
      a = py::array::ensure(a, py::array::c_style);
    frames.emplace_back(int(a.shape(0)), int(a.shape(1)), CV_8UC3, const_cast<void*>(a.data()), std::size_t(a.strides(0)));
    keep.push_back(std::move(a));
  }
  return frames;
}

// A network or cascade is not safe to run from two threads at once: each Python object runs
// one call at a time (the others wait with the GIL released).
struct model {
  surface::classifier net;
  std::mutex busy;
};

struct cascade {
  surface::cascade net;
  std::mutex busy;
};

// The cascade whose tarmac.annotate progress callback this thread is running: that annotate holds
// the cascade until the callback returns, so using the cascade from there would wait forever.
thread_local const cascade* in_annotate_callback = nullptr;

struct annotate_callback_scope {
  explicit annotate_callback_scope(const cascade& c) { in_annotate_callback = &c; }
  ~annotate_callback_scope() { in_annotate_callback = nullptr; }
  annotate_callback_scope(const annotate_callback_scope&) = delete;
  annotate_callback_scope& operator=(const annotate_callback_scope&) = delete;
};

// The cascade for one call (the others wait, GIL released), refused from its own annotate's callback.
std::unique_lock<std::mutex> claim(cascade& c, const char* where) {
  if (in_annotate_callback == &c)
    throw tarmac::invalid_argument(std::string(where) +
                                   ": the cascade is busy in tarmac.annotate (this is its progress callback); "
                                   "load a second cascade to classify images meanwhile");
  py::gil_scoped_release release;
  return std::unique_lock(c.busy);
}

std::vector<std::string> ids_of(const std::vector<tarmac::class_info>& classes) {
  std::vector<std::string> ids;
  for (const tarmac::class_info& c : classes) ids.push_back(c.id);
  return ids;
}

std::vector<std::string> labels_of(const std::vector<tarmac::class_info>& classes) {
  std::vector<std::string> labels;
  for (const tarmac::class_info& c : classes) labels.push_back(c.label);
  return labels;
}

py::tuple model_predict(model& m, const py::handle& images) {
  std::vector<py::array> keep;
  const std::vector<cv::Mat> frames = frames_of("Model.predict", images, keep);
  xt::xtensor<float, 2> p;
  {
    py::gil_scoped_release release;
    std::lock_guard lock(m.busy);
    p = m.net.predict(frames);
  }
  const std::size_t classes = p.shape()[1];
  py::list names;
  for (std::size_t i = 0; i < p.shape()[0]; ++i)
    names.append(m.net.classes()[surface::top_class(std::span<const float>(p.data() + i * classes, classes))].id);
  py::array_t<float> probabilities({py::ssize_t(p.shape()[0]), py::ssize_t(classes)}, p.data());
  return py::make_tuple(names, probabilities);
}

std::vector<surface::cascade_result> cascade_predict(cascade& c, const py::handle& images) {
  std::vector<py::array> keep;
  const std::vector<cv::Mat> frames = frames_of("Cascade.predict", images, keep);
  const std::unique_lock lock = claim(c, "Cascade.predict");
  py::gil_scoped_release release;
  return c.net.classify(frames);
}

struct annotate_result {
  std::size_t frames = 0, skipped = 0, resized = 0;
  double seconds = 0, frames_per_second = 0;
  fs::path output;
  std::optional<fs::path> csv;
  std::map<std::string, std::size_t> type_frames, quality_frames;
  std::vector<video::skipped_frame> skipped_details;
};

py::dict shares(const std::map<std::string, std::size_t>& counts, std::size_t frames) {
  py::dict d;
  for (const auto& [label, n] : counts) d[py::str(label)] = frames ? double(n) / double(frames) : 0.0;
  return d;
}

// Runs the annotate pipeline on a thread of its own while this thread, GIL released, waits and
// every 50 ms checks for Ctrl-C (Python runs signal handlers on the main thread only): an
// interrupt stops reading, the frames in flight finish, nothing is written, and
// KeyboardInterrupt is raised. progress(done, total) is called with the GIL after each frame;
// an exception it raises stops the run and propagates as itself.
annotate_result annotate_py(cascade& c, const fs::path& input, const fs::path& output, std::optional<fs::path> csv,
                            double fps, double smoothing, std::size_t batch, bool show_roi,
                            std::optional<std::string> roi, const py::object& progress) {
  video::annotate_options options;
  options.batch = batch;
  options.smoothing = smoothing;
  options.show_roi = show_roi;
  if (roi) options.roi = tarmac::image::roi_rule::parse(*roi);
  std::atomic<bool> stop{false};
  options.stop = [&] { return stop.load(); };
  const std::string source_name = input.string();
  tarmac::check_writable(output);
  if (csv) tarmac::check_writable(*csv);
  tarmac::check_distinct({{"input", source_name.find('%') == std::string::npos ? input : fs::path()}},
                         {{"output", output}, {"csv", csv.value_or(fs::path())}});
  video::avi_writer writer(output, fps);
  video::frame_source source(source_name);
  const std::size_t total = source.count();
  video::annotation_log log;
  std::optional<py::error_already_set> interrupt;
  video::annotate_summary summary;
  {
    const std::unique_lock lock = claim(c, "annotate");
    py::gil_scoped_release release;
    std::packaged_task<video::annotate_summary()> task([&] {
      return video::annotate(source, c.net, writer, options,
                             [&](const video::frame& f, const surface::cascade_result& r, const cv::Mat&) {
                               log.add(f, r);
                               if (progress.is_none()) return;
                               py::gil_scoped_acquire gil;
                               const annotate_callback_scope inside(c);
                               progress(log.frames(), total);
                             });
    });
    std::future<video::annotate_summary> done = task.get_future();
    std::thread runner(std::move(task));
    while (done.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
      py::gil_scoped_acquire gil;
      if (!interrupt && PyErr_CheckSignals() != 0) {
        interrupt.emplace();  // takes the pending exception
        stop = true;
      }
    }
    runner.join();
    {
      py::gil_scoped_acquire gil;  // a Ctrl-C in the last 50 ms still keeps the outputs unwritten
      if (!interrupt && PyErr_CheckSignals() != 0) interrupt.emplace();
    }
    if (!interrupt) {
      summary = done.get();  // rethrows the pipeline's or the callback's exception
      tarmac::video::commit_outputs(writer, {{csv.value_or(fs::path()), log.csv()}});
    }
  }
  if (interrupt) throw *interrupt;
  annotate_result r;
  r.frames = summary.frames;
  r.skipped = summary.skipped;
  r.resized = summary.resized;
  r.seconds = summary.seconds;
  r.frames_per_second = summary.frames_per_second();
  r.output = output;
  r.csv = csv;
  r.type_frames = log.type_frames();
  r.quality_frames = log.outcome_frames();
  r.skipped_details = source.skipped();
  return r;
}

}  // namespace

PYBIND11_MODULE(_tarmac, m) {
  m.doc() = "tarmac: fast NMS and road-surface classification (the C++ library's bindings)";
  m.attr("__version__") = TARMAC_VERSION;

  // Error mapping: the C++ type decides the Python type, the message is what() unchanged.
  static py::exception<tarmac::error> error(m, "Error", PyExc_RuntimeError);
  static py::exception<tarmac::format_error> format_error(m, "FormatError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const tarmac::format_error& e) {
      format_error(e.what());
    } catch (const tarmac::invalid_argument& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const tarmac::io_error& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    } catch (const tarmac::error& e) {
      error(e.what());
    }
  });

  m.def("nms", &nms_py, py::arg("boxes"), py::arg("scores"), py::arg("iou_threshold") = 0.5f,
        py::arg("score_threshold") = py::none(), py::arg("max_keep") = py::none(), py::arg("convention") = "continuous",
        py::arg("policy") = "simd",
        R"(Greedy non-maximum suppression.

boxes: (N, 4) x1, y1, x2, y2, float32 or float64, C-contiguous (NumPy, a CPU torch tensor, ...);
scores: (N,) of the same dtype. A box is dropped when its IoU with a kept box of higher score is
> iou_threshold; boxes scoring < score_threshold are dropped first; at most max_keep are kept.
convention: 'continuous' (area (x2-x1)(y2-y1)) or 'pixel_inclusive' (+1 on each side).
policy: 'simd' (default), 'suppressed_flag' or 'naive': the same decisions.
Returns the kept indices (int64) by decreasing score, equal scores lower index first.)");
  m.def("batched_nms", &batched_nms_py, py::arg("boxes"), py::arg("scores"), py::arg("class_ids"),
        py::arg("iou_threshold") = 0.5f, py::arg("score_threshold") = py::none(), py::arg("max_keep") = py::none(),
        py::arg("convention") = "continuous", py::arg("policy") = "simd",
        "Class-aware NMS: a box only suppresses boxes of its own class (class_ids: (N,) int64 or int32).\n"
        "Same order and max_keep as nms() over the whole input.");
  m.def("soft_nms", &soft_nms_py, py::arg("boxes"), py::arg("scores"), py::arg("method") = "gaussian",
        py::arg("sigma") = 0.5f, py::arg("iou_threshold") = 0.3f, py::arg("score_threshold") = 0.001f,
        py::arg("max_keep") = py::none(), py::arg("convention") = "continuous",
        "Soft-NMS (Bodla et al. 2017): decays the scores of overlapping boxes ('gaussian': exp(-iou^2 / sigma);\n"
        "'linear': 1 - iou above iou_threshold) and drops those below score_threshold.\n"
        "Returns (indices int64 in selection order, their decayed scores).");

  py::class_<model>(m, "Model", "A trained classifier (any network a model file holds) with its classes and preprocessing.")
      .def_property_readonly("classes", [](const model& x) { return ids_of(x.net.classes()); }, "class ids in output order")
      .def_property_readonly("labels", [](const model& x) { return labels_of(x.net.classes()); }, "display labels in output order")
      .def_property_readonly("architecture", [](const model& x) { return x.net.architecture(); })
      .def_property_readonly("input_size", [](const model& x) { return std::make_pair(x.net.input().width, x.net.input().height); },
                             "(width, height) the region of interest is resized to")
      .def_property_readonly("roi", [](const model& x) { return x.net.roi().to_string(); })
      .def_property_readonly("threads", [](const model& x) { return x.net.threads(); })
      .def("predict", &model_predict, py::arg("images"),
           "images: a list of H x W x 3 uint8 BGR arrays (as cv2.imread gives). Returns (class ids of the top\n"
           "class of each image, probabilities: float32 array (len(images), len(classes))).");
  m.def("load_model", [](const fs::path& path, std::size_t threads) {
          return std::make_unique<model>(surface::load_classifier(path, threads));
        },
        py::arg("path"), py::arg("threads") = 0,
        "Loads a model file written by tarmac-train; the network runs on `threads` threads (0 = all cores,\n"
        "at most 1024).",
        py::call_guard<py::gil_scoped_release>());

  py::class_<surface::cascade_result>(m, "CascadeResult", "One image through the cascade.")
      .def_property_readonly("type", [](const surface::cascade_result& r) { return r.type_class.label; })
      .def_property_readonly("type_id", [](const surface::cascade_result& r) { return r.type_class.id; })
      .def_readonly("type_probability", &surface::cascade_result::type_probability)
      .def_readonly("type_probabilities", &surface::cascade_result::type_probabilities)
      .def_property_readonly("quality", [](const surface::cascade_result& r) {
        return r.quality ? std::optional(surface::quality_label(r.quality_class)) : std::nullopt;
      }, "the quality's name, or None when the type has no quality model")
      .def_property_readonly("quality_id", [](const surface::cascade_result& r) {
        return r.quality ? std::optional(r.quality_class.id) : std::nullopt;
      })
      .def_property_readonly("quality_probability", [](const surface::cascade_result& r) {
        return r.quality ? std::optional(r.quality_probability) : std::nullopt;
      })
      .def_readonly("quality_probabilities", &surface::cascade_result::quality_probabilities)
      .def("__repr__", [](const surface::cascade_result& r) {
        return "CascadeResult(type='" + r.type_class.label + "', quality=" +
               (r.quality ? "'" + surface::quality_label(r.quality_class) + "'" : std::string("None")) + ")";
      });

  py::class_<cascade>(m, "Cascade", "The RTK cascade: a type model, then that type's quality model.")
      .def_property_readonly("types", [](const cascade& c) { return ids_of(c.net.type_model().classes()); })
      .def_property_readonly("outcomes", [](const cascade& c) { return labels_of(c.net.outcomes()); },
                             "every (type, quality) outcome's label")
      .def_property_readonly("roi", [](const cascade& c) { return c.net.roi().to_string(); })
      .def_property_readonly("threads", [](const cascade& c) { return c.net.type_model().threads(); })
      .def("predict", &cascade_predict, py::arg("images"),
           "images: a list of H x W x 3 uint8 BGR arrays. Returns a CascadeResult per image.");
  m.def("load_cascade", [](const fs::path& path, std::size_t threads) {
          return std::make_unique<cascade>(surface::load_cascade(path, threads));
        },
        py::arg("path"), py::arg("threads") = 0,
        "Loads cascade.yml (tarmac-train-cascade) and its models, which share `threads` threads (0 = all cores).",
        py::call_guard<py::gil_scoped_release>());

  py::class_<video::skipped_frame>(m, "SkippedFrame")
      .def_readonly("name", &video::skipped_frame::name)
      .def_readonly("reason", &video::skipped_frame::reason)
      .def_readonly("frames", &video::skipped_frame::frames);
  py::class_<annotate_result>(m, "AnnotateResult", "What tarmac.annotate did.")
      .def_readonly("frames", &annotate_result::frames)
      .def_readonly("skipped", &annotate_result::skipped, "frames that could not be read or used")
      .def_readonly("resized", &annotate_result::resized, "frames resized to the first frame's size")
      .def_readonly("seconds", &annotate_result::seconds)
      .def_readonly("frames_per_second", &annotate_result::frames_per_second)
      .def_readonly("output", &annotate_result::output)
      .def_readonly("csv", &annotate_result::csv)
      .def_readonly("type_frames", &annotate_result::type_frames, "frames per type label")
      .def_readonly("quality_frames", &annotate_result::quality_frames, "frames per 'type quality' label")
      .def_property_readonly("type_shares", [](const annotate_result& r) { return shares(r.type_frames, r.frames); })
      .def_property_readonly("quality_shares", [](const annotate_result& r) { return shares(r.quality_frames, r.frames); })
      .def_readonly("skipped_details", &annotate_result::skipped_details)
      .def("__repr__", [](const annotate_result& r) {
        return "AnnotateResult(frames=" + std::to_string(r.frames) + ", skipped=" + std::to_string(r.skipped) +
               ", output='" + r.output.string() + "')";
      });
  m.def("annotate", &annotate_py, py::arg("cascade"), py::arg("input"), py::arg("output"), py::arg("csv") = py::none(),
        py::kw_only(), py::arg("fps") = 15.0, py::arg("smoothing") = 0.6, py::arg("batch") = 16,
        py::arg("show_roi") = false, py::arg("roi") = py::none(), py::arg("progress") = py::none(),
        R"(The tarmac-annotate pipeline: classifies every frame of `input` (a video file, a printf-style
image sequence or a folder of images) and writes `output` (Motion-JPEG AVI) and, when given, the
per-frame `csv`, each under a temporary name renamed when complete. Options and limits as
tarmac-annotate's (--fps 0.1..1000, --smooth, --batch 1..1024, --show-roi, --roi). progress(done, total)
is called after each frame; the cascade is busy until annotate returns (using it from progress
raises ValueError).
The networks run on the cascade's threads (load_cascade(threads=...)). Ctrl-C stops cleanly:
nothing is written and KeyboardInterrupt is raised. Returns an AnnotateResult.)");
}
