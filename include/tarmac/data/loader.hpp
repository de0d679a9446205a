#pragma once
// Batches from a data set, produced by worker threads (decode -> ROI -> resize to the input ->
// view/augment -> tensor) into a fixed pool of preallocated batch buffers: memory stays
// bounded whatever the data set's size, and batches come out in order. Each item's randomness
// is seeded from (seed, epoch, item), so the output does not depend on thread scheduling.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "tarmac/core/error.hpp"
#include "tarmac/data/dataset.hpp"
#include "tarmac/image/augment.hpp"
#include "tarmac/image/io.hpp"
#include "tarmac/image/roi.hpp"
#include "tarmac/image/tensor.hpp"

namespace tarmac::data {

// original: one view per sample; rtk_three: original, brighter (V+150) and darker (gamma 0.5).
enum class views { original, rtk_three };

// A frame_cache's budget and bytes used, and its get() calls served from memory (hits) and
// decoded (misses).
struct cache_stats {
  std::size_t budget = 0, bytes = 0, hits = 0, misses = 0;
};

// Frames decoded, cut to the region of interest and resized to the network's input (8-bit BGR,
// width x height x 3 bytes each), kept across epochs: decoding and cutting a frame cost more
// than augmenting its small copy. Frames are kept while they fit `budget` bytes (default 1 GiB,
// some 21,000 frames of 128x128); the rest are decoded each time they are needed, as without a
// cache. A file that cannot be used is remembered with its reason. Safe to share between the
// loader's threads.
class frame_cache {
 public:
  static constexpr std::size_t default_budget = std::size_t{1} << 30;

  frame_cache(std::size_t samples, image::roi_rule rule, image::input_size input, std::size_t budget = default_budget)
      : rule_(rule), input_(input), entries_(samples), budget_(budget) {
    frame_bytes(input);  // checks the size now
  }

  const image::roi_rule& rule() const { return rule_; }
  image::input_size input() const { return input_; }

  // Bytes one frame of this input size takes; invalid_argument for a size that is not positive.
  static std::size_t frame_bytes(image::input_size input) {
    if (input.width <= 0 || input.height <= 0)
      throw invalid_argument("frame_cache: input size must be positive, got " + std::to_string(input.width) + "x" +
                             std::to_string(input.height));
    return std::size_t(input.width) * std::size_t(input.height) * 3;
  }

  // Bytes `frames` frames take (to compare with a budget); invalid_argument when that
  // overflows a size_t.
  static std::size_t bytes_for(std::size_t frames, image::input_size input) {
    const std::size_t each = frame_bytes(input);
    if (frames > std::numeric_limits<std::size_t>::max() / each)
      throw invalid_argument("frame_cache: " + std::to_string(frames) + " frames of " + std::to_string(each) +
                             " bytes overflow a size_t");
    return frames * each;
  }

  struct frame {
    cv::Mat image;  // input-sized; read-only: shared with the cache
    std::string reason;  // why there is no image
    bool too_small_for_roi = false;
  };

  // The frame of sample `index`, stored at `path`: from the cache (a hit) or decoded (a miss).
  frame get(std::size_t index, const std::filesystem::path& path) {
    if (index >= entries_.size()) throw invalid_argument("frame_cache: sample " + std::to_string(index) + " is past its size");
    {
      std::lock_guard lock(mutex_);
      if (entries_[index].ready) {
        ++hits_;
        return entries_[index].value;
      }
      ++misses_;
    }
    frame f = load(path, rule_, input_);
    std::lock_guard lock(mutex_);
    const std::size_t bytes = f.image.total() * f.image.elemSize();
    if (!entries_[index].ready && bytes <= budget_ - used_) {
      entries_[index] = {true, f};
      used_ += bytes;
    }
    return f;
  }

  // Decodes a frame, cuts its ROI and resizes that to the input size (as image::to_tensor
  // does, so a frame without augmentation gives the tensor inference gives).
  static frame load(const std::filesystem::path& path, const image::roi_rule& rule, image::input_size input) {
    frame f;
    const cv::Mat image = image::read_image(path, f.reason);
    if (!image.empty()) try {
        cv::resize(image(rule.rect(image.size())), f.image, {input.width, input.height}, 0, 0, cv::INTER_LINEAR);
      } catch (const invalid_argument& e) {
        f.reason = e.what(), f.too_small_for_roi = true;
      }
    return f;
  }

