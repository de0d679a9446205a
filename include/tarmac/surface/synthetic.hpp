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

namespace tarmac::surface {

struct scene_options {
  cv::Size size{352, 288};
  double hood_probability = 0.3;
  bool jpeg_artefacts = true;  // a JPEG round trip at quality 50-92 on half the frames
};

namespace detail {

using engine = std::mt19937_64;

// The road surface is drawn in road-plane coordinates, columns across the road and rows along
// it, a texel about 4 cm either way: the texture's 192 columns span a two-lane road and its
// rows the nearest 15 m or so, the stretch the ROI mostly shows (see compose()).

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

// Adds windows of a fixed 1024x1024 CV_16S tile, at random offsets and times `scale`, to all
// three channels: drawing fresh noise or hundreds of small shapes per frame costs more than the
// rest of the frame.
inline void add_tile(cv::Mat& image, engine& rng, const cv::Mat& tile, double scale) {
  for (int y = 0; y < image.rows; y += tile.rows)
    for (int x = 0; x < image.cols; x += tile.cols) {
      const cv::Rect part(x, y, std::min(tile.cols, image.cols - x), std::min(tile.rows, image.rows - y));
      const cv::Rect source(uniform_int(rng, 0, tile.cols - part.width), uniform_int(rng, 0, tile.rows - part.height), part.width,
                            part.height);
      cv::Mat scaled;
      tile(source).convertTo(scaled, CV_16S, scale);
      cv::Mat target = image(part);
      add_to_all_channels(target, scaled);
    }
}

constexpr int tile_size = 1024;

// Fine grain: normal noise of standard deviation sigma.
inline void add_grain(cv::Mat& image, engine& rng, double sigma) {
  thread_local const cv::Mat noise = [] {
    cv::Mat n(tile_size, tile_size, CV_16S);
    cv::RNG(12345).fill(n, cv::RNG::NORMAL, 0, 64);
    return n;
  }();
  add_tile(image, rng, noise, sigma / 64);
}

// Speckle of +-amplitude at a scale of 3 texels (asphalt's aggregate, coarser than the camera's
// noise): uniform noise on a grid of 3 texels, smoothly enlarged once per thread.
inline void add_speckle(cv::Mat& image, engine& rng, double amplitude) {
  thread_local const cv::Mat speckle = [] {
    cv::Mat coarse(tile_size / 3, tile_size / 3, CV_16S), fine;
    cv::RNG(777).fill(coarse, cv::RNG::UNIFORM, -64, 64);
    cv::resize(coarse, fine, {tile_size, tile_size}, 0, 0, cv::INTER_CUBIC);
    return fine;
  }();
  add_tile(image, rng, speckle, amplitude / 64);
}

// Pebbles, one per 90 texels, 1-2 texels in radius, each 0.6-1.4 times the brightness `grey`.
inline void add_pebbles(cv::Mat& image, engine& rng, double grey) {
  thread_local const cv::Mat pebbles = [] {
    cv::Mat p(tile_size, tile_size, CV_16S, cv::Scalar(0));
    engine r(54321);
    for (int k = tile_size * tile_size / 90; k > 0; --k)
      cv::circle(p, {uniform_int(r, 0, tile_size - 1), uniform_int(r, 0, tile_size - 1)}, uniform_int(r, 1, 2),
                 uniform(r, -400, 400), cv::FILLED);
    return p;
  }();
  add_tile(image, rng, pebbles, grey / 1000);
}

// A wobbly closed outline around c with radii rx, ry, grown by `grow` texels.
inline std::vector<cv::Point> blob(cv::Point c, double rx, double ry, const std::array<double, 10>& wobble, double grow) {
  std::vector<cv::Point> outline;
  for (std::size_t k = 0; k < wobble.size(); ++k) {
    const double a = double(k) * 2 * M_PI / double(wobble.size());
    outline.emplace_back(c + cv::Point(int((rx * wobble[k] + grow) * std::cos(a)), int((ry * wobble[k] + grow) * std::sin(a))));
  }
  return outline;
}

inline std::array<double, 10> random_wobble(engine& rng) {
  std::array<double, 10> wobble;
  for (double& w : wobble) w = uniform(rng, 0.65, 1.2);
  return wobble;
}

inline cv::Point anywhere(engine& rng, const cv::Mat& tex) { return {uniform_int(rng, 0, tex.cols), uniform_int(rng, 0, tex.rows)}; }

// How many of something a texture gets, for lo to hi of them in the stretch of road the ROI
// mostly shows (192 x 140 texels): a longer texture, as a drive's, gets proportionally more.
inline int per_view(engine& rng, const cv::Mat& tex, double lo, double hi) {
  return int(uniform(rng, lo, hi) * double(tex.total()) / (192.0 * 140.0));
}

// A hole in the surface: an irregular hollow inside a ring of broken edge. `inside` is what
// the hole shows (the dark hollow, the ground under paving, muddy water).
inline void draw_hole(cv::Mat& tex, engine& rng, cv::Point c, double radius, cv::Scalar edge, cv::Scalar inside) {
  const std::array<double, 10> wobble = random_wobble(rng);
  const double rx = radius * uniform(rng, 0.8, 1.6), ry = radius * uniform(rng, 0.6, 1.0);  // wider across the road
  cv::fillPoly(tex, std::vector<std::vector<cv::Point>>{blob(c, rx, ry, wobble, 2 + radius / 4)}, edge, cv::LINE_AA);
  cv::fillPoly(tex, std::vector<std::vector<cv::Point>>{blob(c, rx, ry, wobble, 0)}, inside, cv::LINE_AA);
}

// n potholes of radius lo to hi texels, dark hollows in the surface colour.
inline void draw_potholes(cv::Mat& tex, engine& rng, int n, double lo, double hi, cv::Scalar base) {
  for (; n > 0; --n) draw_hole(tex, rng, anywhere(rng, tex), uniform(rng, lo, hi), base * 0.7, base * uniform(rng, 0.25, 0.4));
}

// A random-walk crack from a point, in a direction, with branches.
inline void draw_crack(cv::Mat& tex, engine& rng, cv::Point start, double heading, int steps, cv::Scalar colour, int width,
                       int depth) {
  cv::Point p = start;
  for (int s = 0; s < steps; ++s) {
    heading += uniform(rng, -0.5, 0.5);
    const cv::Point q = p + cv::Point(int(std::lround(7 * std::cos(heading))), int(std::lround(7 * std::sin(heading))));
    cv::line(tex, p, q, colour, width, cv::LINE_AA);
    if (depth > 0 && chance(rng, 0.1)) draw_crack(tex, rng, q, heading + uniform(rng, -1.5, 1.5), steps / 2, colour, width, depth - 1);
    p = q;
  }
}

// n cracks anywhere, each branching `depth` times deep.
inline void draw_cracks(cv::Mat& tex, engine& rng, int n, cv::Scalar colour, int depth) {
  for (; n > 0; --n) draw_crack(tex, rng, anywhere(rng, tex), uniform(rng, 0, 6.3), uniform_int(rng, 6, 16), colour, 2, depth);
}

inline cv::Point edge_point(engine& rng, cv::Rect r) {
  const int x = uniform_int(rng, r.x, r.br().x), y = uniform_int(rng, r.y, r.br().y);
  return chance(rng, 0.5) ? cv::Point(x, chance(rng, 0.5) ? r.y : r.br().y) : cv::Point(chance(rng, 0.5) ? r.x : r.br().x, y);
}

// Alligator (fatigue) cracking: an area broken into small irregular polygons, like the skin
// it is named after (not the straight rows of paving blocks).
inline void draw_alligator(cv::Mat& tex, engine& rng, cv::Scalar colour) {
  const cv::Point c = anywhere(rng, tex);
  const int half_w = uniform_int(rng, 15, 40), half_h = uniform_int(rng, 15, 40), cell = uniform_int(rng, 5, 8);
  std::vector<cv::Point> previous_row;
  for (int y = -half_h; y <= half_h; y += cell) {
    std::vector<cv::Point> row;
    for (int x = -half_w; x <= half_w; x += cell)
      row.push_back(c + cv::Point(x + uniform_int(rng, -cell / 2, cell / 2), y + uniform_int(rng, -cell / 2, cell / 2)));
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0 && chance(rng, 0.8)) cv::line(tex, row[i - 1], row[i], colour, 1, cv::LINE_AA);
      if (!previous_row.empty() && chance(rng, 0.8)) cv::line(tex, previous_row[i], row[i], colour, 1, cv::LINE_AA);
    }
    previous_row = std::move(row);
  }
}

