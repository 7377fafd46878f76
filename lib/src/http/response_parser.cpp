#include "berth/http/response_parser.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace berth::http {
namespace {

// Byte classes, one table lookup per byte.
enum : std::uint8_t {
  c_tchar = 1,  // RFC 9110 5.6.2 token character
  c_value = 2,  // field-value / reason-phrase byte: HTAB, SP, VCHAR, obs-text
  c_hex = 4,
};

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    std::uint8_t v = 0;
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    if (alpha || digit) v |= c_tchar;
    switch (c) {
      case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
      case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        v |= c_tchar;
        break;
      default:
        break;
    }
    if (c == '\t' || (c >= 0x20 && c != 0x7f)) v |= c_value;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= c_hex;
    t[static_cast<std::size_t>(c)] = v;
  }
  return t;
}

constexpr std::array<std::uint8_t, 256> classes = make_classes();

inline bool is(char c, std::uint8_t cls) noexcept {
  return (classes[static_cast<unsigned char>(c)] & cls) != 0;
}

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

bool all_of_class(std::string_view s, std::uint8_t cls) noexcept {
  for (char c : s) {
    if (!is(c, cls)) return false;
  }
  return true;
}

constexpr std::size_t no_limit = std::numeric_limits<std::size_t>::max();

// The limits on one line occupying [start, end) of a section (a head, a trailer section or
// a lone chunk-size line), offsets relative to the section. complete: end is just past
// the LF; otherwise end is the end of the input so far and the line goes on.
//
// line_bytes counts the line with its CRLF; section_bytes the section through its blank
// line. Each limit is certainly exceeded from some byte position on, and the error
// reported is the one whose position comes first (a tie goes to the section limit), so
// the outcome is the same however the input was split across put() calls.
std::error_code check_line(std::size_t start, std::size_t end, bool complete,
                           std::size_t line_bytes, std::size_t section_bytes) noexcept {
  const auto exceeded = [&](std::size_t at) { return complete ? at < end : at <= end; };
  const std::size_t line_at = line_bytes > no_limit - start ? no_limit : start + line_bytes;
  const bool line_over = line_at != no_limit && exceeded(line_at);
  const bool section_over = section_bytes != no_limit && exceeded(section_bytes);
  if (section_over && (!line_over || section_bytes <= line_at)) return error::header_too_large;
  if (line_over) return error::line_too_long;
  return {};
}

// Splits "name: value" and checks both; value comes back without OWS.
bool split_field(std::string_view line, std::string_view& name, std::string_view& value) noexcept {
  std::size_t i = 0;
  while (i < line.size() && is(line[i], c_tchar)) ++i;
  // An empty name covers obs-fold (a line that starts with SP or HT); whitespace before
  // the colon is rejected too (RFC 9112 5.1).
  if (i == 0 || i == line.size() || line[i] != ':') return false;
  name = line.substr(0, i);
  value = trim_ows(line.substr(i + 1));
  return all_of_class(value, c_value);
}

// One Content-Length field value: "N" or a list "N, N" of equal values (RFC 9110 8.6).
bool merge_content_length(std::string_view v, std::optional<std::uint64_t>& out) noexcept {
  for (;;) {
    const std::size_t comma = v.find(',');
    const std::string_view item = trim_ows(v.substr(0, comma));
    if (item.empty()) return false;
    std::uint64_t n = 0;
    for (char c : item) {
      if (!is_digit(c)) return false;
      const auto d = static_cast<std::uint64_t>(c - '0');
      if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return false;
      n = n * 10 + d;
    }
    if (out && *out != n) return false;
    out = n;
    if (comma == std::string_view::npos) return true;
    v.remove_prefix(comma + 1);
  }
}

// Transfer-Encoding across all its fields, in order.
struct coding_list {
  std::size_t codings = 0;
  std::size_t chunked = 0;
  bool last_chunked = false;

  bool add(std::string_view v) noexcept {
    for (;;) {
      const std::size_t comma = v.find(',');
      std::string_view item = v.substr(0, comma);
      // Parameters (";q=...") are not ours to interpret.
      item = trim_ows(item.substr(0, item.find(';')));
      if (!item.empty()) {  // empty list elements are allowed (RFC 9110 5.6.1)
        if (!all_of_class(item, c_tchar)) return false;
        ++codings;
        last_chunked = iequals(item, "chunked");
        if (last_chunked) ++chunked;
      }
      if (comma == std::string_view::npos) return true;
      v.remove_prefix(comma + 1);
    }
  }
};

}  // namespace

response_parser::response_parser(parser_limits limits) : limits_(limits) {}

