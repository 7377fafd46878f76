// Fuzz target for the chunked body decoding of berth::http::response_parser.
//
// Input: [split][flags] chunked body...
// The body follows a fixed head, "HTTP/1.1 200 OK" with "Transfer-Encoding: chunked";
// split and flags mean what they mean in http_response_parser.cpp (the cut falls inside
// the body). The body is parsed twice, whole and split; the target aborts only on a
// broken invariant or when the two runs disagree.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "berth/http/response_parser.hpp"

namespace {

using namespace berth::http;

#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "invariant broken: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

struct config {
  parser_limits limits;
  bool skip_body = false;
  bool direct = false;
};

config make_config(std::uint8_t flags) {
  config c;
  c.skip_body = (flags & 1) != 0;
  c.direct = (flags & 2) != 0;
  if (const unsigned s = flags >> 2; s != 0) {
    c.limits.header_bytes = 16 * s;
    c.limits.line_bytes = 4 * s + 3;
    c.limits.header_count = s / 4;
    c.limits.chunk_bytes = 8 * s;
    c.limits.body_bytes = 32 * s;
  }
  return c;
}

struct outcome {
  std::error_code ec;
  bool head_done = false;
  bool done = false;
  bool upgraded = false;
  bool keep_alive = false;
  unsigned status = 0;
  body_kind kind = body_kind::none;
  std::string body;
  std::size_t consumed = 0;
};

void check_state(const response_parser& p) {
  if (auto cl = p.content_length()) {
    FUZZ_CHECK(p.kind() == body_kind::content_length);
    FUZZ_CHECK(p.body_received() <= *cl);
    if (p.body_direct() != 0) FUZZ_CHECK(p.body_received() + p.body_direct() == *cl);
  }
  if (p.keep_alive()) FUZZ_CHECK(p.done());
  if (p.upgraded()) FUZZ_CHECK(p.done() && !p.keep_alive());
  if (!p.head_done()) FUZZ_CHECK(p.body_received() == 0 && p.body_direct() == 0);
  if (p.kind() == body_kind::none) FUZZ_CHECK(p.body_received() == 0);
  if (p.done()) FUZZ_CHECK(p.body_direct() == 0);
}

outcome run(std::string_view msg, std::size_t split, const config& cfg) {
  response_parser p(cfg.limits);
  p.skip_body(cfg.skip_body);
  outcome out;
  std::string pending;

  // Returns true when the parser wants more input.
  const auto feed = [&](std::string_view more) {
    pending.append(more);
    for (;;) {
      if (cfg.direct && p.body_direct() != 0 && !pending.empty()) {
        const auto n = static_cast<std::size_t>(
            std::min<std::uint64_t>(p.body_direct(), pending.size()));
        const std::uint64_t before = p.body_received();
        p.consume_body(n);
        FUZZ_CHECK(p.body_received() == before + n);
        out.body.append(pending, 0, n);
        out.consumed += n;
        pending.erase(0, n);
        check_state(p);
        if (p.done()) return false;
        continue;
      }
      const bool was_done = p.done();
      const std::uint64_t before = p.body_received();
      std::string_view body;
      std::error_code ec;
      const std::size_t n = p.put(pending, body, ec);
      FUZZ_CHECK(n <= pending.size());
      if (!body.empty()) {
        // The slice is part of what was consumed, hence inside the input.
        FUZZ_CHECK(body.data() >= pending.data());
        FUZZ_CHECK(body.data() + body.size() <= pending.data() + n);
      }
      FUZZ_CHECK(p.body_received() == before + body.size());
      if (was_done) FUZZ_CHECK(n == 0 && body.empty() && !ec);
      if (ec == error::need_more) FUZZ_CHECK(n == 0 && body.empty());
      out.body.append(body);
      out.consumed += n;
      pending.erase(0, n);
      check_state(p);
      if (ec == error::need_more) return true;
      if (ec) {
        out.ec = ec;
        // A failed parser stays failed.
        std::error_code again;
        FUZZ_CHECK(p.put(pending, body, again) == 0 && again == ec);
        return false;
      }
      if (p.done()) return false;
      FUZZ_CHECK(n != 0);  // progress, or need_more
    }
  };

  if (feed(msg.substr(0, split)) && feed(msg.substr(split))) {
    p.put_eof(out.ec);
    check_state(p);
    if (!out.ec) FUZZ_CHECK(p.done() && p.kind() == body_kind::until_close);
  }
  FUZZ_CHECK(out.consumed <= msg.size());
  out.head_done = p.head_done();
  out.done = p.done();
  out.upgraded = p.upgraded();
  out.keep_alive = p.keep_alive();
  out.status = p.head().status;
  out.kind = p.kind();
  if (out.done && !cfg.skip_body && out.kind != body_kind::none) {
    FUZZ_CHECK(p.body_received() == out.body.size());
    if (auto cl = p.content_length()) FUZZ_CHECK(*cl == out.body.size());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static constexpr std::string_view head =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  std::string msg(head);
  msg.append(reinterpret_cast<const char*>(data) + 2, size - 2);
  config cfg = make_config(data[1]);
  cfg.skip_body = false;  // the body is the point here
  // Small limits must still admit the fixed head.
  cfg.limits.header_bytes = std::max(cfg.limits.header_bytes, head.size());
  cfg.limits.line_bytes = std::max<std::size_t>(cfg.limits.line_bytes, 40);
  cfg.limits.header_count = std::max<std::size_t>(cfg.limits.header_count, 2);
  const std::size_t split = head.size() + (size - 2) * data[0] / 255;

  const outcome whole = run(msg, msg.size(), cfg);
  const outcome cut = run(msg, split, cfg);

  FUZZ_CHECK(whole.head_done && whole.kind == body_kind::chunked);
  FUZZ_CHECK(whole.ec == cut.ec);
  FUZZ_CHECK(whole.done == cut.done);
  if (!whole.ec) {
    FUZZ_CHECK(whole.keep_alive == cut.keep_alive);
    FUZZ_CHECK(whole.body == cut.body);
    FUZZ_CHECK(whole.consumed == cut.consumed);
  }
  return 0;
}
