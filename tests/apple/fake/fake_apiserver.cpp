// The fake apiserver and images service (see fake_apiserver.hpp). Every handler runs on the
// fake's own thread (one io_context): no locks in the state. Each message is handled in a
// coroutine of its own, as the daemon handles each message in its own task.
#include "fake/fake_apiserver.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "berth/apple/error.hpp"
#include "berth/apple/json.hpp"
#include "berth/apple/signal.hpp"
#include "xpc/pool_transport.hpp"

namespace berth::apple::test {

namespace fs = std::filesystem;
using asio::awaitable;
using asio::use_awaitable;

namespace {

// ---- the wire as libxpc moves it: every fd dup'd ----

value dup_value(const value& v);

message dup_fds(const message& m) {
  message out;
  for (const auto& [k, v] : m) {
    if (auto* f = v.get_if<shared_fd>()) {
      auto d = shared_fd::dup(f->get());
      if (d) out.set_fd(k, std::move(*d));  // a failed dup: the key is lost, like xpc_fd_dup
      continue;
    }
    out.set(k, dup_value(v));
  }
  return out;
}

value dup_value(const value& v) {
  if (auto* f = v.get_if<shared_fd>()) {
    auto d = shared_fd::dup(f->get());
    return d ? value(std::move(*d)) : value(shared_fd{});
  }
  if (auto* a = v.get_if<apple::array>()) {
    apple::array out;
    for (const auto& e : *a) out.push_back(dup_value(e));
    return value(std::move(out));
  }
  if (auto* d = v.get_if<dictionary>()) return value(dup_fds(*d));
  return v;
}

// ---- reading requests as the Swift server does (libxpc's typed getters) ----

const std::string* xget_string(const message& m, const char* k) { return m.get_string(k); }
const std::string* xget_data(const message& m, const char* k) { return m.get_data(k); }
bool xget_bool(const message& m, const char* k) { return m.get_bool(k).value_or(false); }
[[maybe_unused]] std::int64_t xget_int64(const message& m, const char* k) { return m.get_int64(k).value_or(0); }
std::uint64_t xget_uint64(const message& m, const char* k) { return m.get_uint64(k).value_or(0); }
// xpc_dictionary_dup_fd: a fresh dup, or empty.
shared_fd xget_fd(const message& m, const char* k) {
  const shared_fd* f = m.get_fd(k);
  if (!f || !*f) return {};
  auto d = shared_fd::dup(f->get());
  return d ? std::move(*d) : shared_fd{};
}

// A handler failure: becomes the reply's error dictionary.
struct failure {
  errc code;
  std::string message;
};

message error_reply(errc code, const std::string& text) {
  message m;
  xpc_error_payload p{std::string(code_string(code)), text};
  m.set_data("com.apple.container.xpc.error", to_json(p).value());
  return m;
}

// What Swift's JSONDecoder throws is not a ContainerizationError: "unknown", or
// "invalidArgument" when the type mentions Volume (APPLE.md §1.2).
template <class T>
T decode_or_throw(const std::string& json, const char* what, bool volume = false) {
  std::string path;
  auto r = parse<T>(json, path);
  if (!r)
    throw failure{volume ? errc::invalid_argument : errc::unknown,
                  std::string("DecodingError: ") + what + ": " + r.error().message() + " at " + path};
  return std::move(*r);
}
template <class T>
std::vector<T> decode_array_or_throw(const std::string& json, const char* what) {
  std::string path;
  auto r = parse_array<T>(json, path);
  if (!r) throw failure{errc::unknown, std::string("DecodingError: ") + what + ": " + r.error().message()};
  return std::move(*r);
}

const std::string& require_string(const message& m, const char* k) {
  const std::string* s = xget_string(m, k);
  if (!s) throw failure{errc::invalid_argument, std::string("missing ") + k};  // fake text
  return *s;
}
const std::string& require_data(const message& m, const char* k) {
  const std::string* s = xget_data(m, k);
  if (!s) throw failure{errc::invalid_argument, std::string("missing ") + k};
  return *s;
}

template <class T>
std::string json_of(const T& v) {
  return to_json(v).value();
}

reference_date now_date() { return reference_date::from(std::chrono::system_clock::now()); }

// ContainerConfiguration.id: ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$, at most 63 characters.
bool id_valid(const std::string& id) {
  if (id.size() < 2 || id.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (!alnum(id[0])) return false;
  for (std::size_t i = 1; i < id.size(); ++i)
    if (!alnum(id[i]) && id[i] != '_' && id[i] != '.' && id[i] != '-') return false;
  return true;
}

void write_file(const fs::path& p, const std::string& text, bool append = false) {
  std::ofstream f(p, append ? std::ios::app | std::ios::binary : std::ios::trunc | std::ios::binary);
  f << text;
}
std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string platform_key(const platform& p) { return p.os + "/" + p.architecture + (p.variant ? "/" + *p.variant : ""); }

}  // namespace

// ---- state ----

struct process_state {
  std::string id;
  process_configuration config;
  shared_fd in, out, err;  // the fake's dups of the request's fds
  enum class phase { created, running, exited } state = phase::created;
  std::int64_t exit_code = 0;
  xpc_date exited_at{};
  std::unique_ptr<asio::steady_timer> exited;  // cancelled at exit: wakes the waiters
  // What the guest is blocked on, cancelled when a signal ends it.
  std::unique_ptr<asio::steady_timer> sleep;
  std::unique_ptr<asio::posix::stream_descriptor> out_d, err_d, in_d;
  int pending_signal = 0;
  std::set<int> trapped, ignored;
  std::size_t bytes_written = 0;
  std::uint64_t width = 0, height = 0;
};

struct container_state {
  container_configuration config;
  kernel k;
  std::optional<container_create_options> opts;
  std::optional<std::string> init_image;
  fs::path bundle;
  enum class phase { created, booted, running, stopping, stopped } state = phase::created;
  std::optional<reference_date> started;
  std::vector<attachment> attachments;
  std::map<std::string, std::shared_ptr<process_state>> processes;
  std::vector<shared_fd> dialled;  // the fake's ends of containerDial socket pairs
};

class fake_link;

struct fake_apiserver::impl : std::enable_shared_from_this<fake_apiserver::impl> {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  std::promise<void> ran_out;  // set when io.run() returns
  fake_options opts;
  fs::path root;

