#include "berth/http/response_parser.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "berth/http/error.hpp"

using namespace berth::http;
using namespace std::string_view_literals;

namespace doctest {
template <>
struct StringMaker<std::error_code> {
  static String convert(const std::error_code& ec) {
    return (std::string(ec.category().name()) + ": " + ec.message()).c_str();
  }
};
template <>
struct StringMaker<error> {
  static String convert(error e) { return StringMaker<std::error_code>::convert(e); }
};
}  // namespace doctest

namespace {

// What a socket reader would see after feeding a message the way a transport does:
// unconsumed bytes are kept and fed again with the next read appended.
struct parsed {
  std::error_code ec;        // the final error, if any (never need_more)
  bool head_done = false;
  bool done = false;
  bool keep_alive = false;
  bool upgraded = false;
  unsigned status = 0;
  body_kind kind = body_kind::none;
  std::string body;
  std::string rest;          // bytes left unconsumed at the end
  std::size_t slices = 0;    // body slices returned by put()
  response_head head;
};

struct feed_options {
  parser_limits limits{};
  bool skip_body = false;
  bool eof = true;  // signal end of input after the last piece
};

// Feeds msg in pieces cut at the offsets in cuts.
parsed feed(std::string_view msg, std::vector<std::size_t> cuts, const feed_options& opt = {}) {
  response_parser p(opt.limits);
  p.skip_body(opt.skip_body);
  parsed out;
  std::string pending;
  cuts.push_back(msg.size());
  std::size_t from = 0;
  bool finished = false;
  for (std::size_t cut : cuts) {
    cut = std::min(std::max(cut, from), msg.size());
    pending.append(msg.substr(from, cut - from));
    from = cut;
    if (finished) continue;
    for (;;) {
      std::string_view body;
      std::error_code ec;
      const std::size_t n = p.put(pending, body, ec);
      REQUIRE(n <= pending.size());
      if (!body.empty()) {
        REQUIRE(body.data() >= pending.data());
        REQUIRE(body.data() + body.size() <= pending.data() + n);
        ++out.slices;
      }
      out.body.append(body);
      pending.erase(0, n);
      if (ec == error::need_more) {
        REQUIRE(n == 0);
        break;
      }
      if (ec) {
        out.ec = ec;
        finished = true;
        break;
      }
      if (p.done()) {
        finished = true;
        break;
      }
      REQUIRE(n > 0);
    }
  }
  if (!finished && opt.eof) p.put_eof(out.ec);
  out.head_done = p.head_done();
  out.done = p.done();
  out.keep_alive = p.keep_alive();
  out.upgraded = p.upgraded();
  out.status = p.head().status;
  out.kind = p.kind();
  out.rest = pending;
  out.head = p.head();
  return out;
}

parsed feed_whole(std::string_view msg, const feed_options& opt = {}) { return feed(msg, {}, opt); }

parsed feed_bytewise(std::string_view msg, const feed_options& opt = {}) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < msg.size(); ++i) cuts.push_back(i);
  return feed(msg, cuts, opt);
}

// Calls check for the whole message, byte by byte, and for every single split point.
template <class Check>
void every_split(std::string_view msg, Check check, const feed_options& opt = {}) {
  {
    INFO("whole");
    check(feed_whole(msg, opt));
  }
  {
    INFO("byte by byte");
    check(feed_bytewise(msg, opt));
  }
  for (std::size_t k = 0; k <= msg.size(); ++k) {
    INFO("split at " << k);
    check(feed(msg, {k}, opt));
  }
  for (std::size_t k = 1; k + 1 < msg.size(); k += 7) {
    INFO("split at " << k << " and " << k + 1);
    check(feed(msg, {k, k + 1}, opt));
  }
}

// Every way of feeding msg ends in error e.
void expect_error(std::string_view msg, error e, const feed_options& opt = {}) {
  every_split(msg, [&](const parsed& r) { CHECK(r.ec == e); }, opt);
}

constexpr std::string_view docker_version =
    "HTTP/1.1 200 OK\r\n"
    "Api-Version: 1.43\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 18\r\n"
    "\r\n"
    "{\"Version\":\"24.0\"}";

