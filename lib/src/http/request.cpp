#include "berth/http/request.hpp"

#include <charconv>

#include "berth/http/error.hpp"

namespace berth::http {
namespace {

// RFC 9110 5.6.2 tchar.
constexpr bool is_tchar(unsigned char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_tchar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A request-target: no whitespace, no control bytes.
bool is_valid_target(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

// A field value that cannot end the line or the head early.
bool is_safe_value(std::string_view s) noexcept {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool method_needs_length(std::string_view m) noexcept {
  return m == "POST" || m == "PUT" || m == "PATCH";
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

}  // namespace

bool is_idempotent(std::string_view method) noexcept {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

void serialize_head(const request& req, std::string_view host, std::string& out,
                    std::error_code& ec) {
  ec.clear();
  // Validate everything before writing so that out is untouched on failure.
  if (!is_token(req.method) || !is_valid_target(req.target) || !is_safe_value(host)) {
    ec = error::bad_request_field;
    return;
  }
  const std::string* caller_host = nullptr;
  bool caller_length = false;
  std::size_t bytes = req.method.size() + req.target.size() + host.size() + 64;
  for (const auto& [name, value] : req.headers) {
    if (!is_token(name) || !is_safe_value(value)) {
      ec = error::bad_request_field;
      return;
    }
    if (iequals(name, "host")) {
      if (caller_host == nullptr) caller_host = &value;
    } else if (iequals(name, "content-length")) {
      caller_length = true;
    }
    bytes += name.size() + value.size() + 4;
  }
  out.reserve(out.size() + bytes);

  out.append(req.method);
  out.push_back(' ');
  out.append(req.target);
  out.append(" HTTP/1.1\r\n");
  append_field(out, "Host", caller_host != nullptr ? std::string_view(*caller_host) : host);
  // The serializer owns the framing: the caller's Host was written above (first one
  // wins), and the caller's Content-Length / Transfer-Encoding are replaced below.
  for (const auto& [name, value] : req.headers) {
    if (iequals(name, "host") || iequals(name, "content-length") ||
        iequals(name, "transfer-encoding"))
      continue;
    append_field(out, name, value);
  }
  if (req.chunked_body) {
    append_field(out, "Transfer-Encoding", "chunked");
  } else if (!req.body.empty() || method_needs_length(req.method) || caller_length) {
    char digits[24];
    auto [end, err] = std::to_chars(digits, digits + sizeof digits, req.body.size());
    (void)err;  // 24 bytes always hold a size_t
    append_field(out, "Content-Length", std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }
  out.append("\r\n");
}

std::string chunk_header(std::uint64_t n) {
  char digits[20];
  auto [end, err] = std::to_chars(digits, digits + 16, n, 16);
  (void)err;  // 16 hex digits always hold a uint64_t
  std::string s(digits, static_cast<std::size_t>(end - digits));
  s.append("\r\n");
  return s;
}

std::string url_encode(std::string_view s) { return url_encode(s, {}); }

std::string url_encode(std::string_view s, std::string_view keep) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~' || keep.find(ch) != std::string_view::npos;
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0x0f]);
    }
  }
  return out;
}

}  // namespace berth::http
