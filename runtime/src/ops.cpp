// The runtime layer's operations, written once above the engines' primitives
// (backend.hpp): refusal of what an engine cannot do, ownership labels, the recreate
// policy, pull retries, content-addressed builds, readiness waits, sweeps.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "backend.hpp"
#include "berth/core/offload.hpp"
#include "berth/engine/error.hpp"
#include "berth/engine/op/images.hpp"
#include "berth/io/sha256.hpp"

namespace berth::runtime::detail {

using namespace asio::experimental::awaitable_operators;
using clock = std::chrono::steady_clock;

#define BERTH_TRY(v, expr) \
  auto v = co_await (expr); \
  if (!v) co_return unexpected(v.error())

/// Labels the layer keeps on the containers it creates, beside the ownership ones.
constexpr const char* stop_grace_label = "io.berth.runtime.stop-grace";
constexpr const char* health_label = "io.berth.runtime.health";
constexpr const char* content_key_suffix = ".content-key";

backend::~backend() = default;

berth::execution_host& host_of(const std::shared_ptr<backend>& b) noexcept { return b->host(); }
asio::any_io_executor executor_of(const std::shared_ptr<backend>& b) noexcept { return b->executor(); }

void say(const call_options& o, std::string_view message) {
  if (o.diag) {
    o.diag->status = 0;
    o.diag->set_message(message);
  }
}

std::error_code unsupported(call_options o, engine_kind k, std::string_view what) {
  say(o, std::string(to_string(k)) + ": " + std::string(what) + " (see capabilities())");
  return errc::unsupported;
}

task<image_info> backend::build(image_build, std::string, runtime::labels, call_options o) {
  co_return unexpected(unsupported(o, kind(), "image build (no builder for this engine; load an archive instead)"));
}
task<std::vector<named_resource>> backend::list_networks(runtime::labels, std::string, call_options o) {
  co_return unexpected(unsupported(o, kind(), "networks"));
}
task<std::string> backend::create_network(std::string, bool, runtime::labels, call_options o) {
  co_return unexpected(unsupported(o, kind(), "networks"));
}
task<bool> backend::remove_network(std::string, call_options o) {
  co_return unexpected(unsupported(o, kind(), "networks"));
}
task<std::vector<named_resource>> backend::list_volumes(runtime::labels, std::string, call_options o) {
  co_return unexpected(unsupported(o, kind(), "named volumes"));
}
task<named_resource> backend::create_volume(std::string, runtime::labels, call_options o) {
  co_return unexpected(unsupported(o, kind(), "named volumes"));
}
task<bool> backend::remove_volume(std::string, call_options o) {
  co_return unexpected(unsupported(o, kind(), "named volumes"));
}

std::error_code refuse_unsupported(const container_spec& s, const capabilities& c, engine_kind k, call_options o,
                                   std::vector<std::string>* warnings) {
  std::vector<std::string> no;
  if (!c.networks && s.network != network_mode::none)
    no.push_back(std::string("network ") +
                 (s.network == network_mode::host ? "host" : s.network == network_mode::named ? "named" : "default") +
                 " (only none: a private network namespace with loopback)");
  if (!c.publish_ports && !s.ports.empty()) no.push_back("ports (no network to publish from)");
  if (!c.named_volumes)
    for (const auto& m : s.mounts)
      if (m.type == mount::kind::volume) no.push_back("mounts: volume " + m.source + " (named volumes)");
  if (!c.systemd && s.systemd) no.push_back("systemd (no cgroup mount and stop-signal profile)");
  if (!c.host_pid && s.pid_host) no.push_back("pid_host");
  if (!c.init && s.init) no.push_back("init");
  if (!c.ulimits && !s.resources.ulimits.empty()) no.push_back("resources.ulimits");
  if (!no.empty()) {
    std::string msg = std::string(to_string(k)) + " cannot honour: ";
    for (std::size_t i = 0; i < no.size(); ++i) msg += (i ? "; " : "") + no[i];
    say(o, msg + " (see capabilities())");
    return errc::unsupported;
  }
  if (warnings) {
    if (k == engine_kind::docker && !s.snapshotter.empty())
      warnings->push_back("snapshotter " + s.snapshotter + " ignored: Docker chooses its storage driver itself");
    if (!c.native_health && s.health) warnings->push_back("health: run by the layer as an exec probe (wait_ready)");
  }
  return {};
}

namespace {

/// dockerd reports these as 500s with only its words to tell them apart.
std::error_code classify(std::error_code ec, const call_options& o) {
  if (!ec || !o.diag || ec.category() != engine::category()) return ec;
  const auto& m = o.diag->message;
  if (m.find("port is already allocated") != std::string::npos || m.find("address already in use") != std::string::npos)
    return errc::port_conflict;
  if (m.find("non-overlapping IPv4 address pool") != std::string::npos ||
      m.find("could not find an available") != std::string::npos)
    return errc::address_pool_exhausted;
  return ec;
}

template <class T>
result<T> finish(result<T> r, const call_options& o) {
  if (!r) return unexpected(classify(r.error(), o));
  return r;
}

/// foreign_resource for a resource without the owner label, name_collision for another
/// owner's; both leave it untouched.
std::error_code check_owner(const labels& have, const ownership& own, const std::string& what, const call_options& o) {
  auto it = have.find(own.owner_key());
  if (it == have.end()) {
    say(o, what + " exists without " + own.owner_key() + ": not berth's, left alone");
    return errc::foreign_resource;
  }
  if (it->second != own.owner) {
    say(o, what + " belongs to owner " + it->second);
    return errc::name_collision;
  }
  return {};
}

task<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  std::error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return unexpected(make_error_code(berth::errc::cancelled));
  co_return result<void>{};
}

task<image_info> pull_with_retry(std::shared_ptr<backend> b, std::string ref, retry_policy p,
                                 std::function<void(const pull_progress&)> cb, call_options o) {
  auto delay = p.first;
  for (int attempt = 1;; ++attempt) {
    auto r = co_await b->pull(ref, cb, attempt, o);
    if (r) co_return r;
    if (attempt >= std::max(1, p.attempts) || !is_retryable(r.error())) co_return r;
    BERTH_TRY(slept, sleep_for(delay));
    delay = std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(delay.count()) * p.factor)), p.max);
  }
}

