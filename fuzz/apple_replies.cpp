// Fuzz target for the reply decoders of every route (apple/src/wire.hpp) and the dump form.
//
// Input: [route selector][entries...], an entry being [kind][key length][key][length: 2
// bytes, big-endian][bytes]. Kinds (low 3 bits): 0 string, 1 data, 2 bool, 3 int64,
// 4 uint64, 5 date (the integers from the first 8 bytes), 6 fd (/dev/null), 7 array of
// length-many fds (at most 4). Invariants: a decoder returns a value or an error of
// berth.apple (in-band) or berth.apple.xpc (bad_reply), never throws; a bad reply names
// the route in its diagnostics.
#include <fcntl.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "berth/apple/error.hpp"
#include "fuzz_assert.hpp"
#include "wire.hpp"

namespace apple = berth::apple;

namespace {

apple::shared_fd null_fd() { return apple::shared_fd::adopt(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

template <class Op>
void decode(const apple::message& m) {
  berth::diagnostics d;
  auto r = apple::wire::decode(Op{}, m, &d);
  if (r) return;
  const std::error_code ec = r.error();
  if (ec.category() == apple::category()) return;
  BERTH_FUZZ_ASSERT(ec == apple::xpc_errc::bad_reply);
  BERTH_FUZZ_ASSERT(d.request_id == Op::route);
  BERTH_FUZZ_ASSERT(d.message.rfind(std::string(Op::route) + ": reply key ", 0) == 0);
}

using decoder = void (*)(const apple::message&);
#define BERTH_FUZZ_ENTRY(name) &decode<apple::op::name>,
const decoder decoders[] = {BERTH_APPLE_APISERVER_OPS(BERTH_FUZZ_ENTRY) BERTH_APPLE_IMAGES_OPS(BERTH_FUZZ_ENTRY)};
#undef BERTH_FUZZ_ENTRY

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const decoder dec = decoders[data[0] % (sizeof decoders / sizeof decoders[0])];
  std::size_t at = 1;
  apple::message m;
  int fds = 0;
  while (at + 2 <= size) {
    const std::uint8_t kind = data[at] & 7;
    const std::size_t klen = data[at + 1];
    at += 2;
    if (at + klen + 2 > size) break;
    const std::string key(reinterpret_cast<const char*>(data) + at, klen);
    at += klen;
    const std::size_t vlen = (std::size_t{data[at]} << 8) | data[at + 1];
    at += 2;
    const std::size_t n = std::min(vlen, size - at);
    const std::string bytes(reinterpret_cast<const char*>(data) + at, n);
    at += n;
    std::uint64_t u = 0;
    std::memcpy(&u, bytes.data(), std::min<std::size_t>(bytes.size(), 8));
    switch (kind) {
      case 0: m.set_string(key, bytes); break;
      case 1: m.set_data(key, bytes); break;
      case 2: m.set_bool(key, !bytes.empty() && bytes[0] != 0); break;
      case 3: m.set_int64(key, static_cast<std::int64_t>(u)); break;
      case 4: m.set_uint64(key, u); break;
      case 5: m.set_date(key, apple::xpc_date{static_cast<std::int64_t>(u)}); break;
      case 6:
        if (fds++ < 8) m.set_fd(key, null_fd());
        break;
      default: {
        apple::array a;
        for (std::size_t i = 0; i < std::min<std::size_t>(vlen, 4) && fds < 8; ++i, ++fds) a.emplace_back(null_fd());
        m.set_array(key, std::move(a));
      }
    }
  }
  dec(m);
  BERTH_FUZZ_ASSERT(!apple::dump(m).empty() || m.empty());
  return 0;
}
