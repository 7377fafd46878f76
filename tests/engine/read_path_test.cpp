// The real read path of container output (connection, HTTP/1.1 parser, chunked framing,
// Docker's stream demultiplexer, the engine's output_stream) against a scripted server,
// with every fault injected in turn, in the spirit of Beast's fail-count tests:
//
// - the response is cut after every one of its bytes in turn (the server closes there):
//   every read completes, the output seen is a prefix of the real output, stream by
//   stream, and the read that ends it reports the end (only for the whole response) or a
//   typed truncation error, never a hang or a crash;
// - the whole response arrives in pieces of every small size, read into buffers of
//   several sizes: the output is byte-for-byte the real one;
// - a daemon error in-band (stream 3) ends the read with io::error::system_stream and
//   the message in diagnostics().
#include <doctest/doctest.h>

#include <asio/error.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "berth/engine/client.hpp"
#include "berth/engine/op/containers.hpp"
#include "berth/http/error.hpp"
#include "berth/io/error.hpp"
#include "support/fake_server.hpp"

using namespace berth;
using test::fake_server;
using test::step;

namespace {

std::string frame(std::uint8_t stream, const std::string& payload) {
  std::string f(8, '\0');
  f[0] = static_cast<char>(stream);
  auto n = static_cast<std::uint32_t>(payload.size());
  f[4] = static_cast<char>(n >> 24);
  f[5] = static_cast<char>(n >> 16);
  f[6] = static_cast<char>(n >> 8);
  f[7] = static_cast<char>(n);
  return f + payload;
}

/// Docker's frames, in HTTP chunks of uneven sizes that split headers and payloads.
std::string chunked(const std::string& body, const std::vector<std::size_t>& sizes) {
  std::string out;
  std::size_t at = 0, i = 0;
  while (at < body.size()) {
    std::size_t n = std::min(sizes[i++ % sizes.size()], body.size() - at);
    char head[32];
    std::snprintf(head, sizeof head, "%zx\r\n", n);
    out += head;
    out += body.substr(at, n);
    out += "\r\n";
    at += n;
  }
  return out + "0\r\n\r\n";
}

struct sample {
  std::string response;  ///< The whole HTTP response.
  std::string out, err;  ///< What the container wrote.
};

sample make_sample(std::size_t big) {
  sample s;
  std::string body;
  auto add = [&](std::uint8_t id, std::string p) {
    body += frame(id, p);
    (id == 1 ? s.out : s.err) += p;
  };
  add(1, "hello\n");
  add(2, "warning: on stderr\n");
  body += frame(1, "");  // an empty frame
  add(1, "a");
  add(1, "bc");
  add(2, std::string(37, 'e'));
  std::string large(big, '\0');
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>('0' + i % 10);
  add(1, large);
  add(2, "bye\n");
  add(1, "the end\n");
  std::string head =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/vnd.docker.multiplexed-stream\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  s.response = head + chunked(body, {5, 1, 13, 8, 64, 3, 9});
  return s;
}

engine::client client_of(const fake_server& server) {
  engine::client_options o;
  o.version = engine::api_version{1, 41};
  o.http.defaults.total = std::chrono::seconds(20);
  return engine::client(server.endpoint(), o);
}

struct outcome {
  std::string out, err;
  std::error_code end;  ///< How the last read (or the open) ended.
  bool opened = false;
};

outcome read_all(engine::client& c, std::size_t buf_size) {
  outcome o;
  std::error_code ec;
  auto stream = c.run(engine::op::container_logs{.id = "c", .follow = true, .stdout_ = true,
                                                 .stderr_ = true, .tty = false},
                      ec);
  if (ec) {
    o.end = ec;
    return o;
  }
  o.opened = true;
  std::vector<char> buf(buf_size);
  for (;;) {
    auto chunk = stream.read(asio::buffer(buf), ec);
    if (ec) break;
    REQUIRE(chunk.size > 0);
    (chunk.stream == engine::stream_id::stdout_stream ? o.out : o.err).append(buf.data(), chunk.size);
  }
  o.end = ec;
  return o;
}

bool is_prefix(const std::string& p, const std::string& of) {
  return p.size() <= of.size() && of.compare(0, p.size(), p) == 0;
}

}  // namespace

TEST_CASE("every cut of the response: a prefix of the output, then a typed end") {
  const auto s = make_sample(300);
  std::size_t truncations = 0;
  for (std::size_t cut = 0; cut <= s.response.size(); ++cut) {
    CAPTURE(cut);
    fake_server server([&](std::size_t) {
      return test::script{step::read_head(), step::write(s.response.substr(0, cut)), step::close()};
    });
    auto c = client_of(server);
    auto o = read_all(c, cut % 3 == 0 ? 7 : 4096);
    CHECK(is_prefix(o.out, s.out));
    CHECK(is_prefix(o.err, s.err));
    if (cut == s.response.size()) {
      CHECK(o.end == asio::error::eof);
      CHECK(o.out == s.out);
      CHECK(o.err == s.err);
      continue;
    }
    // A cut response never reads as a clean end, and its error names what is wrong.
    CHECK(o.end);
    CHECK(o.end != asio::error::eof);
    const auto& cat = o.end.category();
    const bool typed = cat == http::category() || cat == io::category() ||
                       o.end == asio::error::connection_reset;
    CHECK_MESSAGE(typed, o.end.category().name() << ": " << o.end.message());
    truncations += o.opened;
  }
  CHECK(truncations > 0);
}

TEST_CASE("the whole response in pieces of every small size, into buffers of several sizes") {
  const auto s = make_sample(70 * 1024);  // one frame larger than every buffer
  for (std::size_t piece : {1, 2, 3, 5, 8, 9, 64, 4096, 100000}) {
    for (std::size_t buf_size : {1, 7, 100, 16 * 1024, 65536, 200000}) {
      if (piece == 1 && buf_size > 100) continue;  // one byte at a time: small buffers only
      CAPTURE(piece);
      CAPTURE(buf_size);
      fake_server server([&](std::size_t) {
        return test::script{step::read_head(),
                            step::write_slowly(s.response, piece, std::chrono::milliseconds(0)),
                            step::close()};
      });
      auto c = client_of(server);
      auto o = read_all(c, buf_size);
      CHECK(o.end == asio::error::eof);
      CHECK(o.out == s.out);
      CHECK(o.err == s.err);
    }
  }
}

TEST_CASE("a daemon error in-band ends the read with system_stream and its message") {
  std::string body = frame(1, "partial output\n") + frame(3, "error from daemon: boom");
  std::string response =
      "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n"
      "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  fake_server server([&](std::size_t) {
    return test::script{step::read_head(), step::write(response)};
  });
  auto c = client_of(server);
  std::error_code ec;
  auto stream = c.run(engine::op::container_logs{.id = "c", .stdout_ = true, .stderr_ = true,
                                                 .tty = false},
                      ec);
  REQUIRE(!ec);
  char buf[4096];
  auto chunk = stream.read(asio::buffer(buf), ec);
  REQUIRE(!ec);
  CHECK(std::string(buf, chunk.size) == "partial output\n");
  stream.read(asio::buffer(buf), ec);
  CHECK(ec == io::error::system_stream);
  CHECK(stream.diagnostics().message == "error from daemon: boom");
}