/// The content key of a build: the sorted relative paths, modes and bytes of the files
/// the context sends (after .dockerignore), the Dockerfile's name, args and target.
/// Never mtimes, owners or inode numbers.
result<std::string> content_key(const image_build& b) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path root(b.context_dir);
  if (!fs::is_directory(root, ec)) return unexpected(make_error_code(std::errc::not_a_directory));
  engine::dockerignore ignore;
  if (std::ifstream in(root / ".dockerignore"); in) {
    std::stringstream ss;
    ss << in.rdbuf();
    ignore = engine::dockerignore::parse(ss.str());
  }
  std::vector<std::pair<std::string, fs::path>> files;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    auto rel = fs::relative(it->path(), root, ec).generic_string();
    if (ec) break;
    bool keep = rel == b.dockerfile || rel == ".dockerignore" || !ignore.excluded(rel);
    if (!keep) {
      if (it->is_directory() && !ignore.has_exceptions()) it.disable_recursion_pending();
      continue;
    }
    files.emplace_back(rel, it->path());
  }
  if (ec) return unexpected(ec);
  std::sort(files.begin(), files.end());
  io::sha256 h;
  auto field = [&](std::string_view v) {
    auto n = std::to_string(v.size());
    h.update(n);
    h.update(":");
    h.update(v);
  };
  field("berth-build-1");
  field(b.dockerfile);
  field(b.target);
  for (const auto& [k, v] : b.args) {
    field(k);
    field(v);
  }
  std::vector<char> buf(64 * 1024);
  for (const auto& [rel, path] : files) {
    auto st = fs::symlink_status(path, ec);
    if (ec) return unexpected(ec);
    field(rel);
    field(std::to_string(static_cast<unsigned>(st.permissions())));
    if (fs::is_symlink(st)) {
      field("l");
      field(fs::read_symlink(path, ec).generic_string());
    } else if (fs::is_directory(st)) {
      field("d");
    } else if (fs::is_regular_file(st)) {
      field("f");
      std::ifstream in(path, std::ios::binary);
      if (!in) return unexpected(make_error_code(std::errc::permission_denied));
      field(std::to_string(fs::file_size(path, ec)));
      while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        h.update(buf.data(), static_cast<std::size_t>(in.gcount()));
      }
    }
  }
  return h.hex();
}

bool digest_matches(const image_info& i, const std::string& want) {
  if (want.empty()) return true;
  auto norm = [](std::string s) { return s.rfind("sha256:", 0) == 0 ? s : "sha256:" + s; };
  return norm(i.id) == norm(want) || (!i.digest.empty() && norm(i.digest) == norm(want));
}

/// Whether ref names a tag or digest itself (split_reference would say "latest").
bool names_tag(const std::string& ref) {
  if (ref.find('@') != std::string::npos) return true;
  return split_reference(ref).first.size() != ref.size();
}

