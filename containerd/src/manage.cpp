// The container management operations of berth/containerd/manage.hpp: stop with a grace
// period, remove (force or not), ensure, inspect, list and sweep, composed from the
// service calls.
#include "berth/containerd/manage.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>

#include "berth/containerd/client.hpp"
#include "berth/containerd/error.hpp"
#include "berth/containerd/logs.hpp"
#include "berth/core/asio_compat.hpp"
#include "client_access.hpp"
#include "image_store.hpp"
#include "spec_json.hpp"
#include "state.hpp"

namespace berth::containerd {

namespace {

/// containerd's filter for containers (or leases) carrying every label of selector.
std::string label_filter(const labels& selector) {
  std::string f;
  for (const auto& [k, v] : selector) {
    if (!f.empty()) f += ',';
    f += "labels.\"";
    for (char c : k) {
      if (c == '"' || c == '\\') f += '\\';
      f += c;
    }
    f += "\"==\"";
    for (char c : v) {
      if (c == '"' || c == '\\') f += '\\';
      f += c;
    }
    f += '"';
  }
  return f;
}

bool carries(const labels& have, const labels& selector) {
  for (const auto& [k, v] : selector) {
    auto it = have.find(k);
    if (it == have.end() || it->second != v) return false;
  }
  return true;
}

/// Appends one field of the canonical configuration text: its name, its length, its bytes.
void field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += '=';
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += ';';
}

void field(std::string& out, std::string_view name, const std::vector<std::string>& values) {
  field(out, name, std::to_string(values.size()));
  for (const auto& v : values) field(out, name, v);
}

container_view view_of(containerd::container record, std::optional<process_info> task) {
  container_view v;
  if (record.spec.type_url == oci_spec_type_url) {
    if (auto s = detail::read_spec(record.spec.value)) v.settings = std::move(*s);
  }
  v.settings.id = record.id;
  v.settings.image = record.image;
  v.settings.labels = record.labels;
  v.settings.runtime = record.runtime;
  v.settings.snapshotter = record.snapshotter;
  v.record = std::move(record);
  v.task = std::move(task);
  return v;
}

}  // namespace

std::string config_hash(const container_options& o) {
  std::string text = "berth-container-config-v1;";
  field(text, "image", o.image);
  field(text, "args", o.args);
  field(text, "cmd", o.cmd);
  field(text, "env", o.env);
  field(text, "cwd", o.cwd);
  field(text, "user", o.user);
  std::vector<std::string> gids;
  for (auto g : o.additional_gids) gids.push_back(std::to_string(g));
  field(text, "gids", gids);
  for (const auto& m : o.mounts) {
    field(text, "mount", m.type);
    field(text, "source", m.source);
    field(text, "target", m.target);
    field(text, "ro", m.read_only ? "1" : "0");
    field(text, "options", m.options);
  }
  field(text, "hostname", o.hostname);
  field(text, "terminal", o.terminal ? "1" : "0");
  field(text, "cap_add", o.cap_add);
  field(text, "cap_drop", o.cap_drop);
  field(text, "privileged", o.privileged ? "1" : "0");
  field(text, "init", o.init ? "1" : "0");
  field(text, "read_only_rootfs", o.read_only_rootfs ? "1" : "0");
  field(text, "host_pid", o.host_pid ? "1" : "0");
  for (const auto& u : o.ulimits) {
    field(text, "ulimit", u.name);
    field(text, "soft", std::to_string(u.soft));
    field(text, "hard", std::to_string(u.hard));
  }
  for (const auto& [k, v] : o.sysctls) {
    field(text, "sysctl", k);
    field(text, "value", v);
  }
  field(text, "shm", o.shm_size ? std::to_string(*o.shm_size) : std::string());
  const auto& r = o.resources;
  auto opt = [](const auto& v) { return v ? std::to_string(*v) : std::string(); };
  field(text, "memory", opt(r.memory_bytes));
  field(text, "cpu_shares", opt(r.cpu_shares));
  field(text, "cpu_quota", opt(r.cpu_quota));
  field(text, "cpu_period", opt(r.cpu_period));
  field(text, "pids", opt(r.pids_limit));
  field(text, "runtime", o.runtime.name);
  field(text, "runtime_options_type", o.runtime.options.type_url);
  field(text, "runtime_options", o.runtime.options.value);
  field(text, "snapshotter", o.snapshotter);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
  std::string hex;
  char b[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(b, sizeof b, "%02x", md[i]);
    hex += b;
  }
  return hex;
}

