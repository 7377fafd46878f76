// Which OCI runtime runs a container: runc (the default), Kata Containers through its
// containerd v2 shim, or any other shim / registered runtime by name. Each backend turns
// the one choice into its own settings: the Docker backend sets HostConfig.Runtime
// (berth/kata/docker.hpp), the containerd backend sets Container.Runtime {name, options}
// from containerd_runtime_of() below.
//
//   auto choice = berth::kata::runtime_choice::kata({.config_path = "/etc/kata/qemu.toml"});
//   auto rt = berth::kata::containerd_runtime_of(choice).value();
//   // rt.name == "io.containerd.kata.v2"
//   // rt.options->type_url == "runtimeoptions.v1.Options", rt.options->value: its bytes
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/kata/error.hpp"

namespace berth::kata {

/// containerd's runc shim (plugin.RuntimeRuncV2 in containerd's plugin/plugin.go).
inline constexpr std::string_view runc_v2_shim = "io.containerd.runc.v2";
/// Kata's shim: containerd resolves it to the binary containerd-shim-kata-v2.
inline constexpr std::string_view kata_v2_shim = "io.containerd.kata.v2";

/// Type URL of containerd.runc.v1.Options (runtime/v2/runc/options/oci.proto). containerd
/// 1.x registers its gogo types under the bare message name (typeurl.TypeURL falls back to
/// proto.MessageName): no "type.googleapis.com/" prefix.
inline constexpr std::string_view runc_options_type_url = "containerd.runc.v1.Options";
/// Type URL of runtimeoptions.v1.Options (pkg/runtimeoptions/v1/api.proto): the message
/// the CRI plugin and `ctr run --runtime-config-path` send to non-runc shims, and the one
/// Kata's shim reads its configuration path from (ConfigPath).
inline constexpr std::string_view runtime_options_type_url = "runtimeoptions.v1.Options";

/// How strongly a runtime isolates: in the host kernel (runc and friends) or in a VM of its
/// own (Kata). The Kata policy (berth/kata/policy.hpp) applies to vm.
enum class isolation { container, vm };

/// Which family a runtime_choice belongs to.
enum class runtime_kind { runc, kata, other };

/// runc's options (containerd.runc.v1.Options fields 1, 6, 7 and 9). Empty or false:
/// runc's own default. This is berth's one encoder of these options: the containerd
/// backend takes the packed Any (container_options::runtime) from containerd_runtime_of().
struct BERTH_API runc_options {
  std::string binary_name{};   ///< runc binary name or path (BinaryName).
  bool systemd_cgroup = false; ///< Let systemd manage the cgroups (SystemdCgroup).
  std::string root{};          ///< runc's state directory (Root).
  bool no_pivot_root = false;  ///< Do not use pivot_root (NoPivotRoot; ramdisk hosts).

  bool operator==(const runc_options&) const = default;
  /// True when every field has runc's default.
  bool is_default() const noexcept { return *this == runc_options{}; }
};

/// Kata's options.
struct BERTH_API kata_options {
  /// Path of the Kata configuration file (configuration.toml) on the engine's host;
  /// empty: the shim's default (KATA_CONF_FILE, then its built-in search path).
  std::string config_path{};

  bool operator==(const kata_options&) const = default;
};

/// The runtime a container should run under. Default-constructed: runc with its defaults.
class BERTH_API runtime_choice {
 public:
  runtime_choice() = default;

  /// runc, through containerd's io.containerd.runc.v2 shim or Docker's default runtime.
  static runtime_choice runc(runc_options opts = {});
  /// Kata Containers v2 (io.containerd.kata.v2); isolation::vm.
  static runtime_choice kata(kata_options opts = {});
  /// Any other runtime by name: on containerd a shim name ("io.containerd.runsc.v1") or
  /// the absolute path of a shim binary; on Docker a runtime registered in the daemon.
  /// config_path, when set, travels as runtimeoptions.v1.Options on containerd. Pass
  /// isolation::vm for a VM-based runtime (a Kata variant under another name) so that
  /// the Kata policy applies to it.
  static runtime_choice named(std::string name, isolation iso = isolation::container,
                              std::string config_path = {});

  runtime_kind kind() const noexcept { return kind_; }
  /// isolation::vm for Kata and for named runtimes declared as such.
  kata::isolation isolation_level() const noexcept { return isolation_; }
  /// The name given to named(); empty for runc and Kata.
  const std::string& name() const noexcept { return name_; }
  /// runc's options (meaningful for runtime_kind::runc).
  const runc_options& runc_opts() const noexcept { return runc_; }
  /// The configuration path (Kata's, or the one given to named()).
  const std::string& config_path() const noexcept { return config_path_; }
  /// The shim name containerd would use: io.containerd.runc.v2, io.containerd.kata.v2 or
  /// name().
  std::string shim_name() const;
  /// A short human-readable description ("kata (io.containerd.kata.v2)", ...).
  std::string describe() const;

  bool operator==(const runtime_choice&) const = default;

 private:
  runtime_kind kind_ = runtime_kind::runc;
  kata::isolation isolation_ = kata::isolation::container;
  std::string name_{};
  runc_options runc_{};
  std::string config_path_{};
};

/// A protobuf Any as containerd 1.x wants it: a bare type URL and the message's bytes.
struct BERTH_API packed_any {
  std::string type_url{};
  std::string value{};  ///< The serialized message (binary protobuf).

  bool operator==(const packed_any&) const = default;
};

/// What containerd's Container.Runtime holds (containers.proto: name = 1, options = 2).
struct BERTH_API containerd_runtime {
  std::string name{};                    ///< The shim name or path.
  std::optional<packed_any> options{};   ///< Absent when every option has its default.

  bool operator==(const containerd_runtime&) const = default;
};

/// containerd's runtime name and options for a choice, without any generated protobuf
/// code: runc → io.containerd.runc.v2 with containerd.runc.v1.Options when an option is
/// set; Kata → io.containerd.kata.v2 with runtimeoptions.v1.Options{config_path} when a
/// path is set; named → the name, with runtimeoptions.v1.Options when a path is set.
/// containerd 1.6 hands the container's runtime options to the shim's Create when the
/// task create carries none (runtime/v2/shim.go), so the same Any serves both places.
/// Fails with errc::invalid_runtime for a named choice with an empty name.
BERTH_API result<containerd_runtime> containerd_runtime_of(const runtime_choice& choice);

/// containerd.runc.v1.Options serialized (fields no_pivot_root = 1, binary_name = 6,
/// root = 7, systemd_cgroup = 9; defaults omitted, as proto3 does).
BERTH_API std::string encode_runc_options(const runc_options& opts);
/// runtimeoptions.v1.Options serialized (type_url = 1, config_path = 2).
BERTH_API std::string encode_runtime_options(std::string_view config_path, std::string_view type_url = {});
/// google.protobuf.Any serialized (type_url = 1, value = 2).
BERTH_API std::string encode_any(const packed_any& any);
/// containerd.services.containers.v1.Container.Runtime serialized (name = 1,
/// options = 2): for a backend that builds the Container message by hand.
BERTH_API std::string encode_container_runtime(const containerd_runtime& rt);

}  // namespace berth::kata
