#include "berth/io/json_lines.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

namespace io = berth::io;

namespace {

constexpr const char* too_long = "<line_too_long>";

// Lines (and line_too_long markers) of a whole input, the simple way.
std::vector<std::string> reference(std::string_view in, std::size_t max_line) {
  std::vector<std::string> out;
  for (;;) {
    const auto nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_line) out.emplace_back(too_long);
    else if (line.find_first_not_of(" \t\r\n\f\v") != std::string_view::npos) out.emplace_back(line);
    if (nl == std::string_view::npos) return out;
    in.remove_prefix(nl + 1);
  }
}

struct splitter_run {
  io::json_lines lines;
  std::vector<std::string> out;
  std::size_t max_buffered = 0;

  explicit splitter_run(std::size_t max_line) : lines(max_line) {}

  void feed(std::string_view chunk) {
    for (;;) {
      std::string_view line = "sentinel";
      std::error_code ec;
      const std::size_t n = lines.put(chunk, line, ec);
      REQUIRE(n <= chunk.size());
      max_buffered = std::max(max_buffered, lines.buffered());
      REQUIRE(lines.buffered() <= lines.max_line());
      if (ec) {
        CHECK(ec == io::error::line_too_long);
        CHECK(line.empty());
        out.emplace_back(too_long);
      } else if (!line.empty()) {
        CHECK(line.size() <= lines.max_line());
        CHECK(line.back() != '\n');
        out.emplace_back(line);
      } else {
        CHECK(n == chunk.size());  // no line: everything consumed
      }
      chunk.remove_prefix(n);
      if (chunk.empty()) return;
    }
  }
  void finish() {
    std::string_view line;
    std::error_code ec = io::error::line_too_long;
    if (lines.put_eof(line, ec)) {
      CHECK(!line.empty());
      out.emplace_back(line);
    } else {
      CHECK(line.empty());
    }
    CHECK(!ec);
    CHECK(lines.buffered() <= lines.max_line());
  }
};

std::vector<std::string> split(std::string_view in, const std::vector<std::size_t>& cuts,
                               std::size_t max_line) {
  splitter_run r(max_line);
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    r.feed(in.substr(at, cut - at));
    at = cut;
  }
  r.feed(in.substr(at));
  r.finish();
  return r.out;
}

const std::string sample =
    "{\"status\":\"Pulling\"}\r\n\n  \t\r\n{\"a\":1}\n\r\n{\"long\":\"0123456789abcdef\"}\n"
    "{\"x\":\"a\rb\"}\r\n \n{\"last\":true}";

}  // namespace

TEST_SUITE("unit") {

TEST_CASE("lines wholly in the input are views into it") {
  io::json_lines s;
  const std::string in = "{\"a\":1}\n{\"b\":2}\r\n";
  std::string_view line;
  std::error_code ec;
  std::size_t n = s.put(in, line, ec);
  CHECK(n == 8);
  CHECK(!ec);
  CHECK(line == "{\"a\":1}");
  CHECK(line.data() == in.data());
  n = s.put(std::string_view(in).substr(8), line, ec);
  CHECK(n == 9);
  CHECK(line == "{\"b\":2}");
  CHECK(line.data() == in.data() + 8);
  CHECK(s.buffered() == 0);
  CHECK(s.put({}, line, ec) == 0);
  CHECK(line.empty());
  CHECK_FALSE(s.put_eof(line, ec));
}

TEST_CASE("a split line is reassembled in the internal buffer") {
  io::json_lines s;
  std::string_view line;
  std::error_code ec;
  CHECK(s.put("{\"id\":", line, ec) == 6);
  CHECK(line.empty());
  CHECK(s.buffered() == 6);
  const std::string second = "\"x\"}\nnext";
  CHECK(s.put(second, line, ec) == 5);
  CHECK(line == "{\"id\":\"x\"}");
  CHECK((line.data() < second.data() || line.data() >= second.data() + second.size()));
  CHECK(s.put(std::string_view(second).substr(5), line, ec) == 4);
  CHECK(line.empty());
  CHECK(s.buffered() == 4);
  CHECK(s.put_eof(line, ec));
  CHECK(line == "next");
  CHECK(!ec);
}

TEST_CASE("reference sample in one piece") {
  const std::vector<std::string> expected = {
      "{\"status\":\"Pulling\"}", "{\"a\":1}", "{\"long\":\"0123456789abcdef\"}",
      "{\"x\":\"a\rb\"}", "{\"last\":true}"};
  CHECK(reference(sample, 1024) == expected);
  CHECK(split(sample, {}, 1024) == expected);
}

TEST_CASE("split lines at every position") {
  for (std::size_t max_line : {std::size_t{8}, std::size_t{16}, std::size_t{27}, std::size_t{1024}}) {
    const auto expected = reference(sample, max_line);
    for (std::size_t i = 0; i <= sample.size(); ++i) {
      CAPTURE(max_line);
      CAPTURE(i);
      REQUIRE(split(sample, {i}, max_line) == expected);
    }
  }
}

TEST_CASE("every pair of split positions") {
  const auto expected = reference(sample, 19);
  REQUIRE(std::count(expected.begin(), expected.end(), too_long) == 2);
  for (std::size_t i = 0; i <= sample.size(); ++i) {
    for (std::size_t j = i; j <= sample.size(); ++j) {
      CAPTURE(i);
      CAPTURE(j);
      REQUIRE(split(sample, {i, j}, 19) == expected);
    }
  }
}

TEST_CASE("byte by byte") {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < sample.size(); ++i) cuts.push_back(i);
  CHECK(split(sample, cuts, 1024) == reference(sample, 1024));
  CHECK(split(sample, cuts, 10) == reference(sample, 10));
}