/// The spec as the layer creates it: ownership, hash and the layer's own labels, and
/// BERTH_CONTAINER_NAME for inspect_self.
container_spec stamped(container_spec s, const ownership& own) {
  auto hash = s.config_hash.empty() ? config_hash(s) : s.config_hash;
  for (auto& [k, v] : own.stamp()) s.labels[k] = v;
  s.labels[own.hash_key()] = hash;
  if (s.stop_grace) s.labels[stop_grace_label] = std::to_string(s.stop_grace->count());
  if (s.health) {
    std::string argv;
    for (const auto& a : s.health->argv) argv += (argv.empty() ? "" : "\x1f") + a;
    s.labels[health_label] = argv;
  }
  if (!s.name.empty()) s.env.push_back("BERTH_CONTAINER_NAME=" + s.name);
  return s;
}

/// Dead, or exited non-zero on its own. 143 and 137 (ended by SIGTERM or SIGKILL) are
/// what a stop leaves: a container somebody stopped has not failed.
bool failed(const container_info& i) {
  if (i.state == container_state::dead) return true;
  if (i.state != container_state::exited) return false;
  auto code = i.exit_code.value_or(0);
  return code != 0 && code != 128 + 15 && code != 128 + 9;
}

/// The named volumes s mounts, created with the owner's labels when absent (else Docker
/// would create them unlabelled, out of reach of a sweep). An existing volume is used as
/// it is, whoever made it.
task<void> ensure_volumes(std::shared_ptr<backend> b, const container_spec& s, call_options o) {
  if (!b->caps().named_volumes) co_return result<void>{};
  const runtime::labels any;
  for (const auto& m : s.mounts) {
    if (m.type != mount::kind::volume) continue;
    BERTH_TRY(found, b->list_volumes(any, m.source, o));
    if (!found->empty()) continue;
    auto l = b->opts.owner.stamp();
    auto made = co_await b->create_volume(m.source, std::move(l), o);
    if (!made && reason_of(made.error()) != reason::conflict) co_return unexpected(made.error());
  }
  co_return result<void>{};
}

task<container_info> create_and_start(std::shared_ptr<backend> b, container_spec s, bool start, call_options o) {
  BERTH_TRY(vols, ensure_volumes(b, s, o));
  BERTH_TRY(c, b->create(s, o));
  if (start) {
    auto st = co_await b->start(c->id, o);
    if (!st) {
      auto ec = classify(st.error(), o);
      (void)co_await b->remove(c->id, true, {});
      co_return unexpected(ec);
    }
  }
  BERTH_TRY(now, b->find(c->id, o));
  if (!*now) co_return unexpected(make_error_code(errc::container_replace_failed));
  auto info = std::move(**now);
  info.warnings = c->warnings;
  co_return info;
}

std::chrono::seconds grace_of(const container_info& i, std::optional<std::chrono::seconds> given) {
  if (given) return *given;
  if (auto it = i.labels.find(stop_grace_label); it != i.labels.end()) return std::chrono::seconds(std::atoll(it->second.c_str()));
  return std::chrono::seconds(10);
}

}  // namespace

// ---- images ----

task<ping_info> execute(std::shared_ptr<backend> b, op::ping, call_options o) { co_return co_await b->ping(o); }

task<bool> execute(std::shared_ptr<backend> b, op::image_exists op, call_options o) {
  BERTH_TRY(i, b->find_image(op.ref, o));
  co_return i->has_value();
}

task<image_info> execute(std::shared_ptr<backend> b, op::inspect_image op, call_options o) {
  BERTH_TRY(i, b->find_image(op.ref, o));
  if (!*i) {
    say(o, "no such image: " + op.ref);
    co_return unexpected(make_error_code(errc::not_found));
  }
  co_return std::move(**i);
}

task<image_info> execute(std::shared_ptr<backend> b, op::pull_image op, call_options o) {
  co_return co_await pull_with_retry(b, op.ref, op.retry.value_or(b->opts.pull_retry), op.on_progress, o);
}