  std::size_t bytes() const { return stats().bytes; }
  cache_stats stats() const {
    std::lock_guard lock(mutex_);
    return {budget_, used_, hits_, misses_};
  }

 private:
  struct entry {
    bool ready = false;
    frame value;
  };
  image::roi_rule rule_;
  image::input_size input_;
  mutable std::mutex mutex_;
  std::vector<entry> entries_;
  std::size_t budget_, used_ = 0, hits_ = 0, misses_ = 0;
};

// Seconds the loader's workers spent, summed over them (they run alongside the consumer):
// getting frames (decoding, or the cache) and making each row (views, augmentation, tensor).
struct load_times {
  double decode = 0, augment = 0;
};

struct loader_options {
  std::size_t batch_size = 32;
  std::size_t threads = 2;        // decoding workers
  std::size_t batches_ahead = 4;  // ready batches the workers may run ahead by
  bool shuffle = true;
  std::uint64_t seed = 1;
  views view_mode = views::original;
  image::roi_rule roi{};
  image::input_size input{};
  image::augmenter augment{};     // applied after the view, per item
  frame_cache* cache = nullptr;   // decoded frames kept across epochs (sized for the samples given)
};

struct batch {
  xt::xtensor<float, 4> images;     // (batch_size, height, width, 3); rows [0, size) are valid
  std::vector<std::size_t> labels;  // one per valid row
  std::vector<std::size_t> samples;  // the sample index of each valid row
  std::size_t size = 0;
};

class batch_loader {
 public:
  // items: sample indices for one epoch (repeat an index to replicate it).
  batch_loader(const std::vector<sample>& samples, std::vector<std::size_t> items, loader_options options,
               std::uint64_t epoch = 0)
      : samples_(samples), options_(std::move(options)), epoch_(epoch) {
    if (options_.batch_size == 0 || options_.threads == 0 || options_.batches_ahead == 0)
      throw invalid_argument("batch_loader: batch_size, threads and batches_ahead must be positive");
    if (options_.cache && !(options_.cache->rule() == options_.roi))
      throw invalid_argument("batch_loader: the frame cache holds ROIs of another rule (" + options_.cache->rule().to_string() + ")");
    if (options_.cache && (options_.cache->input().width != options_.input.width || options_.cache->input().height != options_.input.height))
      throw invalid_argument("batch_loader: the frame cache holds frames of " + std::to_string(options_.cache->input().width) + "x" +
                             std::to_string(options_.cache->input().height) + ", the input is " + std::to_string(options_.input.width) +
                             "x" + std::to_string(options_.input.height));
    for (std::size_t i : items)
      if (i >= samples_.size())
        throw invalid_argument("batch_loader: item " + std::to_string(i) + " is not one of the " +
                               std::to_string(samples_.size()) + " samples");
    if (options_.shuffle) std::shuffle(items.begin(), items.end(), std::mt19937_64(options_.seed ^ (epoch_ * 0x9E3779B97F4A7C15ull)));
    const std::size_t per_sample = options_.view_mode == views::rtk_three ? 3 : 1;
    for (std::size_t i : items)
      for (std::size_t v = 0; v < per_sample; ++v) work_.push_back({i, v});
    batches_ = (work_.size() + options_.batch_size - 1) / options_.batch_size;
    for (std::size_t b = 0; b < options_.batches_ahead + options_.threads; ++b)
      free_.push_back(std::make_unique<batch>(make_batch()));
    for (std::size_t t = 0; t < options_.threads; ++t) workers_.emplace_back([this] { work(); });
  }

  batch_loader(const batch_loader&) = delete;
  batch_loader& operator=(const batch_loader&) = delete;

  ~batch_loader() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    for (auto& t : workers_) t.join();
  }

  std::size_t batches() const { return batches_; }
  std::size_t items() const { return work_.size(); }

