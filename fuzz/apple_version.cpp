// Fuzz target for berth::apple::parse_apiserver_version and capabilities_of. Invariants: a
// parsed version came after "version " and prints back as one that parses to the same
// numbers; capabilities follow the version (1.0 or newer, else unsupported_version).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "berth/apple/error.hpp"
#include "berth/apple/version.hpp"
#include "fuzz_assert.hpp"

namespace apple = berth::apple;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto v = apple::parse_apiserver_version(in);
  apple::system_info info;
  info.api_server_version = std::string(in);
  auto caps = apple::capabilities_of(info);
  if (!v) {
    BERTH_FUZZ_ASSERT(!caps && caps.error() == apple::xpc_errc::unsupported_version);
    return 0;
  }
  // The numbers read print back as a version that parses to the same numbers.
  BERTH_FUZZ_ASSERT(in.find("version ") != std::string_view::npos);
  const std::string xyz = "version " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                          std::to_string(v->patch);
  auto again = apple::parse_apiserver_version(xyz);
  BERTH_FUZZ_ASSERT(again && again->major == v->major && again->minor == v->minor && again->patch == v->patch);
  BERTH_FUZZ_ASSERT(static_cast<bool>(caps) == (v->major >= 1));
  if (caps) BERTH_FUZZ_ASSERT(caps->version == *v);
  return 0;
}
