// Fuzz target for berth::io::json_lines.
//
// Input: [config byte][seed byte][stream]. The config picks max_line and the read sizes;
// the seed drives where the stream is cut. The lines and line_too_long errors must equal a
// one-pass reference split of the whole stream; a line must be a view into the read or
// lie wholly outside it (the internal buffer), and the buffer never exceeds max_line.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/io/json_lines.hpp"
#include "fuzz_assert.hpp"

namespace io = berth::io;

namespace {

const std::string too_long = "\x01<line_too_long>";

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos; }

std::vector<std::string> reference(std::string_view in, std::size_t max_line) {
  std::vector<std::string> out;
  for (;;) {
    const auto nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_line) out.push_back(too_long);
    else if (!blank(line)) out.emplace_back(line);
    if (nl == std::string_view::npos) return out;
    in.remove_prefix(nl + 1);
  }
}

struct rng {
  std::uint32_t state;
  std::uint32_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
};

constexpr std::size_t max_lines[] = {0, 1, 2, 7, 64, 1u << 20};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t config = data[0];
  const std::size_t max_line = max_lines[config % 6];
  const std::size_t max_read = (config & 0x10) ? 1 : (config & 0x20) ? 9 : 4096;
  rng r{0x2545f491u ^ (std::uint32_t{data[1]} * 0x01000193u) ^ static_cast<std::uint32_t>(size)};
  if (r.state == 0) r.state = 1;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  io::json_lines splitter(max_line);
  std::vector<std::string> got;
  const auto take = [&](std::string_view line) {
    BERTH_FUZZ_ASSERT(!line.empty());
    BERTH_FUZZ_ASSERT(line.size() <= max_line);
    BERTH_FUZZ_ASSERT(line.find('\n') == std::string_view::npos);
    BERTH_FUZZ_ASSERT(!blank(line));
    got.emplace_back(line);
  };

  std::size_t at = 0;
  while (at < stream.size()) {
    const std::size_t len = std::min<std::size_t>(1 + r.next() % max_read, stream.size() - at);
    std::unique_ptr<char[]> buf(new char[len]);  // its own allocation: ASan sees overreads
    std::memcpy(buf.get(), stream.data() + at, len);
    at += len;
    std::string_view chunk(buf.get(), len);
    while (!chunk.empty()) {
      std::string_view line;
      std::error_code ec;
      const std::size_t n = splitter.put(chunk, line, ec);
      BERTH_FUZZ_ASSERT(n <= chunk.size());
      BERTH_FUZZ_ASSERT(n > 0);
      BERTH_FUZZ_ASSERT(splitter.buffered() <= max_line);
      const char* lo = chunk.data();
      const char* hi = chunk.data() + chunk.size();
      if (ec) {
        BERTH_FUZZ_ASSERT(ec == io::error::line_too_long);
        BERTH_FUZZ_ASSERT(line.empty());
        got.push_back(too_long);
      } else if (!line.empty()) {
        const bool inside = line.data() >= lo && line.data() + line.size() <= hi;
        const bool outside = line.data() + line.size() <= lo || line.data() >= hi;
        BERTH_FUZZ_ASSERT(inside || outside);
        if (inside) BERTH_FUZZ_ASSERT(line.data() + line.size() < lo + n);  // its '\n' was consumed
        take(line);
      } else {
        BERTH_FUZZ_ASSERT(n == chunk.size());
      }
      chunk.remove_prefix(n);
    }
  }
  std::string_view line;
  std::error_code ec = io::error::truncated_line;
  if (splitter.put_eof(line, ec)) take(line);
  else BERTH_FUZZ_ASSERT(line.empty());
  BERTH_FUZZ_ASSERT(!ec);
  BERTH_FUZZ_ASSERT(!splitter.put_eof(line, ec));  // a second EOF has nothing left

  BERTH_FUZZ_ASSERT(got == reference(stream, max_line));
  return 0;
}
