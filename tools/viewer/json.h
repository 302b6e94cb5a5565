// tools/viewer/json.h: the little JSON the layout viewer's data needs.
#pragma once

#include <string>
#include <string_view>

namespace tophash::tools::viewer {

// s as a JSON string literal, safe inside an HTML <script> element (no
// "</script>" or "<!--" can appear: every '<' is escaped).
inline std::string json_str(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == '<' || c == 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// A JSON array of the given items, each already JSON.
template <class Range>
std::string json_array(const Range& items) {
  std::string out = "[";
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ',';
    first = false;
    out += item;
  }
  return out + "]";
}

}  // namespace tophash::tools::viewer
