// Sans-I/O decoder for Docker's multiplexed stdout/stderr stream (attach, logs and exec
// of a container without a TTY).
//
// Every frame is an 8-byte header [stream id, 0, 0, 0, payload length as big-endian
// uint32] followed by the payload. The demuxer never copies payload bytes: put() hands
// them out as views into the caller's input, and payload_direct()/consume_payload() let
// the caller read them straight from the socket into its own buffer. Its memory is fixed:
// an 8-byte header buffer and a system_message_cap-byte message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "berth/core/export.hpp"
#include "berth/io/error.hpp"

namespace berth::io {

/// The stream a multiplexed frame belongs to (the first byte of its header).
enum class stream_id : std::uint8_t {
  stdin_stream = 0,   ///< Written by the daemon only when stdin is echoed.
  stdout_stream = 1,  ///< The container's standard output.
  stderr_stream = 2,  ///< The container's standard error.
  system = 3,         ///< An error message from the daemon (never handed out as payload).
};

/// Splits a multiplexed stream into stream-tagged payload slices.
///
/// Example:
/// \code
///   io::demuxer d;
///   while (!in.empty()) {
///     io::stream_id s; std::string_view p; std::error_code ec;
///     in.remove_prefix(d.put(in, s, p, ec));
///     if (ec) break;                      // system_stream: d.system_message()
///     if (!p.empty()) out[s].append(p);
///   }
/// \endcode
class BERTH_API demuxer {
 public:
  /// The most bytes of a stream-3 message kept; the rest of that frame is discarded.
  static constexpr std::size_t system_message_cap = 4096;

  /// A demuxer that refuses frames declaring more than max_frame payload bytes.
  explicit demuxer(std::uint32_t max_frame = 64u << 20);

  /// Consumes bytes from data and returns how many (they must not be fed again).
  ///
  /// Header bytes are always consumed, a header split across calls is buffered
  /// internally. Then at most one payload slice of the current frame is returned in
  /// `payload` (a view into data, with its stream in `stream`) and the call stops after
  /// it. `payload` is empty and ec clear when only header bytes were consumed or data is
  /// empty; zero-length frames are skipped. When a stream-3 frame ends, the call returns
  /// with ec = error::system_stream (the text is in system_message()) and decoding may
  /// continue with the next frame. error::bad_stream_id and error::frame_too_large are
  /// final: every later call consumes nothing and repeats the error.
  std::size_t put(std::string_view data, stream_id& stream, std::string_view& payload,
                  std::error_code& ec);

  /// Payload bytes of the current frame still to come, which the caller may read
  /// straight from the source into its own buffer and report with consume_payload().
  /// 0 when a header comes next, inside a stream-3 frame (put() must see it) and after a
  /// final error.
  std::uint32_t payload_direct() const noexcept;

  /// The stream of the current (or last) frame.
  stream_id current_stream() const noexcept { return stream_; }

  /// True when data starts, at a frame boundary, with the complete header of a frame of
  /// stream s (stdout or stderr) that carries payload: the frame put() would hand out next
  /// as more output of s. Lets a reader take several frames of one stream in one read
  /// without parsing headers itself. Looks at data only; consumes nothing.
  bool next_frame_continues(std::string_view data, stream_id s) const noexcept;

  /// Reports n payload bytes read directly; n is clamped to payload_direct().
  void consume_payload(std::uint32_t n) noexcept;

  /// The source ended. ec = error::truncated_frame inside a header or payload, the final
  /// error when there was one, clear at a frame boundary.
  void put_eof(std::error_code& ec);

  /// The text of the last stream-3 frame (at most system_message_cap bytes, never ending
  /// in a cut UTF-8 sequence).
  const std::string& system_message() const noexcept { return system_; }

 private:
  std::size_t put_header(std::string_view data, std::error_code& ec);

  std::uint32_t max_frame_;
  std::uint32_t remaining_ = 0;  ///< Payload bytes of the current frame still to come.
  std::uint8_t header_[8] = {};
  std::uint8_t header_size_ = 0;  ///< Bytes of the next header already buffered.
  stream_id stream_ = stream_id::stdout_stream;
  bool truncated_ = false;  ///< The current stream-3 message exceeded the cap.
  std::error_code failed_;  ///< A final error.
  std::string system_;
};

}  // namespace berth::io
