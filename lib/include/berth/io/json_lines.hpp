// Sans-I/O splitter for newline-delimited JSON streams (events, pull/push/build
// progress, stats): hands out one line at a time, zero-copy when the line is wholly in
// the input, from a bounded internal buffer when it arrived in pieces.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <system_error>

#include "berth/core/export.hpp"
#include "berth/io/error.hpp"

namespace berth::io {

/// Splits a byte stream into non-blank lines of at most max_line bytes.
///
/// A line ends at '\n'; one '\\r' before it is stripped; lines holding only whitespace are
/// skipped. A line longer than max_line (not counting "\r\n") yields error::line_too_long
/// once, its bytes are discarded, and splitting goes on with the next line. The internal
/// buffer never holds more than max_line bytes.
///
/// Example:
/// \code
///   io::json_lines s;
///   std::string_view line; std::error_code ec;
///   while (!in.empty()) {
///     in.remove_prefix(s.put(in, line, ec));
///     if (ec) continue;                     // line_too_long: that line is lost
///     if (!line.empty()) handle(line);
///   }
///   if (s.put_eof(line, ec)) handle(line);
/// \endcode
class BERTH_API json_lines {
 public:
  /// A splitter that refuses lines longer than max_line bytes.
  explicit json_lines(std::size_t max_line = 1u << 20);

  /// Consumes bytes from data and returns how many (they must not be fed again).
  ///
  /// Stops after the first complete non-blank line and returns it in `line`: a view into
  /// data when the line is wholly in data, else into the internal buffer that collected
  /// it; valid until the next call. Otherwise everything is consumed (a partial line is
  /// buffered) and `line` is empty. ec = error::line_too_long when a line exceeds
  /// max_line; the call returns at once and the rest of that line is discarded.
  std::size_t put(std::string_view data, std::string_view& line, std::error_code& ec);

  /// The stream ended. Returns true with the final unterminated non-blank line in
  /// `line` (valid until the next call); false when there is none. ec is cleared. The
  /// splitter is then ready for a new stream.
  bool put_eof(std::string_view& line, std::error_code& ec);

  /// Bytes of a partial line held in the internal buffer (never more than max_line).
  std::size_t buffered() const noexcept { return size_; }

  /// The longest line accepted.
  std::size_t max_line() const noexcept { return max_line_; }

 private:
  bool hold(std::string_view tail);
  bool append(std::string_view bytes);
  std::string_view buffer() const noexcept { return {data_.get(), size_}; }

  std::size_t max_line_;
  std::unique_ptr<char[]> data_;  ///< The partial line (without a pending '\r').
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;      ///< Grows up to max_line_, never beyond.
  bool pending_cr_ = false;     ///< The partial line ended with '\r' not yet in data_.
  bool discarding_ = false;     ///< Skipping the rest of a line that was too long.
  bool handed_out_ = false;     ///< data_ was returned as a line and must be cleared.
};

}  // namespace berth::io
