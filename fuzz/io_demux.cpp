// Fuzz target for berth::io::demuxer.
//
// Input: [config byte][seed byte][multiplexed stream]. The config picks max_frame and
// whether the driver reads payload directly (payload_direct/consume_payload); the seed
// drives how the stream is cut into reads. The demuxer's output (bytes per stream, system
// messages, final error) must equal a one-pass reference decoding of the whole stream,
// every payload must be a view into the read it came from, and memory must stay bounded.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/io/demux.hpp"
#include "fuzz_assert.hpp"

namespace io = berth::io;

namespace {

struct outcome {
  std::string streams[3];
  std::vector<std::string> system;  // reference: whole payloads; demuxer: capped messages
  std::error_code ec;
};

outcome reference(std::string_view in, std::uint32_t max_frame) {
  outcome o;
  while (!in.empty()) {
    if (in.size() < 8) {
      o.ec = io::error::truncated_frame;
      return o;
    }
    const auto b = [&](std::size_t i) { return static_cast<std::uint8_t>(in[i]); };
    if (b(0) > 3 || b(1) != 0 || b(2) != 0 || b(3) != 0) {
      o.ec = io::error::bad_stream_id;
      return o;
    }
    const std::uint32_t len = (std::uint32_t{b(4)} << 24) | (std::uint32_t{b(5)} << 16) |
                              (std::uint32_t{b(6)} << 8) | b(7);
    if (len > max_frame) {
      o.ec = io::error::frame_too_large;
      return o;
    }
    const std::uint8_t id = b(0);
    in.remove_prefix(8);
    const std::string_view payload = in.substr(0, len);
    if (id == 3) {
      if (payload.size() < len) {
        o.ec = io::error::truncated_frame;
        return o;
      }
      o.system.emplace_back(payload);
    } else {
      o.streams[id].append(payload);
      if (payload.size() < len) {
        o.ec = io::error::truncated_frame;
        return o;
      }
    }
    in.remove_prefix(len);
  }
  return o;
}

struct rng {
  std::uint32_t state;
  std::uint32_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
  std::size_t size(std::size_t max) { return max == 0 ? 0 : next() % (max + 1); }
};

constexpr std::uint32_t max_frames[] = {0, 1, 7, 64, 5000, 64u << 20};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t config = data[0];
  const std::uint32_t max_frame = max_frames[config % 6];
  const bool direct_reads = (config & 0x08) != 0;
  const std::size_t max_read = (config & 0x10) ? 1 : (config & 0x20) ? 16 : 4096;
  rng r{0x9e3779b9u ^ (std::uint32_t{data[1]} * 0x01000193u) ^ static_cast<std::uint32_t>(size)};
  if (r.state == 0) r.state = 1;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  io::demuxer d(max_frame);
  outcome got;
  std::size_t at = 0;
  bool failed = false;
  while (at < stream.size() && !failed) {
    if (direct_reads && d.payload_direct() > 0 && (r.next() & 1)) {
      const std::uint32_t direct = d.payload_direct();
      BERTH_FUZZ_ASSERT(direct <= max_frame);
      BERTH_FUZZ_ASSERT(d.current_stream() != io::stream_id::system);
      const std::size_t n = std::min({std::size_t{direct}, std::max<std::size_t>(1, r.size(max_read)),
                                      stream.size() - at});
      got.streams[static_cast<int>(d.current_stream())].append(stream.substr(at, n));
      d.consume_payload(static_cast<std::uint32_t>(n));
      BERTH_FUZZ_ASSERT(d.payload_direct() == direct - n);
      at += n;
      continue;
    }
    // One read: its own allocation, so a view past its end is caught by ASan.
    const std::size_t len = std::min(std::max<std::size_t>(1, r.size(max_read)), stream.size() - at);
    std::unique_ptr<char[]> buf(new char[len]);
    std::memcpy(buf.get(), stream.data() + at, len);
    at += len;
    std::string_view chunk(buf.get(), len);
    while (!chunk.empty()) {
      io::stream_id s{};
      std::string_view payload;
      std::error_code ec;
      const std::size_t n = d.put(chunk, s, payload, ec);
      BERTH_FUZZ_ASSERT(n <= chunk.size());
      BERTH_FUZZ_ASSERT(d.system_message().size() <= io::demuxer::system_message_cap);
      if (!payload.empty()) {
        BERTH_FUZZ_ASSERT(!ec);
        BERTH_FUZZ_ASSERT(payload.data() >= chunk.data());
        BERTH_FUZZ_ASSERT(payload.data() + payload.size() == chunk.data() + n);
        BERTH_FUZZ_ASSERT(static_cast<int>(s) < 3);
        got.streams[static_cast<int>(s)].append(payload);
      } else if (!ec) {
        BERTH_FUZZ_ASSERT(n == chunk.size());  // nothing to hand out: all consumed
      }
      chunk.remove_prefix(n);
      if (ec == io::error::system_stream) {
        BERTH_FUZZ_ASSERT(s == io::stream_id::system);
        got.system.push_back(d.system_message());
      } else if (ec) {
        got.ec = ec;
        failed = true;
        // Final: nothing more is consumed.
        std::string_view p2;
        std::error_code ec2;
        BERTH_FUZZ_ASSERT(d.put(chunk.empty() ? std::string_view("x") : chunk, s, p2, ec2) == 0);
        BERTH_FUZZ_ASSERT(ec2 == ec && p2.empty() && d.payload_direct() == 0);
        break;
      }
      BERTH_FUZZ_ASSERT(n > 0 || chunk.empty());
    }
  }
  if (!failed) d.put_eof(got.ec);

  const outcome want = reference(stream, max_frame);
  BERTH_FUZZ_ASSERT(got.ec == want.ec);
  for (int i = 0; i < 3; ++i) BERTH_FUZZ_ASSERT(got.streams[i] == want.streams[i]);
  BERTH_FUZZ_ASSERT(got.system.size() == want.system.size());
  for (std::size_t i = 0; i < got.system.size(); ++i) {
    const std::string& msg = got.system[i];
    const std::string& full = want.system[i];
    if (full.size() <= io::demuxer::system_message_cap) {
      BERTH_FUZZ_ASSERT(msg == full);
    } else {
      // Capped, minus at most a cut UTF-8 sequence.
      BERTH_FUZZ_ASSERT(full.compare(0, msg.size(), msg) == 0);
      BERTH_FUZZ_ASSERT(msg.size() + 3 >= io::demuxer::system_message_cap);
    }
  }
  return 0;
}