task<ensured_image> execute(std::shared_ptr<backend> b, op::ensure_image op, call_options o) {
  ensured_image out;
  auto check = [&](image_info i, image_origin origin) -> result<ensured_image> {
    if (!digest_matches(i, op.expected_digest)) {
      say(o, "image " + op.ref + " is " + i.id + (i.digest.empty() ? "" : " (" + i.digest + ")") + ", expected " +
                 op.expected_digest);
      return unexpected(errc::digest_mismatch);
    }
    return ensured_image{std::move(i), origin};
  };
  if (op.build) {
    if (!b->caps().build) co_return unexpected(unsupported(o, b->kind(), "image build"));
    // (Named, not a temporary: GCC 12 destroys class temporaries of a co_await
    // expression twice.)
    auto hash_context = [b2 = *op.build] { return content_key(b2); };
    auto key = co_await berth::detail::offload(std::move(hash_context));
    if (!key) co_return unexpected(key.error());
    auto ref = op.ref;
    if (!names_tag(ref)) ref += ":h-" + key->substr(0, 16);
    const auto key_label = b->opts.owner.domain + content_key_suffix;
    BERTH_TRY(have, b->find_image(ref, o));
    if (*have) {
      auto it = (*have)->labels.find(key_label);
      if (it != (*have)->labels.end() && it->second == *key) co_return check(std::move(**have), image_origin::present);
    }
    auto l = b->opts.owner.stamp();
    l[key_label] = *key;
    BERTH_TRY(built, b->build(*op.build, ref, l, o));
    co_return check(std::move(*built), image_origin::built);
  }
  BERTH_TRY(have, b->find_image(op.ref, o));
  if (*have) co_return check(std::move(**have), image_origin::present);
  if (op.archive) {
    BERTH_TRY(names, b->load(*op.archive, o));
    BERTH_TRY(now, b->find_image(op.ref, o));
    if (!*now) {
      std::string got;
      for (const auto& n : *names) got += (got.empty() ? "" : ", ") + n;
      say(o, "archive " + *op.archive + " holds " + (got.empty() ? "no named image" : got) + ", not " + op.ref);
      co_return unexpected(make_error_code(errc::not_found));
    }
    co_return check(std::move(**now), image_origin::loaded);
  }
  BERTH_TRY(pulled,
            pull_with_retry(b, op.ref, op.retry.value_or(b->opts.pull_retry), op.on_progress, o));
  co_return check(std::move(*pulled), image_origin::pulled);
}

task<done> execute(std::shared_ptr<backend> b, op::tag_image op, call_options o) {
  BERTH_TRY(r, b->tag(op.source, op.target, o));
  co_return done{};
}

task<bool> execute(std::shared_ptr<backend> b, op::remove_image op, call_options o) {
  co_return co_await b->remove_image(op.ref, op.force, o);
}

task<std::vector<std::string>> execute(std::shared_ptr<backend> b, op::load_images op, call_options o) {
  co_return co_await b->load(op.path, o);
}

task<done> execute(std::shared_ptr<backend> b, op::save_images op, call_options o) {
  if (!b->caps().save) co_return unexpected(unsupported(o, b->kind(), "image save"));
  if (op.refs.empty()) {
    say(o, "save_images: no image named");
    co_return unexpected(make_error_code(errc::invalid_argument));
  }
  BERTH_TRY(r, b->save(op.refs, op.path, o));
  co_return done{};
}

task<image_info> execute(std::shared_ptr<backend> b, op::commit op, call_options o) {
  if (!b->caps().commit) co_return unexpected(unsupported(o, b->kind(), "commit"));
  for (auto& [k, v] : b->opts.owner.stamp()) op.labels[k] = v;
  co_return co_await b->commit(std::move(op), o);
}

// ---- networks and volumes ----

task<network_info> execute(std::shared_ptr<backend> b, op::ensure_network op, call_options o) {
  if (!b->caps().networks) co_return unexpected(unsupported(o, b->kind(), "networks"));
  const auto& own = b->opts.owner;
  for (int round = 0; round < 2; ++round) {
    const runtime::labels any;
    BERTH_TRY(found, b->list_networks(any, op.name, o));
    if (!found->empty()) {
      const auto& n = found->front();
      if (auto ec = check_owner(n.labels, own, "network " + op.name, o)) co_return unexpected(ec);
      co_return network_info{n.id, n.name, false};
    }
    auto l = op.labels;
    for (auto& [k, v] : own.stamp()) l[k] = v;
    auto id = co_await b->create_network(op.name, op.internal, l, o);
    if (id) co_return network_info{*id, op.name, true};
    // Created meanwhile by another caller: look again, once.
    if (round == 0 && engine::is_conflict(id.error())) continue;
    co_return unexpected(classify(id.error(), o));
  }
  co_return unexpected(make_error_code(errc::name_collision));
}

task<bool> execute(std::shared_ptr<backend> b, op::remove_network op, call_options o) {
  if (!b->caps().networks) co_return unexpected(unsupported(o, b->kind(), "networks"));
  const runtime::labels any;
  BERTH_TRY(found, b->list_networks(any, op.name, o));
  if (found->empty()) co_return false;
  co_return co_await b->remove_network(found->front().id, o);
}