constexpr std::string_view chunked_msg =
    "HTTP/1.1 200 OK\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "4;name=value\r\n"
    "wiki\r\n"
    "5;a=\"b;c\";flag\r\n"
    "pedia\r\n"
    "0;end\r\n"
    "X-Checksum: abc\r\n"
    "Another:  two \r\n"
    "\r\n";

}  // namespace

TEST_CASE("error category names every enumerator") {
  CHECK(std::string_view(category().name()) == "berth.http");
  for (int e = static_cast<int>(error::need_more); e <= static_cast<int>(error::upgrade_refused); ++e) {
    const std::error_code ec = static_cast<error>(e);
    CHECK(ec.message() != "unknown berth.http error");
    CHECK(!ec.message().empty());
  }
  CHECK(std::error_code(error::bad_chunk) != std::error_code(error::bad_header));
}

TEST_CASE("fields: case-insensitive lookup, set, erase and tokens") {
  fields f;
  f.add("Content-Type", "application/json");
  f.add("Connection", "keep-alive, Upgrade");
  f.add("X-A", "1");
  f.add("x-a", "2");
  CHECK(f.find("content-type") == "application/json");
  CHECK(f.find("X-A") == "1");
  CHECK_FALSE(f.find("missing"));
  CHECK(f.contains_token("connection", "upgrade"));
  CHECK(f.contains_token("CONNECTION", "Keep-Alive"));
  CHECK_FALSE(f.contains_token("Connection", "close"));
  CHECK_FALSE(f.contains_token("Content-Type", "json"));
  f.set("X-a", "3");
  CHECK(f.size() == 3);
  CHECK(f.find("x-A") == "3");
  CHECK(std::next(f.begin(), 2)->first == "X-a");  // keeps the first one's place
  f.erase("X-A");
  CHECK(f.size() == 2);
  f.set("New", "v");
  CHECK(std::prev(f.end())->second == "v");
  CHECK(iequals("Transfer-Encoding", "transfer-encoding"));
  CHECK_FALSE(iequals("chunked", "chunkee"));
  CHECK_FALSE(iequals("a", "ab"));
}

TEST_CASE("content-length response at every split point") {
  every_split(docker_version, [](const parsed& r) {
    REQUIRE(!r.ec);
    CHECK(r.done);
    CHECK(r.status == 200);
    CHECK(r.head.reason == "OK");
    CHECK(r.head.version_minor == 1);
    CHECK(r.kind == body_kind::content_length);
    CHECK(r.body == R"({"Version":"24.0"})");
    CHECK(r.keep_alive);
    CHECK(r.rest.empty());
    CHECK(r.head.headers.find("api-version") == "1.43");
    CHECK(r.head.headers.size() == 3);
  });
}

TEST_CASE("chunked with extensions and trailers at every split point") {
  const std::string msg = std::string(chunked_msg) + "HTTP/1.1 204 No Content\r\n\r\n";
  every_split(msg, [](const parsed& r) {
    REQUIRE(!r.ec);
    CHECK(r.done);
    CHECK(r.kind == body_kind::chunked);
    CHECK(r.body == "wikipedia");
    CHECK(r.keep_alive);
    // Trailers are discarded, and the next response is not touched.
    CHECK_FALSE(r.head.headers.find("X-Checksum"));
    CHECK(r.rest == "HTTP/1.1 204 No Content\r\n\r\n");
  });
}

TEST_CASE("until_close body ends with the connection") {
  constexpr auto msg =
      "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nline one\nline two\n"sv;
  every_split(msg, [](const parsed& r) {
    REQUIRE(!r.ec);
    CHECK(r.done);
    CHECK(r.kind == body_kind::until_close);
    CHECK(r.body == "line one\nline two\n");
    CHECK_FALSE(r.keep_alive);
  });
  feed_options no_eof;
  no_eof.eof = false;
  const parsed open = feed_whole(msg, no_eof);
  CHECK(open.head_done);
  CHECK_FALSE(open.done);
  CHECK(open.body == "line one\nline two\n");
}