  // guarded by mu: what other threads touch
  mutable std::mutex mu;
  bool stopped = false;
  bool exited = false;  // fault::service_exit
  std::vector<std::weak_ptr<fake_link>> links;
  std::vector<std::string> request_log;
  struct injected {
    fault f;
    int nth;
  };
  std::map<std::string, std::vector<injected>> faults;
  std::map<std::string, int> calls;

  // the fake thread only
  bool shutting_down = false;
  std::map<std::string, std::shared_ptr<container_state>> containers;
  std::map<std::string, kernel> kernels;  // by "os/architecture"
  std::map<std::string, image_description> registry;
  std::map<std::string, image_description> images;
  std::set<std::string> unpacked;  // digest + "@" + platform
  std::map<std::string, fs::path> content;
  std::map<std::string, network_resource> networks;
  std::map<std::string, volume_configuration> volumes;

  explicit impl(fake_options o) : opts(std::move(o)) {
    char tmpl[] = "/tmp/berth-apple-fake-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    root = d ? fs::path(d) : fs::temp_directory_path() / "berth-apple-fake";
    fs::create_directories(root / "containers");
    fs::create_directories(root / "content");
    fs::create_directories(root / "volumes");
    network_resource def;
    def.id = "default";
    def.configuration.name = "default";
    def.configuration.creation_date = reference_date{809330000.0};
    def.configuration.ipv4_subnet = "192.168.64.0/24";
    def.status = {"192.168.64.0/24", "192.168.64.1", std::nullopt};
    networks.emplace("default", def);
    kernels.emplace("linux/arm64", test_kernel());
  }

  void start() {
    thread = std::thread([this] {
      io.run();
      ran_out.set_value();
    });
  }

  // Runs f on the fake thread and waits for its result.
  template <class F>
  auto on_thread(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    asio::post(io, [&task] { task(); });
    return fut.get();
  }

  void shutdown();
  void post_request(service svc, message m, std::function<void(std::optional<detail::link_result>)> done);
  void interrupt_all();

  // pipeline
  awaitable<std::optional<detail::link_result>> handle(service svc, message m);
  awaitable<message> apiserver_route(const std::string& route, const message& m);
  awaitable<message> images_route(const std::string& route, const message& m);
  bool registered(service svc, const std::string& route) const;

  // containers
  std::shared_ptr<container_state> find_container(const message& m);
  std::shared_ptr<process_state> find_process(container_state& c, const message& m);
  message container_create(const message& m);
  message container_bootstrap(const message& m);
  message container_create_process(const message& m);
  message container_start_process(const message& m);
  awaitable<message> container_wait(const message& m);
  message container_kill(const message& m);
  awaitable<message> container_stop(const message& m);
  awaitable<message> container_delete(const message& m);
  message container_list(const message& m);
  message container_logs(const message& m);
  message container_dial(const message& m);
  message container_copy(const message& m, bool in);

  void deliver(const std::shared_ptr<container_state>& c, const std::shared_ptr<process_state>& p, int sig);
  awaitable<void> wait_exit(std::shared_ptr<process_state> p);
  awaitable<int> run_guest(std::shared_ptr<container_state> c, std::shared_ptr<process_state> p);
  void start_guest(std::shared_ptr<container_state> c, std::shared_ptr<process_state> p);
  void process_exited(const std::shared_ptr<container_state>& c, const std::shared_ptr<process_state>& p, int code);
  awaitable<bool> guest_write(container_state& c, process_state& p, bool to_err, std::string text);
  void remove_container(const std::string& id);
};

// ---- links ----

class fake_link final : public detail::link, public std::enable_shared_from_this<fake_link> {
 public:
  fake_link(std::shared_ptr<fake_apiserver::impl> s, std::optional<service> svc) : server_(std::move(s)), svc_(svc) {
    if (!svc_) cancelled_ = true;  // not in the XPC service namespace: invalid at once
  }
  ~fake_link() override { cancel(); }

  void send(const message& m, std::function<void(detail::link_result)> cb) override {
    std::uint64_t id = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!cancelled_) {
        id = next_++;
        pending_.emplace(id, std::move(cb));
      }
    }
    if (id == 0) {
      cb(detail::link_result{detail::link_status::invalid, {}, "the service is not in the namespace"});
      return;
    }
    std::weak_ptr<fake_link> self = weak_from_this();
    server_->post_request(*svc_, dup_fds(m), [self, id](std::optional<detail::link_result> r) {
      if (!r) return;  // no reply: pending until cancel
      if (auto l = self.lock()) l->finish(id, std::move(*r));
    });
  }

  void cancel() noexcept override {
    std::map<std::uint64_t, std::function<void(detail::link_result)>> p;
    {
      std::lock_guard<std::mutex> lock(mu_);
      cancelled_ = true;
      p.swap(pending_);
    }
    for (auto& [id, cb] : p) cb(detail::link_result{detail::link_status::invalid, {}, "cancelled"});
  }

  bool invalid() const noexcept override {
    std::lock_guard<std::mutex> lock(mu_);
    return cancelled_;
  }

  // service_exit: every pending call is interrupted (the connection stays usable).
  void interrupt_pending() {
    std::map<std::uint64_t, std::function<void(detail::link_result)>> p;
    {
      std::lock_guard<std::mutex> lock(mu_);
      p.swap(pending_);
    }
    for (auto& [id, cb] : p) cb(detail::link_result{detail::link_status::interrupted, {}, "interrupted"});
  }

  void finish(std::uint64_t id, detail::link_result r) {
    std::function<void(detail::link_result)> cb;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = pending_.find(id);
      if (it == pending_.end()) return;  // cancelled meanwhile: r and its fds die here
      cb = std::move(it->second);
      pending_.erase(it);
    }
    auto keep = shared_from_this();  // the callback may drop the last reference to this link
    cb(std::move(r));
  }

 private:
  std::shared_ptr<fake_apiserver::impl> server_;
  std::optional<service> svc_;
  mutable std::mutex mu_;
  bool cancelled_ = false;
  std::uint64_t next_ = 1;
  std::map<std::uint64_t, std::function<void(detail::link_result)>> pending_;
};