task<volume_info> execute(std::shared_ptr<backend> b, op::ensure_volume op, call_options o) {
  if (!b->caps().named_volumes) co_return unexpected(unsupported(o, b->kind(), "named volumes"));
  const auto& own = b->opts.owner;
  const runtime::labels any;
  BERTH_TRY(found, b->list_volumes(any, op.name, o));
  if (!found->empty()) {
    const auto& v = found->front();
    if (auto ec = check_owner(v.labels, own, "volume " + op.name, o)) co_return unexpected(ec);
    co_return volume_info{v.name, v.mountpoint, false};
  }
  auto l = op.labels;
  for (auto& [k, v] : own.stamp()) l[k] = v;
  BERTH_TRY(made, b->create_volume(op.name, l, o));
  co_return volume_info{made->name, made->mountpoint, true};
}

task<bool> execute(std::shared_ptr<backend> b, op::remove_volume op, call_options o) {
  if (!b->caps().named_volumes) co_return unexpected(unsupported(o, b->kind(), "named volumes"));
  co_return co_await b->remove_volume(op.name, o);
}

// ---- containers ----

task<ensured_container> execute(std::shared_ptr<backend> b, op::ensure_container op, call_options o) {
  std::vector<std::string> warnings;
  if (auto ec = refuse_unsupported(op.spec, b->caps(), b->kind(), o, &warnings)) co_return unexpected(ec);
  if (auto ec = b->check(op.spec, o, &warnings)) co_return unexpected(ec);
  const auto& own = b->opts.owner;
  auto spec = stamped(op.spec, own);
  const auto& hash = spec.labels[own.hash_key()];

  if (op.pull) {
    BERTH_TRY(img, b->find_image(spec.image, o));
    if (!*img) {
      const std::function<void(const pull_progress&)> quiet;
      BERTH_TRY(pulled, pull_with_retry(b, spec.image, b->opts.pull_retry, quiet, o));
    }
  }
  auto made = [&](container_info i, ensure_action a) {
    i.warnings.insert(i.warnings.end(), warnings.begin(), warnings.end());
    return ensured_container{std::move(i), a};
  };
  if (spec.name.empty()) {
    BERTH_TRY(c, create_and_start(b, spec, op.start, o));
    co_return made(std::move(*c), ensure_action::created);
  }
  for (int round = 0; round < 2; ++round) {
    BERTH_TRY(existing, b->find(spec.name, o));
    if (!*existing) {
      auto c = co_await create_and_start(b, spec, op.start, o);
      if (c) co_return made(std::move(*c), ensure_action::created);
      // Another caller created it meanwhile: decide again on what it made.
      if (round == 0 && reason_of(c.error()) == reason::conflict) continue;
      co_return unexpected(c.error());
    }
    auto& cur = **existing;
    if (auto ec = check_owner(cur.labels, own, "container " + spec.name, o)) co_return unexpected(ec);
    auto it = cur.labels.find(own.hash_key());
    bool same = it != cur.labels.end() && it->second == hash;
    bool replace = false;
    if (failed(cur)) {
      replace = true;
    } else if (!same) {
      replace = op.recreate == recreate::on_config_change ||
                (op.recreate == recreate::on_failure && cur.state != container_state::running &&
                 cur.state != container_state::paused && cur.state != container_state::restarting);
      if (op.recreate == recreate::on_failure && !replace) co_return made(std::move(cur), ensure_action::reused);
    }
    if (replace && op.recreate == recreate::never) {
      say(o, "container " + spec.name + (failed(cur) ? " has failed" : " has another configuration") +
                 " and the recreate policy is never");
      co_return unexpected(make_error_code(errc::recreate_refused));
    }
    if (!replace && !same) {
      say(o, "container " + spec.name + " has another configuration and the recreate policy is never");
      co_return unexpected(make_error_code(errc::recreate_refused));
    }
    if (!replace) {
      if (op.start && cur.state != container_state::running && cur.state != container_state::paused &&
          cur.state != container_state::restarting) {
        auto st = co_await b->start(cur.id, o);
        if (!st) co_return unexpected(classify(st.error(), o));
        BERTH_TRY(now, b->find(cur.id, o));
        if (*now) co_return made(std::move(**now), ensure_action::started);
      }
      co_return made(std::move(cur), ensure_action::reused);
    }
    if (cur.state == container_state::running || cur.state == container_state::paused) {
      auto st = co_await b->stop(cur.id, grace_of(cur, std::nullopt), o);
      (void)st;  // the forced removal below ends it either way
    }
    auto rm = co_await b->remove(cur.id, true, o);
    if (!rm) {
      say(o, "cannot remove container " + spec.name + " to replace it: " + rm.error().message());
      co_return unexpected(make_error_code(errc::container_replace_failed));
    }
    auto c = co_await create_and_start(b, spec, op.start, o);
    if (!c) co_return unexpected(c.error());
    co_return made(std::move(*c), ensure_action::recreated);
  }
  co_return unexpected(make_error_code(errc::name_collision));
}

