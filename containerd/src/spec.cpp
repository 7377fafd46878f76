// The OCI runtime spec berth generates: the defaults containerd's own client uses for a
// Linux container (namespaces, mounts, capabilities, masked paths), the image config, and
// the caller's options on top.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>

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
    "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};  // in bit order: all_caps[n] is capability n

/// The capabilities a privileged container gets: every one this host's kernel knows that
/// berth's own bounding set holds (containerd is local and no more privileged than its
/// clients here; asking runc for one the host lacks would fail the task's start).
std::vector<std::string> host_caps() {
  std::uint64_t bounding = ~std::uint64_t{0};
  if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f))
      if (std::strncmp(line, "CapBnd:", 7) == 0) bounding = std::strtoull(line + 7, nullptr, 16);
    std::fclose(f);
  }
  std::vector<std::string> caps;
  for (std::size_t bit = 0; bit < std::size(all_caps); ++bit)
    if (bit < 64 && (bounding >> bit & 1)) caps.emplace_back(all_caps[bit]);
  return caps;
}

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

/// RLIMIT_X for "x", "RLIMIT_X" or "rlimit_x"; empty for a name setrlimit does not know.
std::string rlimit_name(std::string_view n) {
  std::string up(n);
  for (auto& ch : up) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (up.rfind("RLIMIT_", 0) != 0) up = "RLIMIT_" + up;
  static const char* const known[] = {"RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA",
                                      "RLIMIT_FSIZE", "RLIMIT_LOCKS", "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE",
                                      "RLIMIT_NICE", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_RSS",
                                      "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK"};
  for (const char* k : known)
    if (up == k) return up;
  return {};
}

