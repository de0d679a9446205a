#pragma once
// Motion-JPEG AVI output, muxed here so that every byte goes through the checked atomic writer
// (OpenCV's own AVI writer does not report failed writes, so a full disk left a truncated video
// that was renamed over the user's file). Frames are JPEG-encoded with OpenCV; the container is
// AVI 1.0 with the OpenDML extension: a RIFF 'AVI ' part with the legacy idx1 index, then 'AVIX'
// parts, each at most 1 GiB, each with its own standard index, all listed by a super index, so
// videos past 4 GiB stay playable. Nothing exists under the final name until finish().
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "tarmac/core/error.hpp"
#include "tarmac/core/files.hpp"

namespace tarmac::video {

namespace detail {

// Little-endian bytes of AVI structures.
struct riff_bytes {
  std::vector<unsigned char> data;
  void u8(unsigned v) { data.push_back(static_cast<unsigned char>(v)); }
  void u16(unsigned v) { u8(v & 0xFF), u8(v >> 8 & 0xFF); }
  void u32(std::uint32_t v) { u16(v & 0xFFFF), u16(v >> 16); }
  void u64(std::uint64_t v) { u32(std::uint32_t(v)), u32(std::uint32_t(v >> 32)); }
  void fourcc(const char* c) { data.insert(data.end(), c, c + 4); }
  void zeros(std::size_t n) { data.insert(data.end(), n, 0); }
  std::size_t size() const { return data.size(); }
};

}  // namespace detail

struct avi_options {
  int jpeg_quality = 90;  // 1..100, as cv::IMWRITE_JPEG_QUALITY
  std::uint64_t part_limit = std::uint64_t{1} << 30;  // bytes per RIFF part (OpenDML's 1 GiB); smaller in tests
};

class avi_writer {
 public:
  // Far below 0.1 frames/s the header breaks: the rate rounds to 0 (fps < 0.0005) and the
  // microseconds per frame overflow 32 bits (fps < 0.00024).
  static constexpr double min_fps = 0.1, max_fps = 1000;

  avi_writer(const std::filesystem::path& output, double fps, avi_options options = {})
      : out_(output), options_(options) {
    if (output.extension() != ".avi") throw invalid_argument("output " + output.string() + ": the name must end in .avi");
    if (!(fps >= min_fps && fps <= max_fps))
      throw invalid_argument("frame rate must be in [0.1, 1000], got " + std::to_string(fps));
    if (options.jpeg_quality < 1 || options.jpeg_quality > 100)
      throw invalid_argument("avi_writer: JPEG quality must be in [1, 100], got " + std::to_string(options.jpeg_quality));
    if (options.part_limit < (1u << 16)) throw invalid_argument("avi_writer: part limit below 64 KiB");
    // The rate as a reduced fraction: 15 -> 15/1, 29.97 -> 2997/100.
    rate_ = std::uint32_t(std::llround(fps * 1000)), scale_ = 1000;
    const std::uint32_t g = std::gcd(rate_, scale_);
    rate_ /= g, scale_ /= g;
    microseconds_per_frame_ = std::uint32_t(std::llround(1e6 / fps));
  }

  avi_writer(const avi_writer&) = delete;
  avi_writer& operator=(const avi_writer&) = delete;

