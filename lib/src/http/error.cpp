#include "berth/http/error.hpp"

#include <string>

namespace berth::http {
namespace {

class http_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "berth.http"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::need_more: return "more input needed";
      case error::bad_status_line: return "malformed HTTP status line";
      case error::bad_version: return "unsupported HTTP version";
      case error::bad_status: return "HTTP status code outside 100..599";
      case error::bad_header: return "malformed HTTP header field";
      case error::bad_content_length: return "invalid or conflicting Content-Length";
      case error::bad_transfer_encoding: return "invalid Transfer-Encoding";
      case error::bad_chunk: return "malformed chunk framing";
      case error::header_too_large: return "HTTP head larger than the limit";
      case error::too_many_headers: return "more HTTP header fields than the limit";
      case error::line_too_long: return "HTTP line longer than the limit";
      case error::chunk_too_large: return "chunk larger than the limit";
      case error::body_too_large: return "HTTP body larger than the limit";
      case error::partial_message: return "end of input inside an HTTP message";
      case error::no_response: return "end of input before any response";
      case error::unexpected_data: return "unexpected bytes after a complete response";
      case error::bad_request_field:
        return "request method, target or header field would break the framing";
      case error::upgrade_refused: return "the server refused the protocol upgrade";
    }
    return "unknown berth.http error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const http_category_impl cat;
  return cat;
}

}  // namespace berth::http