/// The host's device nodes under /dev (character and block), as OCI linux.devices
/// entries: what a privileged container gets, as with Docker (the daemon is local).
Value host_devices(doc_t::AllocatorType& a) {
  Value out(rapidjson::kArrayType);
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           "/dev", std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const auto& path = it->path();
    auto rel = path.string();
    // Docker's choice: not the container's own pseudo-terminals, shm or mqueue.
    if (rel.rfind("/dev/pts", 0) == 0 || rel.rfind("/dev/shm", 0) == 0 || rel.rfind("/dev/mqueue", 0) == 0 ||
        rel == "/dev/console" || rel == "/dev/ptmx") {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;
    const char* type = S_ISCHR(st.st_mode) ? "c" : S_ISBLK(st.st_mode) ? "b" : nullptr;
    if (!type) continue;
    Value d(rapidjson::kObjectType);
    d.AddMember("path", sv(rel, a), a);
    d.AddMember("type", Value(type, a), a);
    d.AddMember("major", static_cast<std::int64_t>(major(st.st_rdev)), a);
    d.AddMember("minor", static_cast<std::int64_t>(minor(st.st_rdev)), a);
    d.AddMember("fileMode", static_cast<std::uint32_t>(st.st_mode & 07777), a);
    d.AddMember("uid", static_cast<std::uint32_t>(st.st_uid), a);
    d.AddMember("gid", static_cast<std::uint32_t>(st.st_gid), a);
    out.PushBack(d, a);
  }
  return out;
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
    const auto& cmd = o.cmd.empty() ? img.cmd : o.cmd;
    args.insert(args.end(), cmd.begin(), cmd.end());
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
    caps = host_caps();
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
  if (!o.additional_gids.empty()) {
    Value gids(rapidjson::kArrayType);
    for (auto g : o.additional_gids) gids.PushBack(g, a);
    u.AddMember("additionalGids", gids, a);
  }
  proc.AddMember("user", u, a);
  proc.AddMember("args", str_array(args, a), a);
  proc.AddMember("env", str_array(env, a), a);
  std::string cwd = !o.cwd.empty() ? o.cwd : !img.working_dir.empty() ? img.working_dir : "/";
  proc.AddMember("cwd", sv(cwd, a), a);
  proc.AddMember("capabilities", capabilities(caps, a), a);
  Value rl(rapidjson::kArrayType);
  std::vector<ulimit_spec> limits = o.ulimits;
  if (limits.empty()) limits.push_back({"RLIMIT_NOFILE", 1024, 1024});
  for (const auto& l : limits) {
    std::string name = rlimit_name(l.name);
    if (name.empty() || l.soft > l.hard) return unexpected(errc::invalid_argument);
    Value v(rapidjson::kObjectType);
    v.AddMember("type", sv(name, a), a);
    v.AddMember("hard", l.hard, a);
    v.AddMember("soft", l.soft, a);
    rl.PushBack(v, a);
  }
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
  std::string shm = "size=" + (o.shm_size ? std::to_string(*o.shm_size) : std::string("65536k"));
  if (o.shm_size && *o.shm_size <= 0) return unexpected(errc::invalid_argument);
  mounts.PushBack(mount_obj("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", shm}, a), a);
  mounts.PushBack(mount_obj("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}, a), a);
  mounts.PushBack(mount_obj("/sys", "sysfs", "sysfs",
                            o.privileged ? std::vector<std::string>{"nosuid", "noexec", "nodev"}
                                         : std::vector<std::string>{"nosuid", "noexec", "nodev", "ro"},
                            a),
                  a);
  // The container's own cgroups, read-only unless privileged (containerd's and Docker's
  // default spec): what a process inside reads its limits from.
  mounts.PushBack(mount_obj("/sys/fs/cgroup", "cgroup", "cgroup",
                            o.privileged ? std::vector<std::string>{"nosuid", "noexec", "nodev", "relatime"}
                                         : std::vector<std::string>{"nosuid", "noexec", "nodev", "relatime", "ro"},
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
    if (o.host_pid && std::string_view(t) == "pid") continue;  // the host's: no entry
    Value n(rapidjson::kObjectType);
    n.AddMember("type", Value(t, a), a);
    nss.PushBack(n, a);
  }
  lx.AddMember("namespaces", nss, a);
  if (o.privileged) lx.AddMember("devices", host_devices(a), a);
  if (!o.sysctls.empty()) {
    Value sc(rapidjson::kObjectType);
    for (const auto& [k, v] : o.sysctls) sc.AddMember(sv(k, a), sv(v, a), a);
    lx.AddMember("sysctl", sc, a);
  }
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

namespace {

std::vector<std::string> strings_of(const Value& v) {
  std::vector<std::string> out;
  if (v.IsArray())
    for (const auto& e : v.GetArray())
      if (e.IsString()) out.emplace_back(e.GetString(), e.GetStringLength());
  return out;
}

const Value* member(const Value& v, const char* name) {
  if (!v.IsObject()) return nullptr;
  auto it = v.FindMember(name);
  return it == v.MemberEnd() ? nullptr : &it->value;
}

bool default_mount(std::string_view target) {
  for (const char* t : {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup", "/run"})
    if (target == t) return true;
  return false;
}

}  // namespace

result<container_options> read_spec(std::string_view json) {
  doc_t d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return unexpected(pull_errc::bad_manifest);
  container_options o;
  if (const auto* p = member(d, "process")) {
    if (const auto* v = member(*p, "args")) o.args = strings_of(*v);
    if (const auto* v = member(*p, "env")) o.env = strings_of(*v);
    if (const auto* v = member(*p, "cwd"); v && v->IsString()) o.cwd = v->GetString();
    if (const auto* v = member(*p, "terminal"); v && v->IsBool()) o.terminal = v->GetBool();
    if (const auto* u = member(*p, "user")) {
      std::uint32_t uid = 0, gid = 0;
      if (const auto* v = member(*u, "uid"); v && v->IsUint()) uid = v->GetUint();
      if (const auto* v = member(*u, "gid"); v && v->IsUint()) gid = v->GetUint();
      o.user = std::to_string(uid) + ":" + std::to_string(gid);
      if (const auto* g = member(*u, "additionalGids"); g && g->IsArray())
        for (const auto& e : g->GetArray())
          if (e.IsUint()) o.additional_gids.push_back(e.GetUint());
    }
    std::vector<std::string> caps;
    if (const auto* c = member(*p, "capabilities"))
      if (const auto* b = member(*c, "bounding")) caps = strings_of(*b);
    std::vector<std::string> defaults(std::begin(default_caps), std::end(default_caps));
    // make_spec leaves the masked paths out for a privileged container only.
    const bool masked = member(d, "linux") && member(*member(d, "linux"), "maskedPaths");
    o.privileged = !masked;
    if (!o.privileged) {
      for (const auto& c : caps)
        if (std::find(defaults.begin(), defaults.end(), c) == defaults.end()) o.cap_add.push_back(c);
      for (const auto& c : defaults)
        if (std::find(caps.begin(), caps.end(), c) == caps.end()) o.cap_drop.push_back(c);
    }
    if (const auto* rl = member(*p, "rlimits"); rl && rl->IsArray()) {
      for (const auto& e : rl->GetArray()) {
        const auto* t = member(e, "type");
        const auto* soft = member(e, "soft");
        const auto* hard = member(e, "hard");
        if (!t || !t->IsString() || !soft || !soft->IsUint64() || !hard || !hard->IsUint64()) continue;
        o.ulimits.push_back({t->GetString(), soft->GetUint64(), hard->GetUint64()});
      }
    }
  }
  if (const auto* r = member(d, "root"))
    if (const auto* v = member(*r, "readonly"); v && v->IsBool()) o.read_only_rootfs = v->GetBool();
  if (const auto* v = member(d, "hostname"); v && v->IsString()) o.hostname = v->GetString();
  if (const auto* ms = member(d, "mounts"); ms && ms->IsArray()) {
    for (const auto& m : ms->GetArray()) {
      const auto* dest = member(m, "destination");
      const auto* type = member(m, "type");
      if (!dest || !dest->IsString() || !type || !type->IsString()) continue;
      std::string target = dest->GetString();
      std::vector<std::string> opts;
      if (const auto* v = member(m, "options")) opts = strings_of(*v);
      if (target == "/dev/shm") {
        for (const auto& opt : opts)
          if (opt.rfind("size=", 0) == 0 && opt != "size=65536k") {
            std::int64_t n = 0;
            auto sz = std::string_view(opt).substr(5);
            auto [ptr, ec] = std::from_chars(sz.data(), sz.data() + sz.size(), n);
            if (ec == std::errc() && ptr == sz.data() + sz.size()) o.shm_size = n;
          }
        continue;
      }
      if (default_mount(target)) continue;
      mount_spec ms_;
      ms_.target = target;
      ms_.type = type->GetString();
      if (const auto* src = member(m, "source"); src && src->IsString() && ms_.type == "bind")
        ms_.source = src->GetString();
      for (const auto& opt : opts) {
        if (opt == "ro") ms_.read_only = true;
        else if (opt == "rw" || opt == "rbind" || (ms_.type == "tmpfs" && (opt == "nosuid" || opt == "nodev"))) continue;
        else ms_.options.push_back(opt);
      }
      o.mounts.push_back(std::move(ms_));
    }
  }
  // An init process: its binding and its place in front of the arguments are berth's.
  auto init_mount = std::find_if(o.mounts.begin(), o.mounts.end(),
                                 [](const mount_spec& m) { return m.target == init_target; });
  if (init_mount != o.mounts.end() && o.args.size() >= 2 && o.args[0] == init_target && o.args[1] == "--") {
    o.init = true;
    o.mounts.erase(init_mount);
    o.args.erase(o.args.begin(), o.args.begin() + 2);
  }
  if (const auto* lx = member(d, "linux")) {
    bool pid_ns = false;
    if (const auto* ns = member(*lx, "namespaces"); ns && ns->IsArray())
      for (const auto& n : ns->GetArray())
        if (const auto* t = member(n, "type"); t && t->IsString() && std::string_view(t->GetString()) == "pid")
          pid_ns = true;
    o.host_pid = !pid_ns;
    if (const auto* sc = member(*lx, "sysctl"); sc && sc->IsObject())
      for (const auto& kv : sc->GetObject())
        if (kv.value.IsString()) o.sysctls[kv.name.GetString()] = kv.value.GetString();
    if (const auto* res = member(*lx, "resources")) {
      auto& r = o.resources;
      if (const auto* m = member(*res, "memory"))
        if (const auto* v = member(*m, "limit"); v && v->IsInt64()) r.memory_bytes = v->GetInt64();
      if (const auto* c = member(*res, "cpu")) {
        if (const auto* v = member(*c, "shares"); v && v->IsUint64()) r.cpu_shares = v->GetUint64();
        if (const auto* v = member(*c, "quota"); v && v->IsInt64()) r.cpu_quota = v->GetInt64();
        if (const auto* v = member(*c, "period"); v && v->IsUint64()) r.cpu_period = v->GetUint64();
      }
      if (const auto* pd = member(*res, "pids"))
        if (const auto* v = member(*pd, "limit"); v && v->IsInt64()) r.pids_limit = v->GetInt64();
    }
  }
  return o;
}

}  // namespace detail
}  // namespace berth::containerd
