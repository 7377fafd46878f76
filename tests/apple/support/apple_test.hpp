// Helpers of the fake-backed apple tests: pipes, blocking reads to EOF, raw requests.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "berth/apple/message.hpp"

namespace berth::apple::test {

/// A pipe: {read end, write end}, close-on-exec, each owned by a shared_fd.
inline std::pair<shared_fd, shared_fd> make_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return {};
  return {shared_fd::adopt(p[0]), shared_fd::adopt(p[1])};
}

/// Reads fd until EOF (blocking).
inline std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

/// Writes all of s to fd (blocking).
inline bool write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(fd, s.data(), s.size());
    if (n <= 0) return false;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace berth::apple::test
