#pragma once
// Procedural road scenes, the project's embedded default data: frames like a car camera
// sees them (sky and scenery above a horizon near mid-height, a road in perspective below,
// sometimes the car's hood), with the surface type and quality of the RTK taxonomy.
// A road texture is drawn in road-plane coordinates, then warped into the frame, so defects
// shrink with distance as on a real road. Everything is drawn from the seed given.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tarmac/core/error.hpp"
#include "tarmac/surface/taxonomy.hpp"

namespace tarmac::data {

// The taxonomy lives in surface/taxonomy.hpp; the generator draws from it.
using surface::has_quality;
using surface::name;
using surface::road_qualities;
using surface::road_quality;
using surface::road_type;
using surface::road_types;

struct scene_options {
  cv::Size size{352, 288};
  double hood_probability = 0.3;
  bool jpeg_artefacts = true;  // a JPEG round trip at quality 50-92 on half the frames
};

namespace detail {

using engine = std::mt19937_64;

// The road surface is drawn in road-plane coordinates: columns across the road, rows along it.
// The perspective of compose() fits a road many widths long into the texture's rows, so a row
// stands for `along` times more road than a column: shapes are drawn that much shorter along it.
constexpr double along = 5.0;

inline double uniform(engine& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
inline int uniform_int(engine& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
inline bool chance(engine& rng, double p) { return std::bernoulli_distribution(p)(rng); }

inline cv::Scalar jitter(engine& rng, cv::Scalar c, double amount) {
  for (int k = 0; k < 3; ++k) c[k] = std::clamp(c[k] + uniform(rng, -amount, amount), 0.0, 255.0);
  return c;
}

// Adds a one-channel signed field to every channel, saturating.
inline void add_to_all_channels(cv::Mat& image, const cv::Mat& field16) {
  cv::Mat field3;
  cv::merge(std::vector<cv::Mat>{field16, field16, field16}, field3);
  cv::add(image, field3, image, cv::noArray(), CV_8U);
}

// Low-frequency variation: a small random field, upscaled smoothly.
inline void add_blotches(cv::Mat& image, engine& rng, int cells, double amplitude) {
  cv::Mat small(std::max(2, cells * image.rows / std::max(1, image.cols)), cells, CV_16S);
  cv::RNG(rng()).fill(small, cv::RNG::UNIFORM, -amplitude, amplitude);
  cv::Mat field;
  cv::resize(small, field, image.size(), 0, 0, cv::INTER_CUBIC);
  add_to_all_channels(image, field);
}

// Fine grain: a window of a fixed normal-noise tile (made once per thread) at a random
// offset, scaled, added to all three channels; drawing fresh noise per frame costs more
// than the rest of the frame.
inline void add_grain(cv::Mat& image, engine& rng, double sigma) {
  constexpr int tile = 1024;
  thread_local const cv::Mat noise = [] {
    cv::Mat n(tile, tile, CV_16S);
    cv::RNG(12345).fill(n, cv::RNG::NORMAL, 0, 64);
    return n;
  }();
  for (int y = 0; y < image.rows; y += tile)
    for (int x = 0; x < image.cols; x += tile) {
      const cv::Rect part(x, y, std::min(tile, image.cols - x), std::min(tile, image.rows - y));
      const cv::Rect source(uniform_int(rng, 0, tile - part.width), uniform_int(rng, 0, tile - part.height), part.width,
                            part.height);
      cv::Mat scaled;
      noise(source).convertTo(scaled, CV_16S, sigma / 64);
      cv::Mat target = image(part);
      add_to_all_channels(target, scaled);
    }
}

// A random-walk crack from a point, in a direction, with branches.
inline void draw_crack(cv::Mat& tex, engine& rng, cv::Point start, double heading, int steps, cv::Scalar colour, int depth) {
  cv::Point p = start;
  // Wide enough to survive the warp and the resize to the network's input: a real crack an
  // inch wide is visible from the car, one texture pixel wide would vanish.
  const int width = uniform_int(rng, 2, 3);
  for (int s = 0; s < steps; ++s) {
    heading += uniform(rng, -0.6, 0.6);
    const cv::Point q = p + cv::Point(int(std::lround(6 * std::cos(heading))), int(std::lround(6 * std::sin(heading) / along)));
    cv::line(tex, p, q, colour, width, cv::LINE_AA);
    if (depth > 0 && chance(rng, 0.12)) draw_crack(tex, rng, q, heading + uniform(rng, -1.5, 1.5), steps / 2, colour, depth - 1);
    p = q;
  }
}

// A pothole: an irregular dark hollow in a worn rim, 20-60 cm across (a lane is ~190 columns).
inline void draw_pothole(cv::Mat& tex, engine& rng, cv::Scalar base, double scale) {
  const cv::Point c(uniform_int(rng, 10, tex.cols - 10), uniform_int(rng, 10, tex.rows - 10));
  const double rx = uniform(rng, 8, 24) * scale, ry = std::max(2.0, uniform(rng, 8, 24) * scale / along);
  std::vector<cv::Point> hollow, rim;
  for (int k = 0; k < 10; ++k) {  // a wobbly outline, not an ellipse
    const double a = k * 2 * M_PI / 10, r = uniform(rng, 0.7, 1.15);
    hollow.emplace_back(c + cv::Point(int(rx * r * std::cos(a)), int(ry * r * std::sin(a))));
    rim.emplace_back(c + cv::Point(int((rx * r + 4) * std::cos(a)), int((ry * r + 1.5) * std::sin(a))));
  }
  cv::fillPoly(tex, std::vector<std::vector<cv::Point>>{rim}, base * 0.7, cv::LINE_AA);
  cv::fillPoly(tex, std::vector<std::vector<cv::Point>>{hollow}, base * uniform(rng, 0.25, 0.4), cv::LINE_AA);
}

// Alligator (fatigue) cracking: a patch of the surface broken into small polygons.
inline void draw_alligator(cv::Mat& tex, engine& rng, cv::Scalar colour) {
  const cv::Point c(uniform_int(rng, 0, tex.cols), uniform_int(rng, 0, tex.rows));
  const int half_w = uniform_int(rng, 20, 50), half_h = std::max(3, int(uniform_int(rng, 20, 50) / along));
  for (int y = -half_h; y <= half_h; y += 2)
    for (int x = -half_w; x <= half_w; x += uniform_int(rng, 7, 12)) {
      const cv::Point p = c + cv::Point(x + uniform_int(rng, -3, 3), y);
      cv::line(tex, p, p + cv::Point(uniform_int(rng, -6, 6), uniform_int(rng, 1, 2)), colour, 2, cv::LINE_AA);
    }
}

inline void draw_puddle(cv::Mat& tex, engine& rng) {
  const cv::Point c(uniform_int(rng, 20, tex.cols - 20), uniform_int(rng, 20, tex.rows - 20));
  const cv::Size axes(uniform_int(rng, 15, 45), uniform_int(rng, 2, 6));
  cv::ellipse(tex, c, axes, 0, 0, 360, jitter(rng, {150, 140, 125}, 25), cv::FILLED, cv::LINE_AA);
}

// The road surface in road-plane coordinates (row 0 farthest). `length` rows let a drive
// scroll along one texture.
inline cv::Mat road_texture(road_type type, road_quality quality, engine& rng, int width, int length) {
  cv::Mat tex(length, width, CV_8UC3);
  cv::Scalar base;
  const int defects = quality == road_quality::good ? 0 : quality == road_quality::regular ? 1 : 2;
  const double per_area = double(width) * length / (256.0 * 512.0);
  if (type == road_type::asphalt) {
    const double g = uniform(rng, 60, 110);
    base = jitter(rng, {g + 4, g + 2, g}, 6);
    tex.setTo(base);
    add_blotches(tex, rng, 8, 20 + 6 * defects);
    if (defects >= 1)  // patches of newer (darker) asphalt, with their seams
      for (int k = int(uniform(rng, 2, 4 + 3 * defects) * per_area * 2); k > 0; --k) {
        const cv::Rect r(uniform_int(rng, 0, width - 40), uniform_int(rng, 0, length - 30), uniform_int(rng, 40, 110),
                         uniform_int(rng, 10, 30));
        const cv::Rect inside = r & cv::Rect(0, 0, width, length);
        cv::rectangle(tex, inside, base * uniform(rng, 0.55, 0.8), cv::FILLED);
        cv::rectangle(tex, inside, base * 0.45, 1);
      }
    if (chance(rng, 0.85)) {  // lane markings, faded on worse roads
      const cv::Scalar paint = chance(rng, 0.3) ? cv::Scalar(40, 190, 220) : cv::Scalar(225, 225, 225);
      const cv::Scalar faded = paint * (1.0 - 0.25 * defects) + base * (0.25 * defects);
      const int period = uniform_int(rng, 50, 80);
      for (int y = uniform_int(rng, 0, period); y < length; y += period)
        cv::rectangle(tex, {width / 2 - 3, y}, {width / 2 + 3, y + period / 2}, faded, cv::FILLED);
      if (chance(rng, 0.7)) {
        cv::rectangle(tex, {6, 0}, {11, length}, faded, cv::FILLED);
        cv::rectangle(tex, {width - 12, 0}, {width - 7, length}, faded, cv::FILLED);
      }
    }
  } else if (type == road_type::paved) {
    // Concrete slabs (the RTK "paved" class is mostly concrete) or blocks, grey or brick red.
    const bool slabs = chance(rng, 0.5);
    const double grey = uniform(rng, slabs ? 95 : 80, slabs ? 150 : 130);
    base = chance(rng, slabs ? 0.0 : 0.2) ? jitter(rng, {85, 95, 130}, 12) : jitter(rng, {grey + 2, grey, grey}, 4);
    const cv::Scalar joint = base * uniform(rng, slabs ? 0.55 : 0.35, slabs ? 0.75 : 0.55);
    tex.setTo(joint);
    const int bw = slabs ? width / 2 : uniform_int(rng, 10, 18);
    const int bh = std::max(2, int(bw * uniform(rng, slabs ? 1.0 : 0.6, slabs ? 1.6 : 1.0) / along)), gap = 1;
    for (int row = 0, y = 0; y < length; ++row, y += bh) {
      const int offset = slabs ? 0 : (row % 2) * bw / 2;
      for (int x = -offset; x < width; x += bw) {
        const double shade = uniform(rng, slabs ? 0.93 : 0.8, slabs ? 1.05 : 1.15);
        cv::rectangle(tex, {x + gap, y}, {x + bw - gap, y + bh - gap}, base * shade, cv::FILLED);
      }
    }
    if (defects >= 1)  // sunken or missing blocks
      for (int k = int(uniform(rng, 4, 12) * defects * per_area); k > 0; --k) {
        const cv::Point c(uniform_int(rng, 0, width), uniform_int(rng, 0, length));
        cv::rectangle(tex, c, c + cv::Point(bw * uniform_int(rng, 1, 2 * defects), bh * uniform_int(rng, 1, 2)),
                      joint * uniform(rng, 0.6, 1.0), cv::FILLED);
      }
    add_blotches(tex, rng, 10, 10);
  } else {
    base = jitter(rng, {100, 112, 124}, 12);  // real dirt roads are washed-out ochre
    tex.setTo(base);
    add_blotches(tex, rng, 12, 30);
    for (double x : {uniform(rng, 0.2, 0.35), uniform(rng, 0.65, 0.8)}) {  // tyre ruts
      const int cx = int(x * width), half = uniform_int(rng, 6, 12 + 6 * defects);
      cv::rectangle(tex, {cx - half, 0}, {cx + half, length}, base * uniform(rng, 0.7, 0.9 - 0.1 * defects), cv::FILLED);
    }
    for (int k = int(400 * per_area); k > 0; --k)  // pebbles
      cv::ellipse(tex, {uniform_int(rng, 0, width), uniform_int(rng, 0, length)}, {uniform_int(rng, 1, 3), 1}, 0, 0, 360,
                  base * uniform(rng, 0.6, 1.4), cv::FILLED);
    if (defects == 2)  // erosion gullies
      for (int k = uniform_int(rng, 2, 5); k > 0; --k)
        draw_crack(tex, rng, {uniform_int(rng, 0, width), 0}, uniform(rng, 1.2, 1.9), length / 6, base * 0.45, 1);
  }
  // Cracks, potholes and puddles by quality: a regular road has some cracks and the odd small
  // pothole, a bad one a crack network, alligator cracking and many large potholes.
  const cv::Scalar crack = base * 0.4;
  for (int k = int((defects == 0 ? 0 : defects == 1 ? uniform(rng, 6, 12) : uniform(rng, 18, 30)) * per_area); k > 0; --k)
    draw_crack(tex, rng, {uniform_int(rng, 0, width), uniform_int(rng, 0, length)}, uniform(rng, 0, 6.3),
               uniform_int(rng, 8, 22), crack, defects);
  if (defects == 2)
    for (int k = int(uniform(rng, 3, 7) * per_area); k > 0; --k) draw_alligator(tex, rng, crack);
  for (int k = int((defects == 0 ? 0 : defects == 1 ? uniform(rng, 1, 3) : uniform(rng, 10, 20)) * per_area); k > 0; --k)
    draw_pothole(tex, rng, base, defects == 2 ? 1.5 : 0.8);
  if (defects == 2 && chance(rng, 0.45))
    for (int k = uniform_int(rng, 1, 3); k > 0; --k) draw_puddle(tex, rng);
  add_grain(tex, rng, type == road_type::asphalt ? uniform(rng, 8, 14) : uniform(rng, 5, 9));
  return tex;
}

// Where the road lies in the frame and how the frame is lit: fixed along a drive segment.
struct road_view {
  double horizon, vanish_x, near_centre, near_half, far_half;
  bool hood;
  cv::Scalar sky_top, sky_bottom, verge, hood_colour;
  double scenery;
  double contrast, brightness;
  cv::Vec3d cast;
  int shadows;
  std::uint64_t shadow_seed;
};

inline road_view random_view(engine& rng, const scene_options& o) {
  const double w = o.size.width, h = o.size.height;
  road_view v;
  v.horizon = h * uniform(rng, 0.43, 0.52);
  v.vanish_x = w * uniform(rng, 0.4, 0.6);
  v.near_centre = w * uniform(rng, 0.42, 0.58);
  v.near_half = w * uniform(rng, 0.8, 1.4);  // near the camera the road fills the frame's width
  v.far_half = w * uniform(rng, 0.02, 0.05);
  v.hood = chance(rng, o.hood_probability);
  v.hood_colour = chance(rng, 0.5) ? jitter(rng, {225, 225, 225}, 15) : jitter(rng, {45, 42, 40}, 10);
  v.sky_top = chance(rng, 0.5) ? jitter(rng, {215, 175, 150}, 30) : jitter(rng, {235, 230, 225}, 15);
  v.sky_bottom = jitter(rng, {240, 235, 230}, 12);
  v.scenery = uniform(rng, 0.08, 0.3);
  v.verge = chance(rng, 0.6) ? jitter(rng, {70, 110, 85}, 20) : jitter(rng, {95, 115, 125}, 20);
  v.contrast = uniform(rng, 0.75, 1.2);
  v.brightness = uniform(rng, -30, 25);
  v.cast = {uniform(rng, 0.94, 1.06), uniform(rng, 0.96, 1.04), uniform(rng, 0.94, 1.06)};
  v.shadows = chance(rng, 0.7) ? uniform_int(rng, 1, 5) : 0;
  v.shadow_seed = rng();
  return v;
}

// Composes a frame from a texture window (rows far to near) and a view.
inline cv::Mat compose(const cv::Mat& texture, const road_view& v, const scene_options& o, engine& rng) {
  const int w = o.size.width, h = o.size.height, horizon = int(v.horizon);
  cv::Mat frame(o.size, CV_8UC3);
  for (int y = 0; y < horizon; ++y) {  // sky gradient
    const double t = double(y) / std::max(1, horizon);
    frame.row(y).setTo(v.sky_top * (1 - t) + v.sky_bottom * t);
  }
  const int band = std::max(2, int(h * v.scenery));  // scenery: trees and fields at the horizon
  frame(cv::Rect(0, std::max(0, horizon - band), w, std::min(band, horizon))).setTo(v.verge * 0.7);
  frame(cv::Rect(0, horizon, w, h - horizon)).setTo(v.verge);
  add_blotches(frame, rng, 24, 40);  // clouds, foliage and verge texture in one pass
  const std::array<cv::Point2f, 4> src = {cv::Point2f(0, 0), cv::Point2f(float(texture.cols), 0),
                                          cv::Point2f(float(texture.cols), float(texture.rows)), cv::Point2f(0, float(texture.rows))};
  const std::array<cv::Point2f, 4> dst = {
      cv::Point2f(float(v.vanish_x - v.far_half), float(horizon + 1)), cv::Point2f(float(v.vanish_x + v.far_half), float(horizon + 1)),
      cv::Point2f(float(v.near_centre + v.near_half), float(h)), cv::Point2f(float(v.near_centre - v.near_half), float(h))};
  cv::warpPerspective(texture, frame, cv::getPerspectiveTransform(src.data(), dst.data()), o.size, cv::INTER_LINEAR,
                      cv::BORDER_TRANSPARENT);
  engine shadow_rng(v.shadow_seed);  // the same shadows on every frame of a segment
  if (v.shadows > 0) {
    // Tree and building shadows: soft-edged blobs, flattened by the perspective like the road,
    // so that they do not look like the sharp-edged dark shapes of potholes and cracks.
    cv::Mat shade(o.size, CV_8U, cv::Scalar(255));
    for (int k = 0; k < v.shadows; ++k) {
      const cv::Point c(uniform_int(shadow_rng, 0, w), uniform_int(shadow_rng, horizon, h));
      const double depth = double(c.y - horizon) / std::max(1, h - horizon);  // 0 at the horizon, 1 at the bottom
      const cv::Size axes(int(w * uniform(shadow_rng, 0.1, 0.35) * (0.3 + depth)), int(h * uniform(shadow_rng, 0.02, 0.08) * (0.3 + depth)));
      cv::ellipse(shade, c, axes, uniform(shadow_rng, -15, 15), 0, 360, uniform(shadow_rng, 120, 185), cv::FILLED, cv::LINE_AA);
    }
    cv::GaussianBlur(shade, shade, {0, 0}, std::max(1.0, w / 90.0));
    cv::Mat shade3;
    cv::merge(std::vector<cv::Mat>{shade, shade, shade}, shade3);
    cv::multiply(frame, shade3, frame, 1.0 / 255);
  }
  if (v.hood) {
    const cv::Point centre(w / 2, int(h * 1.12));
    cv::ellipse(frame, centre, {int(w * 0.75), int(h * 0.2)}, 0, 180, 360, v.hood_colour, cv::FILLED, cv::LINE_AA);
    cv::ellipse(frame, centre, {int(w * 0.75), int(h * 0.2)}, 0, 200, 340, v.hood_colour * 0.7, 2, cv::LINE_AA);
  }
  const cv::Matx34f light(float(v.contrast * v.cast[0]), 0, 0, float(v.brightness), 0, float(v.contrast * v.cast[1]), 0,
                          float(v.brightness), 0, 0, float(v.contrast * v.cast[2]), float(v.brightness));
  cv::transform(frame, frame, light);
  add_grain(frame, rng, uniform(rng, 1.5, 5));
  if (o.jpeg_artefacts && chance(rng, 0.5)) {  // cameras differ: half the frames get strong compression
    std::vector<std::uint8_t> jpeg;
    cv::imencode(".jpg", frame, jpeg, {cv::IMWRITE_JPEG_QUALITY, uniform_int(rng, 50, 92)});
    frame = cv::imdecode(jpeg, cv::IMREAD_COLOR);
  }
  return frame;
}

constexpr int texture_width = 192, texture_length = 384;

inline void check_options(const scene_options& o) {
  if (o.size.width < 64 || o.size.height < 120)
    throw invalid_argument("synthetic frames must be at least 64x120, got " + std::to_string(o.size.width) + "x" +
                           std::to_string(o.size.height));
}

}  // namespace detail

// One frame of a road of this type and quality.
inline cv::Mat render_road_frame(road_type type, road_quality quality, std::uint64_t seed, const scene_options& o = {}) {
  detail::check_options(o);
  if (!has_quality(type, quality)) throw invalid_argument("unpaved roads are only regular or bad (as in RTK)");
  detail::engine rng(seed);
  const detail::road_view view = detail::random_view(rng, o);
  const cv::Mat tex = detail::road_texture(type, quality, rng, detail::texture_width, detail::texture_length);
  return detail::compose(tex, view, o, rng);
}

struct drive_frame {
  cv::Mat image;
  road_type type;
  road_quality quality;
};

// A continuous drive: segments of 20-60 frames, each a road of one type and quality, the
// camera moving forward along it (the texture scrolls towards the car).
class drive_generator {
 public:
  drive_generator(std::uint64_t seed, scene_options o = {}) : rng_(seed), options_(o) { detail::check_options(o); }

  drive_frame next() {
    if (left_ == 0) start_segment();
    --left_;
    offset_ -= speed_;
    const cv::Mat window = texture_(cv::Rect(0, offset_, detail::texture_width, detail::texture_length));
    return {detail::compose(window, view_, options_, rng_), type_, quality_};
  }

 private:
  void start_segment() {
    type_ = detail::chance(rng_, 0.5) ? road_type::asphalt : detail::chance(rng_, 0.5) ? road_type::paved : road_type::unpaved;
    do quality_ = road_qualities[std::size_t(detail::uniform_int(rng_, 0, 2))];
    while (!has_quality(type_, quality_));
    left_ = detail::uniform_int(rng_, 20, 60);
    speed_ = detail::uniform_int(rng_, 4, 10);
    view_ = detail::random_view(rng_, options_);
    texture_ = detail::road_texture(type_, quality_, rng_, detail::texture_width, detail::texture_length + speed_ * left_ + 1);
    offset_ = texture_.rows - detail::texture_length;
  }

  detail::engine rng_;
  scene_options options_;
  road_type type_ = road_type::asphalt;
  road_quality quality_ = road_quality::good;
  int left_ = 0, speed_ = 0, offset_ = 0;
  detail::road_view view_{};
  cv::Mat texture_;
};

}  // namespace tarmac::data
