// Fuzz target for the containerd backend's image-document decoders: manifests and
// indexes (parse_manifest), image configs (parse_image_config), docker-save
// manifest.json (parse_save_manifest), and the platform pick of an index.
//
// Input: [selector byte][JSON]. Invariants: decoders return values or pull_errc codes;
// every decoded descriptor has a non-negative size and a digest with an algorithm; a
// platform pick returns one of the index's descriptors.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "berth/containerd/error.hpp"
#include "manifest.hpp"
#include "fuzz_assert.hpp"

namespace d = berth::containerd::detail;
using berth::containerd::pull_category;

namespace {

void check_descriptor(const berth::containerd::descriptor& x) {
  BERTH_FUZZ_ASSERT(x.size >= 0);
  BERTH_FUZZ_ASSERT(x.digest.find(':') != std::string::npos && x.digest.find(':') > 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view json(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto m = d::parse_manifest(json, data[0] & 0x80 ? "application/vnd.oci.image.index.v1+json" : "");
      if (!m) {
        BERTH_FUZZ_ASSERT(m.error().category() == pull_category());
        return 0;
      }
      if (m->index) {
        for (const auto& e : m->manifests) check_descriptor(e.desc);
        auto pick = d::select_platform(*m, d::host_platform());
        if (pick) {
          bool listed = false;
          for (const auto& e : m->manifests) listed = listed || e.desc.digest == pick->digest;
          BERTH_FUZZ_ASSERT(listed);
        }
      } else {
        check_descriptor(m->config);
        for (const auto& l : m->layers) check_descriptor(l);
      }
      break;
    }
    case 1: {
      auto c = d::parse_image_config(json);
      if (!c) {
        BERTH_FUZZ_ASSERT(c.error().category() == pull_category());
        return 0;
      }
      for (const auto& id : c->diff_ids) BERTH_FUZZ_ASSERT(id.find(':') != std::string::npos);
      if (!c->diff_ids.empty()) BERTH_FUZZ_ASSERT(!d::chain_id(c->diff_ids, c->diff_ids.size()).empty());
      break;
    }
    default: {
      auto s = d::parse_save_manifest(json);
      if (!s) {
        BERTH_FUZZ_ASSERT(s.error().category() == pull_category());
        return 0;
      }
      for (const auto& e : *s) BERTH_FUZZ_ASSERT(!e.config.empty());
    }
  }
  return 0;
}