// A rectangle of newer (mostly darker) surface with its seam: cut-and-fill patches.
inline void draw_patch(cv::Mat& tex, engine& rng, cv::Scalar base) {
  const cv::Rect r(anywhere(rng, tex) - cv::Point(20, 20), cv::Size(uniform_int(rng, 25, 80), uniform_int(rng, 25, 90)));
  const double shade = chance(rng, 0.75) ? uniform(rng, 0.6, 0.8) : uniform(rng, 1.12, 1.25);
  cv::rectangle(tex, r, base * shade, cv::FILLED);
  cv::rectangle(tex, r, base * 0.5, 1);
}

// Multiplies each row by 1 + amplitude * sin(row / period): the corrugation of a washboard road.
inline void add_washboard(cv::Mat& tex, engine& rng) {
  const double period = uniform(rng, 5, 9), amplitude = uniform(rng, 0.12, 0.22), phase = uniform(rng, 0, 6.3);
  for (int y = 0; y < tex.rows; ++y) {
    cv::Mat row = tex.row(y);
    row.convertTo(row, -1, 1 + amplitude * std::sin(phase + 2 * M_PI * y / period));
  }
}

// Each type draws its surface and its own kinds of damage; `defects` is 0 on a good road, 1
// on a regular one, 2 on a bad one.