task<exec_result> execute(std::shared_ptr<backend> b, op::run_one_shot op, call_options o) {
  std::vector<std::string> warnings;
  if (auto ec = refuse_unsupported(op.spec, b->caps(), b->kind(), o, &warnings)) co_return unexpected(ec);
  if (auto ec = b->check(op.spec, o, &warnings)) co_return unexpected(ec);
  op.spec = stamped(std::move(op.spec), b->opts.owner);
  BERTH_TRY(img, b->find_image(op.spec.image, o));
  if (!*img) {
    const std::function<void(const pull_progress&)> quiet;
    BERTH_TRY(pulled, pull_with_retry(b, op.spec.image, b->opts.pull_retry, quiet, o));
  }
  BERTH_TRY(vols, ensure_volumes(b, op.spec, o));
  co_return finish(co_await b->run(std::move(op), o), o);
}

task<exec_result> execute(std::shared_ptr<backend> b, op::exec op, call_options o) {
  if (op.argv.empty()) {
    say(o, "exec: empty argv");
    co_return unexpected(make_error_code(errc::invalid_argument));
  }
  co_return co_await b->exec(std::move(op), o);
}

task<done> execute(std::shared_ptr<backend> b, op::start op, call_options o) {
  auto r = co_await b->start(op.id, o);
  if (!r) co_return unexpected(classify(r.error(), o));
  co_return done{};
}

task<stop_result> execute(std::shared_ptr<backend> b, op::stop op, call_options o) {
  auto grace = op.grace;
  if (!grace) {
    BERTH_TRY(cur, b->find(op.id, o));
    if (*cur) grace = grace_of(**cur, std::nullopt);
  }
  co_return co_await b->stop(op.id, grace.value_or(std::chrono::seconds(10)), o);
}

task<done> execute(std::shared_ptr<backend> b, op::kill op, call_options o) {
  BERTH_TRY(r, b->kill(op.id, op.signal, o));
  co_return done{};
}

task<done> execute(std::shared_ptr<backend> b, op::pause op, call_options o) {
  BERTH_TRY(r, b->pause(op.id, o));
  co_return done{};
}

task<done> execute(std::shared_ptr<backend> b, op::unpause op, call_options o) {
  BERTH_TRY(r, b->unpause(op.id, o));
  co_return done{};
}

task<std::int64_t> execute(std::shared_ptr<backend> b, op::wait op, call_options o) {
  co_return co_await b->wait(op.id, o);
}

task<bool> execute(std::shared_ptr<backend> b, op::remove op, call_options o) {
  co_return co_await b->remove(op.id, op.force, o);
}

task<container_info> execute(std::shared_ptr<backend> b, op::inspect op, call_options o) {
  BERTH_TRY(i, b->find(op.id, o));
  if (!*i) {
    say(o, "no such container: " + op.id);
    co_return unexpected(make_error_code(errc::not_found));
  }
  co_return std::move(**i);
}

task<std::vector<container_info>> execute(std::shared_ptr<backend> b, op::list op, call_options o) {
  co_return co_await b->list(op.match, op.running_only, o);
}

task<log_stream> execute(std::shared_ptr<backend> b, op::follow_logs op, call_options o) {
  if (!b->caps().logs) co_return unexpected(unsupported(o, b->kind(), "logs"));
  auto r = co_await b->logs(std::move(op), o);
  if (!r && reason_of(r.error()) == reason::unsupported)
    co_return unexpected(unsupported(o, b->kind(), "logs of a container started without log capture"));
  co_return r;
}

// ---- readiness ----

namespace {

/// Reads lines until pattern matched `times` times (true), the deadline passed (false) or
/// the output ended (asio::error::eof); the last lines seen go to *tail.
task<bool> match_log(std::shared_ptr<backend> b, std::string id, std::regex re, int times, clock::time_point until,
                     std::string* tail, call_options o) {
  op::follow_logs req{.id = id, .follow = true};
  BERTH_TRY(logs, b->logs(std::move(req), o));
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_at(until);
  std::string pending;
  int seen = 0;
  log_stream& src = *logs;
  for (;;) {
    std::error_code tec;
    auto got = co_await (src.async_next(asio::experimental::as_tuple(asio::use_awaitable)) ||
                         timer.async_wait(asio::redirect_error(asio::use_awaitable, tec)));
    if (got.index() == 1) co_return false;
    auto [ec, chunk] = std::get<0>(std::move(got));
    if (ec) co_return unexpected(ec);
    pending += chunk.data;
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
      auto line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      *tail += line + "\n";
      if (tail->size() > 2048) tail->erase(0, tail->size() - 2048);
      if (std::regex_search(line, re) && ++seen >= times) co_return true;
    }
    if (pending.size() > (1u << 20)) pending.clear();
  }
}

}  // namespace

