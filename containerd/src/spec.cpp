// The OCI runtime spec berth generates: the defaults containerd's own client uses for a
// Linux container (namespaces, mounts, capabilities, masked paths), the image config, and
// the caller's options on top.
#include <algorithm>
#include <cctype>
#include <charconv>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "berth/containerd/error.hpp"
#include "spec_json.hpp"

namespace berth::containerd {

namespace detail {
namespace {

using rapidjson::Value;
using doc_t = rapidjson::Document;

const char* const default_caps[] = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",      "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",           "CAP_SETFCAP",     "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",           "CAP_SYS_CHROOT",       "CAP_KILL",        "CAP_AUDIT_WRITE",
};

const char* const all_caps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
    "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
    "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
};

const char* const masked_paths[] = {
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
};
const char* const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

constexpr const char* default_path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string cap_name(std::string c) {
  for (auto& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return c.rfind("CAP_", 0) == 0 ? c : "CAP_" + c;
}

Value sv(std::string_view s, doc_t::AllocatorType& a) {
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

Value str_array(const std::vector<std::string>& v, doc_t::AllocatorType& a) {
  Value arr(rapidjson::kArrayType);
  for (const auto& s : v) arr.PushBack(sv(s, a), a);
  return arr;
}

/// Sets KEY=V in env, replacing an earlier KEY.
void set_env(std::vector<std::string>& env, const std::string& kv) {
  auto eq = kv.find('=');
  std::string key = kv.substr(0, eq);
  auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) {
    return e.compare(0, key.size(), key) == 0 && (e.size() == key.size() || e[key.size()] == '=');
  });
  if (it != env.end())
    *it = kv;
  else
    env.push_back(kv);
}

Value mount_obj(std::string_view dest, std::string_view type, std::string_view source,
                const std::vector<std::string>& options, doc_t::AllocatorType& a) {
  Value m(rapidjson::kObjectType);
  m.AddMember("destination", sv(dest, a), a);
  m.AddMember("type", sv(type, a), a);
  m.AddMember("source", sv(source, a), a);
  m.AddMember("options", str_array(options, a), a);
  return m;
}

std::string to_json(const Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return {sb.GetString(), sb.GetSize()};
}

Value capabilities(const std::vector<std::string>& caps, doc_t::AllocatorType& a) {
  Value c(rapidjson::kObjectType);
  for (const char* set : {"bounding", "effective", "permitted"}) c.AddMember(Value(set, a), str_array(caps, a), a);
  return c;
}

}  // namespace

result<std::pair<std::uint32_t, std::uint32_t>> parse_user(std::string_view user) {
  std::uint32_t uid = 0, gid = 0;
  auto colon = user.find(':');
  auto num = [](std::string_view s, std::uint32_t& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  };
  if (user.empty()) return std::pair{uid, gid};
  if (!num(user.substr(0, colon), uid)) return unexpected(pull_errc::bad_user);
  if (colon != std::string_view::npos && !num(user.substr(colon + 1), gid)) return unexpected(pull_errc::bad_user);
  return std::pair{uid, gid};
}

