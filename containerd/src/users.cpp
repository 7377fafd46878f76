// User and group names of a container, resolved as Docker resolves them: in the image's
// (or the container's) /etc/passwd and /etc/group. containerd is local, so berth reads
// them straight from the snapshot's directories (the overlay's upper and lower folders,
// or a bind source), top layer first, without mounting anything.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "berth/core/offload.hpp"

#include "berth/containerd/error.hpp"
#include "image_store.hpp"
#include "spec_json.hpp"
#include "state.hpp"

namespace berth::containerd::detail {

namespace {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t at = 0;
  for (;;) {
    auto e = s.find(sep, at);
    out.emplace_back(s.substr(at, e == std::string_view::npos ? std::string_view::npos : e - at));
    if (e == std::string_view::npos) break;
    at = e + 1;
  }
  return out;
}

bool numeric(std::string_view s, std::uint32_t& out) {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > 0xffffffffu) return false;
  }
  out = static_cast<std::uint32_t>(v);
  return true;
}

/// The first of dirs holding rel (top first), read whole; nullopt when none has it.
std::optional<std::string> read_top(const std::vector<std::string>& dirs, const char* rel) {
  for (const auto& d : dirs) {
    std::ifstream in(d + "/" + rel, std::ios::binary);
    if (!in) continue;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> rootfs_dirs(const std::vector<mount>& mounts) {
  std::vector<std::string> dirs;
  for (const auto& m : mounts) {
    if (m.type == "overlay") {
      std::string upper, lower;
      for (const auto& o : m.options) {
        if (o.rfind("upperdir=", 0) == 0) upper = o.substr(9);
        if (o.rfind("lowerdir=", 0) == 0) lower = o.substr(9);
      }
      if (!upper.empty()) dirs.push_back(upper);
      for (auto& l : split(lower, ':'))
        if (!l.empty()) dirs.push_back(l);
    } else if (m.type == "bind" || m.type == "rbind") {
      dirs.push_back(m.source);
    }
  }
  return dirs;
}

result<std::string> resolve_user(const std::vector<std::string>& dirs, std::string_view user,
                                  std::vector<std::uint32_t>& groups) {
  auto colon = user.find(':');
  std::string_view uname = user.substr(0, colon);
  std::string_view gname = colon == std::string_view::npos ? std::string_view() : user.substr(colon + 1);
  std::uint32_t uid = 0, gid = 0;
  bool have_gid = false;
  std::string login;  // the user's name, for its supplementary groups
  if (!numeric(uname, uid)) {
    auto passwd = read_top(dirs, "etc/passwd");
    if (!passwd) return unexpected(pull_errc::bad_user);
    bool found = false;
    std::istringstream in(*passwd);
    for (std::string line; std::getline(in, line);) {
      auto f = split(line, ':');
      if (f.size() < 4 || f[0] != uname) continue;
      if (!numeric(f[2], uid) || !numeric(f[3], gid)) return unexpected(pull_errc::bad_user);
      have_gid = true;
      found = true;
      login = f[0];
      break;
    }
    if (!found) return unexpected(pull_errc::bad_user);
  }
  if (!gname.empty() && !numeric(gname, gid)) {
    auto group = read_top(dirs, "etc/group");
    if (!group) return unexpected(pull_errc::bad_user);
    bool found = false;
    std::istringstream in(*group);
    for (std::string line; std::getline(in, line);) {
      auto f = split(line, ':');
      if (f.size() < 3 || f[0] != gname) continue;
      if (!numeric(f[2], gid)) return unexpected(pull_errc::bad_user);
      found = true;
      break;
    }
    if (!found) return unexpected(pull_errc::bad_user);
    have_gid = true;
  } else if (!gname.empty()) {
    have_gid = true;
  }
  if (!login.empty()) {
    // A named user's primary group is a supplementary group too, as under Docker (`id`
    // shows groups=<gid>), then the groups listing the user as a member.
    if (have_gid && std::find(groups.begin(), groups.end(), gid) == groups.end()) groups.insert(groups.begin(), gid);
    // The groups listing the user as a member (Docker gives them as supplementary groups).
    if (auto group = read_top(dirs, "etc/group")) {
      std::istringstream in(*group);
      for (std::string line; std::getline(in, line);) {
        auto f = split(line, ':');
        std::uint32_t g = 0;
        if (f.size() < 4 || !numeric(f[2], g)) continue;
        for (const auto& m : split(f[3], ','))
          if (m == login && g != gid && std::find(groups.begin(), groups.end(), g) == groups.end())
            groups.push_back(g);
      }
    }
  }
  return std::to_string(uid) + ":" + std::to_string(have_gid ? gid : 0);
}

std::string find_init(const std::string& configured) {
  if (!configured.empty()) return ::access(configured.c_str(), X_OK) == 0 ? configured : std::string();
  for (const char* p : {"/usr/bin/docker-init", "/usr/libexec/docker/docker-init", "/usr/bin/tini-static",
                        "/sbin/tini-static", "/usr/local/bin/tini-static"})
    if (::access(p, X_OK) == 0) return p;
  return {};
}

asio::awaitable<result<std::string>> resolve_image_user(std::shared_ptr<state> s, std::string snapshotter,
                                                        std::string parent, std::string user,
                                                        std::vector<std::uint32_t>& groups) {
  // A short-lived view of the image's top snapshot gives its folders; nothing is mounted.
  std::string key = "berth-user-" + random_hex();
  op::snapshot_view view{.snapshotter = snapshotter, .key = key, .parent = parent};
  auto mounts = co_await execute(s, std::move(view), call_options{});
  if (!mounts) {
    if (is_not_found(mounts.error())) co_return unexpected(pull_errc::image_not_unpacked);
    co_return unexpected(mounts.error());
  }
  auto dirs = rootfs_dirs(*mounts);
  auto lookup = [dirs, user, groups]() mutable {
    auto r = resolve_user(dirs, user, groups);
    return std::pair{std::move(r), std::move(groups)};
  };
  auto [resolved, more] = co_await berth::detail::offload(std::move(lookup));
  op::snapshot_remove rm{.snapshotter = snapshotter, .key = key};
  (void)co_await execute(s, std::move(rm), call_options{});
  if (resolved) groups = std::move(more);
  co_return resolved;
}

}  // namespace berth::containerd::detail