  // The first frame fixes the size; later frames must have it.
  void write(const cv::Mat& frame) {
    if (frame.type() != CV_8UC3 || frame.empty() || (frames_ > 0 && frame.size() != size_))
      throw invalid_argument("avi_writer: frame " + std::to_string(frames_) + " is " + std::to_string(frame.cols) + "x" +
                             std::to_string(frame.rows) + (frame.type() == CV_8UC3 ? "" : " not 8-bit BGR") +
                             (frames_ ? ", the video is " + std::to_string(size_.width) + "x" + std::to_string(size_.height) : ""));
    std::vector<unsigned char> jpeg;
    try {
      if (!cv::imencode(".jpg", frame, jpeg, {cv::IMWRITE_JPEG_QUALITY, options_.jpeg_quality}))
        throw io_error("cannot write " + out_.destination().string() + ": OpenCV cannot encode frame " + std::to_string(frames_));
    } catch (const cv::Exception& e) {
      throw io_error("cannot write " + out_.destination().string() + ": " + e.msg);
    }
    if (frames_ == 0) {
      size_ = frame.size();
      write_header();
    }
    const std::uint64_t chunk = 8 + jpeg.size() + (jpeg.size() & 1);
    if (part_bytes() + chunk + index_bytes(part_frames_.size() + 1) > options_.part_limit && !part_frames_.empty()) {
      end_part();
      start_part();
    }
    output_file& f = out_.file();
    detail::riff_bytes head;
    head.fourcc("00dc"), head.u32(std::uint32_t(jpeg.size()));
    f.write(head.data.data(), head.size());
    part_frames_.push_back({f.size(), std::uint32_t(jpeg.size())});
    f.write(jpeg.data(), jpeg.size());
    if (jpeg.size() & 1) f.write("", 1);  // chunks are padded to an even size
    largest_ = std::max(largest_, std::uint32_t(jpeg.size()));
    ++frames_;
  }

  // Completes the indexes and headers, then renames the video to the output name.
  void finish() {
    if (frames_ == 0) throw invalid_argument("cannot write " + out_.destination().string() + ": no frames");
    end_part();
    output_file& f = out_.file();
    // The totals the headers were written without.
    patch_u32(avih_ + 16, first_part_frames_);   // avih.dwTotalFrames: frames of the first part, as OpenDML says
    patch_u32(avih_ + 28, largest_ + 8);         // avih.dwSuggestedBufferSize
    patch_u32(strh_ + 32, frames_);              // strh.dwLength
    patch_u32(strh_ + 36, largest_ + 8);         // strh.dwSuggestedBufferSize
    patch_u32(dmlh_, frames_);                   // dmlh.dwTotalFrames
    patch_u32(indx_ + 4, std::uint32_t(parts_.size()));
    detail::riff_bytes entries;
    for (const part& p : parts_) entries.u64(p.index_offset), entries.u32(p.index_size), entries.u32(p.frames);
    f.write_at(indx_ + 24, entries.data.data(), entries.size());
    out_.commit();
  }

  std::size_t frames() const { return frames_; }

 private:
  static constexpr std::uint32_t super_index_entries = 256;  // parts of 1 GiB: videos up to 256 GiB

  struct frame_entry {
    std::uint64_t offset;  // of the JPEG data, past its chunk header
    std::uint32_t size;
  };
  struct part {
    std::uint64_t index_offset;
    std::uint32_t index_size, frames;
  };

  std::uint64_t part_bytes() { return out_.file().size() - part_start_; }

  // What closing the current part with n frames still adds: its ix00 index, and in the first
  // part the legacy idx1 too.
  std::uint64_t index_bytes(std::size_t n) const { return 32 + 8 * n + (parts_.empty() ? 8 + 16 * n : 0); }

  void patch_u32(std::uint64_t offset, std::uint32_t value) {
    detail::riff_bytes b;
    b.u32(value);
    out_.file().write_at(offset, b.data.data(), 4);
  }

  void write_header() {
    output_file& f = out_.file();
    const auto w = std::uint32_t(size_.width), h = std::uint32_t(size_.height);
    detail::riff_bytes b;
    b.fourcc("RIFF"), b.u32(0), b.fourcc("AVI ");
    const std::size_t hdrl = b.size();
    b.fourcc("LIST"), b.u32(0), b.fourcc("hdrl");
    b.fourcc("avih"), b.u32(56);
    avih_ = b.size();
    b.u32(microseconds_per_frame_), b.u32(0), b.u32(0), b.u32(0x10 /* AVIF_HASINDEX */), b.u32(0), b.u32(0), b.u32(1), b.u32(0);
    b.u32(w), b.u32(h), b.zeros(16);
    const std::size_t strl = b.size();
    b.fourcc("LIST"), b.u32(0), b.fourcc("strl");
    b.fourcc("strh"), b.u32(56);
    strh_ = b.size();
    b.fourcc("vids"), b.fourcc("MJPG"), b.u32(0), b.u16(0), b.u16(0), b.u32(0), b.u32(scale_), b.u32(rate_), b.u32(0), b.u32(0);
    b.u32(0), b.u32(0xFFFFFFFF), b.u32(0), b.u16(0), b.u16(0), b.u16(w), b.u16(h);
    b.fourcc("strf"), b.u32(40);
    b.u32(40), b.u32(w), b.u32(h), b.u16(1), b.u16(24), b.fourcc("MJPG"), b.u32(w * h * 3), b.zeros(16);
    b.fourcc("indx"), b.u32(24 + 16 * super_index_entries);
    indx_ = b.size();
    b.u16(4), b.u8(0), b.u8(0 /* AVI_INDEX_OF_INDEXES */), b.u32(0), b.fourcc("00dc"), b.zeros(12);
    b.zeros(16 * super_index_entries);
    set_list_size(b, strl);
    b.fourcc("LIST"), b.u32(4 + 8 + 248), b.fourcc("odml"), b.fourcc("dmlh"), b.u32(248);
    dmlh_ = b.size();
    b.zeros(248);
    set_list_size(b, hdrl);
    f.write(b.data.data(), b.size());
    part_start_ = 0;
    start_movi();
  }