task<done> execute(std::shared_ptr<backend> b, op::wait_ready op, call_options o) {
  const auto until = clock::now() + op.deadline;
  std::string last;
  auto fail = [&](std::string why) {
    say(o, "container " + op.id + " not ready: " + why + (last.empty() ? "" : "; last output: " + last));
    return unexpected(make_error_code(errc::ready_probe_failed));
  };
  auto gone = [&](const std::optional<container_info>& i) -> std::optional<std::string> {
    if (!i) return "it does not exist";
    if (i->state == container_state::exited || i->state == container_state::dead)
      return "it exited with code " + std::to_string(i->exit_code.value_or(-1));
    return std::nullopt;
  };

  if (auto* lg = std::get_if<until_log>(&op.condition)) {
    std::regex re;
    try {
      re = std::regex(lg->pattern);
    } catch (const std::regex_error&) {
      say(o, "wait_ready: bad pattern " + lg->pattern);
      co_return unexpected(make_error_code(errc::invalid_argument));
    }
    auto m = co_await match_log(b, op.id, re, std::max(1, lg->times), until, &last, o);
    if (!m) {
      // The log ended (the container exited) or could not be read.
      if (m.error() == asio::error::eof) {
        BERTH_TRY(now, b->find(op.id, o));
        co_return fail(gone(*now).value_or("its output ended"));
      }
      co_return unexpected(m.error());
    }
    if (!*m) co_return fail("no line matched " + lg->pattern + " in time");
    co_return done{};
  }

  for (;;) {
    BERTH_TRY(cur, b->find(op.id, o));
    if (auto why = gone(*cur)) co_return fail(*why);
    const auto& info = **cur;
    std::chrono::milliseconds interval{200};
    if (std::holds_alternative<until_healthy>(op.condition)) {
      auto probe = info.labels.find(health_label);
      if (b->caps().native_health && info.health != health_state::none) {
        if (info.health == health_state::healthy) co_return done{};
        last = std::string("health ") + (info.health == health_state::unhealthy ? "unhealthy" : "starting");
      } else if (probe != info.labels.end()) {
        std::vector<std::string> argv;
        std::string cur_arg;
        for (char ch : probe->second + "\x1f") {
          if (ch == '\x1f') {
            argv.push_back(cur_arg);
            cur_arg.clear();
          } else {
            cur_arg += ch;
          }
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now());
        op::exec probe_exec{.id = op.id, .argv = argv, .timeout = std::max(left, std::chrono::milliseconds(1)),
                            .collect_limit = 4096};
        auto r = co_await b->exec(std::move(probe_exec), o);
        if (r && !r->timed_out && r->exit_code == 0) co_return done{};
        if (r) last = r->stdout_data + r->stderr_data;
      } else {
        say(o, "wait_ready until_healthy: container " + op.id + " has no health probe");
        co_return unexpected(make_error_code(errc::invalid_argument));
      }
    } else if (auto* ex = std::get_if<until_exec>(&op.condition)) {
      interval = ex->interval;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now());
      op::exec probe_exec{.id = op.id, .argv = ex->argv, .timeout = std::max(left, std::chrono::milliseconds(1)),
                          .collect_limit = 4096};
      auto r = co_await b->exec(std::move(probe_exec), o);
      if (r && !r->timed_out && r->exit_code == 0) co_return done{};
      if (r) last = "exit " + std::to_string(r->exit_code) + ": " + r->stdout_data + r->stderr_data;
      else last = r.error().message();
    } else if (auto* pt = std::get_if<until_port>(&op.condition)) {
      interval = pt->interval;
      auto p = std::find_if(info.ports.begin(), info.ports.end(),
                            [&](const port& x) { return x.container == pt->container_port && x.host != 0; });
      if (p == info.ports.end()) {
        say(o, "wait_ready until_port: port " + std::to_string(pt->container_port) + " is not published");
        co_return unexpected(make_error_code(errc::invalid_argument));
      }
      // Loopback only: berth never sends traffic elsewhere.
      asio::ip::tcp::socket s(co_await asio::this_coro::executor);
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(500));
      std::error_code cec, tec;
      auto r = co_await (s.async_connect({asio::ip::address_v4::loopback(), p->host},
                                         asio::redirect_error(asio::use_awaitable, cec)) ||
                         t.async_wait(asio::redirect_error(asio::use_awaitable, tec)));
      if (r.index() == 0 && !cec) co_return done{};
      last = "connect 127.0.0.1:" + std::to_string(p->host) + ": " + (r.index() == 0 ? cec.message() : "timed out");
    }
    if (clock::now() + interval >= until) co_return fail("the deadline passed");
    BERTH_TRY(slept, sleep_for(interval));
  }
}