void response_parser::reset() {
  head_ = response_head{};
  state_ = state::head;
  kind_ = body_kind::none;
  skip_body_ = false;
  keep_alive_ = true;
  seen_bytes_ = false;
  content_length_.reset();
  remaining_ = 0;
  body_received_ = 0;
  scanned_ = 0;
  trailer_bytes_ = 0;
  trailer_count_ = 0;
  error_.clear();
}

void response_parser::skip_body(bool v) noexcept { skip_body_ = v; }

bool response_parser::head_done() const noexcept { return state_ != state::head; }

bool response_parser::done() const noexcept { return state_ == state::done; }

std::optional<std::uint64_t> response_parser::content_length() const noexcept {
  if (kind_ != body_kind::content_length) return std::nullopt;
  return content_length_;
}

bool response_parser::keep_alive() const noexcept {
  return state_ == state::done && !error_ && keep_alive_;
}

std::uint64_t response_parser::body_direct() const noexcept {
  if (error_) return 0;
  switch (state_) {
    case state::body_length:
    case state::chunk_data:
      return remaining_;
    case state::body_close:
      return limits_.body_bytes - body_received_;
    default:
      return 0;
  }
}

void response_parser::consume_body(std::uint64_t n) noexcept {
  n = std::min(n, body_direct());
  if (n == 0) return;
  body_received_ += n;
  if (state_ == state::body_close) return;
  remaining_ -= n;
  if (remaining_ == 0) state_ = state_ == state::body_length ? state::done : state::chunk_data_crlf;
}

bool response_parser::count_body(std::uint64_t n, std::error_code& ec) noexcept {
  if (n > limits_.body_bytes - body_received_) {
    ec = error::body_too_large;
    return false;
  }
  body_received_ += n;
  return true;
}

std::size_t response_parser::put(std::string_view data, std::string_view& body,
                                 std::error_code& ec) {
  ec.clear();
  body = {};
  if (error_) {
    ec = error_;
    return 0;
  }
  if (!data.empty()) seen_bytes_ = true;

  // Framing is consumed in a loop; the loop ends at the first body slice, at the end of
  // the message, or when the input runs out.
  std::size_t used = 0;
  while (state_ != state::done) {
    const std::string_view rest = data.substr(used);
    std::size_t n = 0;
    switch (state_) {
      case state::head:
        n = parse_head(rest, ec);
        break;
      case state::chunk_size:
        n = parse_chunk_size(rest, ec);
        break;
      case state::chunk_data_crlf:
        if (rest.empty()) {
          ec = error::need_more;
        } else if (rest[0] != '\r' || (rest.size() > 1 && rest[1] != '\n')) {
          ec = error::bad_chunk;
        } else if (rest.size() < 2) {
          ec = error::need_more;
        } else {
          n = 2;
          state_ = state::chunk_size;
        }
        break;
      case state::trailers:
        n = parse_trailers(rest, ec);
        break;
      case state::body_length:
      case state::chunk_data:
      case state::body_close:
        if (rest.empty()) {
          ec = error::need_more;
          break;
        }
        n = deliver(rest, body, ec);
        if (!ec) return used + n;
        break;
      case state::done:
        break;
    }
    used += n;
    if (ec) break;
  }

  if (ec == error::need_more) {
    if (used != 0) ec.clear();
  } else if (ec) {
    error_ = ec;
    keep_alive_ = false;
  }
  return used;
}

std::size_t response_parser::deliver(std::string_view data, std::string_view& body,
                                     std::error_code& ec) {
  std::uint64_t take = data.size();
  if (state_ != state::body_close) take = std::min(take, remaining_);
  if (!count_body(take, ec)) return 0;
  const auto n = static_cast<std::size_t>(take);
  body = data.substr(0, n);
  if (state_ != state::body_close) {
    remaining_ -= take;
    if (remaining_ == 0)
      state_ = state_ == state::body_length ? state::done : state::chunk_data_crlf;
  }
  return n;
}

void response_parser::put_eof(std::error_code& ec) {
  ec.clear();
  if (error_) {
    ec = error_;
    return;
  }
  switch (state_) {
    case state::done:
      return;
    case state::body_close:
      state_ = state::done;
      keep_alive_ = false;
      return;
    case state::head:
      ec = seen_bytes_ ? error::partial_message : error::no_response;
      break;
    default:
      ec = error::partial_message;
      break;
  }
  error_ = ec;
  keep_alive_ = false;
}

