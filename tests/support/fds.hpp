// Counting the process's open file descriptors, to prove nothing leaks.
#pragma once

#include <cstddef>
#include <filesystem>

namespace berth::test {

inline std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

}  // namespace berth::test