TEST_CASE("CRLF") {
  CHECK(split("a\r\nb\r\n", {}, 64) == std::vector<std::string>{"a", "b"});
  CHECK(split("a\r\nb\r\n", {2}, 64) == std::vector<std::string>{"a", "b"});  // "\r" | "\n"
  CHECK(split("a\r\r\n", {2}, 64) == std::vector<std::string>{"a\r"});  // only one '\r' stripped
  CHECK(split("a\rb\n", {2}, 64) == std::vector<std::string>{"a\rb"});  // a lone '\r' is data
  CHECK(split("a\r", {}, 64) == std::vector<std::string>{"a"});         // at EOF too
}

TEST_CASE("blank and whitespace-only lines are skipped in one call") {
  io::json_lines s;
  const std::string in = "\n\r\n \t \n\f\v\r\n{}\n";
  std::string_view line;
  std::error_code ec;
  CHECK(s.put(in, line, ec) == in.size());
  CHECK(line == "{}");
  CHECK(split("\n\n\n", {}, 64).empty());
  CHECK(split("   ", {}, 64).empty());  // final blank line: nothing
  CHECK(split(" x ", {1}, 64) == std::vector<std::string>{" x "});  // inner spaces kept
}

TEST_CASE("lines longer than max_line") {
  SUBCASE("limit is on the line without its CRLF") {
    CHECK(split("12345678\n", {}, 8) == std::vector<std::string>{"12345678"});
    CHECK(split("12345678\r\n", {}, 8) == std::vector<std::string>{"12345678"});
    CHECK(split("12345678\r\n", {9}, 8) == std::vector<std::string>{"12345678"});
    CHECK(split("12345678\r", {}, 8) == std::vector<std::string>{"12345678"});
    CHECK(split("123456789\n", {}, 8) == std::vector<std::string>{too_long});
    CHECK(split("12345678\r\r\n", {}, 8) == std::vector<std::string>{too_long});
    CHECK(split("12345678\r\r\n", {9}, 8) == std::vector<std::string>{too_long});
  }
  SUBCASE("reported once, the rest of the line is discarded, then splitting goes on") {
    io::json_lines s(8);
    std::string_view line;
    std::error_code ec;
    CHECK(s.put("0123456789", line, ec) == 10);
    CHECK(ec == io::error::line_too_long);
    CHECK(s.buffered() == 0);
    CHECK(s.put("abcdefghij", line, ec) == 10);
    CHECK(!ec);
    CHECK(line.empty());
    const std::string tail = "xyz\nok\n";
    CHECK(s.put(tail, line, ec) == tail.size());
    CHECK(!ec);
    CHECK(line == "ok");
  }
  SUBCASE("a long line wholly in the input is consumed through its newline") {
    io::json_lines s(4);
    std::string_view line;
    std::error_code ec;
    const std::string in = "toolong\nok\n";
    CHECK(s.put(in, line, ec) == 8);
    CHECK(ec == io::error::line_too_long);
    CHECK(s.put(std::string_view(in).substr(8), line, ec) == 3);
    CHECK(line == "ok");
  }
  SUBCASE("a whitespace-only line that is too long is still too long") {
    CHECK(split(std::string(20, ' ') + "\nx\n", {}, 8) == std::vector<std::string>{too_long, "x"});
  }
  SUBCASE("final unterminated long line is not returned") {
    CHECK(split("ok\n0123456789", {5}, 8) == std::vector<std::string>{"ok", too_long});
  }
  SUBCASE("memory stays bounded by max_line whatever the input") {
    splitter_run r(100);
    const std::string chunk(37, 'q');
    for (int i = 0; i < 1000; ++i) r.feed(chunk);
    CHECK(r.max_buffered <= 100);
    CHECK(r.max_buffered >= 74);
    CHECK(r.out == std::vector<std::string>{too_long});
    r.feed("\nend\n");
    CHECK(r.out == std::vector<std::string>{too_long, "end"});
  }
  SUBCASE("max_line 0: only blank lines pass") {
    CHECK(split("\n\r\nx\n", {}, 0) == std::vector<std::string>{too_long});
  }
}

TEST_CASE("put_eof") {
  io::json_lines s;
  std::string_view line;
  std::error_code ec;
  CHECK_FALSE(s.put_eof(line, ec));
  CHECK(s.put("{\"final\":1}", line, ec) == 11);
  CHECK(line.empty());
  CHECK(s.put_eof(line, ec));
  CHECK(line == "{\"final\":1}");
  CHECK(!ec);
  // The splitter is ready for a new stream.
  CHECK_FALSE(s.put_eof(line, ec));
  CHECK(line.empty());
  CHECK(s.buffered() == 0);
  CHECK(s.put("a\n", line, ec) == 2);
  CHECK(line == "a");
  SUBCASE("after a discarded long line") {
    io::json_lines t(3);
    CHECK(t.put("abcdef", line, ec) == 6);
    CHECK(ec == io::error::line_too_long);
    CHECK_FALSE(t.put_eof(line, ec));
    CHECK(!ec);
    // the next stream starts clean: its first line is not discarded
    CHECK(t.put("ok\n", line, ec) == 3);
    CHECK(line == "ok");
  }
}

}  // TEST_SUITE
