// bench_model_file: save and load times of an RTK 3-class model file (rtk_net<3>, 2.1 M
// parameters) in format version 2 (.yml, .yml.gz, .json: a header and a binary float32
// payload) and version 1 (values as decimal text), and the file sizes against the raw
// float32 parameters. Files go to $TMPDIR (default /tmp): put it on the disk that matters, as
// saves fsync. The version-1 files are made from the version-2 header, with each tensor's
// values as a decimal list (9 significant digits, as the version-1 writer printed them).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <tarmac/nn.hpp>
#include <tarmac/surface/model_file.hpp>

namespace {

namespace fs = std::filesystem;
namespace surface = tarmac::surface;
using net_type = tarmac::nn::rtk_net<3>;

const fs::path& folder() {
  static const fs::path dir = [] {
    const fs::path d = fs::temp_directory_path() / "tarmac_bench_model_file";
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

net_type& trained() {
  static net_type net({.threads = 1, .init = tarmac::nn::init_scheme::he, .seed = 3});
  return net;
}

const surface::model_metadata& metadata() {
  static const surface::model_metadata meta{{{"asphalt", "asphalt"}, {"paved", "paved"}, {"unpaved", "unpaved"}}, {}, "bench"};
  return meta;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A version-1 file with the same content as the version-2 YAML file at `v2`: "version: 1",
// each "offset: N" line replaced by the tensor's values, no payload key, no binary part.
void write_v1(const fs::path& v2, const fs::path& out) {
  const std::string file = read(v2);
  std::string header = file.substr(0, file.find('\0'));
  const std::string_view payload = std::string_view(file).substr(surface::detail::payload_start(header.size()));
  header.replace(header.find("version: 2"), 10, "version: 1");
  header.erase(header.find("payload:"));
  std::string text;
  std::size_t from = 0;
  for (std::size_t at; (at = header.find(" offset: ", from)) != std::string::npos;) {  // not roi's top_offset
    ++at;
    const std::size_t end = header.find('\n', at);
    const std::size_t offset = std::stoul(header.substr(at + 8, end - at - 8));
    const std::size_t shape = header.rfind("shape: [ ", at) + 9;
    std::size_t count = 1;
    for (std::size_t p = shape;; ++p) {
      count *= std::stoul(header.substr(p, 20));
      p = header.find_first_of(",]", p);
      if (header[p] == ']') break;
    }
    text += header.substr(from, at - from) + "data: [ ";
    char number[32];
    for (std::size_t i = 0; i < count; ++i) {
      float v;
      std::memcpy(&v, payload.data() + offset + 4 * i, 4);
      std::snprintf(number, sizeof number, i ? ", %.9g" : "%.9g", double(v));
      text += number;
    }
    text += " ]";
    from = end;
  }
  text += header.substr(from);
  std::ofstream(out, std::ios::binary) << (out.string().ends_with(".gz") ? tarmac::gzip(text) : text);
}

void report(benchmark::State& state, const fs::path& path) {
  const double bytes = double(fs::file_size(path)), raw = double(net_type::parameter_count * sizeof(float));
  state.counters["MB"] = bytes / 1e6;
  state.counters["x_raw_f32"] = bytes / raw;
}

void save(benchmark::State& state, const std::string& name) {
  const fs::path path = folder() / name;
  for (auto _ : state) surface::save_model(path, trained(), metadata());
  report(state, path);
}

void load(benchmark::State& state, const std::string& name) {
  const fs::path path = folder() / name;
  if (name.starts_with("v1")) {
    surface::save_model(folder() / "rtk.yml", trained(), metadata());
    write_v1(folder() / "rtk.yml", path);
  } else {
    surface::save_model(path, trained(), metadata());
  }
  net_type net({.threads = 1});
  for (auto _ : state) benchmark::DoNotOptimize(surface::load_model(path, net));
  if (!std::equal(net.parameters().begin(), net.parameters().end(), trained().parameters().begin()))
    state.SkipWithError("the loaded parameters differ from the saved ones");
  report(state, path);
}

const int registered = [] {
  for (const char* name : {"rtk.yml", "rtk.yml.gz", "rtk.json"})
    benchmark::RegisterBenchmark((std::string("save/v2/") + name).c_str(), save, name)->Unit(benchmark::kMillisecond)->MinTime(1.0);
  for (const char* name : {"rtk.yml", "rtk.yml.gz", "rtk.json"})
    benchmark::RegisterBenchmark((std::string("load/v2/") + name).c_str(), load, name)->Unit(benchmark::kMillisecond)->MinTime(1.0);
  for (const char* name : {"v1-rtk.yml", "v1-rtk.yml.gz"})
    benchmark::RegisterBenchmark((std::string("load/") + name).c_str(), load, name)->Unit(benchmark::kMillisecond)->Iterations(2);
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