namespace {
class fake_driver final : public detail::link_driver {
 public:
  explicit fake_driver(std::shared_ptr<fake_apiserver::impl> s) : s_(std::move(s)) {}
  std::shared_ptr<detail::link> open(std::string_view name) override {
    std::optional<service> svc;
    if (name == "com.apple.container.apiserver") svc = service::apiserver;
    if (name == "com.apple.container.core.container-core-images") svc = service::images;
    auto l = std::make_shared<fake_link>(s_, svc);
    std::lock_guard<std::mutex> lock(s_->mu);
    s_->links.push_back(l);
    return l;
  }

 private:
  std::shared_ptr<fake_apiserver::impl> s_;
};
}  // namespace

// ---- the pipeline ----

void fake_apiserver::impl::post_request(service svc, message m,
                                        std::function<void(std::optional<detail::link_result>)> done) {
  bool gone = false, down = false;
  {
    std::lock_guard<std::mutex> lock(mu);
    gone = stopped;
    down = exited;
  }
  if (gone) {
    done(detail::link_result{detail::link_status::invalid, {}, "the fake is gone"});
    return;
  }
  if (down) {
    done(detail::link_result{detail::link_status::interrupted, {}, "service exited"});
    return;
  }
  auto self = shared_from_this();
  asio::co_spawn(io, handle(svc, std::move(m)),
                 [self, done = std::move(done)](std::exception_ptr ep, std::optional<detail::link_result> r) {
                   if (ep) {
                     done(detail::link_result{detail::link_status::reply,
                                              error_reply(errc::internal_error, "fake handler threw"), {}});
                     return;
                   }
                   done(std::move(r));
                 });
}

void fake_apiserver::impl::interrupt_all() {
  std::vector<std::shared_ptr<fake_link>> ls;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& w : links)
      if (auto l = w.lock()) ls.push_back(std::move(l));
  }
  for (auto& l : ls) l->interrupt_pending();
}

bool fake_apiserver::impl::registered(service svc, const std::string& route) const {
  static const std::set<std::string> api = {
      "ping", "containerList", "containerCreate", "containerBootstrap", "containerCreateProcess",
      "containerStartProcess", "containerWait", "containerKill", "containerResize", "containerStop",
      "containerDelete", "containerLogs", "containerDial", "containerStats", "containerDiskUsage",
      "containerCopyIn", "containerCopyOut", "containerExport", "getDefaultKernel", "installKernel",
      "networkCreate", "networkList", "networkDelete", "volumeCreate", "volumeList", "volumeInspect",
      "volumeDelete", "volumeDiskUsage", "systemDiskUsage", "pluginList", "pluginGet", "pluginLoad",
      "pluginUnload", "pluginRestart"};
  // containerState and containerEvent are declared but never registered (APPLE.md §1.3).
  static const std::set<std::string> img = {
      "imageList", "imagePull", "imagePush", "imageTag", "imageDelete", "imageSave", "imageLoad",
      "imageUnpack", "snapshotGet", "snapshotDelete", "imageCleanupOrphanedBlobs", "imageDiskUsage",
      "contentGet", "contentDelete", "contentClean", "contentSize", "contentIngestStart",
      "contentIngestComplete", "contentIngestCancel"};
  if (svc == service::images) return img.count(route) > 0;
  if (route == "networkCreate") return opts.macos26;
  return api.count(route) > 0;
}

awaitable<std::optional<detail::link_result>> fake_apiserver::impl::handle(service svc, message m) {
  using detail::link_result;
  using detail::link_status;
  const std::string route(route_of(m));
  std::optional<fault> f;
  {
    std::lock_guard<std::mutex> lock(mu);
    request_log.push_back(dump(m));
    if (!route.empty()) {
      const int n = ++calls[route];
      auto& list = faults[route];
      for (auto it = list.begin(); it != list.end(); ++it) {
        if (it->nth == 0 || it->nth == n) {
          f = it->f;
          if (it->nth != 0) list.erase(it);
          break;
        }
      }
    }
  }
  // 1. a dictionary: always, in-process. 2. the EUID check.
  if (!opts.peer_euid_matches) co_return link_result{link_status::reply, error_reply(errc::invalid_state, "unauthorized request"), {}};
  // 3. the route key.
  if (!m.get_string("com.apple.container.xpc.route"))
    co_return link_result{link_status::reply, error_reply(errc::invalid_argument, "missing route"), {}};  // fake text
  // 4. an unregistered route: no reply at all (or, as Cider saw it live, interrupted).
  if (!registered(svc, route)) {
    if (opts.unknown_route == unknown_route_mode::interrupted)
      co_return link_result{link_status::interrupted, {}, "interrupted"};
    co_return std::nullopt;
  }
  if (f) {
    switch (*f) {
      case fault::no_reply: co_return std::nullopt;
      case fault::interrupt: co_return link_result{link_status::interrupted, {}, "interrupted"};
      case fault::service_exit: {
        {
          std::lock_guard<std::mutex> lock(mu);
          exited = true;
        }
        interrupt_all();
        co_return link_result{link_status::interrupted, {}, "interrupted"};
      }
    }
  }
  message reply;
  try {
    // (Not a ?: of two co_awaits: GCC 12 miscompiles that.)
    if (svc == service::apiserver) {
      reply = co_await apiserver_route(route, m);
    } else {
      reply = co_await images_route(route, m);
    }
  } catch (const failure& e) {
    reply = error_reply(e.code, e.message);
  }
  co_return link_result{link_status::reply, dup_fds(reply), {}};
}

// ---- apiserver routes ----