namespace detail {

asio::awaitable<result<stop_result>> execute(std::shared_ptr<state> s, op::stop_container o,
                                            call_options opts) {
  stop_result out;
  op::task_get get{o.id, {}};
  auto t = co_await execute(s, std::move(get), opts);
  if (!t) {
    if (is_not_found(t.error())) {
      // No task: a stopped (or never started) container. The container itself must exist.
      op::container_get cget{o.id};
      auto c = co_await execute(s, std::move(cget), opts);
      if (!c) co_return unexpected(c.error());
      co_return out;
    }
    co_return unexpected(t.error());
  }
  if (t->status == process_status::stopped || t->status == process_status::created) {
    out.exit_code = t->exit_status;
    out.exited_at = t->exited_at;
    co_return out;
  }
  out.was_running = true;
  if (t->status == process_status::paused || t->status == process_status::pausing) {
    op::task_resume resume{o.id};
    auto r = co_await execute(s, std::move(resume), opts);
    if (!r && !is_not_found(r.error())) co_return unexpected(r.error());
  }
  op::task_kill kill{o.id, {}, o.signal, false};
  auto k = co_await execute(s, std::move(kill), opts);
  if (!k && !is_not_found(k.error())) co_return unexpected(k.error());
  // Wait for the exit within the grace period; it ends as berth::errc::timeout when the
  // process ignored the signal.
  call_options wait_opts = opts;
  wait_opts.timeouts.total = o.grace;
  op::task_wait wait{o.id, {}};
  auto w = co_await execute(s, std::move(wait), wait_opts);
  if (!w && w.error() == berth::errc::timeout) {
    out.killed = true;
    op::task_kill kill9{o.id, {}, 9, true};
    auto k9 = co_await execute(s, std::move(kill9), opts);
    if (!k9 && !is_not_found(k9.error())) co_return unexpected(k9.error());
    op::task_wait wait9{o.id, {}};
    w = co_await execute(s, std::move(wait9), opts);
  }
  if (!w) co_return unexpected(w.error());
  out.exit_code = w->status;
  out.exited_at = w->exited_at;
  co_return out;
}

asio::awaitable<result<restart_result>> execute(std::shared_ptr<state> s, op::restart_container o,
                                               call_options opts) {
  restart_result out;
  op::stop_container stop{o.id, o.signal, o.grace};
  auto st = co_await execute(s, std::move(stop), opts);
  if (!st) co_return unexpected(st.error());
  out.stopped = *st;
  op::start_container start{o.id, std::nullopt};
  auto pid = co_await execute(s, std::move(start), opts);
  if (!pid) co_return unexpected(pid.error());
  out.pid = *pid;
  co_return out;
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::remove_container o, call_options opts) {
  op::container_get cget{o.id};
  auto c = co_await execute(s, std::move(cget), opts);
  if (!c) co_return unexpected(c.error());
  if (!o.force) {
    op::task_get get{o.id, {}};
    auto t = co_await execute(s, std::move(get), opts);
    if (t && t->status != process_status::stopped && t->status != process_status::created)
      co_return unexpected(pull_errc::container_running);
    if (!t && !is_not_found(t.error())) co_return unexpected(t.error());
  }
  client c2 = client_access::make(s);
  auto [ec] = co_await c2.async_remove_container(o.id, berth::tuple_awaitable);
  if (ec) co_return unexpected(ec);
  (void)co_await remove_log_files(c->labels);
  co_return empty{};
}

asio::awaitable<result<ensure_result>> execute(std::shared_ptr<state> s, op::ensure_container o,
                                              call_options opts) {
  auto& opt = o.options;
  if (opt.id.empty()) opt.id = random_hex();
  std::string hash = config_hash(opt);
  op::container_get cget{opt.id};
  auto existing = co_await execute(s, std::move(cget), opts);
  if (existing) {
    auto it = existing->labels.find(config_hash_label);
    if (it == existing->labels.end() || it->second != hash) co_return unexpected(pull_errc::config_conflict);
    co_return ensure_result{std::move(*existing), false};
  }
  if (!is_not_found(existing.error())) co_return unexpected(existing.error());
  opt.labels[config_hash_label] = hash;
  client c2 = client_access::make(s);
  auto [ec, created] = co_await c2.async_create_container(std::move(opt), berth::tuple_awaitable);
  if (ec) co_return unexpected(ec);
  co_return ensure_result{std::move(created), true};
}

asio::awaitable<result<container_view>> execute(std::shared_ptr<state> s, op::inspect_container o,
                                               call_options opts) {
  op::container_get cget{o.id};
  auto c = co_await execute(s, std::move(cget), opts);
  if (!c) co_return unexpected(c.error());
  op::task_get get{o.id, {}};
  auto t = co_await execute(s, std::move(get), opts);
  std::optional<process_info> task;
  if (t)
    task = std::move(*t);
  else if (!is_not_found(t.error()))
    co_return unexpected(t.error());
  co_return view_of(std::move(*c), std::move(task));
}

asio::awaitable<result<std::vector<container_view>>> execute(std::shared_ptr<state> s, op::list_containers o,
                                                            call_options opts) {
  op::container_list list;
  if (!o.selector.empty()) list.filters = {label_filter(o.selector)};
  auto cs = co_await execute(s, std::move(list), opts);
  if (!cs) co_return unexpected(cs.error());
  op::task_list tl;
  auto ts = co_await execute(s, std::move(tl), opts);
  if (!ts) co_return unexpected(ts.error());
  std::vector<container_view> out;
  for (auto& c : *cs) {
    std::optional<process_info> task;
    for (auto& t : *ts)
      if (t.id == c.id) task = t;
    out.push_back(view_of(std::move(c), std::move(task)));
  }
  co_return out;
}

asio::awaitable<result<sweep_report>> execute(std::shared_ptr<state> s, op::sweep o, call_options opts) {
  if (o.selector.empty()) co_return unexpected(pull_errc::empty_selector);
  sweep_report out;
  op::container_list list{{label_filter(o.selector)}};
  auto cs = co_await execute(s, std::move(list), opts);
  if (!cs) co_return unexpected(cs.error());
  client c2 = client_access::make(s);
  for (const auto& c : *cs) {
    if (!carries(c.labels, o.selector)) continue;  // the filter already did; never trust it alone
    auto [ec] = co_await c2.async_remove_container(c.id, berth::tuple_awaitable);
    if (ec && !is_not_found(ec)) co_return unexpected(ec);
    out.containers.push_back(c.id);
    for (auto& f : co_await remove_log_files(c.labels)) out.log_files.push_back(std::move(f));
  }
  op::lease_list ll{{label_filter(o.selector)}};
  auto ls = co_await execute(s, std::move(ll), opts);
  if (!ls) co_return unexpected(ls.error());
  for (const auto& l : *ls) {
    if (!carries(l.labels, o.selector)) continue;
    op::lease_delete del{l.id, false};
    auto d = co_await execute(s, std::move(del), opts);
    if (!d && !is_not_found(d.error())) co_return unexpected(d.error());
    out.leases.push_back(l.id);
  }
  co_return out;
}

asio::awaitable<result<containerd::image>> execute(std::shared_ptr<state> s, op::tag_image o,
                                                   call_options opts) {
  op::image_get get{o.source};
  auto img = co_await execute(s, std::move(get), opts);
  if (!img) co_return unexpected(img.error());
  containerd::image copy{.name = o.target, .labels = img->labels, .target = img->target};
  op::image_create create{copy};
  auto made = co_await execute(s, std::move(create), opts);
  if (made || !is_already_exists(made.error())) co_return made;
  op::image_update update{copy, {}};
  co_return co_await execute(s, std::move(update), opts);
}

asio::awaitable<result<containerd::image>> execute(std::shared_ptr<state> s, op::label_image o,
                                                   call_options opts) {
  op::image_get get{o.name};
  auto img = co_await execute(s, std::move(get), opts);
  if (!img) co_return unexpected(img.error());
  for (const auto& [k, v] : o.labels) {
    if (v.empty())
      img->labels.erase(k);
    else
      img->labels[k] = v;
  }
  op::image_update update{*img, {"labels"}};
  co_return co_await execute(s, std::move(update), opts);
}

}  // namespace detail
}  // namespace berth::containerd
