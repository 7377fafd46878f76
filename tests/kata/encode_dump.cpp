// Prints berth's hand-encoded runtime options for fixed inputs, one "<case> <hex>" line
// each; protoc_crosscheck.sh encodes the same inputs with protoc and containerd's protos.
#include <cstdio>
#include <string>
#include <string_view>

#include "berth/kata/runtime.hpp"

using namespace berth::kata;

namespace {
void print(const char* name, std::string_view bytes) {
  std::printf("%s ", name);
  for (unsigned char c : bytes) std::printf("%02x", c);
  std::printf("\n");
}
}  // namespace

int main() {
  auto runc = containerd_runtime_of(
                  runtime_choice::runc({.binary_name = "crun", .systemd_cgroup = true, .root = "/run/r", .no_pivot_root = true}))
                  .value();
  print("runc_options", runc.options->value);
  print("runc_runtime", encode_container_runtime(runc));
  auto kata = containerd_runtime_of(runtime_choice::kata({.config_path = "/etc/kata/configuration.toml"}))
                  .value();
  print("kata_options", kata.options->value);
  print("kata_runtime", encode_container_runtime(kata));
  print("kata_default_runtime", encode_container_runtime(containerd_runtime_of(runtime_choice::kata()).value()));
  print("runtime_options_both", encode_runtime_options("/c.toml", "io.containerd.kata.v2.Config"));
  return 0;
}
