// Errors of the HTTP/1.1 layer: every malformed input the codec can meet, and the limits.
// One enum and its category, "berth.http".
#pragma once

#include <system_error>
#include "berth/core/export.hpp"

namespace berth::http {

/// Errors of the sans-I/O HTTP/1.1 codec and of the HTTP transport.
enum class error {
  need_more = 1,        ///< Not an error to report: feed more input (restartable).
  bad_status_line,      ///< Status line is not "HTTP/1.x NNN reason".
  bad_version,          ///< HTTP version other than 1.0 / 1.1.
  bad_status,           ///< Status code outside 100..599.
  bad_header,           ///< Header line without a colon, bad name or bad value byte.
  bad_content_length,   ///< Content-Length not a number, overflowing, or conflicting.
  bad_transfer_encoding,///< Transfer-Encoding that cannot be framed.
  bad_chunk,            ///< Chunk-size line or chunk terminator malformed.
  header_too_large,     ///< Head larger than parser_limits::header_bytes.
  too_many_headers,     ///< More fields than parser_limits::header_count.
  line_too_long,        ///< A line longer than parser_limits::line_bytes.
  chunk_too_large,      ///< A chunk declared larger than parser_limits::chunk_bytes.
  body_too_large,       ///< Decoded body larger than parser_limits::body_bytes.
  partial_message,      ///< End of input in the middle of a message.
  no_response,          ///< End of input before any byte of a response.
  unexpected_data,      ///< Bytes after a complete response on a connection that expects none.
  bad_request_field,    ///< Request method, target or header would break the framing (CR/LF, space).
  upgrade_refused,      ///< An upgrade was requested and the server answered without 101.
};

BERTH_API const std::error_category& category() noexcept;

inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace berth::http

/// \cond
template <>
struct std::is_error_code_enum<berth::http::error> : std::true_type {};
/// \endcond
