// Private: a streaming reader of tar archives (ustar, GNU long names, pax headers), for
// the image import. It reads from a byte source a block at a time and hands out entry
// data in pieces: no entry is ever held in memory. Total: malformed or truncated input
// gives pull_errc::bad_archive, never a crash (fuzz/containerd_tar).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "berth/core/result.hpp"

namespace berth::containerd::detail {

/// One entry of a tar archive.
struct tar_entry {
  enum kind_t { file, directory, symlink, hardlink, other };
  kind_t kind = file;
  std::string path;      ///< Normalised: no leading "./" or "/", no trailing "/".
  std::string link;      ///< symlink / hardlink target, as written.
  std::int64_t size = 0; ///< Data bytes that follow (0 except for files).
};

/// Decodes one 512-byte ustar / GNU header block into e (path, link, size, kind), without
/// the extensions (pax, long names) that tar_reader applies. Fails on a bad checksum or a
/// bad number.
result<void> parse_tar_header(const unsigned char (&block)[512], tar_entry& e, char& typeflag);

/// "./a//b/" -> "a/b"; "" for the archive's root.
std::string normalize_tar_path(std::string_view p);

/// Reads a tar archive from src. src(buf, n, ec) reads up to n bytes, returns 0 at the end
/// (ec unset) or on failure (ec set).
class tar_reader {
 public:
  using source = std::function<std::size_t(char* buf, std::size_t n, std::error_code& ec)>;
  explicit tar_reader(source src) : src_(std::move(src)) {}

  /// The next entry (skipping what is left of the current one); nullopt at the end of the
  /// archive (two zero blocks, or the end of input at a block boundary).
  result<std::optional<tar_entry>> next();
  /// Reads data of the current entry; 0 at its end.
  result<std::size_t> read(char* buf, std::size_t n);
  /// Bytes consumed from the source so far.
  std::uint64_t offset() const noexcept { return offset_; }

  static constexpr std::size_t max_extension = 1 << 20;  ///< pax header / long name limit

 private:
  /// Reads exactly n bytes; eof_ok: a clean end before the first byte returns false.
  result<bool> fill(char* buf, std::size_t n, bool eof_ok);
  result<void> skip(std::uint64_t n);

  source src_;
  std::uint64_t offset_ = 0;
  std::int64_t left_ = 0;      ///< data bytes left in the current entry
  std::int64_t padding_ = 0;   ///< padding after them
  bool done_ = false;
};

}  // namespace berth::containerd::detail