awaitable<message> fake_apiserver::impl::apiserver_route(const std::string& route, const message& m) {
  message r;
  if (route == "ping") {
    r.set_string("appRoot", opts.app_root);
    r.set_string("installRoot", opts.install_root);
    if (opts.log_root) r.set_string("logRoot", *opts.log_root);
    r.set_string("apiServerVersion", opts.api_server_version);
    r.set_string("apiServerCommit", opts.api_server_commit);
    r.set_string("apiServerBuild", opts.api_server_build);
    r.set_string("apiServerAppName", opts.api_server_app_name);
  } else if (route == "containerList") {
    r = container_list(m);
  } else if (route == "containerCreate") {
    r = container_create(m);
  } else if (route == "containerBootstrap") {
    r = container_bootstrap(m);
  } else if (route == "containerCreateProcess") {
    r = container_create_process(m);
  } else if (route == "containerStartProcess") {
    r = container_start_process(m);
  } else if (route == "containerWait") {
    r = co_await container_wait(m);
  } else if (route == "containerKill") {
    r = container_kill(m);
  } else if (route == "containerResize") {
    auto c = find_container(m);
    auto p = find_process(*c, m);
    p->width = xget_uint64(m, "width");
    p->height = xget_uint64(m, "height");
  } else if (route == "containerStop") {
    r = co_await container_stop(m);
  } else if (route == "containerDelete") {
    r = co_await container_delete(m);
  } else if (route == "containerLogs") {
    r = container_logs(m);
  } else if (route == "containerDial") {
    r = container_dial(m);
  } else if (route == "containerStats") {
    auto c = find_container(m);
    container_stats s;
    s.id = c->config.id;
    std::uint64_t running = 0;
    for (auto& [id, p] : c->processes) running += p->state == process_state::phase::running;
    s.num_processes = running;
    s.memory_limit_bytes = c->config.resources.memory_in_bytes;
    r.set_data("statistics", json_of(s));
  } else if (route == "containerDiskUsage") {
    auto c = find_container(m);
    std::error_code ec;
    const auto n = fs::file_size(c->bundle / "stdio.log", ec);
    r.set_uint64("containerSize", ec ? 0 : static_cast<std::uint64_t>(n));  // fake: the log's size
  } else if (route == "containerCopyIn" || route == "containerCopyOut") {
    r = container_copy(m, route == "containerCopyIn");
  } else if (route == "containerExport") {
    auto c = find_container(m);
    const std::string& archive = require_string(m, "archive");
    write_file(archive, "fake archive of " + c->config.id + "\n");  // fake: not a tar
  } else if (route == "getDefaultKernel") {
    auto sp = decode_or_throw<system_platform>(require_data(m, "systemPlatform"), "SystemPlatform");
    auto it = kernels.find(sp.os + "/" + sp.architecture);
    if (it == kernels.end()) throw failure{errc::not_found, "no default kernel for " + sp.os + "/" + sp.architecture};
    r.set_data("kernel", json_of(it->second));
  } else if (route == "installKernel") {
    const std::string& path = require_string(m, "kernelFilePath");
    auto sp = decode_or_throw<system_platform>(require_data(m, "systemPlatform"), "SystemPlatform");
    const std::string key = sp.os + "/" + sp.architecture;
    if (kernels.count(key) && !xget_bool(m, "kernelForce")) throw failure{errc::exists, "kernel exists for " + key};
    kernels[key] = kernel{"file://" + path, sp, {}};
  } else if (route == "networkCreate") {
    const std::string& id = require_string(m, "networkId");
    auto cfg = decode_or_throw<network_configuration>(require_data(m, "networkConfig"), "NetworkConfiguration");
    if (networks.count(id)) throw failure{errc::exists, "network " + id + " exists"};
    network_resource n;
    n.id = id;
    n.configuration = cfg;
    const std::string subnet = cfg.ipv4_subnet.value_or("192.168.65.0/24");  // fake
    n.status.ipv4_subnet = subnet;
    n.status.ipv4_gateway = subnet.substr(0, subnet.rfind('.')) + ".1";
    networks.emplace(id, n);
    r.set_data("networkResource", json_of(n));
  } else if (route == "networkList") {
    std::vector<network_resource> all;
    for (auto& [id, n] : networks) all.push_back(n);
    r.set_data("networkResources", to_json(all).value());
  } else if (route == "networkDelete") {
    const std::string& id = require_string(m, "networkId");
    if (!networks.count(id)) throw failure{errc::not_found, "network " + id + " not found"};
    if (id == "default") throw failure{errc::invalid_state, "the default network cannot be deleted"};  // fake
    networks.erase(id);
  } else if (route == "volumeCreate") {
    const std::string& name = require_string(m, "volumeName");
    if (volumes.count(name)) throw failure{errc::exists, "volume " + name + " exists"};
    volume_configuration v;
    v.name = name;
    if (auto* d = xget_string(m, "volumeDriver")) v.driver = *d;
    if (auto* o = xget_data(m, "volumeDriverOpts")) v.options = decode_or_throw<string_map>(*o, "VolumeDriverOpts", true);
    if (auto* l = xget_data(m, "volumeLabels")) v.labels = decode_or_throw<string_map>(*l, "VolumeLabels", true);
    fs::create_directories(root / "volumes" / name);
    v.source = (root / "volumes" / name / "volume.img").string();
    write_file(v.source, "");
    v.creation_date = now_date();
    volumes.emplace(name, v);
    r.set_data("volume", json_of(v));
  } else if (route == "volumeList") {
    std::vector<volume_configuration> all;
    for (auto& [n, v] : volumes) all.push_back(v);
    r.set_data("volumes", to_json(all).value());
  } else if (route == "volumeInspect" || route == "volumeDelete" || route == "volumeDiskUsage") {
    const std::string& name = require_string(m, "volumeName");
    auto it = volumes.find(name);
    if (it == volumes.end()) throw failure{errc::not_found, "volume " + name + " not found"};
    if (route == "volumeInspect") {
      r.set_data("volume", json_of(it->second));
    } else if (route == "volumeDelete") {
      fs::remove_all(root / "volumes" / name);
      volumes.erase(it);
    } else {
      r.set_uint64("volumeSize", 0);
    }
  } else if (route == "systemDiskUsage") {
    disk_usage_stats s;
    s.images.total = images.size();
    s.containers.total = containers.size();
    for (auto& [id, c] : containers) s.containers.active += c->state == container_state::phase::running;
    s.volumes.total = volumes.size();
    r.set_data("diskUsageStats", json_of(s));
  } else if (route == "pluginList") {
    r.set_data("plugins", "[]");  // fake: no plugins
  } else {
    // pluginGet, pluginLoad, pluginUnload, pluginRestart
    const std::string& name = require_string(m, "pluginName");
    throw failure{errc::not_found, "plugin " + name + " not found"};
  }
  co_return r;
}

// ---- images routes ----