// ---- sweep ----

task<sweep_report> execute(std::shared_ptr<backend> b, op::sweep op, call_options o) {
  auto match = op.match.empty() ? b->opts.owner.selector() : op.match;
  if (match.empty()) {
    say(o, "sweep: an empty selector would take everything");
    co_return unexpected(make_error_code(errc::empty_selector));
  }
  sweep_report rep;
  std::error_code first;
  berth::diagnostics first_diag;
  auto note = [&](std::error_code ec) {
    if (!first) {
      first = ec;
      if (o.diag) first_diag = *o.diag;
    }
  };
  if (op.kinds.containers) {
    auto list = co_await b->list(match, false, o);
    if (!list) note(list.error());
    else
      for (const auto& c : *list) {
        auto r = co_await b->remove(c.id, true, o);
        if (!r) note(r.error());
        else if (*r) rep.containers.push_back(c.id);
      }
  }
  auto caps = b->caps();
  if (op.kinds.networks && caps.networks) {
    const std::string any_name;
    auto list = co_await b->list_networks(match, any_name, o);
    if (!list) note(list.error());
    else
      for (const auto& n : *list) {
        auto r = co_await b->remove_network(n.id, o);
        if (!r) note(r.error());
        else if (*r) rep.networks.push_back(n.name);
      }
  }
  if (op.kinds.volumes && caps.named_volumes) {
    const std::string any_name;
    auto list = co_await b->list_volumes(match, any_name, o);
    if (!list) note(list.error());
    else
      for (const auto& v : *list) {
        auto r = co_await b->remove_volume(v.name, o);
        if (!r) note(r.error());
        else if (*r) rep.volumes.push_back(v.name);
      }
  }
  if (op.kinds.images) {
    auto list = co_await b->list_images(match, o);
    if (!list) note(list.error());
    else
      for (const auto& i : *list) {
        auto r = co_await b->remove_image(b->kind() == engine_kind::docker ? i.id : i.name, true, o);
        if (!r) note(r.error());
        else if (*r) rep.images.push_back(i.name);
      }
  }
  if (first) {
    if (o.diag) *o.diag = first_diag;
    co_return unexpected(first);
  }
  co_return rep;
}

// ---- inspect_self ----

namespace {

/// What the process's own files say about its container: an id (or prefix) or a name.
std::vector<std::string> self_hints(engine_kind k) {
  std::vector<std::string> hints;
  if (const char* n = std::getenv("BERTH_CONTAINER_NAME"); n && *n) hints.push_back(n);
  auto is_hex64 = [](std::string_view s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  };
  if (k == engine_kind::docker) {
    // Docker bind-mounts /etc/hostname from .../containers/<id>/hostname.
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
      auto at = line.find("/containers/");
      if (at == std::string::npos) continue;
      auto id = line.substr(at + 12, 64);
      if (is_hex64(id)) {
        hints.push_back(id);
        break;
      }
    }
  } else {
    // berth's containerd spec puts the task in cgroup /<namespace>/<id>.
    std::ifstream in("/proc/self/cgroup");
    for (std::string line; std::getline(in, line);) {
      auto slash = line.rfind('/');
      if (slash == std::string::npos || slash + 1 >= line.size()) continue;
      auto last = line.substr(slash + 1);
      if (last.rfind("cri-containerd-", 0) == 0) last = last.substr(15, last.find(".scope") - 15);
      if (!last.empty() && line.find("::/") != std::string::npos) {
        hints.push_back(last);
        break;
      }
    }
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0]) hints.push_back(host);
  return hints;
}

}  // namespace

task<container_info> execute(std::shared_ptr<backend> b, op::inspect_self, call_options o) {
  auto hints = self_hints(b->kind());
  for (const auto& h : hints) {
    BERTH_TRY(found, b->find_self(h, o));
    if (*found) co_return std::move(**found);
  }
  std::string tried;
  for (const auto& h : hints) tried += (tried.empty() ? "" : ", ") + h;
  say(o, std::string("not in a container of this ") + to_string(b->kind()) + " (tried " + tried + ")");
  co_return unexpected(make_error_code(errc::not_in_container));
}

}  // namespace berth::runtime::detail