// Asphalt, lane markings mostly. A regular road has patches, sealed cracks and the odd small
// pothole; a bad one open cracks, alligator cracking and many large potholes.
inline void asphalt_surface(cv::Mat& tex, engine& rng, int defects) {
  const double g = uniform(rng, 55, 105);
  const cv::Scalar base = jitter(rng, {g + 4, g + 2, g}, 6);
  tex.setTo(base);
  add_blotches(tex, rng, 8, 20 + 6 * defects);
  add_speckle(tex, rng, 16);
  if (chance(rng, 0.85)) {  // lane markings, faded on worse roads
    const cv::Scalar paint = chance(rng, 0.3) ? cv::Scalar(40, 190, 220) : cv::Scalar(225, 225, 225);
    const cv::Scalar faded = paint * (1.0 - 0.25 * defects) + base * (0.25 * defects);
    const int period = uniform_int(rng, 150, 250), cx = tex.cols / 2;
    for (int y = uniform_int(rng, -period, 0); y < tex.rows; y += period)
      cv::rectangle(tex, {cx - 3, y}, {cx + 3, y + period / 2}, faded, cv::FILLED);
    if (chance(rng, 0.7)) {
      cv::rectangle(tex, {6, 0}, {11, tex.rows}, faded, cv::FILLED);
      cv::rectangle(tex, {tex.cols - 12, 0}, {tex.cols - 7, tex.rows}, faded, cv::FILLED);
    }
  }
  if (defects == 0) return;
  for (int k = per_view(rng, tex, 0.7, 1.5); k > 0; --k) draw_patch(tex, rng, base);
  draw_cracks(tex, rng, per_view(rng, tex, 3, 6), base * 0.4, defects - 1);
  if (defects == 1) {
    draw_potholes(tex, rng, per_view(rng, tex, 0.5, 1.5), 3, 7, base);
  } else {
    for (int k = per_view(rng, tex, 1, 2); k > 0; --k) draw_alligator(tex, rng, base * 0.4);
    draw_potholes(tex, rng, per_view(rng, tex, 4, 8), 5, 14, base);
  }
}