TEST_CASE("interim 1xx responses are skipped") {
  constexpr auto msg =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 15\r\n\r\n{\"Id\":\"abc123\"}"sv;
  every_split(msg, [](const parsed& r) {
    REQUIRE(!r.ec);
    CHECK(r.done);
    CHECK(r.status == 201);
    CHECK(r.head.reason == "Created");
    CHECK_FALSE(r.head.headers.find("Link"));
    CHECK(r.body == R"({"Id":"abc123"})");
    CHECK(r.keep_alive);
  });
  // Only the interim head in the input: it is consumed, the parser waits for the real one.
  response_parser p;
  std::string_view body;
  std::error_code ec;
  constexpr auto interim = "HTTP/1.1 100 Continue\r\n\r\n"sv;
  CHECK(p.put(interim, body, ec) == interim.size());
  CHECK(!ec);
  CHECK_FALSE(p.head_done());
  CHECK(p.put("", body, ec) == 0);
  CHECK(ec == error::need_more);
  p.put_eof(ec);
  CHECK(ec == error::partial_message);
}

TEST_CASE("101 upgrade is done after the head and leaves the stream bytes") {
  constexpr auto head =
      "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
      "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n"sv;
  constexpr auto stream = "\x01\x00\x00\x00\x00\x00\x00\x03hi\nHTTP/1.1 200 OK\r\n\r\n"sv;
  const std::string msg = std::string(head) + std::string(stream);
  every_split(msg, [&](const parsed& r) {
    REQUIRE(!r.ec);
    CHECK(r.done);
    CHECK(r.upgraded);
    CHECK(r.status == 101);
    CHECK(r.body.empty());
    CHECK(r.kind == body_kind::none);
    CHECK_FALSE(r.keep_alive);
    CHECK(r.rest == stream);
  });
  response_parser p;
  std::string_view body;
  std::error_code ec;
  CHECK(p.put(msg, body, ec) == head.size());
  CHECK(p.upgraded());
  CHECK(p.put(msg.substr(head.size()), body, ec) == 0);
  CHECK(!ec);
  CHECK(body.empty());
}

TEST_CASE("HEAD, 204 and 304 responses have no body") {
  constexpr auto head_resp =
      "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nX-Docker-Container-Path-Stat: e30=\r\n\r\n"sv;
  feed_options head_opt;
  head_opt.skip_body = true;
  every_split(std::string(head_resp) + "NEXT", [](const parsed& r) {
    REQUIRE(!r.ec);
    CHECK(r.done);
    CHECK(r.kind == body_kind::none);
    CHECK(r.body.empty());
    CHECK(r.keep_alive);
    CHECK(r.rest == "NEXT");
  }, head_opt);
  // Without skip_body the same head waits for 1234 bytes.
  const parsed get = feed_whole(head_resp);
  CHECK(get.ec == error::partial_message);

  for (auto msg : {"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\nNEXT"sv,
                   "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\nNEXT"sv}) {
    every_split(msg, [](const parsed& r) {
      REQUIRE(!r.ec);
      CHECK(r.done);
      CHECK(r.body.empty());
      CHECK(r.kind == body_kind::none);
      CHECK(r.keep_alive);
      CHECK(r.rest == "NEXT");
    });
  }
}

TEST_CASE("skip_body is cleared by reset") {
  response_parser p;
  p.skip_body(true);
  p.reset();
  std::string_view body;
  std::error_code ec;
  constexpr auto msg = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"sv;
  const std::size_t n = p.put(msg, body, ec);
  CHECK(!ec);
  CHECK(n == msg.size());
  CHECK(body == "ok");
  CHECK(p.done());
}

TEST_CASE("the head is consumed only when complete") {
  response_parser p;
  std::string_view body;
  std::error_code ec;
  const std::string msg(docker_version);
  const std::size_t head_size = msg.find("\r\n\r\n") + 4;
  for (std::size_t k = 0; k < head_size; ++k) {
    CHECK(p.put(std::string_view(msg).substr(0, k), body, ec) == 0);
    CHECK(ec == error::need_more);
    CHECK(body.empty());
    CHECK_FALSE(p.head_done());
  }
  // The complete head plus part of the body: head and that part are consumed.
  const std::size_t n = p.put(std::string_view(msg).substr(0, head_size + 4), body, ec);
  CHECK(!ec);
  CHECK(p.head_done());
  CHECK(n == head_size + 4);
  CHECK(body == "{\"Ve");
  CHECK(p.content_length() == 18u);
  CHECK(p.body_received() == 4);
}

TEST_CASE("one body slice per put, each a view into the input") {
  constexpr auto msg = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"sv;
  response_parser p;
  std::string_view in = msg;
  std::string_view body;
  std::error_code ec;
  std::size_t n = p.put(in, body, ec);
  CHECK(!ec);
  CHECK(body == "abc");
  CHECK(body.data() == msg.data() + msg.find("abc"));
  in.remove_prefix(n);
  n = p.put(in, body, ec);
  CHECK(body == "de");
  CHECK(body.data() == msg.data() + msg.find("de\r\n0"));
  in.remove_prefix(n);
  CHECK_FALSE(p.done());
  n = p.put(in, body, ec);
  CHECK(!ec);
  CHECK(body.empty());
  CHECK(p.done());
  CHECK(n == in.size());
  CHECK(p.body_received() == 5);
  // After done(): nothing consumed, no error.
  n = p.put("HTTP/1.1 200 OK\r\n", body, ec);
  CHECK(n == 0);
  CHECK(!ec);
}

TEST_CASE("each limit yields its own error") {
  SUBCASE("header_bytes") {
    feed_options opt;
    const std::string msg(docker_version);
    const std::size_t head_size = msg.find("\r\n\r\n") + 4;
    opt.limits.header_bytes = head_size;  // exactly at the limit: accepted
    every_split(msg, [](const parsed& r) { CHECK(!r.ec); CHECK(r.done); }, opt);
    opt.limits.header_bytes = head_size - 1;
    expect_error(msg, error::header_too_large, opt);
    // An endless head fails without waiting for its end.
    opt.limits.header_bytes = 64;
    opt.eof = false;
    expect_error("HTTP/1.1 200 OK\r\n" + std::string(30, 'X') + ": 1\r\n" + std::string(30, 'Y'),
                 error::header_too_large, opt);
  }
  SUBCASE("header_count") {
    feed_options opt;
    opt.limits.header_count = 3;
    every_split(docker_version, [](const parsed& r) { CHECK(!r.ec); }, opt);
    opt.limits.header_count = 2;
    expect_error(docker_version, error::too_many_headers, opt);
    // Trailers count too.
    opt.limits.header_count = 1;
    expect_error(chunked_msg, error::too_many_headers, opt);
  }
  SUBCASE("line_bytes") {
    feed_options opt;
    // The longest line, "Content-Type: application/json\r\n", is 32 bytes with its CRLF.
    opt.limits.line_bytes = 32;
    every_split(docker_version, [](const parsed& r) { CHECK(!r.ec); CHECK(r.done); }, opt);
    opt.limits.line_bytes = 31;
    expect_error(docker_version, error::line_too_long, opt);
    // A long status line.
    opt.limits.line_bytes = 20;
    expect_error("HTTP/1.1 200 A long reason phrase\r\n\r\n", error::line_too_long, opt);
    // After a head that fits: a chunk-size line with a long extension, a long trailer.
    opt.limits.line_bytes = 30;
    const auto after_head = [](const parsed& r) {
      CHECK(r.head_done);
      CHECK(r.ec == error::line_too_long);
    };
    every_split("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + std::string(40, 'a') +
                    "\r\nx\r\n0\r\n\r\n",
                after_head, opt);
    every_split("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: " +
                    std::string(24, 'a') + "\r\n\r\n",
                after_head, opt);
    // A line that never ends fails early.
    opt.limits.line_bytes = 40;
    opt.eof = false;
    expect_error("HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a'), error::line_too_long, opt);
  }
  SUBCASE("chunk_bytes") {
    feed_options opt;
    opt.limits.chunk_bytes = 5;
    every_split(chunked_msg, [](const parsed& r) { CHECK(!r.ec); CHECK(r.body == "wikipedia"); }, opt);
    opt.limits.chunk_bytes = 4;
    expect_error(chunked_msg, error::chunk_too_large, opt);
    // A size that does not fit 64 bits.
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
                 error::chunk_too_large);
  }
  SUBCASE("body_bytes") {
    feed_options opt;
    opt.limits.body_bytes = 18;
    every_split(docker_version, [](const parsed& r) { CHECK(!r.ec); }, opt);
    opt.limits.body_bytes = 17;
    expect_error(docker_version, error::body_too_large, opt);
    opt.limits.body_bytes = 8;
    expect_error(chunked_msg, error::body_too_large, opt);
    expect_error("HTTP/1.1 200 OK\r\n\r\n0123456789", error::body_too_large, opt);
    every_split("HTTP/1.1 200 OK\r\n\r\n01234567", [](const parsed& r) {
      CHECK(!r.ec);
      CHECK(r.body == "01234567");
    }, opt);
  }
  SUBCASE("trailer section size") {
    feed_options opt;
    opt.limits.header_bytes = 48;  // the head is 47 bytes
    every_split("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\n\r\n",
                [](const parsed& r) { CHECK(!r.ec); CHECK(r.done); }, opt);
    every_split("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" +
                    std::string(20, 'A') + ": 1\r\n" + std::string(20, 'B') + ": 2\r\n" +
                    std::string(20, 'C') + ": 3\r\n\r\n",
                [](const parsed& r) {
                  CHECK(r.head_done);
                  CHECK(r.ec == error::header_too_large);
                },
                opt);
  }
}

TEST_CASE("malformed input yields its specific error") {
  struct bad {
    std::string_view msg;
    error e;
  };
  const bad cases[] = {
      {"\r\n\r\n", error::bad_status_line},
      {"HTTP/1.1 200 OK\n\r\n", error::bad_status_line},
      {"HTTX/1.1 200 OK\r\n\r\n", error::bad_status_line},
      {"http/1.1 200 OK\r\n\r\n", error::bad_status_line},
      {"HTTP/1.1  200 OK\r\n\r\n", error::bad_status_line},
      {"HTTP/1.1 200OK\r\n\r\n", error::bad_status_line},
      {"HTTP/1.1 2x0 OK\r\n\r\n", error::bad_status_line},
      {"HTTP/11 200 OK\r\n\r\n", error::bad_status_line},
      {"HTTP/1.1 200 O\x01K\r\n\r\n", error::bad_status_line},
      {"HTTP/2.0 200 OK\r\n\r\n", error::bad_version},
      {"HTTP/1.2 200 OK\r\n\r\n", error::bad_version},
      {"HTTP/0.9 200 OK\r\n\r\n", error::bad_version},
      {"HTTP/1.1 099 Low\r\n\r\n", error::bad_status},
      {"HTTP/1.1 600 High\r\n\r\n", error::bad_status},
      {"HTTP/1.1 20 Short\r\n\r\n", error::bad_status},
      {"HTTP/1.1 2000 Long\r\n\r\n", error::bad_status},
      {"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", error::bad_header},
      {"HTTP/1.1 200 OK\r\nName : v\r\n\r\n", error::bad_header},
      {"HTTP/1.1 200 OK\r\n: v\r\n\r\n", error::bad_header},
      {"HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\n\r\n", error::bad_header},
      {"HTTP/1.1 200 OK\r\n\tX: 1\r\n\r\n", error::bad_header},
      {"HTTP/1.1 200 OK\r\nA: x\0y\r\n\r\n"sv, error::bad_header},
      {"HTTP/1.1 200 OK\r\nA: x\ry\r\n\r\n", error::bad_header},
      {"HTTP/1.1 200 OK\r\nA: x\r\nB: y\n\r\n", error::bad_header},
      {"HTTP/1.1 200 OK\r\nA: x\x7fy\r\n\r\n", error::bad_header},
      {"HTTP/1.1 200 OK\r\nA(b): 1\r\n\r\n", error::bad_header},
      {"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", error::bad_content_length},
      {"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", error::bad_content_length},
      {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", error::bad_content_length},
      {"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n", error::bad_content_length},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n", error::bad_content_length},
      {"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n", error::bad_content_length},
      {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", error::bad_content_length},
      {"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", error::bad_content_length},
      {"HTTP/1.1 200 OK\r\nContent-Length: 5,\r\n\r\n", error::bad_content_length},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", error::bad_transfer_encoding},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", error::bad_transfer_encoding},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n", error::bad_transfer_encoding},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: ,\r\n\r\n", error::bad_transfer_encoding},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chu@nked\r\n\r\n", error::bad_transfer_encoding},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;ext\r\n", error::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", error::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\n", error::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a\x01\r\n", error::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\n", error::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX", error::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\rX", error::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n\r\n", error::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n", error::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n", error::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer\r\n\r\n", error::bad_header},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\n\r\n", error::bad_header},
  };
  for (const auto& c : cases) {
    INFO("message: " << std::string(c.msg));
    expect_error(c.msg, c.e);
    // The error is final: a later put() repeats it and consumes nothing.
    response_parser p;
    std::string_view body;
    std::error_code ec;
    std::string_view in = c.msg;
    for (int i = 0; i < 4 && !ec; ++i) in.remove_prefix(p.put(in, body, ec));
    CHECK(ec == c.e);
    CHECK(p.put(in, body, ec) == 0);
    CHECK(ec == c.e);
    CHECK_FALSE(p.keep_alive());
  }
}