result<std::string> make_spec(const container_options& o, const image_config& img, std::string_view ns) {
  doc_t d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("ociVersion", "1.0.2-dev", a);

  // process
  std::vector<std::string> args = o.args;
  if (args.empty()) {
    args = img.entrypoint;
    args.insert(args.end(), img.cmd.begin(), img.cmd.end());
  }
  if (args.empty()) return unexpected(errc::invalid_argument);
  std::vector<std::string> env{default_path};
  for (const auto& e : img.env) set_env(env, e);
  for (const auto& e : o.env) set_env(env, e);
  if (o.terminal) set_env(env, "TERM=xterm");
  auto user = parse_user(o.user.empty() ? img.user : o.user);
  if (!user) return unexpected(user.error());

  std::vector<std::string> caps;
  if (o.privileged) {
    caps.assign(std::begin(all_caps), std::end(all_caps));
  } else {
    caps.assign(std::begin(default_caps), std::end(default_caps));
    for (const auto& c : o.cap_add)
      if (std::find(caps.begin(), caps.end(), cap_name(c)) == caps.end()) caps.push_back(cap_name(c));
    for (const auto& c : o.cap_drop) std::erase(caps, cap_name(c));
  }

  Value proc(rapidjson::kObjectType);
  proc.AddMember("terminal", o.terminal, a);
  Value u(rapidjson::kObjectType);
  u.AddMember("uid", user->first, a);
  u.AddMember("gid", user->second, a);
  proc.AddMember("user", u, a);
  proc.AddMember("args", str_array(args, a), a);
  proc.AddMember("env", str_array(env, a), a);
  std::string cwd = !o.cwd.empty() ? o.cwd : !img.working_dir.empty() ? img.working_dir : "/";
  proc.AddMember("cwd", sv(cwd, a), a);
  proc.AddMember("capabilities", capabilities(caps, a), a);
  Value rl(rapidjson::kArrayType);
  Value nofile(rapidjson::kObjectType);
  nofile.AddMember("type", "RLIMIT_NOFILE", a);
  nofile.AddMember("hard", 1024, a);
  nofile.AddMember("soft", 1024, a);
  rl.PushBack(nofile, a);
  proc.AddMember("rlimits", rl, a);
  proc.AddMember("noNewPrivileges", !o.privileged, a);
  d.AddMember("process", proc, a);

  Value root(rapidjson::kObjectType);
  root.AddMember("path", "rootfs", a);
  root.AddMember("readonly", o.read_only_rootfs, a);
  d.AddMember("root", root, a);
  d.AddMember("hostname", sv(o.hostname.empty() ? o.id.substr(0, 12) : o.hostname, a), a);

  Value mounts(rapidjson::kArrayType);
  mounts.PushBack(mount_obj("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}, a), a);
  mounts.PushBack(mount_obj("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}, a), a);
  mounts.PushBack(mount_obj("/dev/pts", "devpts", "devpts",
                            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}, a),
                  a);
  mounts.PushBack(mount_obj("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}, a), a);
  mounts.PushBack(mount_obj("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}, a), a);
  mounts.PushBack(mount_obj("/sys", "sysfs", "sysfs",
                            o.privileged ? std::vector<std::string>{"nosuid", "noexec", "nodev"}
                                         : std::vector<std::string>{"nosuid", "noexec", "nodev", "ro"},
                            a),
                  a);
  mounts.PushBack(mount_obj("/run", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}, a), a);
  for (const auto& m : o.mounts) {
    if (m.target.empty() || m.target[0] != '/') return unexpected(errc::invalid_argument);
    std::vector<std::string> opts = m.options;
    if (m.type == "bind") {
      if (m.source.empty()) return unexpected(errc::invalid_argument);
      opts.insert(opts.begin(), {"rbind", m.read_only ? "ro" : "rw"});
      mounts.PushBack(mount_obj(m.target, "bind", m.source, opts, a), a);
    } else if (m.type == "tmpfs") {
      opts.insert(opts.begin(), {"nosuid", "nodev"});
      if (m.read_only) opts.push_back("ro");
      mounts.PushBack(mount_obj(m.target, "tmpfs", "tmpfs", opts, a), a);
    } else {
      return unexpected(errc::invalid_argument);
    }
  }
  d.AddMember("mounts", mounts, a);

  Value lx(rapidjson::kObjectType);
  std::string cgroups = "/" + std::string(ns) + "/" + o.id;
  lx.AddMember("cgroupsPath", sv(cgroups, a), a);
  Value res(rapidjson::kObjectType);
  Value devices(rapidjson::kArrayType);
  Value dev(rapidjson::kObjectType);
  dev.AddMember("allow", o.privileged, a);
  dev.AddMember("access", "rwm", a);
  devices.PushBack(dev, a);
  res.AddMember("devices", devices, a);
  const auto& r = o.resources;
  if (r.memory_bytes) {
    Value mem(rapidjson::kObjectType);
    mem.AddMember("limit", *r.memory_bytes, a);
    res.AddMember("memory", mem, a);
  }
  if (r.cpu_shares || r.cpu_quota || r.cpu_period) {
    Value cpu(rapidjson::kObjectType);
    if (r.cpu_shares) cpu.AddMember("shares", *r.cpu_shares, a);
    if (r.cpu_quota) cpu.AddMember("quota", *r.cpu_quota, a);
    if (r.cpu_period) cpu.AddMember("period", *r.cpu_period, a);
    res.AddMember("cpu", cpu, a);
  }
  if (r.pids_limit) {
    Value pids(rapidjson::kObjectType);
    pids.AddMember("limit", *r.pids_limit, a);
    res.AddMember("pids", pids, a);
  }
  lx.AddMember("resources", res, a);
  Value nss(rapidjson::kArrayType);
  for (const char* t : {"pid", "ipc", "uts", "mount", "network"}) {
    Value n(rapidjson::kObjectType);
    n.AddMember("type", Value(t, a), a);
    nss.PushBack(n, a);
  }
  lx.AddMember("namespaces", nss, a);
  if (!o.privileged) {
    Value masked(rapidjson::kArrayType), ro(rapidjson::kArrayType);
    for (const char* p : masked_paths) masked.PushBack(Value(p, a), a);
    for (const char* p : readonly_paths) ro.PushBack(Value(p, a), a);
    lx.AddMember("maskedPaths", masked, a);
    lx.AddMember("readonlyPaths", ro, a);
  }
  d.AddMember("linux", lx, a);

  if (!o.labels.empty()) {
    Value ann(rapidjson::kObjectType);
    for (const auto& [k, v] : o.labels) ann.AddMember(sv(k, a), sv(v, a), a);
    d.AddMember("annotations", ann, a);
  }
  return to_json(d);
}

result<std::string> make_process(std::string_view container_spec, const process_spec& p) {
  doc_t spec;
  spec.Parse(container_spec.data(), container_spec.size());
  if (spec.HasParseError() || !spec.IsObject() || !spec.HasMember("process") || !spec["process"].IsObject())
    return unexpected(errc::invalid_argument);
  if (p.args.empty()) return unexpected(errc::invalid_argument);
  doc_t d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.CopyFrom(spec["process"], a);
  d.RemoveMember("args");
  d.AddMember("args", str_array(p.args, a), a);
  std::vector<std::string> env;
  if (d.HasMember("env") && d["env"].IsArray())
    for (const auto& e : d["env"].GetArray())
      if (e.IsString()) env.emplace_back(e.GetString());
  for (const auto& e : p.env) set_env(env, e);
  if (p.terminal) set_env(env, "TERM=xterm");
  d.RemoveMember("env");
  d.AddMember("env", str_array(env, a), a);
  if (!p.cwd.empty()) {
    d.RemoveMember("cwd");
    d.AddMember("cwd", sv(p.cwd, a), a);
  }
  d.RemoveMember("terminal");
  d.AddMember("terminal", p.terminal, a);
  if (!p.user.empty()) {
    auto u = parse_user(p.user);
    if (!u) return unexpected(u.error());
    Value uv(rapidjson::kObjectType);
    uv.AddMember("uid", u->first, a);
    uv.AddMember("gid", u->second, a);
    d.RemoveMember("user");
    d.AddMember("user", uv, a);
  }
  return to_json(d);
}

}  // namespace detail
}  // namespace berth::containerd