std::size_t response_parser::parse_head(std::string_view data, std::error_code& ec) {
  // Lines before scanned_ were parsed by an earlier call on the same bytes. Input shorter
  // than that breaks the re-feeding contract: start over rather than trust it.
  if (scanned_ > data.size()) {
    scanned_ = 0;
    head_ = response_head{};
  }
  std::size_t pos = scanned_;
  for (;;) {
    const void* lf =
        pos < data.size() ? std::memchr(data.data() + pos, '\n', data.size() - pos) : nullptr;
    if (lf == nullptr) {
      scanned_ = pos;
      ec = check_line(pos, data.size(), false, limits_.line_bytes, limits_.header_bytes);
      if (!ec) ec = error::need_more;
      return 0;
    }
    const auto nl = static_cast<std::size_t>(static_cast<const char*>(lf) - data.data());
    const std::size_t end = nl + 1;
    ec = check_line(pos, end, true, limits_.line_bytes, limits_.header_bytes);
    if (ec) return 0;

    const bool status_line = pos == 0;
    const error bad = status_line ? error::bad_status_line : error::bad_header;
    if (nl == pos || data[nl - 1] != '\r') {
      ec = bad;
      return 0;
    }
    const std::string_view line = data.substr(pos, nl - 1 - pos);

    if (status_line) {
      // "HTTP/1.x" SP 3DIGIT [ SP reason-phrase ]; a missing SP before an empty reason is
      // tolerated.
      if (line.size() < 9 || line.substr(0, 5) != "HTTP/" || !is_digit(line[5]) ||
          line[6] != '.' || !is_digit(line[7]) || line[8] != ' ') {
        ec = bad;
        return 0;
      }
      if (line[5] != '1' || line[7] > '1') {
        ec = error::bad_version;
        return 0;
      }
      std::size_t i = 9;
      unsigned status = 0;
      while (i < line.size() && is_digit(line[i]) && i < 13) {
        status = status * 10 + static_cast<unsigned>(line[i] - '0');
        ++i;
      }
      if (i == 9 || (i < line.size() && line[i] != ' ' && !is_digit(line[i]))) {
        ec = bad;
        return 0;
      }
      if (i != 12 || status < 100 || status > 599) {
        ec = error::bad_status;
        return 0;
      }
      const std::string_view reason = i < line.size() ? line.substr(i + 1) : std::string_view{};
      if (!all_of_class(reason, c_value)) {
        ec = bad;
        return 0;
      }
      head_.version_minor = static_cast<unsigned>(line[7] - '0');
      head_.status = status;
      head_.reason.assign(reason);
      // Typical heads (dockerd's carry 6 to 12 fields) are stored without regrowing.
      head_.headers.reserve(std::min<std::size_t>(limits_.header_count, 16));
    } else if (line.empty()) {
      scanned_ = 0;
      if (head_.status < 200 && head_.status != 101) {
        head_ = response_head{};  // interim response: skip it
        return end;
      }
      finish_head(ec);
      return end;
    } else {
      if (head_.headers.size() >= limits_.header_count) {
        ec = error::too_many_headers;
        return 0;
      }
      std::string_view name;
      std::string_view value;
      if (!split_field(line, name, value)) {
        ec = bad;
        return 0;
      }
      head_.headers.add(std::string(name), std::string(value));
    }
    pos = end;
  }
}

void response_parser::finish_head(std::error_code& ec) {
  std::optional<std::uint64_t> length;
  coding_list te;
  bool has_te = false;
  bool conn_close = false;
  bool conn_keep_alive = false;
  for (const auto& [name, value] : head_.headers) {
    if (iequals(name, "content-length")) {
      if (!merge_content_length(value, length)) {
        ec = error::bad_content_length;
        return;
      }
    } else if (iequals(name, "transfer-encoding")) {
      has_te = true;
      if (!te.add(value)) {
        ec = error::bad_transfer_encoding;
        return;
      }
    } else if (iequals(name, "connection")) {
      std::string_view v = value;
      for (;;) {
        const std::size_t comma = v.find(',');
        const std::string_view token = trim_ows(v.substr(0, comma));
        if (iequals(token, "close")) conn_close = true;
        if (iequals(token, "keep-alive")) conn_keep_alive = true;
        if (comma == std::string_view::npos) break;
        v.remove_prefix(comma + 1);
      }
    }
  }
  // A coding list with nothing in it, or chunked applied twice, cannot be framed.
  if (has_te && (te.codings == 0 || te.chunked > 1)) {
    ec = error::bad_transfer_encoding;
    return;
  }

  const bool http11 = head_.version_minor == 1;
  keep_alive_ = !conn_close && (http11 || conn_keep_alive);

  const unsigned status = head_.status;
  if (status == 101) {
    // The bytes that follow belong to the upgraded protocol.
    kind_ = body_kind::none;
    keep_alive_ = false;
    state_ = state::done;
    return;
  }
  if (skip_body_ || status == 204 || status == 304) {
    kind_ = body_kind::none;
    state_ = state::done;
    return;
  }
  if (has_te) {
    if (te.last_chunked) {
      kind_ = body_kind::chunked;
      state_ = state::chunk_size;
      // Both framings in one message, or chunked in HTTP/1.0, are faulty framing: read
      // this message, then do not trust the connection (RFC 9112 6.1, 6.3).
      if (length || !http11) keep_alive_ = false;
    } else {
      kind_ = body_kind::until_close;
      state_ = state::body_close;
      keep_alive_ = false;
    }
    return;
  }
  if (length) {
    kind_ = body_kind::content_length;
    content_length_ = length;
    if (*length > limits_.body_bytes) {
      ec = error::body_too_large;
      return;
    }
    remaining_ = *length;
    state_ = remaining_ == 0 ? state::done : state::body_length;
    return;
  }
  kind_ = body_kind::until_close;
  state_ = state::body_close;
  keep_alive_ = false;
}

