// The harness shared by the HTTP codec fuzz targets (http_response_parser.cpp,
// http_chunked.cpp): the parse configuration taken from the flags byte, and a run of
// response_parser over a message, whole or cut in two, checking the parser's invariants.
// Included by one translation unit each.
#pragma once

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