  // The next batch in order, or nothing at the end of the epoch. The returned batch stays
  // valid until the next call. A batch whose every file failed to decode is passed over: a
  // caller never sees an empty batch.
  const batch* next() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (current_) free_.push_back(std::move(current_));
      changed_.notify_all();
      if (delivered_ == batches_) return nullptr;
      changed_.wait(lock, [&] { return ready_.count(delivered_) > 0 || error_; });
      if (error_) std::rethrow_exception(error_);
      current_ = std::move(ready_[delivered_]);
      ready_.erase(delivered_++);
      if (current_->size > 0) return current_.get();
    }
  }

  // Where the workers' time went so far.
  load_times times() const {
    std::lock_guard lock(mutex_);
    return times_;
  }

  // Files that failed to decode during this epoch (reported, their rows left out).
  std::vector<skipped_file> failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
  }

 private:
  struct item {
    std::size_t sample, view;
  };

  batch make_batch() const {
    batch b;
    b.images = xt::xtensor<float, 4>::from_shape(
        {options_.batch_size, std::size_t(options_.input.height), std::size_t(options_.input.width), 3});
    b.labels.reserve(options_.batch_size);
    b.samples.reserve(options_.batch_size);
    return b;
  }

  void work() {
    try {
      for (;;) {
        std::unique_ptr<batch> target;
        std::size_t index = 0;
        {
          std::unique_lock lock(mutex_);
          // Claim the next batch only while it is within batches_ahead of the consumer.
          changed_.wait(lock, [&] {
            return stopping_ || claimed_ == batches_ ||
                   (!free_.empty() && claimed_ < delivered_ + options_.batches_ahead);
          });
          if (stopping_ || claimed_ == batches_) return;
          index = claimed_++;
          target = std::move(free_.back());
          free_.pop_back();
        }
        fill(*target, index);
        {
          std::lock_guard lock(mutex_);
          ready_[index] = std::move(target);
        }
        changed_.notify_all();
      }
    } catch (...) {
      {
        std::lock_guard lock(mutex_);
        error_ = std::current_exception();
      }
      changed_.notify_all();
    }
  }

  void fill(batch& b, std::size_t index) {
    using clock = std::chrono::steady_clock;
    b.size = 0;
    b.labels.clear();
    b.samples.clear();
    load_times spent;
    const std::size_t first = index * options_.batch_size, last = std::min(work_.size(), first + options_.batch_size);
    for (std::size_t k = first; k < last; ++k) {
      const sample& s = samples_[work_[k].sample];
      // One bad file (unreadable, or too small for the ROI) is reported and left out, not fatal.
      std::string reason;
      bool too_small = false;
      try {
        const auto start = clock::now();
        const frame_cache::frame f = options_.cache ? options_.cache->get(work_[k].sample, s.path)
                                                    : frame_cache::load(s.path, options_.roi, options_.input);
        const auto decoded = clock::now();
        spent.decode += std::chrono::duration<double>(decoded - start).count();
        reason = f.reason, too_small = f.too_small_for_roi;
        if (reason.empty()) {
          cv::Mat view = f.image;
          if (options_.view_mode == views::rtk_three && work_[k].view > 0)
            view = work_[k].view == 1 ? image::brighten_hsv(view) : image::adjust_gamma(view);
          if (!options_.augment.empty()) {
            image::random_engine rng(options_.seed ^ (epoch_ << 40) ^ (k * 0x9E3779B97F4A7C15ull));
            view = options_.augment(view, rng);
          }
          image::to_tensor_into(view, b.images, b.size);
          spent.augment += std::chrono::duration<double>(clock::now() - decoded).count();
        }
      } catch (const error& e) {
        reason = e.what();
      }
      if (!reason.empty()) {
        std::lock_guard lock(mutex_);
        failures_.push_back({s.path, reason, too_small});
        continue;
      }
      ++b.size;
      b.labels.push_back(s.label);
      b.samples.push_back(work_[k].sample);
    }
    std::lock_guard lock(mutex_);
    times_.decode += spent.decode;
    times_.augment += spent.augment;
  }

  const std::vector<sample>& samples_;
  loader_options options_;
  std::uint64_t epoch_;
  std::vector<item> work_;
  std::size_t batches_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::unique_ptr<batch>> free_;
  std::map<std::size_t, std::unique_ptr<batch>> ready_;
  std::unique_ptr<batch> current_;
  std::size_t claimed_ = 0, delivered_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::vector<skipped_file> failures_;
  load_times times_;
  std::vector<std::thread> workers_;
};

}  // namespace tarmac::data
