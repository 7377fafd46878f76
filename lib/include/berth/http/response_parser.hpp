// Sans-I/O HTTP/1.1 response parser in the manner of Boost.Beast's basic_parser.
//
// Feed it bytes with put(); it returns how many it consumed. The head is consumed only
// when it is complete in the input (the caller keeps unconsumed bytes and feeds them
// again with more appended); body bytes are handed out as views into the input. Every
// malformed input and every exceeded limit yields a typed berth::http::error.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "berth/core/export.hpp"
#include "berth/http/error.hpp"
#include "berth/http/fields.hpp"

namespace berth::http {

/// Limits enforced inside the parser.
struct BERTH_API parser_limits {
  std::size_t header_bytes = 64 * 1024;  ///< The whole head, status line included.
  std::size_t header_count = 128;        ///< Fields in the head (and in trailers).
  std::size_t line_bytes = 16 * 1024;    ///< Any one line: status, field, chunk size, trailer.
  std::uint64_t chunk_bytes = std::uint64_t{1} << 40;  ///< One chunk's declared size.
  std::uint64_t body_bytes = std::numeric_limits<std::uint64_t>::max();  ///< Decoded body.
};

/// The parsed status line and fields of a response.
struct BERTH_API response_head {
  unsigned version_minor = 1;  ///< HTTP/1.\<version_minor\>
  unsigned status = 0;
  std::string reason;
  http::fields headers;
};

/// How the body of the current response is delimited.
enum class body_kind { none, content_length, chunked, until_close };

class BERTH_API response_parser {
 public:
  explicit response_parser(parser_limits limits = {});

  /// Forget the current message; keep the limits and skip_body setting cleared.
  void reset();

  /// The response answers a HEAD request (or otherwise has no body): parse the head only.
  void skip_body(bool v) noexcept;

  /// Consume bytes from data. Returns the number consumed (they must not be fed again).
  ///
  /// - Before the head is complete, nothing is consumed until the whole head (through
  ///   the blank line) is in data; then ec = error::need_more. Interim 1xx responses other
  ///   than 101 are consumed and skipped.
  /// - After the head, body bytes (decoded, chunk framing removed) are returned in `body`
  ///   as a view into data; at most one contiguous slice per call, and the call stops
  ///   after it so the caller can deliver it. A chunk-size line, like the head, is only
  ///   consumed when complete.
  /// - ec = error::need_more when no progress is possible without more input (nothing
  ///   consumed and no body returned); any other error is final for this message.
  /// - Calling put() after done() consumes nothing and leaves ec clear.
  std::size_t put(std::string_view data, std::string_view& body, std::error_code& ec);

  /// The peer closed its side. Completes an until_close body; otherwise yields
  /// error::no_response (nothing seen yet) or error::partial_message.
  void put_eof(std::error_code& ec);

  bool head_done() const noexcept;
  /// The whole message, body included, has been parsed.
  bool done() const noexcept;

  const response_head& head() const noexcept { return head_; }
  /// Moves the head out (valid after head_done()).
  response_head release_head() noexcept { return std::move(head_); }

  body_kind kind() const noexcept { return kind_; }
  /// Declared Content-Length, when the body is content_length framed.
  std::optional<std::uint64_t> content_length() const noexcept;
  /// Decoded body bytes delivered so far.
  std::uint64_t body_received() const noexcept { return body_received_; }
  /// After done(): the connection can carry another request.
  bool keep_alive() const noexcept;
  /// The response is 101 Switching Protocols; the parser is done() after the head and the
  /// bytes after the head belong to the upgraded protocol.
  bool upgraded() const noexcept { return head_done() && head_.status == 101; }

  /// Zero-copy reads: how many of the next input bytes are body payload with no framing
  /// in between (the rest of a Content-Length body, of the current chunk's data, or
  /// unbounded for until_close). 0 when framing comes next or no body remains.
  std::uint64_t body_direct() const noexcept;
  /// Report n <= body_direct() payload bytes that the caller read straight from the
  /// socket into its own buffer (bypassing put()).
  void consume_body(std::uint64_t n) noexcept;

 private:
  enum class state : std::uint8_t {
    head, body_length, body_close, chunk_size, chunk_data, chunk_data_crlf, trailers, done
  };

  std::size_t parse_head(std::string_view data, std::error_code& ec);
  std::size_t parse_chunk_size(std::string_view data, std::error_code& ec);
  std::size_t parse_trailers(std::string_view data, std::error_code& ec);
  void finish_head(std::error_code& ec);
  bool count_body(std::uint64_t n, std::error_code& ec) noexcept;
  std::size_t deliver(std::string_view data, std::string_view& body, std::error_code& ec);

  parser_limits limits_;
  response_head head_;
  state state_ = state::head;
  body_kind kind_ = body_kind::none;
  bool skip_body_ = false;
  bool keep_alive_ = true;
  bool seen_bytes_ = false;
  std::optional<std::uint64_t> content_length_;
  std::uint64_t remaining_ = 0;  ///< In body_length or chunk_data: payload bytes left.
  std::uint64_t body_received_ = 0;
  std::size_t scanned_ = 0;      ///< Bytes of an incomplete head already scanned (whole lines).
  std::size_t trailer_bytes_ = 0;  ///< Trailer section bytes consumed so far.
  std::size_t trailer_count_ = 0;  ///< Trailer fields consumed so far.
  std::error_code error_;        ///< The final error of this message, repeated by put().
};

}  // namespace berth::http
