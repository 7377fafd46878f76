// Fuzz target for the Docker Engine API models (berth/engine/json.hpp).
//
// Input: [selector byte][JSON]. The selector picks a model (low 5 bits) and whether the
// JSON is one object or an array of them (bit 7). Whatever parses must serialise, the
// serialisation must parse back to an equal value that serialises to the same bytes, and
// the API version check must agree with to_json at the oldest version. A required field
// that is absent or mistyped fails the parse with json_error::missing_field and a path;
// a required field is always written, so whatever parsed parses back.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "berth/engine/json.hpp"
#include "fuzz_assert.hpp"

namespace engine = berth::engine;

namespace {

template <class T>
void check_value(const T& x) {
  const auto s1 = engine::to_json(x);
  BERTH_FUZZ_ASSERT(s1.has_value());
  const auto y = engine::parse<T>(*s1);
  BERTH_FUZZ_ASSERT(y.has_value());
  BERTH_FUZZ_ASSERT(*y == x);
  const auto s2 = engine::to_json(*y);
  BERTH_FUZZ_ASSERT(s2.has_value());
  BERTH_FUZZ_ASSERT(*s2 == *s1);

  constexpr engine::api_version oldest = engine::min_api_version;
  const std::string path = engine::first_unsupported_field(x, oldest);
  const auto old = engine::to_json(x, oldest);
  if (path.empty()) {
    BERTH_FUZZ_ASSERT(old.has_value() && *old == *s1);
  } else {
    BERTH_FUZZ_ASSERT(!old.has_value() && old.error() == engine::json_error::field_unsupported);
  }
}

template <class T>
void run(std::string_view json, bool array) {
  if (array) {
    std::string missing;
    const auto xs = engine::parse_array<T>(json, missing);
    if (!xs) {
      BERTH_FUZZ_ASSERT(xs.error() == engine::json_error::bad_json ||
                        xs.error() == engine::json_error::not_an_array ||
                        xs.error() == engine::json_error::missing_field);
      BERTH_FUZZ_ASSERT((xs.error() == engine::json_error::missing_field) == !missing.empty());
      return;
    }
    for (const auto& x : *xs) check_value(x);
    return;
  }
  std::string missing;
  const auto x = engine::parse<T>(json, missing);
  if (!x) {
    BERTH_FUZZ_ASSERT(x.error() == engine::json_error::bad_json ||
                      x.error() == engine::json_error::not_an_object ||
                      x.error() == engine::json_error::missing_field);
    BERTH_FUZZ_ASSERT((x.error() == engine::json_error::missing_field) == !missing.empty());
    return;
  }
  check_value(*x);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t selector = data[0];
  const std::string_view json(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool array = (selector & 0x80) != 0;
  switch ((selector & 0x1f) % 24) {
    case 0: run<engine::container_inspect_response>(json, array); break;
    case 1: run<engine::container_config>(json, array); break;
    case 2: run<engine::host_config>(json, array); break;
    case 3: run<engine::container_summary>(json, array); break;
    case 4: run<engine::image_inspect>(json, array); break;
    case 5: run<engine::image_summary>(json, array); break;
    case 6: run<engine::network_summary>(json, array); break;
    case 7: run<engine::network_inspect>(json, array); break;
    case 8: run<engine::volume>(json, array); break;
    case 9: run<engine::system_info>(json, array); break;
    case 10: run<engine::system_version>(json, array); break;
    case 11: run<engine::event_message>(json, array); break;
    case 12: run<engine::exec_inspect_response>(json, array); break;
    case 13: run<engine::container_wait_response>(json, array); break;
    case 14: run<engine::create_image_info>(json, array); break;
    case 15: run<engine::build_info>(json, array); break;
    case 16: run<engine::container_stats_response>(json, array); break;
    case 17: run<engine::container_create_body>(json, array); break;
    case 18: run<engine::volume_list_response>(json, array); break;
    case 19: run<engine::system_data_usage_response>(json, array); break;
    case 20: run<engine::container_exec_body>(json, array); break;
    case 21: run<engine::service>(json, array); break;
    case 22: run<engine::push_image_info>(json, array); break;
    case 23: run<engine::container_top_response>(json, array); break;
  }
  return 0;
}