awaitable<message> fake_apiserver::impl::images_route(const std::string& route, const message& m) {
  message r;
  auto local = [&](const std::string& ref) -> image_description& {
    auto it = images.find(ref);
    if (it == images.end()) throw failure{errc::not_found, "image " + ref + " not found"};
    return it->second;
  };
  auto platform_of = [&](bool required) {
    const std::string* p = xget_data(m, "ociPlatform");
    if (!p) {
      if (required) throw failure{errc::invalid_argument, "missing ociPlatform"};
      return platform{"linux", "arm64", std::nullopt};
    }
    return decode_or_throw<platform>(*p, "Platform");
  };
  if (route == "imageList") {
    std::vector<image_description> all;
    for (auto& [ref, d] : images) all.push_back(d);
    r.set_data("imageDescriptions", to_json(all).value());
  } else if (route == "imagePull") {
    const std::string& ref = require_string(m, "imageReference");
    if (const std::string* p = xget_data(m, "ociPlatform")) decode_or_throw<platform>(*p, "Platform");
    auto it = registry.find(ref);
    if (it == registry.end()) throw failure{errc::not_found, "image " + ref + " not found in the registry"};
    images[ref] = it->second;
    const std::string& digest = it->second.descriptor.digest;
    const fs::path blob = root / "content" / digest.substr(digest.find(':') + 1);
    write_file(blob, json_of(it->second.descriptor));  // fake: the descriptor stands in for the index
    content[digest] = blob;
    r.set_data("imageDescription", json_of(it->second));
  } else if (route == "imagePush") {
    local(require_string(m, "imageReference"));
  } else if (route == "imageTag") {
    image_description d = local(require_string(m, "imageReference"));
    d.reference = require_string(m, "imageNewReference");
    images[d.reference] = d;
    r.set_data("imageDescription", json_of(d));
  } else if (route == "imageDelete") {
    const std::string& ref = require_string(m, "imageReference");
    local(ref);
    images.erase(ref);
  } else if (route == "imageSave") {
    auto list = decode_array_or_throw<image_description>(require_data(m, "imageDescriptions"), "[ImageDescription]");
    for (auto& d : list) local(d.reference);
    write_file(require_string(m, "filePath"), to_json(list).value());  // fake archive format
  } else if (route == "imageLoad") {
    const std::string& path = require_string(m, "filePath");
    if (!fs::exists(path)) throw failure{errc::not_found, "archive " + path + " not found"};
    auto list = decode_array_or_throw<image_description>(read_file(path), "archive");
    for (auto& d : list) images[d.reference] = d;
    r.set_data("imageDescriptions", to_json(list).value());
    r.set_data("rejectedMembers", "[]");
  } else if (route == "imageUnpack") {
    auto d = decode_or_throw<image_description>(require_data(m, "imageDescription"), "ImageDescription");
    local(d.reference);
    unpacked.insert(d.descriptor.digest + "@" + platform_key(platform_of(false)));
  } else if (route == "snapshotGet" || route == "snapshotDelete") {
    auto d = decode_or_throw<image_description>(require_data(m, "imageDescription"), "ImageDescription");
    const std::string key = d.descriptor.digest + "@" + platform_key(platform_of(true));
    if (!unpacked.count(key)) throw failure{errc::not_found, "snapshot for " + d.reference + " not found"};
    if (route == "snapshotDelete") {
      unpacked.erase(key);
    } else {
      filesystem f;  // fake: a block ext4 filesystem (FLAG 35)
      f.type = fs_block{"ext4", cache_mode::auto_, sync_mode::full};
      f.source = (root / "snapshots" / d.descriptor.digest / "rootfs.ext4").string();
      f.destination = "/";
      r.set_data("filesystem", json_of(f));
    }
  } else if (route == "contentGet") {
    const std::string& digest = require_string(m, "digest");
    auto it = content.find(digest);
    if (it == content.end()) throw failure{errc::not_found, "content " + digest + " not found"};
    r.set_string("contentPath", it->second.string());
  } else {
    throw failure{errc::unsupported, route + " is not modelled by the fake"};
  }
  co_return r;
}

// ---- containers ----

std::shared_ptr<container_state> fake_apiserver::impl::find_container(const message& m) {
  const std::string& id = require_string(m, "id");
  auto it = containers.find(id);
  if (it == containers.end()) throw failure{errc::not_found, "container " + id + " not found"};
  return it->second;
}

std::shared_ptr<process_state> fake_apiserver::impl::find_process(container_state& c, const message& m) {
  const std::string& pid = require_string(m, "processIdentifier");
  auto it = c.processes.find(pid);
  if (it == c.processes.end()) throw failure{errc::not_found, "process " + pid + " not found"};
  return it->second;
}

message fake_apiserver::impl::container_list(const message& m) {
  std::optional<container_list_filters> filters;
  if (const std::string* f = xget_data(m, "listFilters"))
    filters = decode_or_throw<container_list_filters>(*f, "ContainerListFilters");
  std::vector<container_snapshot> out;
  for (auto& [id, c] : containers) {
    // Built in place (GCC 12 reports a moved local's optionals as maybe-uninitialized).
    container_snapshot& s = out.emplace_back();
    s.configuration = c->config;
    switch (c->state) {  // fake: created and booted report "stopped" (FLAG 7)
      case container_state::phase::running: s.status = runtime_status::running; break;
      case container_state::phase::stopping: s.status = runtime_status::stopping; break;
      default: s.status = runtime_status::stopped; break;
    }
    s.networks = c->attachments;
    s.started_date = c->started;
    if (filters) {
      if (!filters->ids.empty() &&
          std::find(filters->ids.begin(), filters->ids.end(), id) == filters->ids.end()) {
        out.pop_back();
        continue;
      }
      if (filters->status && *filters->status != s.status) {
        out.pop_back();
        continue;
      }
      bool match = true;
      for (auto& [k, pattern] : filters->labels) {
        // fake (FLAG 8): values are ECMAScript regexes searched in the label's value, a
        // missing label matched as "".
        auto it = c->config.labels.find(k);
        const std::string v = it == c->config.labels.end() ? std::string() : it->second;
        try {
          if (!std::regex_search(v, std::regex(pattern))) match = false;
        } catch (const std::regex_error&) {
          throw failure{errc::invalid_argument, "invalid label filter " + pattern};
        }
      }
      if (!match) out.pop_back();
    }
  }
  message r;
  if (!out.empty()) r.set_data("containers", to_json(out).value());  // absent means none
  return r;
}