// Concrete slabs (the RTK "paved" class is mostly concrete) or blocks, grey or brick red. A
// regular road has cracked slabs, chipped joints, missing blocks; a bad one broken slabs and
// many holes showing the ground below.
inline void paved_surface(cv::Mat& tex, engine& rng, int defects) {
  const bool slabs = chance(rng, 0.5);
  const double grey = uniform(rng, slabs ? 110 : 80, slabs ? 165 : 130);
  const cv::Scalar base = chance(rng, slabs ? 0.0 : 0.2) ? jitter(rng, {85, 95, 130}, 12) : jitter(rng, {grey + 2, grey, grey}, 4);
  const cv::Scalar joint = base * uniform(rng, slabs ? 0.5 : 0.35, slabs ? 0.7 : 0.55), ground = jitter(rng, {60, 75, 90}, 10);
  tex.setTo(joint);
  const int bw = slabs ? tex.cols / 2 : uniform_int(rng, 10, 18);
  const int bh = int(bw * uniform(rng, slabs ? 1.0 : 0.6, slabs ? 1.5 : 1.0)), gap = slabs ? 2 : 1;
  for (int row = 0, y = 0; y < tex.rows; ++row, y += bh) {
    const int offset = slabs ? 0 : (row % 2) * bw / 2;
    for (int x = -offset; x < tex.cols; x += bw) {
      const double shade = uniform(rng, slabs ? 0.93 : 0.8, slabs ? 1.05 : 1.15);
      const cv::Rect piece(x + gap, y + gap, bw - gap, bh - gap);
      cv::rectangle(tex, piece, base * shade, cv::FILLED);
      if (defects == 0) continue;
      if (slabs) {
        for (int k = chance(rng, 0.3 + 0.3 * defects) ? uniform_int(rng, 1, 2 * defects) : 0; k > 0; --k)
          cv::line(tex, edge_point(rng, piece), edge_point(rng, piece), joint * 0.7, 1 + defects, cv::LINE_AA);
        for (int k = chance(rng, 0.25 + 0.25 * defects) ? uniform_int(rng, 1, 2 * defects) : 0; k > 0; --k)  // chipped joints
          draw_hole(tex, rng, edge_point(rng, piece), uniform(rng, 3, 6), joint, joint * 0.8);
      } else if (chance(rng, 0.05 * defects * defects)) {  // missing blocks
        cv::rectangle(tex, cv::Rect(x, y, bw * uniform_int(rng, 1, defects), bh), ground, cv::FILLED);
      }
    }
  }
  // Holes through the paving to the ground: a few small ones on a regular road, many large ones on a bad one.
  for (int k = defects == 0 ? 0 : defects == 1 ? per_view(rng, tex, 1.5, 3) : per_view(rng, tex, 3, 5); k > 0; --k)
    draw_hole(tex, rng, anywhere(rng, tex), defects == 1 ? uniform(rng, 4, 7) : uniform(rng, 7, 16), joint, ground);
  add_blotches(tex, rng, 10, 10);
}

// Dirt roads are washed-out ochre with pebbles and tyre ruts. A regular one has a few dry
// cracks and the odd hole; a bad one deep ruts, erosion gullies, many holes and puddles, and
// often a washboard surface.
inline void unpaved_surface(cv::Mat& tex, engine& rng, int defects) {
  const cv::Scalar base = jitter(rng, {100, 112, 124}, 12);
  tex.setTo(base);
  add_blotches(tex, rng, 12, 30);
  if (defects == 2 && chance(rng, 0.5)) add_washboard(tex, rng);
  for (double x : {uniform(rng, 0.2, 0.35), uniform(rng, 0.65, 0.8)}) {  // tyre ruts with ridges of pushed-up dirt
    const int cx = int(x * tex.cols), half = uniform_int(rng, 6, 10 + 6 * defects);
    cv::rectangle(tex, {cx - half - 3, 0}, {cx + half + 3, tex.rows}, base * (1.05 + 0.05 * defects), cv::FILLED);
    cv::rectangle(tex, {cx - half, 0}, {cx + half, tex.rows}, base * uniform(rng, 0.75 - 0.15 * defects, 0.9 - 0.15 * defects),
                  cv::FILLED);
  }
  add_pebbles(tex, rng, (base[0] + base[1] + base[2]) / 3);
  if (defects == 1) {
    draw_cracks(tex, rng, per_view(rng, tex, 1.6, 3), base * 0.4, 0);
    draw_potholes(tex, rng, per_view(rng, tex, 0, 0.6), 3, 6, base);
  } else {
    for (int k = uniform_int(rng, 1, 4); k > 0; --k)  // erosion gullies, along the road
      draw_crack(tex, rng, {uniform_int(rng, 0, tex.cols), 0}, uniform(rng, 1.3, 1.8), tex.rows / 6, base * 0.5, 4, 1);
    draw_cracks(tex, rng, per_view(rng, tex, 3.3, 5.7), base * 0.4, 1);
    draw_potholes(tex, rng, per_view(rng, tex, 3.3, 5.5), 5, 14, base);
    for (int k = per_view(rng, tex, 0.4, 1.2); k > 0; --k)  // puddles
      draw_hole(tex, rng, anywhere(rng, tex), uniform(rng, 8, 18), base * 0.55, jitter(rng, {150, 140, 125}, 25));
  }
}

