// Fault injection for the HTTP transport: a scripted server (tests/support/fake_server)
// closes, stalls, trickles, lies and hangs up where a real daemon rarely does, and every
// test proves one error path of berth::http::client, its pool and its streams. These
// run on top of the real-daemon tests (client_docker_test.cpp), never instead of them.
//
// Every test ends with the process's fd count back where it was before its client
// existed (the fake's own connections are waited for first).
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include "berth/http/client.hpp"
#include "berth/http/error.hpp"
#include "support/fake_server.hpp"
#include "support/fds.hpp"

using namespace berth;
using namespace std::chrono_literals;
using test::fake_server;
using test::step;

namespace doctest {
template <>
struct StringMaker<std::error_code> {
  static String convert(const std::error_code& ec) {
    return (std::string(ec.category().name()) + ":" + std::to_string(ec.value()) + " " +
            ec.message())
        .c_str();
  }
};
template <>
struct StringMaker<berth::errc> {
  static String convert(berth::errc e) { return StringMaker<std::error_code>::convert(e); }
};
template <>
struct StringMaker<berth::http::error> {
  static String convert(berth::http::error e) {
    return StringMaker<std::error_code>::convert(e);
  }
};
}  // namespace doctest

namespace {

using clock_type = std::chrono::steady_clock;

http::request get(std::string target) {
  http::request r;
  r.target = std::move(target);
  return r;
}

http::request post(std::string target, std::string body) {
  http::request r;
  r.method = "POST";
  r.target = std::move(target);
  r.headers.set("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

/// A 200 response with a Content-Length body; extra is raw header lines ("Name: v\r\n").
std::string ok(std::string_view body, std::string_view extra = {}) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         std::string(extra) + "\r\n" + std::string(body);
}

const std::string chunked_head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

/// Read one request head, answer with response.
test::script serve(std::string response) {
  return {step::read_head(), step::write(std::move(response))};
}

long long ms_since(clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
}

/// Reads a stream (body_stream or hijacked_stream) in small pieces until an error;
/// ec is that error (asio::error::eof at a clean end).
template <class Stream>
std::string read_until_error(Stream& s, std::error_code& ec, std::size_t piece = 7) {
  std::string out;
  std::array<char, 64> buf{};
  for (int guard = 0; guard < 100000; ++guard) {
    std::size_t n = s.read_some(asio::buffer(buf.data(), std::min(piece, buf.size())), ec);
    out.append(buf.data(), n);
    if (ec) return out;
  }
  FAIL("stream never ended");
  return out;
}

/// Reads exactly n bytes from a stream (fails the test on an early error).
template <class Stream>
std::string read_exactly(Stream& s, std::size_t n) {
  std::string out;
  std::array<char, 64> buf{};
  while (out.size() < n) {
    std::error_code ec;
    std::size_t got = s.read_some(asio::buffer(buf.data(), std::min(n - out.size(), buf.size())), ec);
    REQUIRE_FALSE(ec);
    out.append(buf.data(), got);
  }
  return out;
}

/// The end of every test: the fake has closed all its connections (so its fds are gone)
/// and the process has exactly the fds it had before the client existed.
void check_no_fd_leak(const fake_server& server, std::size_t before) {
  CHECK(server.wait_all_closed());
  CHECK(test::open_fds() == before);
}

bool saw_eof(const fake_server& server, std::size_t i) {
  return fake_server::eventually([&] { return server.connection(i).saw_eof; }, 3s);
}

}  // namespace

// ---- the fake itself -------------------------------------------------------------------

TEST_CASE("fake server: runs a script, records requests, cleans up after itself") {
  auto fds0 = test::open_fds();
  std::string path;
  {
    fake_server server({serve(ok("hi"))});
    path = server.endpoint().path;
    CHECK(std::filesystem::exists(path));
    {
      http::client c(server.endpoint());
      CHECK(c.perform(get("/x")).body == "hi");
    }
    CHECK(server.wait_all_closed());
    CHECK(server.connections_accepted() == 1);
    CHECK(server.requests_seen() == 1);
    auto rec = server.connection(0);
    CHECK(rec.saw_eof);
    CHECK(rec.error.empty());
    CHECK(rec.steps_done == 2);
  }
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK_FALSE(std::filesystem::exists(std::filesystem::path(path).parent_path()));
  CHECK(test::open_fds() == fds0);
}

// ---- keep-alive ----------------------------------------------------------------------

TEST_CASE("keep-alive: two requests share one connection; the request is sent as built") {
  fake_server server({{step::read_head(), step::write(ok("one")), step::read_head(),
                       step::write(ok("two"))}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    auto r1 = c.perform(get("/a"));
    CHECK(r1.status == 200);
    CHECK(r1.body == "one");
    CHECK(c.idle_connections() == 1);
    auto r2 = c.perform(get("/b?x=1"));
    CHECK(r2.body == "two");
    CHECK(c.idle_connections() == 1);
    CHECK(server.connections_accepted() == 1);

    auto reqs = server.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].starts_with("GET /a HTTP/1.1\r\n"));
    CHECK(reqs[1].starts_with("GET /b?x=1 HTTP/1.1\r\n"));
    CHECK(reqs[0].find("\r\nHost: ") != std::string::npos);
    CHECK(reqs[0].find("\r\nUser-Agent: berth/0.1\r\n") != std::string::npos);
    CHECK(reqs[0].ends_with("\r\n\r\n"));
  }
  CHECK(saw_eof(server, 0));  // the pooled connection was closed with the client
  check_no_fd_leak(server, before);
}

