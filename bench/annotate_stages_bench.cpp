// bench_annotate_stages: where tarmac-annotate's time goes. Each stage of the annotate pipeline
// is first timed on its own, one after the other on one thread (the networks on their shared
// pool): decode, ROI + resize, type network, quality networks, overlay, JPEG encode, AVI write,
// and the start-up (loading the cascade). Times are CPU time (the calling thread's; the whole
// process's for the networks, whose pool works on other threads too), which other jobs on a
// shared machine disturb far less than wall time. Then the same frames go through
// video::annotate (the three stages overlapping): its wall time and CPU time per frame. The
// cascade is the tool's (cascade.yml, smoothing 0.6 as its default), each model wrapped to time
// its calls.
// usage: bench_annotate_stages CASCADE.yml INPUT [BATCH] [THREADS]
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include <tarmac/surface/cascade.hpp>
#include <tarmac/surface/overlay.hpp>
#include <tarmac/video.hpp>

namespace {

namespace fs = std::filesystem;
namespace surface = tarmac::surface;
namespace video = tarmac::video;
using clock_type = std::chrono::steady_clock;

double since(clock_type::time_point start) { return std::chrono::duration<double>(clock_type::now() - start).count(); }

// CPU seconds of this thread, or of the whole process.
double cpu_seconds(clockid_t which = CLOCK_THREAD_CPUTIME_ID) {
  timespec t{};
  clock_gettime(which, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

// A classifier whose predict() adds its seconds to a counter.
struct timed_model {
  std::shared_ptr<surface::classifier> model;
  std::shared_ptr<double> seconds = std::make_shared<double>(0);
  xt::xtensor<float, 2> predict(const xt::xtensor<float, 4>& inputs) {
    const double start = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
    xt::xtensor<float, 2> p = model->predict(inputs);
    *seconds += cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - start;
    return p;
  }
  const std::vector<tarmac::class_info>& classes() const { return model->classes(); }
  const tarmac::image::roi_rule& roi() const { return model->roi(); }
  tarmac::image::input_size input() const { return model->input(); }
};

// The cascade of cascade.yml as load_cascade builds it (one pool for the four networks), each
// model timed.
surface::basic_cascade<timed_model> load_timed(const fs::path& path, std::size_t threads) {
  const surface::cascade_description d = surface::read_cascade_file(path);
  const auto pool = std::make_shared<tarmac::thread_pool>(threads);
  auto load = [&](const fs::path& file) { return timed_model{std::make_shared<surface::classifier>(surface::load_classifier(file, pool))}; };
  timed_model type = load(d.type_model.model);
  std::vector<std::optional<timed_model>> quality(type.classes().size());
  for (const surface::cascade_entry& e : d.quality_models)
    for (std::size_t t = 0; t < quality.size(); ++t)
      if (type.classes()[t].id == e.type) quality[t] = load(e.model);
  return {std::move(type), std::move(quality)};
}

double quality_seconds(const surface::basic_cascade<timed_model>& cascade) {
  double s = 0;
  for (std::size_t t = 0; t < cascade.types(); ++t)
    if (const timed_model* q = cascade.quality_model(t)) s += *q->seconds;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_annotate_stages CASCADE.yml INPUT [BATCH] [THREADS]\n");
    return 2;
  }
  const fs::path cascade_path = argv[1];
  const std::string input = argv[2];
  const std::size_t batch = argc > 3 ? std::size_t(std::atol(argv[3])) : 16, threads = argc > 4 ? std::size_t(std::atol(argv[4])) : 0;
  const fs::path out = fs::temp_directory_path() / "bench_annotate_stages.avi";

  auto start = clock_type::now();
  const double load_start = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
  surface::load_cascade(cascade_path, threads);  // as the tools load it
  const double load = since(start), load_cpu = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - load_start;
  start = clock_type::now();
  surface::basic_cascade<timed_model> cascade = load_timed(cascade_path, threads);  // one model after the other
  const double load_one_by_one = since(start);
  const tarmac::image::roi_rule roi = cascade.roi();
  const tarmac::image::input_size size = cascade.input();

  // Stage by stage, one at a time.
  double decode = 0, prepare = 0, overlay = 0, encode = 0, write = 0, finish = 0;
  std::size_t frames = 0;
  double cpu = 0;
  {
    video::frame_source source(input);
    video::avi_writer writer(out, 15);
    surface::probability_smoother smoother(0.6);
    for (bool more = true; more;) {
      std::vector<video::frame> held;
      xt::xtensor<float, 4> inputs = xt::xtensor<float, 4>::from_shape({batch, std::size_t(size.height), std::size_t(size.width), 3});
      while (held.size() < batch) {
        cpu = cpu_seconds();
        std::optional<video::frame> f = source.next();
        decode += cpu_seconds() - cpu;
        if (!f) {
          more = false;
          break;
        }
        cpu = cpu_seconds();
        tarmac::image::to_tensor_into(tarmac::image::crop_roi(f->image, roi), inputs, held.size());
        prepare += cpu_seconds() - cpu;
        held.push_back(std::move(*f));
      }
      if (held.empty()) break;
      const std::vector<surface::cascade_result> results = cascade.classify(inputs, held.size(), &smoother);
      for (std::size_t i = 0; i < held.size(); ++i) {
        cpu = cpu_seconds();
        surface::draw_overlay(held[i].image, results[i]);
        overlay += cpu_seconds() - cpu;
        std::vector<unsigned char> jpeg;
        cpu = cpu_seconds();
        cv::imencode(".jpg", held[i].image, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90});
        encode += cpu_seconds() - cpu;
        cpu = cpu_seconds();
        writer.write(held[i].image);  // encodes again, then muxes and writes
        write += cpu_seconds() - cpu;
      }
      frames += held.size();
    }
    cpu = cpu_seconds();
    writer.finish();
    finish = cpu_seconds() - cpu;
  }
  write -= encode;
  const double type = *cascade.type_model().seconds, quality = quality_seconds(cascade);
  const std::size_t pool = cascade.type_model().model->threads();
  auto row = [&](const char* stage, double seconds, const char* where) {
    std::printf("| %s | %.3f | %s |\n", stage, 1e3 * seconds / double(frames), where);
  };
  std::printf("%zu frames of %s, batch %zu, networks on %zu threads\n\n| stage | CPU ms per frame | thread |\n|---|---|---|\n", frames,
              input.c_str(), batch, pool);
  row("decode (read + PNG/JPEG decode)", decode, "reader");
  row("ROI + resize + to float", prepare, "reader");
  row("type network", type, "main (+ pool)");
  row("quality networks (their frames only)", quality, "main (+ pool)");
  row("overlay", overlay, "writer");
  row("JPEG encode", encode, "writer");
  row("AVI mux + write", write, "writer");
  row("finish (index, fsync, rename)", finish, "main");
  std::printf("| start-up: load_cascade | %.1f ms wall (%.1f ms one model after the other), %.1f ms CPU in all | main |\n\n",
              1e3 * load, 1e3 * load_one_by_one, 1e3 * load_cpu);
  const double networks = type + quality, others = decode + prepare + overlay + encode + write;
  std::printf("CPU per frame: networks %.3f ms, the rest %.3f ms: at best %.0f frames/s on 2 cores, start-up aside\n",
              1e3 * networks / double(frames), 1e3 * others / double(frames), 2.0 * double(frames) / (networks + others));

  // The pipeline: reader, networks and writer overlapping.
  {
    video::frame_source source(input);
    video::avi_writer writer(out, 15);
    const double cpu = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
    const video::annotate_summary s = video::annotate(source, cascade, writer, {.batch = batch, .smoothing = 0.6});
    const double used = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu;
    writer.finish();
    std::printf("video::annotate: %zu frames in %.3f s wall (%.1f frames/s), %.3f ms CPU per frame\n", s.frames, s.seconds,
                s.frames_per_second(), 1e3 * used / double(s.frames));
  }
  fs::remove(out);
  return 0;
}
