// Fuzz target for berth::apple::parse_signal. Invariants: a parsed signal is 1 to 64, and
// its canonical name parses back to it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "berth/apple/signal.hpp"
#include "fuzz_assert.hpp"

namespace apple = berth::apple;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto n = apple::parse_signal(in);
  if (!n) return 0;
  BERTH_FUZZ_ASSERT(*n >= 1 && *n <= 64);
  auto back = apple::parse_signal(apple::signal_name(*n));
  BERTH_FUZZ_ASSERT(back && *back == *n);
  return 0;
}