std::size_t response_parser::parse_chunk_size(std::string_view data, std::error_code& ec) {
  const void* lf = data.empty() ? nullptr : std::memchr(data.data(), '\n', data.size());
  if (lf == nullptr) {
    ec = check_line(0, data.size(), false, limits_.line_bytes, no_limit);
    if (!ec) ec = error::need_more;
    return 0;
  }
  const auto nl = static_cast<std::size_t>(static_cast<const char*>(lf) - data.data());
  ec = check_line(0, nl + 1, true, limits_.line_bytes, no_limit);
  if (ec) return 0;
  if (nl == 0 || data[nl - 1] != '\r') {
    ec = error::bad_chunk;
    return 0;
  }
  const std::string_view line = data.substr(0, nl - 1);

  // chunk-size [ BWS ";" chunk-ext ] — extensions are ignored, but may hold no CTL.
  std::size_t digits = 0;
  while (digits < line.size() && is(line[digits], c_hex)) ++digits;
  std::size_t i = digits;
  while (i < line.size() && is_ows(line[i])) ++i;
  if (digits == 0 || (i < line.size() && line[i] != ';') ||
      !all_of_class(line.substr(i), c_value)) {
    ec = error::bad_chunk;
    return 0;
  }
  std::uint64_t size = 0;
  for (std::size_t k = 0; k < digits; ++k) {
    if (size > (std::numeric_limits<std::uint64_t>::max() >> 4)) {
      ec = error::chunk_too_large;
      return 0;
    }
    const char c = line[k];
    const unsigned d = is_digit(c) ? static_cast<unsigned>(c - '0')
                                   : static_cast<unsigned>((c | 0x20) - 'a' + 10);
    size = (size << 4) | d;
  }
  if (size > limits_.chunk_bytes) {
    ec = error::chunk_too_large;
    return 0;
  }
  if (size > limits_.body_bytes - body_received_) {
    ec = error::body_too_large;
    return 0;
  }
  if (size == 0) {
    trailer_bytes_ = 0;
    trailer_count_ = 0;
    state_ = state::trailers;
  } else {
    remaining_ = size;
    state_ = state::chunk_data;
  }
  return nl + 1;
}

std::size_t response_parser::parse_trailers(std::string_view data, std::error_code& ec) {
  // Trailer lines are checked and dropped one at a time; the section limits still hold
  // across calls through trailer_bytes_ and trailer_count_.
  std::size_t pos = 0;
  for (;;) {
    const void* lf =
        pos < data.size() ? std::memchr(data.data() + pos, '\n', data.size() - pos) : nullptr;
    if (lf == nullptr) {
      ec = check_line(trailer_bytes_, trailer_bytes_ + (data.size() - pos), false,
                      limits_.line_bytes, limits_.header_bytes);
      if (!ec) ec = error::need_more;
      return pos;
    }
    const auto nl = static_cast<std::size_t>(static_cast<const char*>(lf) - data.data());
    const std::size_t len = nl + 1 - pos;
    ec = check_line(trailer_bytes_, trailer_bytes_ + len, true, limits_.line_bytes,
                    limits_.header_bytes);
    if (ec) return pos;
    if (nl == pos) {
      ec = error::bad_chunk;  // the final CRLF of the message is a bare LF
      return pos;
    }
    if (data[nl - 1] != '\r') {
      ec = error::bad_header;
      return pos;
    }
    const std::string_view line = data.substr(pos, len - 2);
    if (line.empty()) {
      state_ = state::done;
      return nl + 1;
    }
    if (trailer_count_ >= limits_.header_count) {
      ec = error::too_many_headers;
      return pos;
    }
    std::string_view name;
    std::string_view value;
    if (!split_field(line, name, value)) {
      ec = error::bad_header;
      return pos;
    }
    ++trailer_count_;
    trailer_bytes_ += len;
    pos = nl + 1;
  }
}

}  // namespace berth::http
