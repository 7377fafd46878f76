// Docker Engine API versions ("1.41"): parsing, comparison, and the range berth speaks.
// Plain values; nothing here does I/O.
#pragma once

#include <charconv>
#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include "berth/core/export.hpp"

namespace berth::engine {

/// A Docker Engine API version, major.minor.
struct BERTH_API api_version {
  int major = 1;
  int minor = 41;

  friend constexpr auto operator<=>(const api_version&, const api_version&) = default;

  /// "1.41".
  std::string to_string() const { return std::to_string(major) + "." + std::to_string(minor); }

  /// Parses "1.41" (also "v1.41"); nullopt when malformed.
  static std::optional<api_version> parse(std::string_view s) {
    if (!s.empty() && (s.front() == 'v' || s.front() == 'V')) s.remove_prefix(1);
    auto dot = s.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 >= s.size()) return std::nullopt;
    api_version v;
    auto a = std::from_chars(s.data(), s.data() + dot, v.major);
    auto b = std::from_chars(s.data() + dot + 1, s.data() + s.size(), v.minor);
    if (a.ec != std::errc{} || a.ptr != s.data() + dot || b.ec != std::errc{} ||
        b.ptr != s.data() + s.size() || v.major < 0 || v.minor < 0)
      return std::nullopt;
    return v;
  }
};

/// The oldest API version berth speaks (Docker 20.10).
inline constexpr api_version min_api_version{1, 41};
/// The newest API version berth knows.
inline constexpr api_version max_api_version{1, 56};

}  // namespace berth::engine
