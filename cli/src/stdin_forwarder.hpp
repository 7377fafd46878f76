// Forwarding the berth command's stdin to a container or process (run -i, exec -i), for
// both backends.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#include <asio/buffer.hpp>

namespace berth::cli {

/// Set while a thread forwarding stdin may still be blocked reading it (main() then ends
/// the process without unwinding the client underneath that thread).
extern std::atomic<bool> stdin_forwarder_active;

/// Forwards our stdin (fd 0) to sink from a thread of its own until end of input or a
/// write error, then closes the sink's stdin. Sink has write(asio::const_buffer,
/// std::error_code&) and close_stdin(std::error_code&): engine::output_stream (a
/// half-close) or containerd::process.
template <class Sink>
void forward_stdin(std::shared_ptr<Sink> sink) {
  stdin_forwarder_active = true;
  std::thread([sink] {
    std::vector<char> buf(64 * 1024);
    std::error_code ec;
    for (;;) {
      ssize_t n = ::read(0, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      sink->write(asio::buffer(buf.data(), static_cast<std::size_t>(n)), ec);
      if (ec) break;
    }
    if (!ec) sink->close_stdin(ec);
    stdin_forwarder_active = false;
  }).detach();
}

}  // namespace berth::cli
