// Errors of the stream codecs: the multiplexed stdout/stderr demuxer and the
// newline-delimited JSON splitter.
#pragma once

#include <system_error>
#include "berth/core/export.hpp"

namespace berth::io {

/// Errors of the sans-I/O stream decoders (berth::io::demuxer, berth::io::json_lines).
enum class error {
  frame_too_large = 1,  ///< A multiplexed frame declares more payload than the demuxer's max_frame.
  truncated_frame,      ///< The stream ended inside a frame header or payload.
  bad_stream_id,        ///< A frame header with a stream id above 3 or non-zero padding bytes.
  system_stream,        ///< The daemon sent an error on stream 3; the demuxer holds its text.
  line_too_long,        ///< A line longer than the splitter's max_line; it is skipped.
  truncated_line,       ///< The stream ended inside a line (for readers that need terminated lines).
};

/// The category of berth::io::error, named "berth.io".
BERTH_API const std::error_category& category() noexcept;

/// Makes berth::io::error usable as a std::error_code.
inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace berth::io

/// \cond
template <>
struct std::is_error_code_enum<berth::io::error> : std::true_type {};
/// \endcond