TEST_CASE("framing: Transfer-Encoding, Content-Length and their combinations") {
  SUBCASE("chunked takes precedence over Content-Length") {
    every_split("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                [](const parsed& r) {
                  REQUIRE(!r.ec);
                  CHECK(r.kind == body_kind::chunked);
                  CHECK(r.body == "ok");
                  CHECK_FALSE(r.keep_alive);  // both framings: do not reuse the connection
                });
  }
  SUBCASE("final coding chunked, over several fields") {
    every_split("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\ntransfer-encoding: , Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                [](const parsed& r) {
                  REQUIRE(!r.ec);
                  CHECK(r.kind == body_kind::chunked);
                  CHECK(r.body == "ok");
                  CHECK(r.keep_alive);
                });
  }
  SUBCASE("another final coding reads until close") {
    every_split("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 2\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                [](const parsed& r) {
                  REQUIRE(!r.ec);
                  CHECK(r.kind == body_kind::until_close);
                  CHECK(r.body == "2\r\nok\r\n0\r\n\r\n");
                  CHECK_FALSE(r.keep_alive);
                });
  }
  SUBCASE("equal Content-Length values are one length") {
    every_split("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\ncontent-length:5\r\n\r\nhelloNEXT", [](const parsed& r) {
      REQUIRE(!r.ec);
      CHECK(r.body == "hello");
      CHECK(r.rest == "NEXT");
    });
  }
  SUBCASE("Content-Length: 0 is done with the head") {
    response_parser p;
    std::string_view body;
    std::error_code ec;
    constexpr auto msg = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nNEXT"sv;
    CHECK(p.put(msg, body, ec) == msg.size() - 4);
    CHECK(!ec);
    CHECK(p.done());
    CHECK(p.content_length() == 0u);
    CHECK(p.keep_alive());
  }
  SUBCASE("header values are trimmed of OWS, reason may be empty") {
    const parsed r = feed_whole("HTTP/1.1 200\r\nX-A: \t spaced out\t \r\nX-B:\r\nContent-Length: 0\r\n\r\n");
    REQUIRE(!r.ec);
    CHECK(r.head.reason.empty());
    CHECK(r.head.headers.find("X-A") == "spaced out");
    CHECK(r.head.headers.find("X-B") == "");
  }
  SUBCASE("obs-text in reason and values is kept") {
    const parsed r = feed_whole("HTTP/1.1 200 \xc3\xa9t\xc3\xa9\r\nX: v\xe0l\r\nContent-Length: 0\r\n\r\n");
    REQUIRE(!r.ec);
    CHECK(r.head.reason == "\xc3\xa9t\xc3\xa9");
    CHECK(r.head.headers.find("x") == "v\xe0l");
  }
}