TEST_CASE("a head written in 3-byte pieces and a chunked body in pieces still parse") {
  std::string resp = chunked_head + "4\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n";
  fake_server server({{step::read_head(), step::write_slowly(resp, 3, 1ms), step::read_head(),
                       step::write(ok("again"))}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    auto r = c.perform(get("/"));
    CHECK(r.status == 200);
    CHECK(r.body == "Wikipedia in \r\n\r\nchunks.");
    CHECK(c.idle_connections() == 1);
    CHECK(c.perform(get("/")).body == "again");
    CHECK(server.connections_accepted() == 1);
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("HEAD: a Content-Length without a body, and the connection is reused") {
  fake_server server({{step::read_head(),
                       step::write("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"),
                       step::read_head(), step::write(ok("x"))}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    auto req = get("/_ping");
    req.method = "HEAD";
    auto r = c.perform(req);
    CHECK(r.status == 200);
    CHECK(r.body.empty());
    CHECK(c.idle_connections() == 1);
    CHECK(c.perform(get("/")).body == "x");
    CHECK(server.connections_accepted() == 1);
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("200 sequential requests: one connection, one idle at the end, no fd growth") {
  constexpr int n = 200;
  test::script s;
  for (int i = 0; i < n; ++i) {
    s.push_back(step::read_head());
    s.push_back(step::write(ok(std::to_string(i))));
  }
  fake_server server({s});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    REQUIRE(c.perform(get("/0")).body == "0");
    auto warm = test::open_fds();  // the client's reactor fds and its one connection
    int wrong = 0;
    for (int i = 1; i < n; ++i) {
      auto r = c.perform(get("/" + std::to_string(i)));
      if (r.body != std::to_string(i)) ++wrong;
    }
    CHECK(wrong == 0);
    CHECK(c.idle_connections() == 1);
    CHECK(test::open_fds() == warm);
    CHECK(server.connections_accepted() == 1);
    CHECK(server.requests_seen() == n);
  }
  check_no_fd_leak(server, before);
}

// ---- broken responses ----------------------------------------------------------------

TEST_CASE("the server closes in the middle of a body: partial_message") {
  std::string response;
  SUBCASE("Content-Length") {
    response = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(10, 'x');
  }
  SUBCASE("chunked, inside a chunk") { response = chunked_head + "5\r\nhello\r\na\r\nabc"; }
  SUBCASE("chunked, inside a chunk-size line") { response = chunked_head + "5\r\nhello\r\n1"; }
  SUBCASE("chunked, before the last chunk") { response = chunked_head + "5\r\nhello\r\n"; }
  SUBCASE("in the head") { response = "HTTP/1.1 200 OK\r\nContent-Len"; }
  CAPTURE(response);

  fake_server server({{step::read_head(), step::write(response), step::close()},
                      {step::read_head(), step::write(response), step::close()}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    std::error_code ec;
    c.perform(get("/unary"), {}, ec);
    CHECK(ec == http::error::partial_message);
    CHECK(c.idle_connections() == 0);
    CHECK(server.connections_accepted() == 1);  // a fresh connection is never retried

    // The same through a body_stream (unless the head itself was cut).
    auto s = c.open(get("/stream"), {}, ec);
    if (response.find("\r\n\r\n") == std::string::npos) {
      CHECK(ec == http::error::partial_message);
    } else {
      REQUIRE_FALSE(ec);
      read_until_error(s, ec);
      CHECK(ec == http::error::partial_message);
      CHECK_FALSE(s.is_open());
    }
    CHECK(c.idle_connections() == 0);
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("the server closes before any byte of an answer on a fresh connection: no_response") {
  fake_server server({{step::read_head(), step::close()}, serve(ok("second"))});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    std::error_code ec;
    c.perform(get("/"), {}, ec);
    CHECK(ec == http::error::no_response);
    CHECK(server.connections_accepted() == 1);  // not retried: the connection was not reused
    CHECK(c.perform(get("/")).body == "second");
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("a garbage status line: bad_status_line, and the connection is closed") {
  std::string garbage;
  SUBCASE("not HTTP at all") { garbage = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\r\n"; }
  SUBCASE("status not a number") { garbage = "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"; }
  SUBCASE("bare LF line ends") { garbage = "HTTP/1.1 200 OK\nContent-Length: 0\n\n"; }
  CAPTURE(garbage);
  fake_server server({{step::read_head(), step::write(garbage), step::expect_eof(5s),
                       step::close()}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    std::error_code ec;
    c.perform(get("/"), {}, ec);
    CHECK(ec == http::error::bad_status_line);
    CHECK(c.idle_connections() == 0);
    CHECK(saw_eof(server, 0));  // closed at once, not left to the destructor
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("a head larger than parser_limits::header_bytes: header_too_large") {
  std::string big = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 40; ++i) big += "X-Filler-" + std::to_string(i) + ": " + std::string(90, 'f') + "\r\n";
  big += "Content-Length: 2\r\n\r\nok";
  REQUIRE(big.size() > 4000);
  fake_server server({{step::read_head(), step::write(big), step::expect_eof(5s), step::close()},
                      serve(ok("small"))});
  auto before = test::open_fds();
  {
    http::client_options opts;
    opts.limits.header_bytes = 1024;
    http::client c(server.endpoint(), opts);
    std::error_code ec;
    c.perform(get("/"), {}, ec);
    CHECK(ec == http::error::header_too_large);
    CHECK(c.idle_connections() == 0);
    CHECK(saw_eof(server, 0));
    // A head within the limit on the next connection is fine.
    CHECK(c.perform(get("/"), {}, ec).body == "small");
    CHECK_FALSE(ec);
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("a body over client_options::max_body_bytes: body_too_large") {
  constexpr std::size_t limit = 1024;
  std::string response;
  bool fits = false;
  SUBCASE("declared by Content-Length") {
    response = "HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n" + std::string(4096, 'b');
  }
  SUBCASE("chunked, growing past the limit") {
    response = chunked_head;
    for (int i = 0; i < 4; ++i) response += "200\r\n" + std::string(512, 'c') + "\r\n";
    response += "0\r\n\r\n";
  }
  SUBCASE("delimited by close") {
    response = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + std::string(2048, 'u');
  }
  SUBCASE("exactly the limit is fine") {
    response = ok(std::string(limit, 'e'));
    fits = true;
  }
  fake_server server({{step::read_head(), step::write(response), step::expect_eof(5s),
                       step::close()}});
  auto before = test::open_fds();
  {
    http::client_options opts;
    opts.max_body_bytes = limit;
    http::client c(server.endpoint(), opts);
    std::error_code ec;
    auto r = c.perform(get("/"), {}, ec);
    if (fits) {
      CHECK_FALSE(ec);
      CHECK(r.body.size() == limit);
      CHECK(c.idle_connections() == 1);
    } else {
      CHECK(ec == http::error::body_too_large);
      CHECK(c.idle_connections() == 0);
      CHECK(saw_eof(server, 0));
    }
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("body_stream::read_all past its max_bytes: body_too_large") {
  SUBCASE("the body goes on: the stream and its connection are closed") {
    // Larger than one 16 KiB read, so the error comes with body bytes still unread.
    fake_server server({{step::read_head(), step::write(ok(std::string(100'000, 'r'))),
                         step::expect_eof(10s), step::close()}});
    auto before = test::open_fds();
    {
      http::client c(server.endpoint());
      auto s = c.open(get("/"));
      std::error_code ec;
      s.read_all(100, ec);
      CHECK(ec == http::error::body_too_large);
      CHECK_FALSE(s.is_open());
      CHECK(c.idle_connections() == 0);
      CHECK(saw_eof(server, 0));
    }
    check_no_fd_leak(server, before);
  }
  SUBCASE("the whole body was already read: the clean connection may be pooled") {
    fake_server server({{step::read_head(), step::write(ok(std::string(300, 'r'))),
                         step::read_head(), step::write(ok("reused"))}});
    auto before = test::open_fds();
    {
      http::client c(server.endpoint());
      auto s = c.open(get("/"));
      std::error_code ec;
      s.read_all(100, ec);
      CHECK(ec == http::error::body_too_large);
      CHECK_FALSE(s.is_open());
      CHECK(c.perform(get("/")).body == "reused");
      CHECK(server.connections_accepted() == 1);
    }
    check_no_fd_leak(server, before);
  }
}

TEST_CASE("bytes after a complete response: the connection is not pooled") {
  fake_server server({{step::read_head(), step::write(ok("fine") + "HTTP/1.1 200 OK\r\n"),
                       step::expect_eof(5s), step::close()},
                      serve(ok("next"))});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    CHECK(c.perform(get("/")).body == "fine");
    CHECK(c.idle_connections() == 0);
    CHECK(saw_eof(server, 0));
    CHECK(c.perform(get("/")).body == "next");
    CHECK(server.connections_accepted() == 2);
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("interim 100 Continue responses are skipped") {
  const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
  const std::string created = "HTTP/1.1 201 Created\r\nContent-Length: 13\r\n\r\n{\"Id\":\"c0ff\"}";
  test::script s;
  SUBCASE("in the same write as the answer") {
    s = {step::read_request(), step::write(cont + created)};
  }
  SUBCASE("written apart, the answer later") {
    s = {step::read_request(), step::write(cont), step::sleep(30ms), step::write(created)};
  }
  SUBCASE("two interim responses") {
    s = {step::read_request(), step::write(cont), step::write("HTTP/1.1 102 Processing\r\n\r\n"),
         step::sleep(10ms), step::write(created)};
  }
  s.push_back(step::read_head());
  s.push_back(step::write(ok("reused")));
  fake_server server({s});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    auto r = c.perform(post("/containers/create", "{\"Image\":\"busybox\"}"));
    CHECK(r.status == 201);
    CHECK(r.body == "{\"Id\":\"c0ff\"}");
    CHECK(c.idle_connections() == 1);
    CHECK(c.perform(get("/")).body == "reused");
    CHECK(server.connections_accepted() == 1);
    auto reqs = server.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].starts_with("POST /containers/create HTTP/1.1\r\n"));
    CHECK(reqs[0].find("\r\nContent-Length: 19\r\n") != std::string::npos);
    CHECK(reqs[0].ends_with("\r\n\r\n{\"Image\":\"busybox\"}"));
  }
  check_no_fd_leak(server, before);
}

// ---- deadlines -----------------------------------------------------------------------

TEST_CASE("a server that stalls before the head: timeout, then a fresh connection works") {
  fake_server server({{step::read_head(), step::expect_eof(10s), step::close()},
                      serve(ok("fine"))});
  timeouts t;
  SUBCASE("head deadline") { t.head = 200ms; }
  SUBCASE("total deadline") { t.total = 200ms; }
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    std::error_code ec;
    auto t0 = clock_type::now();
    c.perform(get("/slow"), t, ec);
    auto took = ms_since(t0);
    CHECK(ec == errc::timeout);
    CHECK(is_timeout(ec));
    CHECK(took >= 190);
    CHECK(took < 3000);
    CHECK(c.idle_connections() == 0);
    CHECK(saw_eof(server, 0));  // the timed-out connection was closed at once

    auto r = c.perform(get("/next"), {}, ec);
    REQUIRE_FALSE(ec);
    CHECK(r.body == "fine");
    CHECK(server.connections_accepted() == 2);
    CHECK(c.idle_connections() == 1);
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("a head deadline also bounds open() and upgrade()") {
  test::script stall{step::read_head(), step::expect_eof(10s), step::close()};
  fake_server server({stall, stall});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    std::error_code ec;
    auto t0 = clock_type::now();
    auto s = c.open(get("/logs"), {.head = 150ms}, ec);
    CHECK(ec == errc::timeout);
    CHECK_FALSE(s.is_open());
    auto h = c.upgrade(post("/exec/x/start", "{}"), {.head = 150ms}, ec);
    CHECK(ec == errc::timeout);
    CHECK_FALSE(h.is_open());
    CHECK(ms_since(t0) < 5000);
    CHECK(saw_eof(server, 0));
    CHECK(saw_eof(server, 1));
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("a body_stream that stalls between reads: the idle deadline expires") {
  fake_server server({{step::read_head(), step::write(chunked_head + "5\r\nhello\r\n"),
                       step::expect_eof(10s), step::close()}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    std::error_code ec;
    auto s = c.open(get("/containers/x/logs?follow=1"), {.idle = 150ms}, ec);
    REQUIRE_FALSE(ec);
    CHECK(s.status() == 200);
    CHECK(read_exactly(s, 5) == "hello");

    std::array<char, 16> buf{};
    auto t0 = clock_type::now();
    std::size_t n = s.read_some(asio::buffer(buf), ec);
    auto took = ms_since(t0);
    CHECK(ec == errc::timeout);
    CHECK(n == 0);
    CHECK(took >= 140);
    CHECK(took < 3000);
    CHECK_FALSE(s.is_open());
    CHECK(saw_eof(server, 0));
    // The stream is done for: later reads say so instead of touching the socket.
    s.read_some(asio::buffer(buf), ec);
    CHECK(ec == errc::stream_closed);
    CHECK(c.idle_connections() == 0);
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("a body trickling in: idle is per read, total bounds the whole exchange") {
  SUBCASE("slow but steady, within the idle deadline: completes") {
    std::string body(20, 's');
    fake_server server({{step::read_head(),
                         step::write("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n"),
                         step::write_slowly(body, 1, 20ms)}});
    auto before = test::open_fds();
    {
      http::client c(server.endpoint());
      std::error_code ec;
      auto t0 = clock_type::now();
      auto r = c.perform(get("/"), {.idle = 300ms}, ec);
      CHECK_FALSE(ec);
      CHECK(r.body == body);
      CHECK(ms_since(t0) >= 300);  // longer than one idle period: idle was re-armed per read
      CHECK(c.idle_connections() == 1);
    }
    check_no_fd_leak(server, before);
  }
  SUBCASE("the total deadline cuts a body that never stalls") {
    std::string body(60, 't');
    fake_server server({{step::read_head(),
                         step::write("HTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n"),
                         step::write_slowly(body, 1, 25ms), step::close()}});
    auto before = test::open_fds();
    {
      http::client c(server.endpoint());
      std::error_code ec;
      auto t0 = clock_type::now();
      c.perform(get("/"), {.idle = 1000ms, .total = 300ms}, ec);
      auto took = ms_since(t0);
      CHECK(ec == errc::timeout);
      CHECK(took >= 290);
      CHECK(took < 1300);  // well before the 1.5 s the whole body takes
      CHECK(c.idle_connections() == 0);
    }
    // The fake's next piece hits the closed connection.
    CHECK(server.wait_closed(0));
    CHECK(server.connection(0).error.find("write failed") == 0);
    check_no_fd_leak(server, before);
  }
}

// ---- the pool ------------------------------------------------------------------------

TEST_CASE("a pooled connection the server closed while idle is detected and not used") {
  // POST is never retried: it succeeds only if the dead connection was not tried.
  fake_server server({{step::read_head(), step::write(ok("a")), step::close()},
                      {step::read_request(), step::write(ok("b"))}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    CHECK(c.perform(get("/")).body == "a");
    CHECK(c.idle_connections() == 1);
    REQUIRE(server.wait_closed(0));
    std::error_code ec;
    auto r = c.perform(post("/containers/create", "{}"), {}, ec);
    CHECK_FALSE(ec);
    CHECK(r.body == "b");
    CHECK(server.connections_accepted() == 2);
    CHECK(server.connection(0).requests.size() == 1);
    CHECK(c.idle_connections() == 1);
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("a pooled connection with unsolicited bytes (an idle 408) is not used") {
  fake_server server(
      {{step::read_head(), step::write(ok("a")), step::sleep(50ms),
        step::write("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        step::expect_eof(10s), step::close()},
       {step::read_request(), step::write(ok("b"))}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    CHECK(c.perform(get("/")).body == "a");
    REQUIRE(server.wait_steps(0, 4));  // the 408 is in the client's socket buffer
    std::error_code ec;
    auto r = c.perform(post("/containers/create", "{}"), {}, ec);
    CHECK_FALSE(ec);
    CHECK(r.body == "b");
    CHECK(server.connections_accepted() == 2);
    CHECK(saw_eof(server, 0));  // the client closed the stale connection
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("an idle connection older than idle_timeout is closed, not reused") {
  fake_server server({serve(ok("a")), serve(ok("b"))});
  auto before = test::open_fds();
  {
    http::client_options opts;
    opts.idle_timeout = 50ms;
    http::client c(server.endpoint(), opts);
    CHECK(c.perform(get("/")).body == "a");
    CHECK(c.idle_connections() == 1);
    std::this_thread::sleep_for(120ms);
    CHECK(c.perform(get("/")).body == "b");
    CHECK(server.connections_accepted() == 2);
    CHECK(server.connection(0).requests.size() == 1);
    CHECK(saw_eof(server, 0));
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("a reused connection closed after the request was read: GET retried, POST not") {
  SUBCASE("GET is retried once on a fresh connection") {
    fake_server server({{step::read_head(), step::write(ok("first")), step::read_head(),
                         step::close()},
                        serve(ok("retried"))});
    auto before = test::open_fds();
    {
      http::client c(server.endpoint());
      CHECK(c.perform(get("/")).body == "first");
      std::error_code ec;
      auto r = c.perform(get("/again"), {}, ec);
      CHECK_FALSE(ec);
      CHECK(r.body == "retried");
      CHECK(server.connections_accepted() == 2);
      CHECK(server.requests_seen() == 3);
      auto reqs = server.requests();
      REQUIRE(reqs.size() == 3);
      CHECK(reqs[1].starts_with("GET /again "));
      CHECK(reqs[2] == reqs[1]);  // the same request, sent again
      CHECK(c.idle_connections() == 1);
    }
    check_no_fd_leak(server, before);
  }
  SUBCASE("POST is not retried") {
    fake_server server({{step::read_request(), step::write(ok("first")), step::read_request(),
                         step::close()},
                        serve(ok("later"))});
    auto before = test::open_fds();
    {
      http::client c(server.endpoint());
      CHECK(c.perform(post("/build", "{}")).body == "first");
      std::error_code ec;
      c.perform(post("/containers/create", "{\"x\":1}"), {}, ec);
      CHECK((ec == errc::connection_lost || ec == http::error::no_response));
      CHECK(server.connections_accepted() == 1);
      CHECK(server.requests_seen() == 2);
      CHECK(server.requests()[1].ends_with("\r\n\r\n{\"x\":1}"));
      CHECK(c.idle_connections() == 0);
      // The client is fine afterwards, on a new connection.
      CHECK(c.perform(get("/")).body == "later");
      CHECK(server.connections_accepted() == 2);
    }
    check_no_fd_leak(server, before);
  }
  SUBCASE("a retry happens once at most") {
    fake_server server({{step::read_head(), step::write(ok("first")), step::read_head(),
                         step::close()},
                        {step::read_head(), step::close()}});
    auto before = test::open_fds();
    {
      http::client c(server.endpoint());
      CHECK(c.perform(get("/")).body == "first");
      std::error_code ec;
      c.perform(get("/"), {}, ec);
      CHECK(ec == http::error::no_response);
      CHECK(server.connections_accepted() == 2);
    }
    check_no_fd_leak(server, before);
  }
}

TEST_CASE("a Connection: close response is not pooled") {
  std::string response;
  SUBCASE("HTTP/1.1 with Connection: close") { response = ok("bye", "Connection: close\r\n"); }
  SUBCASE("HTTP/1.0 without keep-alive") { response = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nbye"; }
  CAPTURE(response);
  fake_server server({{step::read_head(), step::write(response), step::expect_eof(10s),
                       step::close()},
                      serve(ok("again"))});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    CHECK(c.perform(get("/")).body == "bye");
    CHECK(c.idle_connections() == 0);
    CHECK(saw_eof(server, 0));  // closed right away, before any other request
    CHECK(c.perform(get("/")).body == "again");
    CHECK(server.connections_accepted() == 2);
    CHECK(server.connection(0).requests.size() == 1);
  }
  check_no_fd_leak(server, before);
}

// ---- streams -------------------------------------------------------------------------

TEST_CASE("a body_stream read to its end returns its connection to the pool") {
  fake_server server({{step::read_head(), step::write(ok("0123456789")), step::read_head(),
                       step::write(ok("reused"))}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    auto s = c.open(get("/"));
    std::error_code ec;
    CHECK(read_until_error(s, ec, 3) == "0123456789");
    CHECK(ec == asio::error::eof);
    CHECK_FALSE(s.is_open());
    CHECK(c.idle_connections() == 1);
    CHECK(c.perform(get("/")).body == "reused");
    CHECK(server.connections_accepted() == 1);
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("closing a stream mid-body does not return its connection to the pool") {
  fake_server server({{step::read_head(),
                       step::write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"),
                       step::expect_eof(10s), step::close()},
                      serve(ok("next"))});
  bool destroy = false;
  SUBCASE("close()") { destroy = false; }
  SUBCASE("destructor") { destroy = true; }
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    {
      auto s = c.open(get("/"));
      CHECK(read_exactly(s, 10) == "0123456789");
      if (!destroy) {
        s.close();
        CHECK_FALSE(s.is_open());
        std::error_code ec;
        std::array<char, 8> buf{};
        s.read_some(asio::buffer(buf), ec);
        CHECK(ec == errc::stream_closed);
      }
    }
    CHECK(c.idle_connections() == 0);
    CHECK(saw_eof(server, 0));
    CHECK(c.perform(get("/")).body == "next");
    CHECK(server.connections_accepted() == 2);
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("cancelling a pending body_stream read: cancelled, the pool is untouched") {
  fake_server server({{step::read_head(), step::write(ok("warm")), step::read_head(),
                       step::write(ok("after"))},
                      {step::read_head(), step::write(chunked_head), step::expect_eof(10s),
                       step::close()}});
  auto before_all = test::open_fds();
  {
    asio::io_context ioc;
    http::client c(ioc.get_executor(), server.endpoint());
    auto f1 = c.async_perform(get("/warm"), asio::use_future);
    ioc.run();
    ioc.restart();
    REQUIRE(f1.get().body == "warm");
    REQUIRE(c.idle_connections() == 1);
    auto before = test::open_fds();  // the reactor's fds exist now

    std::error_code open_ec, read_ec;
    std::size_t read_n = 99;
    bool read_done = false;
    asio::cancellation_signal sig;
    std::array<char, 256> buf{};
    http::body_stream events;
    c.async_open(get("/events"), {}, [&](std::error_code ec, http::body_stream s) {
      open_ec = ec;
      if (ec) return;
      events = std::move(s);
      events.async_read_some(asio::buffer(buf),
                             asio::bind_cancellation_slot(sig.slot(),
                                                          [&](std::error_code e, std::size_t n) {
                                                            read_ec = e;
                                                            read_n = n;
                                                            read_done = true;
                                                          }));
      // The read is pending (the server sends nothing after the head): cancel it from
      // the client's strand, where its operations run.
      asio::post(c.get_executor(), [&] { sig.emit(asio::cancellation_type::terminal); });
    });
    ioc.run();
    ioc.restart();
    REQUIRE_FALSE(open_ec);
    REQUIRE(read_done);
    CHECK(read_ec == errc::cancelled);
    CHECK(is_cancelled(read_ec));
    CHECK(read_n == 0);
    CHECK_FALSE(events.is_open());
    CHECK(saw_eof(server, 1));  // the stream's connection was closed
    CHECK(c.idle_connections() == 1);

    auto f2 = c.async_perform(get("/after"), asio::use_future);
    ioc.run();
    ioc.restart();
    CHECK(f2.get().body == "after");
    CHECK(server.connections_accepted() == 2);
    CHECK(server.connection(0).requests.size() == 2);  // the pooled one carried it
    CHECK(server.wait_closed(1));
    CHECK(test::open_fds() == before);
  }
  check_no_fd_leak(server, before_all);
}

TEST_CASE("cancelling a pending perform: cancelled, its connection closed, the next one works") {
  fake_server server({{step::read_head(), step::expect_eof(10s), step::close()},
                      serve(ok("next"))});
  auto before = test::open_fds();
  {
    asio::io_context ioc;
    auto guard = asio::make_work_guard(ioc);
    std::thread runner([&] { ioc.run(); });
    {
      http::client c(ioc.get_executor(), server.endpoint());
      asio::cancellation_signal sig;
      std::promise<std::error_code> done;
      c.async_perform(get("/never"), asio::bind_cancellation_slot(
                                         sig.slot(), [&](std::error_code ec, http::response) {
                                           done.set_value(ec);
                                         }));
      REQUIRE(fake_server::eventually([&] { return server.requests_seen() == 1; }));
      asio::post(c.get_executor(), [&] { sig.emit(asio::cancellation_type::terminal); });
      auto fut = done.get_future();
      REQUIRE(fut.wait_for(5s) == std::future_status::ready);
      CHECK(fut.get() == errc::cancelled);
      CHECK(saw_eof(server, 0));

      auto f2 = c.async_perform(get("/"), asio::use_future);
      REQUIRE(f2.wait_for(5s) == std::future_status::ready);
      CHECK(f2.get().body == "next");
      CHECK(server.connections_accepted() == 2);
    }
    guard.reset();
    runner.join();
  }
  check_no_fd_leak(server, before);
}

// ---- upgrades ------------------------------------------------------------------------

TEST_CASE("upgrade: bytes with the 101 head come first, then half-close, then the tail") {
  const std::string head101 =
      "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
      "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
  fake_server server({{step::read_request(), step::write(head101 + "early bytes"),
                       step::read_bytes(5), step::expect_eof(10s), step::write("late output"),
                       step::close()}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    std::error_code ec;
    auto h = c.upgrade(post("/exec/abc/start", "{\"Detach\":false,\"Tty\":true}"), {}, ec);
    REQUIRE_FALSE(ec);
    CHECK(h.head().status == 101);
    CHECK(h.is_open());
    CHECK(read_exactly(h, 11) == "early bytes");

    CHECK(h.write(asio::buffer(std::string_view("stdin")), ec) == 5);
    CHECK_FALSE(ec);
    h.shutdown_send(ec);
    CHECK_FALSE(ec);
    // The server sees end of input while the connection still carries its output.
    CHECK(saw_eof(server, 0));
    CHECK(read_until_error(h, ec, 4) == "late output");
    CHECK(ec == asio::error::eof);

    auto rec = server.connection(0);
    CHECK(rec.received == "stdin");
    REQUIRE(rec.requests.size() == 1);
    CHECK(rec.requests[0].find("\r\nConnection: Upgrade\r\n") != std::string::npos);
    CHECK(rec.requests[0].find("\r\nUpgrade: tcp\r\n") != std::string::npos);
    CHECK(rec.requests[0].ends_with("{\"Detach\":false,\"Tty\":true}"));
    CHECK(c.idle_connections() == 0);
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("upgrade refused with a 404 and a JSON body: the stream reads that body") {
  const std::string body = "{\"message\":\"No such exec instance: abc\"}";
  fake_server server({{step::read_request(),
                       step::write("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                                   "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body),
                       step::expect_eof(10s), step::close()}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    std::error_code ec;
    auto h = c.upgrade(post("/exec/abc/start", "{}"), {}, ec);
    REQUIRE_FALSE(ec);
    CHECK(h.head().status == 404);
    CHECK(h.head().headers.find("Content-Type") == std::optional<std::string_view>("application/json"));
    CHECK(read_until_error(h, ec, 5) == body);
    CHECK(ec == asio::error::eof);
    h.close();
    CHECK_FALSE(h.is_open());
    CHECK(saw_eof(server, 0));
    CHECK(c.idle_connections() == 0);  // an upgrade connection never joins the pool
  }
  check_no_fd_leak(server, before);
}

// ---- completion tokens and sync forms ------------------------------------------------

TEST_CASE("callback, use_future and use_awaitable against the fake, success and failure") {
  const std::string cut = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
  fake_server server({{step::read_head(), step::write(ok("cb")), step::read_head(),
                       step::write(ok("future")), step::read_head(), step::write(ok("await")),
                       step::read_head(), step::write(cut), step::close()},
                      {step::read_head(), step::write(cut), step::close()},
                      {step::read_head(), step::write(cut), step::close()}});
  auto before = test::open_fds();
  {
    asio::io_context ioc;
    http::client c(ioc.get_executor(), server.endpoint());

    // Callback: runs from ioc.run(), never inside the initiating call.
    std::string cb_body;
    std::error_code cb_ec;
    bool initiating = true, cb_inline = true;
    c.async_perform(get("/cb"), [&](std::error_code ec, http::response r) {
      cb_ec = ec;
      cb_body = std::move(r.body);
      cb_inline = initiating;
    });
    initiating = false;
    ioc.run();
    ioc.restart();
    CHECK_FALSE(cb_ec);
    CHECK(cb_body == "cb");
    CHECK_FALSE(cb_inline);

    // use_future: the context runs on another thread while this one waits.
    {
      auto guard = asio::make_work_guard(ioc);
      std::thread runner([&] { ioc.run(); });
      auto fut = c.async_perform(get("/future"), asio::use_future);
      REQUIRE(fut.wait_for(5s) == std::future_status::ready);
      CHECK(fut.get().body == "future");
      guard.reset();
      runner.join();
      ioc.restart();
    }

    // use_awaitable through co_spawn.
    std::string aw_body;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          auto r = co_await c.async_perform(get("/await"), asio::use_awaitable);
          aw_body = r.body;
        },
        asio::detached);
    ioc.run();
    ioc.restart();
    CHECK(aw_body == "await");
    CHECK(server.connections_accepted() == 1);

    // The same three with a response cut short.
    c.async_perform(get("/cb"), [&](std::error_code ec, http::response) { cb_ec = ec; });
    ioc.run();
    ioc.restart();
    CHECK(cb_ec == http::error::partial_message);

    {
      auto guard = asio::make_work_guard(ioc);
      std::thread runner([&] { ioc.run(); });
      auto fut = c.async_perform(get("/future"), asio::use_future);
      REQUIRE(fut.wait_for(5s) == std::future_status::ready);
      std::error_code fut_ec;
      try {
        fut.get();
      } catch (const std::system_error& e) {
        fut_ec = e.code();
      }
      CHECK(fut_ec == http::error::partial_message);
      guard.reset();
      runner.join();
      ioc.restart();
    }

    std::error_code aw_ec;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          try {
            co_await c.async_perform(get("/await"), asio::use_awaitable);
          } catch (const std::system_error& e) {
            aw_ec = e.code();
          }
        },
        asio::detached);
    ioc.run();
    CHECK(aw_ec == http::error::partial_message);
    CHECK(server.connections_accepted() == 3);
    CHECK(c.idle_connections() == 0);
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("a sync call from inside the client's strand: would_deadlock, nothing is sent") {
  fake_server server({serve(ok("x"))});
  auto before = test::open_fds();
  {
    asio::io_context ioc;
    http::client c(ioc.get_executor(), server.endpoint());
    std::error_code perform_ec, open_ec, upgrade_ec;
    bool ran = false;
    asio::dispatch(c.get_executor(), [&] {
      ran = true;
      c.perform(get("/"), {}, perform_ec);
      c.open(get("/"), {}, open_ec);
      c.upgrade(get("/"), {}, upgrade_ec);
    });
    ioc.run();
    CHECK(ran);
    CHECK(perform_ec == errc::would_deadlock);
    CHECK(open_ec == errc::would_deadlock);
    CHECK(upgrade_ec == errc::would_deadlock);
    CHECK(server.connections_accepted() == 0);
    CHECK(server.requests_seen() == 0);
  }
  check_no_fd_leak(server, before);
}

// ---- more deadlines and edges --------------------------------------------------------

TEST_CASE("the client's default deadlines apply when a call sets none") {
  fake_server server({{step::read_head(), step::expect_eof(10s), step::close()}});
  auto before = test::open_fds();
  {
    http::client_options opts;
    opts.defaults.head = 150ms;
    http::client c(server.endpoint(), opts);
    std::error_code ec;
    auto t0 = clock_type::now();
    c.perform(get("/"), {}, ec);
    CHECK(ec == errc::timeout);
    CHECK(ms_since(t0) < 3000);
    CHECK(saw_eof(server, 0));
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("a server that does not read the request: the head deadline bounds the write") {
  // 4 MiB cannot fit the socket buffers; the fake never reads it.
  fake_server server({{step::sleep(1500ms), step::expect_eof(10s), step::close()}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    std::error_code ec;
    auto t0 = clock_type::now();
    c.perform(post("/build", std::string(4 << 20, 'w')), {.head = 200ms}, ec);
    auto took = ms_since(t0);
    CHECK(ec == errc::timeout);
    CHECK(took >= 190);
    CHECK(took < 1400);  // before the fake wakes up
    CHECK(c.idle_connections() == 0);
    CHECK(saw_eof(server, 0));
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("a unary body that stalls: the idle deadline expires") {
  fake_server server({{step::read_head(),
                       step::write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234"),
                       step::expect_eof(10s), step::close()}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    std::error_code ec;
    auto t0 = clock_type::now();
    c.perform(get("/"), {.idle = 150ms}, ec);
    CHECK(ec == errc::timeout);
    CHECK(ms_since(t0) >= 140);
    CHECK(ms_since(t0) < 3000);
    CHECK(c.idle_connections() == 0);
    CHECK(saw_eof(server, 0));
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("a body delimited by the server's close is read to its end, not pooled") {
  fake_server server({{step::read_head(),
                       step::write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil "),
                       step::sleep(20ms), step::write("the end"), step::close()}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    auto r = c.perform(get("/"));
    CHECK(r.body == "until the end");
    CHECK(c.idle_connections() == 0);
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("open() on a 204: the stream is at its end at once, the connection pooled") {
  fake_server server({{step::read_head(), step::write("HTTP/1.1 204 No Content\r\n\r\n"),
                       step::read_head(), step::write(ok("next"))}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    auto s = c.open(get("/"));
    CHECK(s.status() == 204);
    CHECK_FALSE(s.is_open());
    std::error_code ec;
    CHECK(read_until_error(s, ec).empty());
    CHECK(ec == asio::error::eof);
    CHECK(c.idle_connections() == 1);
    CHECK(c.perform(get("/")).body == "next");
    CHECK(server.connections_accepted() == 1);
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("a request with chunked_body is refused by perform, open and upgrade") {
  fake_server server({serve(ok("x"))});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    auto req = post("/build", "ignored");
    req.chunked_body = true;
    std::error_code ec;
    c.perform(req, {}, ec);
    CHECK(ec == errc::invalid_argument);
    c.open(req, {}, ec);
    CHECK(ec == errc::invalid_argument);
    c.upgrade(req, {}, ec);
    CHECK(ec == errc::invalid_argument);
    CHECK(server.connections_accepted() == 0);
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("body_stream::close() with a read pending: the read completes with cancelled") {
  fake_server server({{step::read_head(), step::write(chunked_head), step::expect_eof(10s),
                       step::close()}});
  auto before = test::open_fds();
  {
    asio::io_context ioc;
    http::client c(ioc.get_executor(), server.endpoint());
    http::body_stream s;
    std::error_code open_ec, read_ec;
    bool read_done = false;
    std::array<char, 64> buf{};
    c.async_open(get("/events"), {}, [&](std::error_code ec, http::body_stream st) {
      open_ec = ec;
      if (ec) return;
      s = std::move(st);
      s.async_read_some(asio::buffer(buf), [&](std::error_code e, std::size_t) {
        read_ec = e;
        read_done = true;
      });
      asio::post(c.get_executor(), [&] { s.close(); });
    });
    ioc.run();
    REQUIRE_FALSE(open_ec);
    REQUIRE(read_done);
    CHECK(read_ec == errc::cancelled);  // berth::errc::cancelled: "cancellation slot or close()"
    CHECK_FALSE(s.is_open());
    CHECK(saw_eof(server, 0));
    CHECK(c.idle_connections() == 0);
  }
  check_no_fd_leak(server, before);
}

namespace {
const std::string upgraded_head =
    "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
    "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
}

TEST_CASE("a hijacked stream whose read times out is closed") {
  fake_server server({{step::read_request(), step::write(upgraded_head + "x"),
                       step::expect_eof(10s), step::close()}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    std::error_code ec;
    auto h = c.upgrade(post("/containers/x/attach?stream=1", ""), {.idle = 150ms}, ec);
    REQUIRE_FALSE(ec);
    CHECK(read_exactly(h, 1) == "x");
    std::array<char, 16> buf{};
    auto t0 = clock_type::now();
    h.read_some(asio::buffer(buf), ec);
    CHECK(ec == errc::timeout);
    CHECK(ms_since(t0) < 3000);
    // timeouts.hpp: "An expired deadline ... closes the connection it used".
    CHECK_FALSE(h.is_open());
    CHECK(saw_eof(server, 0));
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("a hijacked stream whose write times out is closed") {
  // The fake answers 101 and then reads nothing: a large write cannot finish.
  fake_server server({{step::read_request(), step::write(upgraded_head), step::sleep(1500ms),
                       step::expect_eof(10s), step::close()}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    std::error_code ec;
    auto h = c.upgrade(post("/exec/x/start", "{}"), {.head = 200ms}, ec);
    REQUIRE_FALSE(ec);
    std::string big(4 << 20, 'i');
    auto t0 = clock_type::now();
    h.write(asio::buffer(big), ec);
    CHECK(ec == errc::timeout);
    CHECK(ms_since(t0) < 1400);
    CHECK_FALSE(h.is_open());
    CHECK(saw_eof(server, 0));
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("cancelling a pending hijacked read: cancelled, and the stream is closed") {
  fake_server server({{step::read_request(), step::write(upgraded_head), step::expect_eof(10s),
                       step::close()}});
  auto before = test::open_fds();
  {
    asio::io_context ioc;
    http::client c(ioc.get_executor(), server.endpoint());
    http::hijacked_stream h;
    std::error_code up_ec, read_ec;
    bool read_done = false;
    asio::cancellation_signal sig;
    std::array<char, 64> buf{};
    c.async_upgrade(post("/containers/x/attach", ""), {},
                    [&](std::error_code ec, http::hijacked_stream st) {
                      up_ec = ec;
                      if (ec) return;
                      h = std::move(st);
                      h.async_read_some(asio::buffer(buf),
                                        asio::bind_cancellation_slot(
                                            sig.slot(), [&](std::error_code e, std::size_t) {
                                              read_ec = e;
                                              read_done = true;
                                            }));
                      asio::post(c.get_executor(),
                                 [&] { sig.emit(asio::cancellation_type::terminal); });
                    });
    ioc.run();
    REQUIRE_FALSE(up_ec);
    REQUIRE(read_done);
    CHECK(read_ec == errc::cancelled);
    // client.hpp: "cancellation closes the stream".
    CHECK_FALSE(h.is_open());
    CHECK(saw_eof(server, 0));
  }
  check_no_fd_leak(server, before);
}

// ---- streamed request bodies ---------------------------------------------------------

TEST_CASE("request_writer: a chunked upload arrives framed, the answer is read") {
  const std::string framed = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  fake_server server({{step::read_head(), step::read_body(framed.size()),
                       step::write(ok("{\"stream\":\"done\"}")), step::read_head(),
                       step::write(ok("reused"))}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    std::error_code ec;
    auto w = c.begin(post("/build", ""), {}, ec);
    REQUIRE_FALSE(ec);
    CHECK(w.write(asio::buffer(std::string_view("hello")), ec) == 5);
    CHECK(w.write(asio::buffer(std::string_view(" world")), ec) == 6);
    CHECK(w.write(asio::buffer(std::string_view()), ec) == 0);  // nothing for an empty buffer
    auto s = w.finish(ec);
    REQUIRE_FALSE(ec);
    CHECK(s.status() == 200);
    CHECK(s.read_all(1024, ec) == "{\"stream\":\"done\"}");
    CHECK_FALSE(ec);
    auto reqs = server.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].find("\r\nTransfer-Encoding: chunked\r\n") != std::string::npos);
    CHECK(reqs[0].ends_with("\r\n\r\n" + framed));
    CHECK(c.perform(get("/")).body == "reused");  // the finished exchange joined the pool
    CHECK(server.connections_accepted() == 1);
  }
  check_no_fd_leak(server, before);
}

TEST_CASE("request_writer: the server hangs up during the upload") {
  fake_server server({{step::read_head(), step::close()}});
  auto before = test::open_fds();
  {
    http::client c(server.endpoint());
    std::error_code ec;
    auto w = c.begin(post("/images/load", ""), {}, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(server.wait_closed(0));
    std::string chunk(64 * 1024, 'z');
    for (int i = 0; i < 64 && !ec; ++i) w.write(asio::buffer(chunk), ec);
    if (!ec) w.finish(ec);
    CHECK((ec == errc::connection_lost || ec == http::error::no_response));
    CHECK_FALSE(w.is_open());
  }
  check_no_fd_leak(server, before);
}
