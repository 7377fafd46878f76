// Fuzz target for berth::apple::map_inband_error: any bytes as the data of a reply's
// "com.apple.container.xpc.error" key. Invariants: an errc of berth.apple, never a throw,
// the message within diagnostics::message_cap and not cut inside a UTF-8 sequence (when
// the input's message was valid UTF-8), the request id and status left empty.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "berth/apple/error.hpp"
#include "fuzz_assert.hpp"

namespace apple = berth::apple;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  berth::diagnostics d;
  d.request_id = "x";
  const std::error_code ec = apple::map_inband_error(in, &d);
  BERTH_FUZZ_ASSERT(ec);
  BERTH_FUZZ_ASSERT(ec.category() == apple::category());
  BERTH_FUZZ_ASSERT(ec.value() >= 1 && ec.value() <= 11);
  BERTH_FUZZ_ASSERT(d.message.size() <= berth::diagnostics::message_cap);
  BERTH_FUZZ_ASSERT(d.status == 0 && d.request_id.empty());
  BERTH_FUZZ_ASSERT(apple::map_inband_error(in, nullptr) == ec);
  return 0;
}
