// Fuzz target for the real read path of container output: a unix socket, the HTTP/1.1
// parser (Content-Length, chunked or close-delimited bodies), Docker's stream
// demultiplexer and engine::output_stream, as `logs` reads them.
//
// Input: [read size byte][raw HTTP response]. A scripted server (tests/support) answers
// the logs request with the response bytes and closes. The stream is read to its end
// with buffers of the size the first byte picks. Whatever the bytes: no crash, no hang
// (the server closes, so every read ends), no read that succeeds with zero bytes, and no
// more output than the response held.
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "berth/engine/client.hpp"
#include "berth/engine/op/containers.hpp"
#include "fuzz_assert.hpp"
#include "support/fake_server.hpp"

namespace {

std::mutex input_mu;
std::string current_input;

berth::test::fake_server& server() {
  static berth::test::fake_server s([](std::size_t) {
    std::lock_guard<std::mutex> lock(input_mu);
    return berth::test::script{berth::test::step::read_head(),
                               berth::test::step::write(current_input),
                               berth::test::step::close()};
  });
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const std::size_t sizes[] = {1, 3, 8, 100, 4096, 16 * 1024, 65536, 70000};
  const std::size_t buf_size = sizes[data[0] % (sizeof sizes / sizeof sizes[0])];
  {
    std::lock_guard<std::mutex> lock(input_mu);
    current_input.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  }
  berth::engine::client_options o;
  o.version = berth::engine::api_version{1, 41};
  o.http.defaults.total = std::chrono::seconds(10);
  berth::engine::client c(server().endpoint(), o);
  std::error_code ec;
  auto stream = c.run(berth::engine::op::container_logs{.id = "c", .tty = false}, ec);
  if (ec) return 0;
  std::vector<char> buf(buf_size);
  std::size_t total = 0;
  for (;;) {
    auto chunk = stream.read(asio::buffer(buf), ec);
    if (ec) break;
    BERTH_FUZZ_ASSERT(chunk.size > 0);
    BERTH_FUZZ_ASSERT(chunk.size <= buf.size());
    total += chunk.size;
    BERTH_FUZZ_ASSERT(total <= size);
  }
  return 0;
}
