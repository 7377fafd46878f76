#include "berth/io/json_number.hpp"

#include <charconv>
#include <limits>
#include <system_error>

namespace berth::io {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// For a number std::from_chars found out of range: true when it is too large (rather than
// too small) for a double. t is a JSON number the reader validated.
bool too_large(std::string_view t) {
  std::size_t i = t.front() == '-' ? 1 : 0;
  const std::size_t int_begin = i;
  while (i < t.size() && is_digit(t[i])) ++i;
  std::size_t lead = int_begin;
  while (lead < i && t[lead] == '0') ++lead;
  // The decimal exponent of the first significant digit, plus one.
  long magnitude = static_cast<long>(i - lead);
  if (magnitude == 0 && i < t.size() && t[i] == '.') {
    std::size_t f = i + 1;
    while (f < t.size() && t[f] == '0') ++f;
    magnitude = -static_cast<long>(f - (i + 1));
  }
  const std::size_t e = t.find_first_of("eE");
  if (e != std::string_view::npos) {
    std::size_t at = e + 1;
    const bool negative = at < t.size() && t[at] == '-';
    if (at < t.size() && (t[at] == '-' || t[at] == '+')) ++at;
    long exponent = 0;
    const auto r = std::from_chars(t.data() + at, t.data() + t.size(), exponent);
    if (r.ec == std::errc::result_out_of_range) exponent = std::numeric_limits<long>::max() / 2;
    magnitude = negative ? magnitude - exponent : magnitude + exponent;
  }
  return magnitude > 0;
}

}  // namespace

std::optional<json_number> read_json_number(std::string_view t) {
  if (t.empty()) return std::nullopt;
  const char* s = t.data();
  const char* end = s + t.size();
  json_number n;
  if (t.find_first_of(".eE") == std::string_view::npos) {
    auto r = std::from_chars(s, end, n.i);
    if (r.ec == std::errc{} && r.ptr == end) return n;
    r = std::from_chars(s, end, n.u);
    if (r.ec == std::errc{} && r.ptr == end) {
      n.k = json_number::kind::uint64;
      return n;
    }
  }
  n.k = json_number::kind::real;
  const auto r = std::from_chars(s, end, n.d);
  if (r.ptr != end) return std::nullopt;
  if (r.ec == std::errc::result_out_of_range) {
    if (too_large(t)) return std::nullopt;
    n.d = t.front() == '-' ? -0.0 : 0.0;
  } else if (r.ec != std::errc{}) {
    return std::nullopt;
  }
  return n;
}

}  // namespace berth::io
