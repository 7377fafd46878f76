// The Kata rules. Each rule cites where the limitation is documented; "Limitations.md"
// is kata-containers/kata-containers docs/Limitations.md, "how-to/" its docs/how-to/.
#include "berth/kata/policy.hpp"

#include <sys/stat.h>

#include <string_view>

namespace berth::kata {
namespace {

namespace src {
constexpr std::string_view host_network =
    "Kata Limitations.md, Networking: Host network (--net=host is not supported)";
constexpr std::string_view join_network =
    "Kata Limitations.md, Networking: Support for joining an existing VM network";
constexpr std::string_view links = "Kata Limitations.md, Networking: docker run --link";
constexpr std::string_view own_kernel =
    "Kata Limitations.md, Overview: each container runs in its own VM with its own kernel; "
    "certain container capabilities cannot be supported";
constexpr std::string_view privileged =
    "Kata Limitations.md, Host resource sharing: Privileged containers; how-to/privileged.md";
constexpr std::string_view devices =
    "Kata Limitations.md, Host resource sharing (guest devices instead of host devices, "
    "kata-containers/runtime#1568)";
constexpr std::string_view shm =
    "Kata Limitations.md (1.x/2.x), Resource management: docker run and shared memory "
    "(kata-containers#21)";
constexpr std::string_view sysctls = "Kata how-to/how-to-use-sysctls-with-kata.md";
constexpr std::string_view constraints =
    "Kata Limitations.md, Appendices: The constraints challenge";
constexpr std::string_view security_opt =
    "Kata Limitations.md (1.x/2.x), Docker --security-opt option partially supported; "
    "SELinux support";
constexpr std::string_view blkio = "Kata Limitations.md, Runtime commands: update command";
constexpr std::string_view sockets =
    "Kata: unix sockets and pipes do not cross the VM boundary (kata-containers#4244, #9816)";
constexpr std::string_view system_mounts =
    "Kata virtcontainers (container.go mountSharedDirMounts): bind mounts from /proc and /sys "
    "are skipped";
constexpr std::string_view device_mounts =
    "Kata virtcontainers (mount.go isHostDevice): non-regular files under /dev are host "
    "devices, not shared files";
}  // namespace src

void refuse(policy_report& r, std::string setting, std::string message, std::string_view source) {
  r.refusals.push_back({std::move(setting), std::move(message), std::string(source)});
}
void warn(policy_report& r, std::string setting, std::string message, std::string_view source) {
  r.warnings.push_back({std::move(setting), std::move(message), std::string(source)});
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}
bool under(std::string_view path, std::string_view dir) {
  return path == dir || (starts_with(path, dir) && path.size() > dir.size() && path[dir.size()] == '/');
}

std::string joined_text(const namespace_setting& ns) {
  return ns.target.empty() ? std::string("joined") : "joined with " + ns.target;
}

// Namespaced sysctls, which are set inside the guest kernel
// (how-to/how-to-use-sysctls-with-kata.md, "Namespaced Sysctls").
bool namespaced_sysctl(std::string_view k) {
  return starts_with(k, "kernel.shm") || starts_with(k, "kernel.msg") || k == "kernel.sem" ||
         starts_with(k, "fs.mqueue.") || starts_with(k, "net.");
}

// The kind of a bind source: as given, else classified here (when asked), else guessed
// from the path.
host_path_kind kind_of(const mount_setting& m, bool classify) {
  if (m.source_kind != host_path_kind::unknown) return m.source_kind;
  if (classify) {
    auto k = classify_host_path(m.source);
    if (k != host_path_kind::unknown) return k;
  }
  std::string_view p = m.source;
  if (ends_with(p, ".sock") || ends_with(p, ".socket")) return host_path_kind::socket;
  return host_path_kind::unknown;
}

void check_namespaces(const container_settings& s, policy_report& r) {
  // Host network: "not supported ... Do not use --net=host with Kata Containers".
  if (s.network.mode == sharing::host)
    refuse(r, "network", "host network namespace requested: a Kata VM cannot use the host's "
                         "network stack", src::host_network);
  // Another container's network namespace: "Kata Containers does not support network
  // namespace sharing" (the other container loses its interfaces to the VM).
  if (s.network.mode == sharing::joined)
    refuse(r, "network", "network namespace " + joined_text(s.network) +
                             ": Kata does not support network namespace sharing",
           src::join_network);
  if (!s.links.empty())
    refuse(r, "links", "legacy links (" + s.links.front() + (s.links.size() > 1 ? ", ..." : "") +
                           ") are not supported by Kata", src::links);
  // pid / ipc: the guest has its own kernel; the host's (or another VM's) processes and
  // IPC objects cannot be seen from inside the VM.
  if (s.pid.mode == sharing::host)
    refuse(r, "pid", "host PID namespace requested: processes in a Kata VM cannot see the "
                     "host's processes", src::own_kernel);
  if (s.pid.mode == sharing::joined)
    refuse(r, "pid", "PID namespace " + joined_text(s.pid) +
                         ": another container's processes live in another kernel", src::own_kernel);
  if (s.ipc.mode == sharing::host)
    refuse(r, "ipc", "host IPC namespace requested: the host's shared memory and semaphores "
                     "are not reachable from a Kata VM", src::own_kernel);
  if (s.ipc.mode == sharing::joined)
    refuse(r, "ipc", "IPC namespace " + joined_text(s.ipc) +
                         ": IPC objects cannot be shared across VM kernels", src::own_kernel);
  if (s.uts.mode == sharing::joined)
    refuse(r, "uts", "UTS namespace " + joined_text(s.uts) + ": not shareable across VMs",
           src::own_kernel);
  // Behaves differently: "host" UTS / cgroup namespaces become the guest's.
  if (s.uts.mode == sharing::host)
    warn(r, "uts", "host UTS namespace: the container sees the Kata guest's hostname, not the "
                   "host's", src::own_kernel);
  if (s.cgroupns.mode == sharing::host)
    warn(r, "cgroupns", "host cgroup namespace: the container sees the guest's cgroup tree, not "
                        "the host's", src::constraints);
}

void check_privileges(const container_settings& s, policy_report& r) {
  // Privileged: elevated capabilities in the guest and guest devices; by default the host's
  // block devices are hot-plugged into the guest unless the engine sets
  // privileged_without_host_devices (how-to/privileged.md).
  if (s.privileged)
    warn(r, "privileged", "privileged under Kata grants full access to the guest VM, not the "
                          "host; unless the engine sets privileged_without_host_devices, the "
                          "host's block devices are plugged into the guest",
         src::privileged);
  for (std::size_t i = 0; i < s.devices.size(); ++i)
    warn(r, "devices[" + std::to_string(i) + "]",
         "device " + s.devices[i].host_path +
             " is passed into the Kata guest (block devices are hot-plugged, others need VFIO "
             "passthrough); the container gets a guest device node, not the host's",
         src::devices);
  for (std::size_t i = 0; i < s.security_opt.size(); ++i) {
    std::string_view o = s.security_opt[i];
    if ((starts_with(o, "apparmor=") && o != "apparmor=unconfined") || starts_with(o, "label="))
      warn(r, "security_opt[" + std::to_string(i) + "]",
           "'" + s.security_opt[i] + "' is not enforced inside a Kata VM (only no-new-privileges "
           "and seccomp are documented as supported)", src::security_opt);
  }
}

void check_resources(const container_settings& s, policy_report& r) {
  if (s.shm_size)
    warn(r, "shm_size", "/dev/shm (" + std::to_string(*s.shm_size) +
                            " bytes) is allocated from the guest VM's memory; Kata releases "
                            "before the fix of kata-containers#21 ignore the size", src::shm);
  for (const auto& [key, value] : s.sysctls) {
    // Non-namespaced sysctls would change the whole kernel: under Kata that is the guest's,
    // and the how-to says to set them from a privileged (init) container instead.
    if (!namespaced_sysctl(key))
      refuse(r, "sysctls[" + key + "]",
             "sysctl " + key + "=" + value + " is not namespaced: Kata can only set namespaced "
             "sysctls (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, net.*) per container",
             src::sysctls);
  }
  if (!s.cgroup_parent.empty())
    warn(r, "cgroup_parent", "cgroup parent " + s.cgroup_parent +
                                 " constrains the Kata sandbox (hypervisor and shim) on the host, "
                                 "not only the container's processes", src::constraints);
  if (s.blkio_weight)
    warn(r, "blkio_weight", "block I/O weight is applied at create only: Kata cannot update it "
                            "later", src::blkio);
}

void check_mounts(const container_settings& s, bool classify, policy_report& r) {
  for (std::size_t i = 0; i < s.mounts.size(); ++i) {
    const auto& m = s.mounts[i];
    if (m.type != "bind") continue;
    std::string name = "mounts[" + std::to_string(i) + "]";
    std::string what = m.source + " -> " + m.target;
    if (under(m.source, "/proc") || under(m.source, "/sys")) {
      refuse(r, name, "bind mount " + what + ": Kata does not share host /proc or /sys paths "
                      "with the guest (the mount would silently be dropped)", src::system_mounts);
      continue;
    }
    switch (kind_of(m, classify)) {
      case host_path_kind::socket:
        refuse(r, name, "bind mount of the unix socket " + what + ": the host's sockets cannot "
                        "be reached from inside a Kata VM", src::sockets);
        continue;
      case host_path_kind::fifo:
        refuse(r, name, "bind mount of the named pipe " + what + ": the host's pipes cannot be "
                        "reached from inside a Kata VM", src::sockets);
        continue;
      case host_path_kind::block_device:
        warn(r, name, "bind mount of the block device " + what + ": Kata hot-plugs it into the "
                      "guest as a block device", src::device_mounts);
        continue;
      case host_path_kind::char_device:
        warn(r, name, "bind mount of the character device " + what + ": Kata treats it as a "
                      "host device, not a shared file; the container sees the guest's device",
             src::device_mounts);
        continue;
      default: break;
    }
    if (under(m.source, "/dev") && m.source != "/dev/shm" && !starts_with(m.source, "/dev/shm/"))
      warn(r, name, "bind mount " + what + ": Kata treats non-regular files under /dev as host "
                    "devices, not shared files", src::device_mounts);
  }
}

}  // namespace

policy_report evaluate(const container_settings& s, const runtime_choice& choice, bool classify) {
  policy_report r;
  if (choice.isolation_level() != isolation::vm) return r;
  check_namespaces(s, r);
  check_privileges(s, r);
  check_resources(s, r);
  check_mounts(s, classify, r);
  return r;
}

std::string to_string(const finding& f) {
  return f.setting + ": " + f.message + " [" + f.source + "]";
}

policy_report validate(const container_settings& s, const runtime_choice& choice,
                       std::error_code& ec, diagnostics* diag) {
  auto r = evaluate(s, choice);
  ec.clear();
  if (diag) diag->clear();
  if (!r.ok()) {
    ec = errc::unsupported_setting;
    if (diag) {
      std::string msg = to_string(r.refusals.front());
      if (r.refusals.size() > 1)
        msg += " (and " + std::to_string(r.refusals.size() - 1) + " more refused settings)";
      diag->set_message(msg);
    }
  }
  return r;
}

policy_report validate(const container_settings& s, const runtime_choice& choice) {
  std::error_code ec;
  diagnostics diag;
  auto r = validate(s, choice, ec, &diag);
  throw_if(ec, diag);
  return r;
}

host_path_kind classify_host_path(const std::string& path) {
  struct ::stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return host_path_kind::unknown;
  if (S_ISDIR(st.st_mode)) return host_path_kind::directory;
  if (S_ISREG(st.st_mode)) return host_path_kind::regular_file;
  if (S_ISSOCK(st.st_mode)) return host_path_kind::socket;
  if (S_ISFIFO(st.st_mode)) return host_path_kind::fifo;
  if (S_ISCHR(st.st_mode)) return host_path_kind::char_device;
  if (S_ISBLK(st.st_mode)) return host_path_kind::block_device;
  return host_path_kind::unknown;
}

}  // namespace berth::kata