// The road surface in road-plane coordinates (row 0 farthest). `length` rows let a drive
// scroll along one texture.
inline cv::Mat road_texture(road_type type, road_quality quality, engine& rng, int width, int length) {
  cv::Mat tex(length, width, CV_8UC3);
  const int defects = quality == road_quality::good ? 0 : quality == road_quality::regular ? 1 : 2;
  if (type == road_type::asphalt) asphalt_surface(tex, rng, defects);
  else if (type == road_type::paved) paved_surface(tex, rng, defects);
  else unpaved_surface(tex, rng, defects);
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
  // The trapezoid from just below the horizon to the bottom row is the road from depth 1 (the
  // bottom row) to near_half / far_half, road-plane rows mapping linearly to depth. The texture
  // covers depths 1 to near_depths, where the ROI mostly looks, so its texels there are about
  // square; squeezed, it covers the rest up to the horizon too, a band a few rows high.
  constexpr double near_depths = 8;
  const double length = texture.rows, deepest = v.near_half / v.far_half;
  const std::array<cv::Point2f, 4> src = {cv::Point2f(0, 0), cv::Point2f(float(texture.cols), 0),
                                          cv::Point2f(float(texture.cols), float(length)), cv::Point2f(0, float(length))};
  const std::array<cv::Point2f, 4> dst = {
      cv::Point2f(float(v.vanish_x - v.far_half), float(horizon + 1)), cv::Point2f(float(v.vanish_x + v.far_half), float(horizon + 1)),
      cv::Point2f(float(v.near_centre + v.near_half), float(h)), cv::Point2f(float(v.near_centre - v.near_half), float(h))};
  const cv::Matx33d road = cv::getPerspectiveTransform(src.data(), dst.data());
  auto depths = [&](double nearest, double farthest) {  // texture rows 0 and `length` onto these depths
    const double per_depth = length / (deepest - 1);
    return road * cv::Matx33d(1, 0, 0, 0, (farthest - nearest) / (deepest - 1), length - (farthest - 1) * per_depth, 0, 0, 1);
  };
  const cv::Matx33d near = depths(1, std::min(near_depths, deepest));
  const cv::Vec3d seam = near * cv::Vec3d(0, 0, 1);
  const cv::Rect distant = cv::Rect(0, horizon, w, int(seam[1] / seam[2]) + 3 - horizon) & cv::Rect(0, 0, w, h);
  if (deepest > near_depths && !distant.empty()) {  // overlapping the near part a little, so no seam shows
    cv::Mat far = frame(distant);
    cv::warpPerspective(texture, far, cv::Matx33d(1, 0, 0, 0, 1, -distant.y, 0, 0, 1) * depths(near_depths * 0.97, deepest), distant.size(),
                        cv::INTER_LINEAR, cv::BORDER_TRANSPARENT);
  }
  cv::warpPerspective(texture, frame, near, o.size, cv::INTER_LINEAR, cv::BORDER_TRANSPARENT);
  engine shadow_rng(v.shadow_seed);  // the same shadows on every frame of a segment
  if (v.shadows > 0) {
    // Tree and building shadows: soft-edged blobs, flattened by the perspective like the road,
    // so that they do not look like the sharp-edged dark shapes of potholes and cracks.
    // Drawn and blurred at a quarter of the frame's size, then enlarged: a quarter of the cost.
    constexpr double quarter = 0.25;
    cv::Mat small(cv::Size(w / 4, h / 4), CV_8U, cv::Scalar(255));
    for (int k = 0; k < v.shadows; ++k) {
      const cv::Point c(uniform_int(shadow_rng, 0, w), uniform_int(shadow_rng, horizon, h));
      const double depth = double(c.y - horizon) / std::max(1, h - horizon);  // 0 at the horizon, 1 at the bottom
      const cv::Size axes(int(w * uniform(shadow_rng, 0.1, 0.35) * (0.3 + depth)), int(h * uniform(shadow_rng, 0.02, 0.08) * (0.3 + depth)));
      cv::ellipse(small, cv::Point(int(c.x * quarter), int(c.y * quarter)), cv::Size(int(axes.width * quarter), int(axes.height * quarter)),
                  uniform(shadow_rng, -15, 15), 0, 360, uniform(shadow_rng, 120, 185), cv::FILLED, cv::LINE_AA);
    }
    cv::GaussianBlur(small, small, {0, 0}, std::max(0.5, w * quarter / 90.0));
    cv::Mat shade, shade3;
    cv::resize(small, shade, o.size, 0, 0, cv::INTER_LINEAR);
    cv::cvtColor(shade, shade3, cv::COLOR_GRAY2BGR);
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

}  // namespace tarmac::surface