message fake_apiserver::impl::container_create(const message& m) {
  auto config = decode_or_throw<container_configuration>(require_data(m, "containerConfig"), "ContainerConfiguration");
  auto k = decode_or_throw<kernel>(require_data(m, "kernel"), "Kernel");
  std::optional<container_create_options> opts_;
  if (const std::string* o = xget_data(m, "containerOptions"))
    opts_ = decode_or_throw<container_create_options>(*o, "ContainerCreateOptions");
  if (!id_valid(config.id)) throw failure{errc::invalid_argument, "invalid container id " + config.id};
  if (config.resources.memory_in_bytes < 200ull * 1024 * 1024)
    throw failure{errc::invalid_argument, "memory must be at least 200 MiB"};
  if (containers.count(config.id)) throw failure{errc::exists, "container " + config.id + " exists"};
  for (auto& [id, c] : containers)
    for (auto& n : c->config.networks)
      for (auto& mine : config.networks)
        if (n.options.hostname == mine.options.hostname)
          throw failure{errc::exists, "hostname " + mine.options.hostname + " in use"};
  auto c = std::make_shared<container_state>();
  c->config = std::move(config);
  c->k = std::move(k);
  c->opts = opts_;
  if (const std::string* ii = xget_string(m, "initImage")) c->init_image = *ii;
  c->bundle = root / "containers" / c->config.id;
  fs::create_directories(c->bundle / "rootfs");
  write_file(c->bundle / "stdio.log", "");
  write_file(c->bundle / "vminitd.log", "");
  containers.emplace(c->config.id, c);
  return {};
}

message fake_apiserver::impl::container_bootstrap(const message& m) {
  auto c = find_container(m);
  if (c->state != container_state::phase::created && c->state != container_state::phase::stopped)
    throw failure{errc::invalid_state, "container " + c->config.id + " is already booted"};
  auto p = std::make_shared<process_state>();
  p->id = c->config.id;
  p->config = c->config.init_process;
  if (const std::string* env = xget_data(m, "dynamicEnv")) {
    for (auto& [k, v] : decode_or_throw<string_map>(*env, "[String: String]")) p->config.environment.push_back(k + "=" + v);
  }
  p->in = xget_fd(m, "stdin");
  p->out = xget_fd(m, "stdout");
  p->err = xget_fd(m, "stderr");
  c->processes[p->id] = p;
  c->attachments.clear();
  int host = 2;
  for (auto& a : c->config.networks) {
    auto it = networks.find(a.network);
    if (it == networks.end()) throw failure{errc::not_found, "network " + a.network + " not found"};
    const std::string& subnet = it->second.status.ipv4_subnet;
    const std::string prefix = subnet.substr(0, subnet.rfind('.'));
    attachment at;
    at.network = a.network;
    at.hostname = a.options.hostname;
    at.ipv4_address = prefix + "." + std::to_string(host + static_cast<int>(containers.size())) + "/24";
    at.ipv4_gateway = it->second.status.ipv4_gateway;
    at.mac_address = a.options.mac_address;
    at.mtu = a.options.mtu;
    c->attachments.push_back(at);
    ++host;
  }
  write_file(c->bundle / "vminitd.log", "vminitd: booted " + c->config.id + "\n", true);
  c->state = container_state::phase::booted;
  return {};
}

message fake_apiserver::impl::container_create_process(const message& m) {
  auto c = find_container(m);
  if (c->state != container_state::phase::running)
    throw failure{errc::invalid_state, "container " + c->config.id + " is not running"};
  const std::string& pid = require_string(m, "processIdentifier");
  if (c->processes.count(pid)) throw failure{errc::exists, "process " + pid + " exists"};
  auto p = std::make_shared<process_state>();
  p->id = pid;
  p->config = decode_or_throw<process_configuration>(require_data(m, "processConfig"), "ProcessConfiguration");
  p->in = xget_fd(m, "stdin");
  p->out = xget_fd(m, "stdout");
  p->err = xget_fd(m, "stderr");
  c->processes[pid] = p;
  return {};
}

message fake_apiserver::impl::container_start_process(const message& m) {
  auto c = find_container(m);
  auto p = find_process(*c, m);
  if (p->state != process_state::phase::created)
    throw failure{errc::invalid_state, "process " + p->id + " is not startable"};
  if (p->id == c->config.id) {
    if (c->state != container_state::phase::booted)
      throw failure{errc::invalid_state, "container " + c->config.id + " is not booted"};
    c->state = container_state::phase::running;
    c->started = now_date();
  }
  start_guest(c, p);
  return {};
}

awaitable<void> fake_apiserver::impl::wait_exit(std::shared_ptr<process_state> p) {
  while (p->state != process_state::phase::exited && !shutting_down) {
    if (!p->exited) {
      p->exited = std::make_unique<asio::steady_timer>(io, asio::steady_timer::time_point::max());
    }
    try {
      co_await p->exited->async_wait(use_awaitable);
    } catch (const std::system_error&) {
      // cancelled: exited, or the fake is shutting down
    }
  }
}

awaitable<message> fake_apiserver::impl::container_wait(const message& m) {
  auto c = find_container(m);
  auto p = find_process(*c, m);
  co_await wait_exit(p);
  message r;
  r.set_int64("exitCode", p->exit_code);
  r.set_date("exitedAt", p->exited_at);
  co_return r;
}

void fake_apiserver::impl::deliver(const std::shared_ptr<container_state>&, const std::shared_ptr<process_state>& p,
                                   int sig) {
  if (p->state != process_state::phase::running) return;
  if (sig != 9 && p->ignored.count(sig)) return;
  if (p->pending_signal == 0) p->pending_signal = sig;
  if (p->sleep) p->sleep->cancel();
  if (p->out_d) p->out_d->cancel();
  if (p->err_d) p->err_d->cancel();
  if (p->in_d) p->in_d->cancel();
}

message fake_apiserver::impl::container_kill(const message& m) {
  auto c = find_container(m);
  auto p = find_process(*c, m);
  // The server reads signal with the string getter: an int64 reads as absent.
  const std::string* s = xget_string(m, "signal");
  if (!s) throw failure{errc::invalid_argument, "missing signal"};
  auto sig = parse_signal(*s);
  if (!sig) throw failure{errc::invalid_argument, "invalid signal " + *s};
  if (p->state != process_state::phase::running)
    throw failure{errc::invalid_state, "process " + p->id + " is not running"};
  deliver(c, p, *sig);
  return {};
}