  static void set_list_size(detail::riff_bytes& b, std::size_t list) {
    const std::uint32_t size = std::uint32_t(b.size() - list - 8);
    for (int i = 0; i < 4; ++i) b.data[list + 4 + i] = static_cast<unsigned char>(size >> (8 * i));
  }

  void start_movi() {
    output_file& f = out_.file();
    movi_ = f.size();
    detail::riff_bytes b;
    b.fourcc("LIST"), b.u32(0), b.fourcc("movi");
    f.write(b.data.data(), b.size());
  }

  void start_part() {
    output_file& f = out_.file();
    if (parts_.size() == super_index_entries)
      throw io_error("cannot write " + out_.destination().string() + ": videos are limited to " +
                     std::to_string(super_index_entries) + " parts of " + std::to_string(options_.part_limit >> 20) + " MiB");
    part_start_ = f.size();
    detail::riff_bytes b;
    b.fourcc("RIFF"), b.u32(0), b.fourcc("AVIX");
    f.write(b.data.data(), b.size());
    start_movi();
  }

  // Closes the current part: its standard index inside movi, then (first part) idx1.
  void end_part() {
    output_file& f = out_.file();
    const std::uint32_t n = std::uint32_t(part_frames_.size());
    detail::riff_bytes ix;
    ix.fourcc("ix00"), ix.u32(24 + 8 * n);
    ix.u16(2), ix.u8(0), ix.u8(1 /* AVI_INDEX_OF_CHUNKS */), ix.u32(n), ix.fourcc("00dc"), ix.u64(movi_), ix.u32(0);
    for (const frame_entry& e : part_frames_) ix.u32(std::uint32_t(e.offset - movi_)), ix.u32(e.size);
    parts_.push_back({f.size(), std::uint32_t(ix.size()), n});
    f.write(ix.data.data(), ix.size());
    patch_u32(movi_ + 4, std::uint32_t(f.size() - movi_ - 8));
    if (parts_.size() == 1) {  // the legacy index: offsets from the 'movi' tag, as AVI 1.0 readers expect
      detail::riff_bytes idx;
      idx.fourcc("idx1"), idx.u32(16 * n);
      for (const frame_entry& e : part_frames_) idx.fourcc("00dc"), idx.u32(0x10 /* AVIIF_KEYFRAME */), idx.u32(std::uint32_t(e.offset - 8 - (movi_ + 8))), idx.u32(e.size);
      f.write(idx.data.data(), idx.size());
      first_part_frames_ = n;
    }
    patch_u32(part_start_ + 4, std::uint32_t(f.size() - part_start_ - 8));
    part_frames_.clear();
  }

  atomic_file out_;
  avi_options options_;
  std::uint32_t rate_ = 15, scale_ = 1, microseconds_per_frame_ = 0;
  cv::Size size_;
  std::uint32_t frames_ = 0, largest_ = 0, first_part_frames_ = 0;
  std::uint64_t avih_ = 0, strh_ = 0, indx_ = 0, dmlh_ = 0, movi_ = 0, part_start_ = 0;
  std::vector<frame_entry> part_frames_;
  std::vector<part> parts_;
};

}  // namespace tarmac::video
