#pragma once
// A class of a classifier: the id it was trained under (a folder name) and its display label.
#include <string>

namespace tarmac {

struct class_info {
  std::string id;     // the folder name, e.g. "01asphalt(Good)"
  std::string label;  // for display, e.g. "asphalt (good)"

  friend bool operator==(const class_info&, const class_info&) = default;
};

}  // namespace tarmac
