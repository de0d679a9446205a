#pragma once
// The RTK taxonomy in one table: surface types and qualities, their names, the RTK folder
// names they are trained from, and the colours RTK drew them in. The generator, the trainers,
// the cascade and the annotator all read it from here.
#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

#include "tarmac/core/labels.hpp"

namespace tarmac::surface {

enum class road_type { asphalt, paved, unpaved };
enum class road_quality { good, regular, bad };

inline constexpr std::array<road_type, 3> road_types = {road_type::asphalt, road_type::paved, road_type::unpaved};
inline constexpr std::array<road_quality, 3> road_qualities = {road_quality::good, road_quality::regular,
                                                               road_quality::bad};

struct taxon {
  std::string_view name;
  cv::Scalar colour;  // BGR, as the RTK annotation scripts drew the label
};

inline const std::array<taxon, 3> type_table = {{{"asphalt", {0, 0, 0}}, {"paved", {153, 102, 102}}, {"unpaved", {0, 153, 255}}}};
inline const std::array<taxon, 3> quality_table = {{{"good", {0, 255, 0}}, {"regular", {0, 204, 255}}, {"bad", {0, 0, 255}}}};
// Labels of classes outside the taxonomy (a user's own folders).
inline const cv::Scalar unknown_colour{96, 96, 96};

inline std::string name(road_type t) { return std::string(type_table[std::size_t(t)].name); }
inline std::string name(road_quality q) { return std::string(quality_table[std::size_t(q)].name); }
inline cv::Scalar colour(road_type t) { return type_table[std::size_t(t)].colour; }
inline cv::Scalar colour(road_quality q) { return quality_table[std::size_t(q)].colour; }

// As in RTK, unpaved roads are only regular or bad.
inline bool has_quality(road_type t, road_quality q) { return !(t == road_type::unpaved && q == road_quality::good); }

// The RTK layout: ROOT/training_data_type/<type>/ for the type model and, per type,
// ROOT/training_data_<type>_quality/<quality>/ (training_data_asphalt_quality/01asphalt(Good), ...;
// the quality folders of unpaved start at 01 with Regular). Type ids are folder names, so a
// user's own types fit the layout too.
inline const std::string type_root = "training_data_type";
inline constexpr std::string_view quality_root_prefix = "training_data_", quality_root_suffix = "_quality";
inline std::string quality_root(std::string_view type_id) {
  return std::string(quality_root_prefix).append(type_id).append(quality_root_suffix);
}
inline std::string quality_root(road_type t) { return quality_root(name(t)); }
// The type id of a quality root's folder name, or nothing for another folder.
inline std::optional<std::string> quality_root_type(std::string_view folder) {
  constexpr std::string_view prefix = quality_root_prefix, suffix = quality_root_suffix;
  if (folder.size() <= prefix.size() + suffix.size() || !folder.starts_with(prefix) || !folder.ends_with(suffix)) return std::nullopt;
  return std::string(folder.substr(prefix.size(), folder.size() - prefix.size() - suffix.size()));
}
inline std::string type_folder(road_type t) { return name(t); }
inline std::string quality_folder(road_type t, road_quality q) {
  const int number = int(q) + (t == road_type::unpaved ? 0 : 1);
  std::string label = name(q);
  label[0] = char(std::toupper(static_cast<unsigned char>(label[0])));
  return "0" + std::to_string(number) + name(t) + "(" + label + ")";
}

namespace detail {

inline std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return out;
}

// The table entry whose name is the whole text, or its parenthesised part for quality folders
// such as "01asphalt(Good)" or labels such as "asphalt (good)".
template <class Enum, std::size_t N>
std::optional<Enum> find(const std::array<taxon, N>& table, std::string_view text, bool in_parentheses) {
  std::string s = lower(text);
  if (in_parentheses) {
    const std::size_t open = s.rfind('('), close = s.rfind(')');
    if (open == std::string::npos || close != s.size() - 1 || close < open) return std::nullopt;
    s = s.substr(open + 1, close - open - 1);
  }
  for (std::size_t i = 0; i < N; ++i)
    if (s == table[i].name) return Enum(i);
  return std::nullopt;
}

}  // namespace detail

// The type a class stands for ("asphalt", "Paved"), if it is one of the taxonomy.
inline std::optional<road_type> type_of(const class_info& c) {
  if (auto t = detail::find<road_type>(type_table, c.id, false)) return t;
  return detail::find<road_type>(type_table, c.label, false);
}

// The quality a class stands for ("01asphalt(Good)", "good", "unpaved (bad)"), if any.
inline std::optional<road_quality> quality_of(const class_info& c) {
  for (const std::string* text : {&c.id, &c.label})
    for (bool in_parentheses : {true, false})
      if (auto q = detail::find<road_quality>(quality_table, *text, in_parentheses)) return q;
  return std::nullopt;
}

// What to show for a quality class: its taxonomy name ("good" for "01asphalt(Good)"), else its label.
inline std::string quality_label(const class_info& c) {
  const auto q = quality_of(c);
  return q ? name(*q) : c.label;
}

// Display colour of a type class or a quality class; classes outside the taxonomy are grey.
inline cv::Scalar type_colour(const class_info& c) {
  const auto t = type_of(c);
  return t ? colour(*t) : unknown_colour;
}
inline cv::Scalar quality_colour(const class_info& c) {
  const auto q = quality_of(c);
  return q ? colour(*q) : unknown_colour;
}

}  // namespace tarmac::surface
