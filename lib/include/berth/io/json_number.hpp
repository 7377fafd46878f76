// Reading a JSON number token (the text a SAX reader hands over with
// kParseNumbersAsStringsFlag) the way Go's encoding/json and Swift's JSONDecoder read
// numbers: an integral token is an int64 when it fits, else a uint64 when it fits, else a
// double; a double that underflows is a signed zero, one that overflows is an error.
// Shared by the Engine API and Apple JSON readers.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "berth/core/export.hpp"

namespace berth::io {

/// A JSON number, read.
struct BERTH_API json_number {
  enum class kind { int64, uint64, real };
  kind k = kind::int64;
  std::int64_t i = 0;   ///< kind::int64
  std::uint64_t u = 0;  ///< kind::uint64
  double d = 0;         ///< kind::real
};

/// Reads token (a number the JSON reader validated); nullopt when it does not read as a
/// whole or is too large for a double.
BERTH_API std::optional<json_number> read_json_number(std::string_view token);

/// Reads token and hands it to a SAX handler's Int64, Uint64 or Double; false when it does
/// not read (as read_json_number).
template <class Handler>
bool deliver_json_number(std::string_view token, Handler& h) {
  auto n = read_json_number(token);
  if (!n) return false;
  switch (n->k) {
    case json_number::kind::int64: return h.Int64(n->i);
    case json_number::kind::uint64: return h.Uint64(n->u);
    case json_number::kind::real: break;
  }
  return h.Double(n->d);
}

}  // namespace berth::io