awaitable<message> fake_apiserver::impl::container_stop(const message& m) {
  auto c = find_container(m);
  auto stop = decode_or_throw<container_stop_options>(require_data(m, "stopOptions"), "ContainerStopOptions");
  const std::string sig_text = stop.signal ? *stop.signal : c->config.stop_signal.value_or("SIGTERM");  // fake (FLAG 24)
  auto sig = parse_signal(sig_text);
  if (!sig) throw failure{errc::invalid_argument, "invalid signal " + sig_text};
  if (c->state != container_state::phase::running) co_return message{};  // fake: nothing to do
  auto init = c->processes.at(c->config.id);
  c->state = container_state::phase::stopping;
  deliver(c, init, *sig);
  auto kill_timer = std::make_shared<asio::steady_timer>(io, std::chrono::seconds(stop.timeout_in_seconds));
  kill_timer->async_wait([this, c, init](std::error_code e) {
    if (!e) deliver(c, init, 9);
  });
  co_await wait_exit(init);
  kill_timer->cancel();
  co_return message{};
}

awaitable<message> fake_apiserver::impl::container_delete(const message& m) {
  auto c = find_container(m);
  const bool force = xget_bool(m, "forceDelete");
  const bool active = c->state == container_state::phase::running || c->state == container_state::phase::stopping;
  if (active && !force) throw failure{errc::invalid_state, "container " + c->config.id + " is running"};
  if (active) {
    auto init = c->processes.at(c->config.id);
    deliver(c, init, 9);
    co_await wait_exit(init);
  }
  remove_container(c->config.id);
  co_return message{};
}

void fake_apiserver::impl::remove_container(const std::string& id) {
  auto it = containers.find(id);
  if (it == containers.end()) return;
  std::error_code ec;
  fs::remove_all(it->second->bundle, ec);
  containers.erase(it);
}

message fake_apiserver::impl::container_logs(const message& m) {
  auto c = find_container(m);
  const int a = ::open((c->bundle / "stdio.log").c_str(), O_RDONLY | O_CLOEXEC);
  const int b = ::open((c->bundle / "vminitd.log").c_str(), O_RDONLY | O_CLOEXEC);
  apple::array fds{value(shared_fd::adopt(a)), value(shared_fd::adopt(b))};
  if (a < 0 || b < 0) throw failure{errc::internal_error, "cannot open the logs"};
  message r;
  r.set_array("logs", std::move(fds));
  return r;
}

message fake_apiserver::impl::container_dial(const message& m) {
  auto c = find_container(m);
  (void)xget_uint64(m, "port");
  if (c->state != container_state::phase::running)
    throw failure{errc::invalid_state, "container " + c->config.id + " is not running"};
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw failure{errc::internal_error, "socketpair"};
  c->dialled.push_back(shared_fd::adopt(sv[1]));  // fake: the guest's end, closed with the container
  message r;
  r.set_fd("fd", shared_fd::adopt(sv[0]));
  return r;
}

message fake_apiserver::impl::container_copy(const message& m, bool in) {
  auto c = find_container(m);
  const std::string& src = require_string(m, "sourcePath");
  const std::string& dst = require_string(m, "destinationPath");
  const bool parents = xget_bool(m, "createParents");
  auto guest = [&](const std::string& p) { return c->bundle / "rootfs" / fs::path(p).relative_path(); };
  const fs::path from = in ? fs::path(src) : guest(src);
  const fs::path to = in ? guest(dst) : fs::path(dst);
  if (!fs::exists(from)) throw failure{errc::not_found, src + " not found"};
  if (!fs::exists(to.parent_path())) {
    if (!parents) throw failure{errc::not_found, to.parent_path().string() + " not found"};
    fs::create_directories(to.parent_path());
  }
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) throw failure{errc::internal_error, ec.message()};
  if (in) fs::permissions(to, static_cast<fs::perms>(xget_uint64(m, "fileMode") & 07777), ec);
  return {};
}

// ---- guests ----

void fake_apiserver::impl::start_guest(std::shared_ptr<container_state> c, std::shared_ptr<process_state> p) {
  p->state = process_state::phase::running;
  auto own = [this](const shared_fd& f) -> std::unique_ptr<asio::posix::stream_descriptor> {
    if (!f) return nullptr;
    auto d = f.dup_raw();
    if (!d) return nullptr;
    const int flags = ::fcntl(*d, F_GETFL);
    ::fcntl(*d, F_SETFL, flags | O_NONBLOCK);
    return std::make_unique<asio::posix::stream_descriptor>(io, *d);
  };
  p->out_d = own(p->out);
  p->err_d = own(p->err);
  p->in_d = own(p->in);
  // The fake keeps only the descriptors: the shared_fds go, so that the exit closes all.
  p->in = p->out = p->err = {};
  auto self = shared_from_this();
  asio::co_spawn(io, run_guest(c, p), [self, c, p](std::exception_ptr ep, int code) {
    self->process_exited(c, p, ep ? 255 : code);
  });
}

awaitable<bool> fake_apiserver::impl::guest_write(container_state& c, process_state& p, bool to_err, std::string text) {
  write_file(c.bundle / "stdio.log", text, true);  // stdout and stderr are always tee'd
  auto& d = to_err && !p.config.terminal ? p.err_d : p.out_d;
  if (!d) co_return true;  // detached: only the log
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t n = 0;
    try {
      n = co_await d->async_write_some(asio::buffer(text.data() + at, text.size() - at), use_awaitable);
    } catch (const std::system_error&) {
      co_return false;  // a signal, or the reader went away
    }
    at += n;
    if (!to_err) p.bytes_written += n;
  }
  co_return true;
}

