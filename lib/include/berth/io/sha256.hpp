// SHA-256 (FIPS 180-4), incremental, with no dependency: for content keys and the
// hashes berth stamps in labels, in builds without OpenSSL too.
//
//   io::sha256 h;
//   h.update("abc");
//   std::string hex = h.hex();   // "ba7816bf..."
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "berth/core/export.hpp"

namespace berth::io {

class BERTH_API sha256 {
 public:
  sha256() noexcept;
  /// Adds bytes.
  void update(const void* data, std::size_t size) noexcept;
  void update(std::string_view s) noexcept { update(s.data(), s.size()); }
  /// The digest of everything added; the object is then spent (reset() to reuse).
  std::array<std::uint8_t, 32> digest() noexcept;
  /// The digest as 64 lowercase hex digits.
  std::string hex();
  void reset() noexcept;

 private:
  void block(const std::uint8_t* p) noexcept;
  std::array<std::uint32_t, 8> h_{};
  std::array<std::uint8_t, 64> buf_{};
  std::size_t used_ = 0;
  std::uint64_t total_ = 0;
};

/// The lowercase hex SHA-256 of s.
BERTH_API std::string sha256_hex(std::string_view s);

}  // namespace berth::io