TEST_CASE("keep_alive decisions") {
  struct row {
    std::string_view msg;
    bool keep_alive;
  };
  const row rows[] = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
      {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", true},
      {"HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", true},
      {"HTTP/1.1 200 OK\r\n\r\nabc", false},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc", false},
      {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: tcp\r\n\r\n", false},
      {"HTTP/1.1 204 No Content\r\n\r\n", true},
      {"HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n", false},
  };
  for (const auto& r : rows) {
    INFO("message: " << std::string(r.msg));
    every_split(r.msg, [&](const parsed& out) {
      REQUIRE(!out.ec);
      CHECK(out.done);
      CHECK(out.keep_alive == r.keep_alive);
    });
  }
  // Not before the message is done.
  response_parser p;
  std::string_view body;
  std::error_code ec;
  p.put("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab", body, ec);
  CHECK(p.head_done());
  CHECK_FALSE(p.keep_alive());
}

TEST_CASE("put_eof") {
  std::error_code ec;
  SUBCASE("before any byte: no_response") {
    response_parser p;
    p.put_eof(ec);
    CHECK(ec == error::no_response);
    // Feeding nothing is not seeing something.
    response_parser q;
    std::string_view body;
    CHECK(q.put("", body, ec) == 0);
    CHECK(ec == error::need_more);
    q.put_eof(ec);
    CHECK(ec == error::no_response);
  }
  SUBCASE("inside the head, the body, a chunk or the trailers: partial_message") {
    for (auto msg : {"H"sv, "HTTP/1.1 200 OK\r\n"sv, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab"sv,
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"sv,
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab"sv,
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc"sv,
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\r\n"sv}) {
      INFO("message: " << std::string(msg));
      expect_error(msg, error::partial_message);
    }
  }
  SUBCASE("after a complete message: nothing") {
    response_parser p;
    std::string_view body;
    p.put("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", body, ec);
    p.put_eof(ec);
    CHECK(!ec);
    CHECK(p.done());
    CHECK(p.keep_alive());
  }
  SUBCASE("until_close: completes the body") {
    response_parser p;
    std::string_view body;
    p.put("HTTP/1.1 200 OK\r\n\r\n", body, ec);
    CHECK(p.kind() == body_kind::until_close);
    CHECK_FALSE(p.done());
    p.put_eof(ec);
    CHECK(!ec);
    CHECK(p.done());
    CHECK_FALSE(p.keep_alive());
  }
}

TEST_CASE("body_direct and consume_body read payload around put()") {
  std::string_view body;
  std::error_code ec;
  SUBCASE("content-length") {
    response_parser p;
    CHECK(p.body_direct() == 0);
    constexpr auto head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"sv;
    CHECK(p.put(head, body, ec) == head.size());
    CHECK(p.body_direct() == 10);
    p.consume_body(4);  // read straight into the caller's buffer
    CHECK(p.body_direct() == 6);
    CHECK(p.body_received() == 4);
    CHECK(p.put("456789NEXT", body, ec) == 6);
    CHECK(body == "456789");
    CHECK(p.done());
    CHECK(p.body_direct() == 0);
    CHECK(p.keep_alive());
  }
  SUBCASE("consume_body finishes a content-length body, and is clamped") {
    response_parser p;
    p.put("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", body, ec);
    p.consume_body(100);
    CHECK(p.body_received() == 3);
    CHECK(p.done());
  }
  SUBCASE("chunked: 0 at framing, the chunk's rest inside data") {
    response_parser p;
    constexpr auto head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"sv;
    CHECK(p.put(head, body, ec) == head.size());
    CHECK(p.body_direct() == 0);  // a chunk-size line comes next
    CHECK(p.put("8\r\n", body, ec) == 3);
    CHECK(p.body_direct() == 8);
    p.consume_body(5);
    CHECK(p.body_direct() == 3);
    p.consume_body(3);
    CHECK(p.body_direct() == 0);  // the CRLF after the data
    p.consume_body(1);            // ignored
    CHECK(p.body_received() == 8);
    constexpr auto tail = "\r\n2\r\nab\r\n0\r\n\r\n"sv;
    std::string_view in = tail;
    std::string got;
    while (!p.done()) {
      const std::size_t n = p.put(in, body, ec);
      REQUIRE(!ec);
      got.append(body);
      in.remove_prefix(n);
    }
    CHECK(got == "ab");
    CHECK(in.empty());
    CHECK(p.body_received() == 10);
  }
  SUBCASE("until_close: unbounded, or what the body limit still allows") {
    response_parser p;
    p.put("HTTP/1.1 200 OK\r\n\r\n", body, ec);
    CHECK(p.body_direct() == std::numeric_limits<std::uint64_t>::max());
    p.consume_body(1000);
    CHECK(p.body_received() == 1000);
    parser_limits lim;
    lim.body_bytes = 10;
    response_parser q(lim);
    q.put("HTTP/1.1 200 OK\r\n\r\n", body, ec);
    q.consume_body(4);
    CHECK(q.body_direct() == 6);
    q.consume_body(6);
    CHECK(q.body_direct() == 0);
    CHECK(q.put("x", body, ec) == 0);
    CHECK(ec == error::body_too_large);
  }
  SUBCASE("nothing direct for a body-less response") {
    response_parser p;
    p.put("HTTP/1.1 204 No Content\r\n\r\n", body, ec);
    CHECK(p.done());
    CHECK(p.body_direct() == 0);
  }
}

TEST_CASE("reset between two pipelined responses in one buffer") {
  const std::string buffer = std::string(docker_version) + std::string(chunked_msg) +
                             "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}";
  response_parser p;
  std::string_view in = buffer;
  std::string_view body;
  std::error_code ec;
  std::vector<std::string> bodies;
  std::vector<unsigned> statuses;
  for (int msg = 0; msg < 3; ++msg) {
    std::string got;
    while (!p.done()) {
      const std::size_t n = p.put(in, body, ec);
      REQUIRE(!ec);
      got.append(body);
      in.remove_prefix(n);
    }
    CHECK(p.keep_alive());
    statuses.push_back(p.head().status);
    bodies.push_back(got);
    p.reset();
    CHECK_FALSE(p.head_done());
    CHECK(p.body_received() == 0);
  }
  CHECK(in.empty());
  CHECK(statuses == std::vector<unsigned>{200, 200, 404});
  CHECK(bodies == std::vector<std::string>{R"({"Version":"24.0"})", "wikipedia", "{}"});
  // After the last reset nothing has been seen.
  p.put_eof(ec);
  CHECK(ec == error::no_response);
}

TEST_CASE("reset clears a failed message") {
  response_parser p;
  std::string_view body;
  std::error_code ec;
  p.put("HTTP/9.9 200 OK\r\n\r\n", body, ec);
  CHECK(ec == error::bad_version);
  p.reset();
  constexpr auto msg = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"sv;
  CHECK(p.put(msg, body, ec) == msg.size());
  CHECK(!ec);
  CHECK(p.done());
}

TEST_CASE("release_head moves the head out") {
  response_parser p;
  std::string_view body;
  std::error_code ec;
  p.put(docker_version, body, ec);
  REQUIRE(p.head_done());
  const response_head h = p.release_head();
  CHECK(h.status == 200);
  CHECK(h.headers.find("Content-Type") == "application/json");
  CHECK(h.headers.size() == 3);
}

TEST_CASE("a large head fed in small reads is parsed once and correctly") {
  std::string msg = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 100; ++i) msg += "X-Field-" + std::to_string(i) + ": value " + std::to_string(i) + "\r\n";
  msg += "Content-Length: 3\r\n\r\nabc";
  std::vector<std::size_t> cuts;
  for (std::size_t k = 5; k < msg.size(); k += 5) cuts.push_back(k);
  const parsed r = feed(msg, cuts);
  REQUIRE(!r.ec);
  CHECK(r.head.headers.size() == 101);
  CHECK(r.head.headers.find("x-field-99") == "value 99");
  CHECK(r.body == "abc");
}
