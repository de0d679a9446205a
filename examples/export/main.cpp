// tarmac-export: writes a model file as an ONNX file (the graph and its input: nn/onnx.hpp; the
// classes and ROI in its metadata: surface/onnx.hpp), for OpenCV's dnn, ONNX Runtime, TensorRT.
#include <cstdio>
#include <filesystem>

#include <tarmac/surface/onnx.hpp>

#include "../common/cli.hpp"

int main(int argc, char** argv) {
  return tarmac::cli::run("tarmac-export", [&] {
    tarmac::cli::parser args("tarmac-export",
                             "Writes a tarmac model file as ONNX (opset 13): input NCHW float32 [N, 3, 128, 128], BGR in [0, 1]\n"
                             "after the ROI and the resize; output N x classes probabilities (Softmax). The classes and the\n"
                             "ROI rule are in the file's metadata_props (tarmac.model, tarmac.input, classes).");
    args.option("--model", "FILE", "model file to export (.yml, .json, optionally .gz)", "");
    args.option("--onnx", "FILE", "ONNX file to write", "");
    if (!args.parse(argc, argv)) return 0;
    const std::filesystem::path model = args.text("--model"), onnx = args.text("--onnx");
    if (model.empty() || onnx.empty()) throw tarmac::invalid_argument("--model and --onnx are required (see --help)");
    tarmac::cli::check_output(onnx, "--onnx");
    tarmac::cli::check_distinct({{"--model", model}}, {{"--onnx", onnx}});
    const tarmac::surface::stored_model m = tarmac::surface::read_stored_model(model);
    tarmac::surface::export_onnx(onnx, m);
    std::printf("wrote %s: %zu layers, %zu classes\n", onnx.string().c_str(), m.architecture.size(), m.meta.classes.size());
    return 0;
  });
}
