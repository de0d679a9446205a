// tarmac-import: reads an ONNX classifier (a PyTorch export, say) into a tarmac model file, for
// the compiled network with the same layers; refuses a graph it cannot map, naming the node.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <tarmac/surface/onnx.hpp>
#include <tarmac/train/networks.hpp>

#include "../common/cli.hpp"

namespace {

// "id[:label],id[:label],...": a label defaults to its id.
std::vector<tarmac::class_info> parse_classes(const std::string& text) {
  std::vector<tarmac::class_info> classes;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    const std::size_t colon = item.find(':');
    classes.push_back({item.substr(0, colon), colon == std::string::npos ? item : item.substr(colon + 1)});
    start = end + 1;
  }
  return classes;
}

}  // namespace

int main(int argc, char** argv) {
  return tarmac::cli::run("tarmac-import", [&] {
    tarmac::cli::parser args("tarmac-import",
                             "Reads an ONNX file made of Conv (SAME padding, stride 1), MaxPool, Relu, Flatten or\n"
                             "GlobalAveragePool, Gemm or MatMul + Add and an optional final Softmax, taking NCHW BGR\n"
                             "images in [0, 1], and writes it as a tarmac model file for the compiled network with\n"
                             "those layers (rtk, gap: 2 to 6 classes). Classes and ROI come from the flags, else from\n"
                             "the file's metadata when tarmac-export wrote it.");
    args.option("--onnx", "FILE", "ONNX file to read", "");
    args.option("--out", "FILE", "model file to write (.yml, .json, optionally .gz)", "");
    args.option("--classes", "LIST", "class ids in output order, ID[:LABEL],... (default: the file's metadata)", "");
    args.option("--roi", "RULE", "region of interest: rtk, full, or fractions TOP:BOTTOM[,LEFT:RIGHT] "
                                 "(default: the file's metadata, else rtk)", "");
    args.option("--notes", "TEXT", "notes for the model file (default: the file's metadata, else where it came from)", "");
    if (!args.parse(argc, argv)) return 0;
    const std::filesystem::path onnx = args.text("--onnx"), out = args.text("--out");
    if (onnx.empty() || out.empty()) throw tarmac::invalid_argument("--onnx and --out are required (see --help)");
    tarmac::nn::header_format(out);
    tarmac::cli::check_output(out, "--out");
    tarmac::cli::check_distinct({{"--onnx", onnx}}, {{"--out", out}});
    const tarmac::nn::onnx_model m = tarmac::nn::read_onnx(onnx);
    const std::string where = "ONNX file " + onnx.string() + ": ";
    tarmac::surface::model_metadata meta = tarmac::surface::read_onnx_metadata(m, where).value_or(
        tarmac::surface::model_metadata{{}, {}, "imported by tarmac-import from " + onnx.filename().string()});
    if (!args.text("--notes").empty()) meta.notes = args.text("--notes");
    if (!args.text("--classes").empty()) meta.classes = parse_classes(args.text("--classes"));
    if (!args.text("--roi").empty()) meta.roi = tarmac::image::roi_rule::parse(args.text("--roi"));
    if (meta.classes.empty()) throw tarmac::invalid_argument(where + "no class names in its metadata: give --classes");
    tarmac::train::with_architecture(m.input, m.architecture, [&]<class Net>() {
      Net net({.threads = 1});
      tarmac::nn::load_onnx_model(m, net, where);
      tarmac::surface::save_model(out, net, meta);
    });
    std::printf("wrote %s: %zu layers, %zu classes\n", out.string().c_str(), m.architecture.size(), meta.classes.size());
    return 0;
  });
}
