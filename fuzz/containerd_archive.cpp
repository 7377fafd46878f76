// Fuzz target for the image import's archive parsers: the streaming tar reader (ustar,
// GNU long names, pax headers, base-256 sizes, truncation) and the documents an archive
// carries at its root: index.json (parse_manifest as an OCI index), oci-layout
// (parse_oci_layout) and docker save's manifest.json (parse_save_manifest).
//
// Input: a tar archive. The first byte also picks the read size of the source (1..256
// bytes per call), so short reads are exercised. Invariants: the reader ends with a value
// or a pull_errc / source error; it never hands out more data than an entry's size, nor
// consumes more than the input; paths are normalised; the decoders are total.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "berth/containerd/error.hpp"
#include "manifest.hpp"
#include "tar.hpp"
#include "fuzz_assert.hpp"

namespace d = berth::containerd::detail;
using berth::containerd::pull_category;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t step = 1 + data[0];
  std::size_t pos = 0;
  d::tar_reader tar([&](char* buf, std::size_t n, std::error_code&) {
    std::size_t k = std::min({n, step, size - pos});
    std::memcpy(buf, data + pos, k);
    pos += k;
    return k;
  });
  char buf[4096];
  for (int entries = 0; entries < 10000; ++entries) {
    auto next = tar.next();
    if (!next) {
      BERTH_FUZZ_ASSERT(next.error().category() == pull_category());
      break;
    }
    if (!*next) break;
    const auto& e = **next;
    BERTH_FUZZ_ASSERT(e.size >= 0);
    BERTH_FUZZ_ASSERT(e.path.empty() || (e.path.front() != '/' && e.path.back() != '/'));
    BERTH_FUZZ_ASSERT(e.path.find("//") == std::string::npos);
    BERTH_FUZZ_ASSERT(e.path != "." && e.path.rfind("./", 0) != 0 && e.path.rfind("../", 0) != 0);
    std::string body;
    std::int64_t got = 0;
    bool ok = true;
    for (;;) {
      auto n = tar.read(buf, sizeof buf);
      if (!n) {
        BERTH_FUZZ_ASSERT(n.error().category() == pull_category());
        ok = false;
        break;
      }
      if (*n == 0) break;
      got += static_cast<std::int64_t>(*n);
      if (body.size() < (1u << 16)) body.append(buf, *n);
    }
    BERTH_FUZZ_ASSERT(got <= e.size);
    BERTH_FUZZ_ASSERT(tar.offset() <= size);
    if (!ok) break;
    BERTH_FUZZ_ASSERT(got == e.size);
    if (e.path == "index.json") {
      auto m = d::parse_manifest(body, "application/vnd.oci.image.index.v1+json");
      if (m) {
        for (const auto& x : m->manifests) BERTH_FUZZ_ASSERT(x.desc.size >= 0 && !x.desc.digest.empty());
      } else {
        BERTH_FUZZ_ASSERT(m.error().category() == pull_category());
      }
    } else if (e.path == "oci-layout") {
      auto v = d::parse_oci_layout(body);
      if (v) BERTH_FUZZ_ASSERT(!v->empty() && (*v)[0] == '1');
    } else if (e.path == "manifest.json") {
      auto s = d::parse_save_manifest(body);
      if (s)
        for (const auto& x : *s) BERTH_FUZZ_ASSERT(!x.config.empty());
    }
  }
  return 0;
}
