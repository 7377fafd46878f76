#include "berth/kata/runtime.hpp"

#include <utility>

#include "protobuf_wire.hpp"

namespace berth::kata {

runtime_choice runtime_choice::runc(runc_options opts) {
  runtime_choice c;
  c.runc_ = std::move(opts);
  return c;
}

runtime_choice runtime_choice::kata(kata_options opts) {
  runtime_choice c;
  c.kind_ = runtime_kind::kata;
  c.isolation_ = kata::isolation::vm;
  c.config_path_ = std::move(opts.config_path);
  return c;
}

runtime_choice runtime_choice::named(std::string name, kata::isolation iso,
                                     std::string config_path) {
  runtime_choice c;
  c.kind_ = runtime_kind::other;
  c.isolation_ = iso;
  c.name_ = std::move(name);
  c.config_path_ = std::move(config_path);
  return c;
}

std::string runtime_choice::shim_name() const {
  switch (kind_) {
    case runtime_kind::runc: return std::string(runc_v2_shim);
    case runtime_kind::kata: return std::string(kata_v2_shim);
    case runtime_kind::other: break;
  }
  return name_;
}

std::string runtime_choice::describe() const {
  switch (kind_) {
    case runtime_kind::runc: return "runc (" + std::string(runc_v2_shim) + ")";
    case runtime_kind::kata: return "kata (" + std::string(kata_v2_shim) + ")";
    case runtime_kind::other: break;
  }
  return "'" + name_ + "'";
}

// Field numbers, from the protos Debian ships with containerd 1.6
// (/usr/share/gocode/src/github.com/containerd/containerd/):
//   runtime/v2/runc/options/oci.proto   containerd.runc.v1.Options
//       no_pivot_root = 1 (bool), binary_name = 6 (string), root = 7 (string),
//       systemd_cgroup = 9 (bool)
//   pkg/runtimeoptions/v1/api.proto     runtimeoptions.v1.Options
//       type_url = 1 (string), config_path = 2 (string)
//   api/services/containers/v1/containers.proto  Container.Runtime
//       name = 1 (string), options = 2 (google.protobuf.Any)
//   google/protobuf/any.proto           Any: type_url = 1, value = 2 (bytes)

std::string encode_runc_options(const runc_options& opts) {
  std::string out;
  wire::put_bool(out, 1, opts.no_pivot_root);
  wire::put_bytes(out, 6, opts.binary_name);
  wire::put_bytes(out, 7, opts.root);
  wire::put_bool(out, 9, opts.systemd_cgroup);
  return out;
}

std::string encode_runtime_options(std::string_view config_path, std::string_view type_url) {
  std::string out;
  wire::put_bytes(out, 1, type_url);
  wire::put_bytes(out, 2, config_path);
  return out;
}

std::string encode_any(const packed_any& any) {
  std::string out;
  wire::put_bytes(out, 1, any.type_url);
  wire::put_bytes(out, 2, any.value);
  return out;
}

std::string encode_container_runtime(const containerd_runtime& rt) {
  std::string out;
  wire::put_bytes(out, 1, rt.name);
  // A set Any is present even when both its fields are empty.
  if (rt.options) wire::put_message(out, 2, encode_any(*rt.options));
  return out;
}

result<containerd_runtime> containerd_runtime_of(const runtime_choice& choice) {
  containerd_runtime rt;
  rt.name = choice.shim_name();
  if (rt.name.empty()) return unexpected(errc::invalid_runtime);
  switch (choice.kind()) {
    case runtime_kind::runc:
      if (!choice.runc_opts().is_default())
        rt.options = packed_any{std::string(runc_options_type_url),
                                encode_runc_options(choice.runc_opts())};
      break;
    case runtime_kind::kata:
    case runtime_kind::other:
      if (!choice.config_path().empty())
        rt.options = packed_any{std::string(runtime_options_type_url),
                                encode_runtime_options(choice.config_path())};
      break;
  }
  return rt;
}

}  // namespace berth::kata