awaitable<int> fake_apiserver::impl::run_guest(std::shared_ptr<container_state> c, std::shared_ptr<process_state> p) {
  if (p->config.executable != guest_executable) co_return 0;
  auto ended = [&]() -> std::optional<int> {
    if (p->pending_signal == 0) return std::nullopt;
    return p->trapped.count(p->pending_signal) ? 0 : 128 + p->pending_signal;
  };
  for (const std::string& step : p->config.arguments) {
    if (auto e = ended()) co_return *e;
    const auto colon = step.find(':');
    const std::string verb = step.substr(0, colon);
    const std::string arg = colon == std::string::npos ? std::string() : step.substr(colon + 1);
    if (verb == "out" || verb == "err") {
      // Named arguments only: GCC 12 may destroy class-type temporaries of a co_await twice.
      std::string line = arg + "\n";
      co_await guest_write(*c, *p, verb == "err", std::move(line));
    } else if (verb == "flood") {
      const std::size_t total = std::stoull(arg);
      const std::string chunk(65536, 'x');
      std::size_t sent = 0;
      while (sent < total && !ended()) {
        const std::size_t n = std::min(chunk.size(), total - sent);
        std::string piece = chunk.substr(0, n);
        if (!co_await guest_write(*c, *p, false, std::move(piece))) break;
        sent += n;
      }
    } else if (verb == "cat") {
      if (!p->in_d) continue;
      char buf[4096];
      for (;;) {
        std::size_t n = 0;
        try {
          n = co_await p->in_d->async_read_some(asio::buffer(buf), use_awaitable);
        } catch (const std::system_error&) {
          break;  // EOF or a signal
        }
        std::string piece(buf, n);
        if (!co_await guest_write(*c, *p, false, std::move(piece))) break;
      }
    } else if (verb == "sleep") {
      p->sleep = std::make_unique<asio::steady_timer>(io, std::chrono::milliseconds(std::stoll(arg)));
      try {
        co_await p->sleep->async_wait(use_awaitable);
      } catch (const std::system_error&) {
      }
      p->sleep.reset();
    } else if (verb == "trap" || verb == "ignore") {
      auto sig = parse_signal(arg);
      if (sig) (verb == "trap" ? p->trapped : p->ignored).insert(*sig);
    } else if (verb == "exit") {
      co_return std::stoi(arg);
    }
  }
  if (auto e = ended()) co_return *e;
  co_return 0;
}

void fake_apiserver::impl::process_exited(const std::shared_ptr<container_state>& c,
                                          const std::shared_ptr<process_state>& p, int code) {
  p->state = process_state::phase::exited;
  p->exit_code = code;
  p->exited_at = xpc_date::from(std::chrono::system_clock::now());
  p->out_d.reset();  // the guest's ends close: the reader sees EOF
  p->err_d.reset();
  p->in_d.reset();
  p->sleep.reset();
  if (p->exited) p->exited->cancel();
  if (p->id != c->config.id) return;
  // The init process: every exec process is killed, the container stops.
  for (auto& [id, other] : c->processes)
    if (other != p) deliver(c, other, 9);
  c->state = container_state::phase::stopped;
  c->dialled.clear();
  if (c->opts && c->opts->auto_remove) remove_container(c->config.id);
}

void fake_apiserver::impl::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu);
    stopped = true;
  }
  // Kill every guest and wake every waiter, then let the io_context run out of work: every
  // handler runs to its end, so that no coroutine frame (and no fd in one) is left behind.
  asio::post(io, [this] {
    shutting_down = true;
    for (auto& [id, c] : containers) {
      for (auto& [pid, p] : c->processes) {
        deliver(c, p, 9);
        if (p->exited) p->exited->cancel();
      }
    }
  });
  work.reset();
  if (ran_out.get_future().wait_for(std::chrono::seconds(10)) != std::future_status::ready) io.stop();
  if (thread.joinable()) thread.join();
  // Every link's pending call completes with `invalid`.
  std::vector<std::shared_ptr<fake_link>> ls;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& w : links)
      if (auto l = w.lock()) ls.push_back(std::move(l));
  }
  for (auto& l : ls) l->cancel();
  // The io objects go while the io_context still exists.
  for (auto& [id, c] : containers) {
    for (auto& [pid, p] : c->processes) {
      p->out_d.reset();
      p->err_d.reset();
      p->in_d.reset();
      p->sleep.reset();
      p->exited.reset();
    }
  }
  containers.clear();
  std::error_code ec;
  fs::remove_all(root, ec);
}

// ---- fake_apiserver ----

fake_apiserver::fake_apiserver(fake_options o) : impl_(std::make_shared<impl>(std::move(o))) { impl_->start(); }

fake_apiserver::~fake_apiserver() { impl_->shutdown(); }

std::shared_ptr<detail::link_driver> fake_apiserver::driver() { return std::make_shared<fake_driver>(impl_); }

std::shared_ptr<transport> fake_apiserver::make_transport(xpc_transport_options o) {
  return detail::make_pool_transport(driver(), std::move(o));
}

void fake_apiserver::seed_default_kernel(kernel k) {
  impl_->on_thread([&] { impl_->kernels[k.platform.os + "/" + k.platform.architecture] = k; });
}

void fake_apiserver::seed_remote_image(image_description d) {
  impl_->on_thread([&] { impl_->registry[d.reference] = d; });
}

void fake_apiserver::inject(std::string route, fault f, int nth) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const int base = impl_->calls[route];
  impl_->faults[route].push_back({f, nth == 0 ? 0 : base + nth});
}

void fake_apiserver::restart() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->exited = false;
  impl_->faults.clear();
}

std::vector<std::string> fake_apiserver::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->request_log;
}

std::size_t fake_apiserver::guest_bytes_written(const std::string& id, const std::string& process_id) const {
  return impl_->on_thread([&]() -> std::size_t {
    auto c = impl_->containers.find(id);
    if (c == impl_->containers.end()) return 0;
    auto p = c->second->processes.find(process_id);
    return p == c->second->processes.end() ? 0 : p->second->bytes_written;
  });
}

std::filesystem::path fake_apiserver::root() const { return impl_->root; }

// ---- helpers for tests ----

kernel test_kernel() {
  kernel k;
  k.path = "file:///Users/u/Library/Application%20Support/com.apple.container/kernels/vmlinux";
  k.platform = {"linux", "arm64"};
  k.command_line.kernel_args = {"console=hvc0"};
  return k;
}

container_configuration test_config(std::string id, std::vector<std::string> steps) {
  container_configuration c;
  c.id = std::move(id);
  c.image.reference = "docker.io/library/alpine:latest";
  c.image.descriptor.media_type = "application/vnd.oci.image.index.v1+json";
  c.image.descriptor.digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  c.image.descriptor.size = 9218;
  c.init_process.executable = guest_executable;
  c.init_process.arguments = std::move(steps);
  c.init_process.working_directory = "/";
  c.networks.push_back({"default", {c.id + ".test.", std::nullopt, 1280}});
  c.creation_date = now_date();
  return c;
}

}  // namespace berth::apple::test
