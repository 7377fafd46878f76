#include "berth/io/demux.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace io = berth::io;
using io::stream_id;

namespace {

std::string frame(std::uint8_t id, std::string_view payload) {
  const auto n = static_cast<std::uint32_t>(payload.size());
  std::string f{static_cast<char>(id), 0, 0, 0, static_cast<char>(n >> 24),
                static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
  return f.append(payload);
}

std::string header(std::uint8_t id, std::uint32_t n, std::uint8_t pad = 0) {
  return {static_cast<char>(id), static_cast<char>(pad), 0, 0, static_cast<char>(n >> 24),
          static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
}

// What came out of a demuxer: bytes per stream, system messages, a final error.
struct collected {
  std::map<stream_id, std::string> streams;
  std::vector<std::string> system;
  std::error_code ec;
  std::size_t puts = 0;

  friend bool operator==(const collected& a, const collected& b) {
    return a.streams == b.streams && a.system == b.system && a.ec == b.ec;
  }
};

// Feeds one chunk (the way a read loop would) until it is consumed or a final error.
void feed(io::demuxer& d, std::string_view chunk, collected& c) {
  for (;;) {
    stream_id s{};
    std::string_view p = "sentinel";
    std::error_code ec;
    const std::size_t n = d.put(chunk, s, p, ec);
    ++c.puts;
    REQUIRE(n <= chunk.size());
    if (!p.empty()) {
      // Zero-copy: the payload is a view into the input, right at the end of what was consumed.
      REQUIRE(p.data() >= chunk.data());
      REQUIRE(p.data() + p.size() == chunk.data() + n);
      REQUIRE(s != stream_id::system);
      CHECK(ec == std::error_code{});
      c.streams[s].append(p);
    }
    chunk.remove_prefix(n);
    if (ec == io::error::system_stream) {
      CHECK(s == stream_id::system);
      c.system.push_back(d.system_message());
    } else if (ec) {
      c.ec = ec;
      return;
    }
    if (chunk.empty()) return;
    REQUIRE(n > 0);  // progress
  }
}

collected decode_chunks(std::string_view input, const std::vector<std::size_t>& cuts,
                        std::uint32_t max_frame = 64u << 20) {
  io::demuxer d(max_frame);
  collected c;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    feed(d, input.substr(at, cut - at), c);
    if (c.ec) return c;
    at = cut;
  }
  feed(d, input.substr(at), c);
  if (!c.ec) d.put_eof(c.ec);
  return c;
}

const std::string sample = frame(1, "hello ") + frame(2, "oops\n") + frame(1, "") +
                           frame(0, "in") + frame(1, "world\n") + frame(2, "") +
                           frame(3, "boom") + frame(2, "after");

collected sample_expected() {
  collected c;
  c.streams[stream_id::stdout_stream] = "hello world\n";
  c.streams[stream_id::stderr_stream] = "oops\nafter";
  c.streams[stream_id::stdin_stream] = "in";
  c.system = {"boom"};
  return c;
}

}  // namespace

TEST_SUITE("unit") {

TEST_CASE("io error category") {
  const auto& cat = io::category();
  CHECK(std::string(cat.name()) == "berth.io");
  for (int e = 1; e <= static_cast<int>(io::error::truncated_line); ++e) {
    const std::error_code ec(e, cat);
    CHECK(ec.message().find("unknown") == std::string::npos);
  }
  CHECK(std::error_code(0x7f, cat).message().find("unknown") != std::string::npos);
  const std::error_code ec = io::error::bad_stream_id;
  CHECK(ec == io::error::bad_stream_id);
  CHECK(&ec.category() == &cat);
}

TEST_CASE("one call per frame slice, zero-copy") {
  io::demuxer d;
  const std::string in = frame(1, "abc") + frame(2, "de");
  stream_id s{};
  std::string_view p;
  std::error_code ec;
  std::size_t n = d.put(in, s, p, ec);
  CHECK(n == 11);
  CHECK(!ec);
  CHECK(s == stream_id::stdout_stream);
  CHECK(p == "abc");
  CHECK(p.data() == in.data() + 8);
  CHECK(d.payload_direct() == 0);
  std::string_view rest = std::string_view(in).substr(n);
  n = d.put(rest, s, p, ec);
  CHECK(n == 10);
  CHECK(s == stream_id::stderr_stream);
  CHECK(d.current_stream() == stream_id::stderr_stream);
  CHECK(p == "de");
  CHECK(p.data() == rest.data() + 8);
  n = d.put({}, s, p, ec);
  CHECK(n == 0);
  CHECK(p.empty());
  CHECK(!ec);
  d.put_eof(ec);
  CHECK(!ec);
}

TEST_CASE("whole multi-frame input at once") {
  CHECK(decode_chunks(sample, {}) == sample_expected());
}

TEST_CASE("every split point") {
  const auto expected = sample_expected();
  for (std::size_t i = 0; i <= sample.size(); ++i) {
    INFO("split at " << i);
    CHECK(decode_chunks(sample, {i}) == expected);
  }
}

TEST_CASE("every pair of split points") {
  const auto expected = sample_expected();
  for (std::size_t i = 0; i <= sample.size(); ++i) {
    for (std::size_t j = i; j <= sample.size(); ++j) {
      INFO("split at " << i << " and " << j);
      REQUIRE(decode_chunks(sample, {i, j}) == expected);
    }
  }
}

TEST_CASE("byte by byte: a split header needs no re-feeding") {
  io::demuxer d;
  collected c;
  for (char ch : sample) {
    stream_id s{};
    std::string_view p;
    std::error_code ec;
    const std::string_view one(&ch, 1);
    CHECK(d.put(one, s, p, ec) == 1);
    if (!p.empty()) c.streams[s].append(p);
    if (ec == io::error::system_stream) c.system.push_back(d.system_message());
    else REQUIRE(!ec);
  }
  d.put_eof(c.ec);
  CHECK(c == sample_expected());
}

TEST_CASE("payload_direct and consume_payload interleaved with put") {
  // A reader that reads payload straight into its own buffer (up to `direct_step` bytes at
  // a time) and feeds framing through put() `put_step` bytes at a time.
  const auto expected = sample_expected();
  std::size_t runs_with_direct_reads = 0;
  for (std::size_t direct_step = 1; direct_step <= 7; ++direct_step) {
    for (std::size_t put_step = 1; put_step <= 12; ++put_step) {
      CAPTURE(direct_step);
      CAPTURE(put_step);
      io::demuxer d;
      collected c;
      std::string_view src = sample;
      bool used_direct = false;
      while (!src.empty()) {
        if (const std::uint32_t direct = d.payload_direct()) {
          const std::size_t n = std::min<std::size_t>({direct, direct_step, src.size()});
          c.streams[d.current_stream()].append(src.substr(0, n));
          d.consume_payload(static_cast<std::uint32_t>(n));
          CHECK(d.payload_direct() == direct - n);
          src.remove_prefix(n);
          used_direct = true;
          continue;
        }
        stream_id s{};
        std::string_view p;
        std::error_code ec;
        const std::string_view chunk = src.substr(0, put_step);
        const std::size_t n = d.put(chunk, s, p, ec);
        REQUIRE(n > 0);
        if (!p.empty()) c.streams[s].append(p);
        if (ec == io::error::system_stream) c.system.push_back(d.system_message());
        else REQUIRE(!ec);
        src.remove_prefix(n);
      }
      d.put_eof(c.ec);
      if (used_direct) ++runs_with_direct_reads;
      CHECK(c == expected);
    }
  }
  CHECK(runs_with_direct_reads >= 7 * 11);  // only put_step 7 happens to end every chunk at a frame end
}

TEST_CASE("payload_direct bookkeeping") {
  io::demuxer d;
  const std::string h = header(2, 10);
  stream_id s{};
  std::string_view p;
  std::error_code ec;
  CHECK(d.payload_direct() == 0);
  CHECK(d.put(h, s, p, ec) == 8);
  CHECK(p.empty());
  CHECK(!ec);
  CHECK(d.payload_direct() == 10);
  CHECK(d.current_stream() == stream_id::stderr_stream);
  d.consume_payload(4);
  CHECK(d.payload_direct() == 6);
  d.put_eof(ec);
  CHECK(ec == io::error::truncated_frame);
  d.consume_payload(100);  // clamped to the frame
  CHECK(d.payload_direct() == 0);
  d.put_eof(ec);
  CHECK(!ec);
  // The next bytes are a header again.
  const std::string next = frame(1, "x");
  CHECK(d.put(next, s, p, ec) == 9);
  CHECK(p == "x");
  CHECK(s == stream_id::stdout_stream);
}

TEST_CASE("truncation") {
  SUBCASE("empty stream is fine") {
    io::demuxer d;
    std::error_code ec = io::error::bad_stream_id;
    d.put_eof(ec);
    CHECK(!ec);
  }
  SUBCASE("inside a header, at every header byte") {
    for (std::size_t k = 1; k < 8; ++k) {
      io::demuxer d;
      const std::string in = frame(1, "ab") + header(1, 5).substr(0, k);
      collected c;
      feed(d, in, c);
      CHECK(!c.ec);
      d.put_eof(c.ec);
      CHECK(c.ec == io::error::truncated_frame);
      CHECK(c.streams[stream_id::stdout_stream] == "ab");
    }
  }
  SUBCASE("inside a payload") {
    for (std::size_t k = 0; k < 5; ++k) {
      io::demuxer d;
      const std::string in = header(2, 5) + std::string("12345").substr(0, k);
      collected c;
      feed(d, in, c);
      d.put_eof(c.ec);
      CHECK(c.ec == io::error::truncated_frame);
      CHECK(c.streams[stream_id::stderr_stream] == std::string("12345").substr(0, k));
    }
  }
  SUBCASE("inside a system frame") {
    io::demuxer d;
    collected c;
    feed(d, header(3, 10) + "abc", c);
    CHECK(c.system.empty());
    d.put_eof(c.ec);
    CHECK(c.ec == io::error::truncated_frame);
  }
  SUBCASE("at a frame boundary") {
    io::demuxer d;
    collected c;
    feed(d, frame(1, "abc"), c);
    d.put_eof(c.ec);
    CHECK(!c.ec);
  }
}

TEST_CASE("stream 3 carries the daemon's error") {
  SUBCASE("surfaced when the frame ends, decoding goes on") {
    io::demuxer d;
    const std::string in = frame(3, "no such container") + frame(1, "x");
    stream_id s{};
    std::string_view p;
    std::error_code ec;
    std::size_t n = d.put(in, s, p, ec);
    CHECK(n == 8 + 17);
    CHECK(ec == io::error::system_stream);
    CHECK(s == stream_id::system);
    CHECK(p.empty());
    CHECK(d.system_message() == "no such container");
    CHECK(d.payload_direct() == 0);
    n = d.put(std::string_view(in).substr(n), s, p, ec);
    CHECK(!ec);
    CHECK(p == "x");
    CHECK(d.system_message() == "no such container");
  }
  SUBCASE("split across calls: not reported early, never handed out as payload") {
    io::demuxer d;
    const std::string in = frame(3, "split message");
    collected c;
    for (std::size_t i = 0; i + 1 < in.size(); ++i) feed(d, in.substr(i, 1), c);
    CHECK(c.system.empty());
    CHECK(d.payload_direct() == 0);  // stream 3 is never read directly
    feed(d, in.substr(in.size() - 1), c);
    CHECK(c.system == std::vector<std::string>{"split message"});
    CHECK(c.streams.empty());
  }
  SUBCASE("capped at 4096 bytes, rest of the frame discarded") {
    io::demuxer d;
    const std::string big(5000, 'e');
    collected c;
    feed(d, frame(3, big) + frame(2, "tail"), c);
    REQUIRE(c.system.size() == 1);
    CHECK(c.system[0] == std::string(io::demuxer::system_message_cap, 'e'));
    CHECK(c.streams[stream_id::stderr_stream] == "tail");
  }
  SUBCASE("a UTF-8 sequence cut by the cap is dropped") {
    io::demuxer d;
    std::string msg(4095, 'a');
    msg += "\xC3\xA9zzz";  // the cap falls inside "é"
    collected c;
    feed(d, frame(3, msg), c);
    REQUIRE(c.system.size() == 1);
    CHECK(c.system[0] == std::string(4095, 'a'));
  }
  SUBCASE("exactly the cap is kept whole") {
    io::demuxer d;
    std::string msg(4094, 'a');
    msg += "\xC3\xA9";
    collected c;
    feed(d, frame(3, msg), c);
    REQUIRE(c.system.size() == 1);
    CHECK(c.system[0] == msg);
  }
  SUBCASE("an empty system frame still reports") {
    io::demuxer d;
    collected c;
    feed(d, frame(3, "first") + frame(3, ""), c);
    CHECK(c.system == std::vector<std::string>{"first", ""});
  }
}

TEST_CASE("bad stream ids and headers are final") {
  for (std::uint8_t id : {std::uint8_t{4}, std::uint8_t{5}, std::uint8_t{0x80}, std::uint8_t{0xff}}) {
    io::demuxer d;
    collected c;
    feed(d, frame(1, "ok") + header(id, 1) + "z", c);
    CHECK(c.ec == io::error::bad_stream_id);
    CHECK(c.streams[stream_id::stdout_stream] == "ok");
  }
  for (std::size_t pad = 1; pad <= 3; ++pad) {
    io::demuxer d;
    std::string h = header(1, 1);
    h[pad] = 1;
    stream_id s{};
    std::string_view p;
    std::error_code ec;
    CHECK(d.put(h + "z", s, p, ec) == 8);
    CHECK(ec == io::error::bad_stream_id);
    CHECK(p.empty());
    // Sticky: nothing more is consumed.
    CHECK(d.put(frame(1, "x"), s, p, ec) == 0);
    CHECK(ec == io::error::bad_stream_id);
    CHECK(d.payload_direct() == 0);
    d.put_eof(ec);
    CHECK(ec == io::error::bad_stream_id);
  }
}

TEST_CASE("frames larger than max_frame") {
  SUBCASE("custom limit: equal is fine, one more is not") {
    CHECK(decode_chunks(frame(1, "0123456789"), {}, 10).streams[stream_id::stdout_stream] ==
          "0123456789");
    CHECK(decode_chunks(frame(1, "0123456789a"), {}, 10).ec == io::error::frame_too_large);
    CHECK(decode_chunks(frame(3, "0123456789a"), {}, 10).ec == io::error::frame_too_large);
  }
  SUBCASE("default limit 64 MiB") {
    io::demuxer d;
    stream_id s{};
    std::string_view p;
    std::error_code ec;
    CHECK(d.put(header(1, 64u << 20), s, p, ec) == 8);
    CHECK(!ec);
    CHECK(d.payload_direct() == 64u << 20);
    io::demuxer e;
    CHECK(e.put(header(1, (64u << 20) + 1), s, p, ec) == 8);
    CHECK(ec == io::error::frame_too_large);
    io::demuxer f;
    CHECK(f.put(header(2, 0xffffffffu), s, p, ec) == 8);
    CHECK(ec == io::error::frame_too_large);
    CHECK(f.payload_direct() == 0);
  }
  SUBCASE("max_frame 0 allows only empty frames") {
    auto c = decode_chunks(frame(1, "") + frame(2, ""), {}, 0);
    CHECK(!c.ec);
    CHECK(decode_chunks(frame(1, "x"), {}, 0).ec == io::error::frame_too_large);
  }
}

TEST_CASE("zero-length frames are skipped in one call") {
  io::demuxer d;
  std::string in;
  for (int i = 0; i < 100; ++i) in += frame(static_cast<std::uint8_t>(i % 3), "");
  in += frame(2, "z");
  stream_id s{};
  std::string_view p;
  std::error_code ec;
  CHECK(d.put(in, s, p, ec) == in.size());
  CHECK(p == "z");
  CHECK(s == stream_id::stderr_stream);
  CHECK(!ec);
  io::demuxer only_empty;
  CHECK(only_empty.put(std::string_view(in).substr(0, 800), s, p, ec) == 800);
  CHECK(p.empty());
  CHECK(!ec);
  only_empty.put_eof(ec);
  CHECK(!ec);
}

}  // TEST_SUITE
