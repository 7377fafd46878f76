// Fuzz target for the apple payload codecs (berth/apple/json.hpp), every payload type.
//
// Input: [selector][JSON]. The low 5 bits of the selector pick the type (in the order of
// BERTH_APPLE_PAYLOADS), bit 7 decodes a JSON array of it. Invariants: a decoded value
// encodes, the encoding decodes back to an equal value and re-encodes to identical bytes;
// a failure is a json_errc, and a missing field always names its path.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "berth/apple/json.hpp"
#include "fuzz_assert.hpp"

namespace apple = berth::apple;

namespace {

template <class T>
void check_one(std::string_view json) {
  std::string path;
  auto r = apple::parse<T>(json, path);
  if (!r) {
    const std::error_code ec = r.error();
    BERTH_FUZZ_ASSERT(ec.category() == apple::json_category());
    if (ec == apple::json_errc::missing_field) BERTH_FUZZ_ASSERT(!path.empty());
    return;
  }
  auto text = apple::to_json(*r);
  BERTH_FUZZ_ASSERT(text);
  auto back = apple::parse<T>(*text);
  BERTH_FUZZ_ASSERT(back);
  BERTH_FUZZ_ASSERT(*back == *r);
  auto again = apple::to_json(*back);
  BERTH_FUZZ_ASSERT(again && *again == *text);
}

template <class T>
void check_array(std::string_view json) {
  std::string path;
  auto r = apple::parse_array<T>(json, path);
  if (!r) {
    BERTH_FUZZ_ASSERT(r.error().category() == apple::json_category());
    return;
  }
  auto text = apple::to_json(*r);
  BERTH_FUZZ_ASSERT(text);
  auto back = apple::parse_array<T>(*text);
  BERTH_FUZZ_ASSERT(back && *back == *r);
}

using checker = void (*)(std::string_view);
struct pair {
  checker one;
  checker many;
};

#define BERTH_FUZZ_ENTRY(T) {&check_one<apple::T>, &check_array<apple::T>},
using namespace berth::apple;
const pair table[] = {BERTH_APPLE_PAYLOADS(BERTH_FUZZ_ENTRY)};
#undef BERTH_FUZZ_ENTRY

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static_assert(sizeof table / sizeof table[0] == 32, "the selector's low 5 bits pick a type");
  const std::uint8_t sel = data[0];
  const std::string_view json(reinterpret_cast<const char*>(data) + 1, size - 1);
  const pair& p = table[sel & 0x1f];
  if (sel & 0x80) p.many(json);
  else p.one(json);
  return 0;
}
