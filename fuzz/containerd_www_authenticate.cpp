// Fuzz target for the registry client's WWW-Authenticate parser and for image
// references (parse_reference).
//
// Input: [selector byte][text]. Invariants: a parsed challenge has a non-empty scheme
// without spaces or commas and lower-case non-empty parameter names; a parsed reference
// has a registry and a repository, a tag or a digest, and its name() parses back to the
// same parts.
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "berth/containerd/error.hpp"
#include "berth/containerd/pull.hpp"
#include "manifest.hpp"
#include "fuzz_assert.hpp"

namespace d = berth::containerd::detail;
namespace ctrd = berth::containerd;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    auto c = d::parse_www_authenticate(text);
    if (!c) {
      BERTH_FUZZ_ASSERT(c.error().category() == ctrd::pull_category());
      return 0;
    }
    BERTH_FUZZ_ASSERT(!c->scheme.empty());
    BERTH_FUZZ_ASSERT(c->scheme.find_first_of(" ,\t") == std::string::npos);
    for (const auto& [k, v] : c->params) {
      BERTH_FUZZ_ASSERT(!k.empty());
      for (char ch : k) BERTH_FUZZ_ASSERT(!std::isupper(static_cast<unsigned char>(ch)));
    }
    return 0;
  }
  auto r = ctrd::parse_reference(text);
  if (!r) {
    BERTH_FUZZ_ASSERT(r.error() == ctrd::pull_errc::bad_reference);
    return 0;
  }
  BERTH_FUZZ_ASSERT(!r->registry.empty() && !r->repository.empty());
  BERTH_FUZZ_ASSERT(!r->tag.empty() || !r->digest.empty());
  auto again = ctrd::parse_reference(r->name());
  BERTH_FUZZ_ASSERT(again);
  BERTH_FUZZ_ASSERT(again->registry == r->registry && again->repository == r->repository &&
                    again->tag == r->tag && again->digest == r->digest);
  return 0;
}
