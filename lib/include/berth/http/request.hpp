// HTTP/1.1 request model and serializer (sans-I/O): what the transport writes, built
// by the engine layer. Plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "berth/core/export.hpp"
#include "berth/http/fields.hpp"

namespace berth::http {

/// A request. body is sent with a Content-Length; a streamed (chunked) body is written
/// by the transport with chunk_header()/last_chunk() and Transfer-Encoding: chunked.
struct BERTH_API request {
  std::string method = "GET";
  std::string target = "/";  ///< origin-form: path and query, already percent-encoded.
  http::fields headers;
  std::string body;
  /// When true the body is streamed by the caller with chunked encoding and `body` is
  /// ignored.
  bool chunked_body = false;
};

/// True for the methods a client may retry on a fresh connection (RFC 9110 9.2.2).
BERTH_API bool is_idempotent(std::string_view method) noexcept;

/// Appends the request head ("METHOD target HTTP/1.1", Host, the caller's fields, then
/// Content-Length or Transfer-Encoding as the request needs, and the blank line) to out.
/// Fails with error::bad_request_field when the method, target, a header name or value
/// contains bytes that would break the framing (CR, LF, NUL; spaces in method/target).
BERTH_API void serialize_head(const request& req, std::string_view host, std::string& out,
                    std::error_code& ec);

/// "<hex size>\r\n" for a chunk of n bytes (n > 0).
BERTH_API std::string chunk_header(std::uint64_t n);
/// The terminator after each chunk's data.
inline constexpr std::string_view chunk_crlf = "\r\n";
/// The last chunk and the end of the message: "0\r\n\r\n".
inline constexpr std::string_view last_chunk = "0\r\n\r\n";

/// Percent-encodes s for use in a query value or a path segment (RFC 3986 unreserved
/// characters pass through).
BERTH_API std::string url_encode(std::string_view s);
/// The same, but the characters of keep pass through too (e.g. "/" for a path).
BERTH_API std::string url_encode(std::string_view s, std::string_view keep);

}  // namespace berth::http
