// The containerd backend of the berth command, on berth's public containerd API
// (berth/containerd/*.hpp). Built only with the containerd backend (BERTH_CLI_CONTAINERD).
//
// How containerd's model maps onto the commands:
// - A container's id is its name (--name, else 16 random hex digits).
// - run in the foreground reads the task's stdio through FIFOs (berth::containerd::process);
//   the stopped task is kept (ps -a shows its exit code, wait prints it) until rm.
// - containerd keeps no logs. run -d and start start the task with the library's log
//   capture (berth/containerd/logs.hpp: the runc shim runs berth's logger program, which
//   records stdout and stderr apart, byte for byte, with a timestamp per chunk, into a file
//   under the state folder); logs reads it through a log_reader; a container run in the
//   foreground has no logs (its output went to the caller). rm and sweep delete the file.
// - The client runs on an io_context driven by one runner thread; the commands use the
//   blocking forms from the main thread (and from the threads that pump stderr and forward
//   stdin; the client serialises them on its strand).
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <limits>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include "args.hpp"
#include "backend.hpp"
#include "event_thread.hpp"
#include "berth/containerd/containerd.hpp"
#include "berth/kata/containerd.hpp"
#include "berth/runtime/containerd.hpp"
#include "output.hpp"
#include "stdin_forwarder.hpp"

#ifndef BERTH_CLI_VERSION
#define BERTH_CLI_VERSION "unknown"
#endif

namespace berth::cli {

namespace {

namespace ctrd = berth::containerd;
namespace cop = berth::containerd::op;
using namespace std::chrono_literals;


/// The daemon's (or registry's) own words on one line, else the error's.
std::string describe(const std::error_code& ec, const berth::diagnostics& diag) {
  std::string m = diag.message;
  while (!m.empty() && std::isspace(static_cast<unsigned char>(m.back()))) m.pop_back();
  std::replace(m.begin(), m.end(), '\n', ' ');
  return m.empty() ? ec.message() : m;
}

std::string random_hex(std::size_t digits) {
  static std::mt19937_64 rng{std::random_device{}()};
  std::string s;
  while (s.size() < digits) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    s += buf;
  }
  return s.substr(0, digits);
}

std::int64_t unix_nanos(ctrd::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::string format_nanos(std::int64_t nanos) {
  std::time_t secs = static_cast<std::time_t>(nanos / 1'000'000'000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char head[32];
  std::strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(nanos % 1'000'000'000));
  return std::string(head) + frac + "Z";
}

std::int64_t unix_seconds(ctrd::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string json_string(std::string_view s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o + "\"";
}

std::string json_labels(const ctrd::labels& l) {
  std::string s = "{";
  for (const auto& [k, v] : l) s += (s.size() > 1 ? "," : "") + json_string(k) + ":" + json_string(v);
  return s + "}";
}

/// The first field of an event's payload when it is a string (the name, key or digest of
/// image, snapshot, namespace and content events, which berth does not decode).
std::string first_string_field(const std::string& v) {
  if (v.size() < 2 || v[0] != 0x0a) return {};  // field 1, wire type 2
  std::uint64_t len = 0;
  std::size_t i = 1;
  for (int shift = 0; i < v.size() && shift < 64; shift += 7) {
    auto b = static_cast<unsigned char>(v[i++]);
    len |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  if (len > v.size() - i) return {};
  std::string s = v.substr(i, len);
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return {};
  return s;
}

/// A quoted value in containerd's filter syntax.
std::string filter_quote(std::string_view s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

std::uint32_t parse_signal(const std::optional<std::string>& s) {
  if (!s) return SIGKILL;
  std::string n = *s;
  if (!n.empty() && std::all_of(n.begin(), n.end(), [](unsigned char c) { return std::isdigit(c); }))
    return static_cast<std::uint32_t>(std::stoul(n));
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (n.rfind("SIG", 0) == 0) n = n.substr(3);
  static const std::map<std::string, int> names{
      {"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
      {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"STOP", SIGSTOP}, {"CONT", SIGCONT}, {"WINCH", SIGWINCH},
      {"ALRM", SIGALRM}, {"PIPE", SIGPIPE}};
  auto it = names.find(n);
  if (it == names.end()) throw command_error{"kill: unknown signal '" + *s + "'", exit_usage};
  return static_cast<std::uint32_t>(it->second);
}

/// Where berth keeps the logs of detached containers: $XDG_STATE_HOME/berth, else
/// $HOME/.local/state/berth, else /tmp/berth-<uid>.
std::filesystem::path state_dir() {
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x == '/') return std::filesystem::path(x) / "berth";
  if (const char* h = std::getenv("HOME"); h && *h == '/') return std::filesystem::path(h) / ".local/state/berth";
  return "/tmp/berth-" + std::to_string(::getuid());
}

/// Writes records to fds 1 and 2, with a timestamp at the start of each line when asked.
class log_printer {
 public:
  explicit log_printer(bool timestamps) : timestamps_(timestamps) {}
  /// false when our reader went away.
  bool print(int stream, std::int64_t nanos, std::string_view data) {
    int fd = stream == 2 ? 2 : 1;
    if (!timestamps_) return write_all(fd, data);
    bool& at_start = at_start_[stream == 2 ? 1 : 0];
    std::string out;
    for (char c : data) {
      if (at_start) out += format_nanos(nanos) + " ";
      out += c;
      at_start = c == '\n';
    }
    return write_all(fd, out);
  }

 private:
  bool timestamps_;
  bool at_start_[2] = {true, true};
};

// ---- the backend --------------------------------------------------------------------

class containerd_backend final : public backend {
 public:
  explicit containerd_backend(const global_options& g) : g_(g) {
    ctrd::client_options o;
    if (g.address) o.address = *g.address;
    if (g.ns) o.namespace_ = *g.ns;
    o.timeout = std::chrono::seconds(120);
    client_.emplace(loop_.executor(), std::move(o));
    loop_.start();
  }

  ~containerd_backend() override {
    loop_.stop_relays();
    client_.reset();
    loop_.stop();
  }

  std::string_view engine_name() const override { return "containerd"; }

  // ---- system ----------------------------------------------------------------------

  int version() override {
    auto v = call(cop::version{});
    std::string s = "Client: berth " + std::string(BERTH_CLI_VERSION) + "\n";
    s += " Engine:      containerd\n";
    s += " Address:     " + client_->address() + "\n";
    s += " Namespace:   " + client_->namespace_name() + "\n";
    s += "Server: containerd " + v.version + "\n";
    s += " Revision:    " + v.revision + "\n";
    write_all(1, s);
    return 0;
  }

  int info() override {
    auto v = call(cop::version{});
    auto nss = call(cop::namespace_list{});
    auto containers = call(cop::container_list{});
    auto tasks = call(cop::task_list{});
    auto images = call(cop::image_list{});
    auto plugins = call(cop::plugin_list{});
    std::size_t running = 0, paused = 0, stopped = 0;
    for (const auto& t : tasks) {
      if (t.status == ctrd::process_status::running) ++running;
      else if (t.status == ctrd::process_status::paused || t.status == ctrd::process_status::pausing) ++paused;
      else if (t.status == ctrd::process_status::stopped) ++stopped;
    }
    std::string snapshotters, namespaces;
    for (const auto& p : plugins)
      if (p.type == "io.containerd.snapshotter.v1" && !p.init_error) snapshotters += (snapshotters.empty() ? "" : " ") + p.id;
    for (const auto& n : nss) namespaces += (namespaces.empty() ? "" : " ") + n.name;
    std::string s;
    s += "Server Version:   containerd " + v.version + " (" + v.revision + ")\n";
    s += "Address:          " + client_->address() + "\n";
    s += "Namespace:        " + client_->namespace_name() + "\n";
    s += "Containers:       " + std::to_string(containers.size()) + " (running " + std::to_string(running) +
         ", paused " + std::to_string(paused) + ", stopped " + std::to_string(stopped) + ")\n";
    s += "Images:           " + std::to_string(images.size()) + "\n";
    s += "Snapshotters:     " + snapshotters + "\n";
    s += "Default Runtime:  " + std::string(ctrd::default_runtime) + "\n";
    s += "Namespaces:       " + namespaces + "\n";
    write_all(1, s);
    return 0;
  }

  // ---- containers ------------------------------------------------------------------

  int ps(const ps_request& r) override {
    std::string label_filter;
    std::vector<std::regex> names;
    std::vector<std::string> ids, statuses;
    for (const auto& [k, v] : r.filters) {
      if (k == "label") {
        auto eq = v.find('=');
        std::string f = eq == std::string::npos
                            ? "labels." + filter_quote(v)
                            : "labels." + filter_quote(v.substr(0, eq)) + "==" + filter_quote(v.substr(eq + 1));
        label_filter += (label_filter.empty() ? "" : ",") + f;
      } else if (k == "name") {
        try {
          names.emplace_back(v);
        } catch (const std::regex_error&) {
          throw command_error{"ps: --filter name=" + v + ": not a regular expression", exit_usage};
        }
      } else if (k == "id") {
        ids.push_back(v);
      } else if (k == "status") {
        static const std::set<std::string> known{"created", "running", "paused", "exited", "unknown"};
        if (!known.count(v))
          throw command_error{"ps: --filter status=" + v + ": one of created, running, paused, exited", exit_usage};
        statuses.push_back(v);
      } else {
        throw command_error{"ps: --filter " + k + "= is not supported with --engine containerd (label, name, id, status)",
                            exit_usage};
      }
    }
    cop::container_list l;
    if (!label_filter.empty()) l.filters.push_back(label_filter);
    auto list = call(std::move(l));
    auto tasks = task_map();
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.created_at > b.created_at; });
    std::string s;
    if (!r.quiet)
      s = column("CONTAINER ID", 20) + column("IMAGE", 44) + column("CREATED", 18) + column("STATUS", 28) +
          "RUNTIME\n";
    for (const auto& c : list) {
      auto t = tasks.find(c.id);
      const ctrd::process_info* task = t == tasks.end() ? nullptr : &t->second;
      std::string st = status_word(task);
      if (!r.all && st != "running" && st != "paused") continue;
      if (!statuses.empty() && std::find(statuses.begin(), statuses.end(), st) == statuses.end()) continue;
      if (!names.empty() && std::none_of(names.begin(), names.end(),
                                         [&](const std::regex& re) { return std::regex_search(c.id, re); }))
        continue;
      if (!ids.empty() && std::none_of(ids.begin(), ids.end(), [&](const std::string& p) { return c.id.rfind(p, 0) == 0; }))
        continue;
      if (r.quiet) {
        s += c.id + "\n";
        continue;
      }
      s += column(c.id, 20) + column(c.image, 44) + column(human_age(unix_seconds(c.created_at)), 18) +
           column(status_text(task), 28) + c.runtime.name + "\n";
    }
    write_all(1, s);
    return 0;
  }

  int run(const run_request& r) override {
    if (r.network && *r.network != "none")
      throw command_error{"--network " + *r.network +
                              " is not supported with --engine containerd: a container gets a network namespace of "
                              "its own with loopback only (berth sets up no CNI network)",
                          exit_usage};
    if (r.detach && r.rm)
      throw command_error{"run -d --rm is not supported with --engine containerd: nothing would remove the container "
                          "when it exits (remove it with rm, or sweep --label)",
                          exit_usage};
    if (r.detach && r.interactive)
      throw command_error{"run -d -i is not supported with --engine containerd: nothing could write to the "
                          "container's stdin later",
                          exit_usage};
    std::string ref = normalize(r.image);
    ensure_image(ref);

    ctrd::container_options o;
    o.id = r.name.value_or(random_hex(16));
    o.image = ref;
    o.cmd = r.cmd;  // after the image's entrypoint, as docker run IMAGE CMD
    o.env = r.env;
    o.cwd = r.workdir.value_or("");
    o.user = r.user.value_or("");
    o.terminal = r.tty;
    o.init = r.init;
    o.privileged = r.privileged;
    for (const auto& u : r.ulimits)
      o.ulimits.push_back({u.name, static_cast<std::uint64_t>(u.soft), static_cast<std::uint64_t>(u.hard)});
    o.labels = r.labels;
    o.labels.erase(ctrd::log_path_label);
    for (const auto& v : r.volumes) o.mounts.push_back(parse_volume(v));
    if (g_.runtime) {
      // Through kata/: the Kata policy over the settings, then the shim and its options.
      std::error_code kec;
      berth::diagnostics kdiag;
      auto prepared = kata::prepare_container(std::move(o), runtime_choice_of(*g_.runtime), kec, &kdiag);
      if (kec) throw command_error{"--runtime " + *g_.runtime + ": " + describe(kec, kdiag)};
      for (const auto& w : prepared.report.warnings) write_all(2, "berth: warning: " + w.setting + ": " + w.message + "\n");
      o = std::move(prepared.options);
    }
    create_container(o);
    const std::string id = o.id;

    if (r.detach) {
      try {
        call(cop::start_container{.id = id, .log = ctrd::log_options{.path = log_path_of(id)}}, "start " + id);
      } catch (...) {
        std::error_code e;
        client_->run(cop::remove_container{.id = id, .force = true}, e);
        throw;
      }
      write_all(1, id + "\n");
      return 0;
    }

    // --rm: remove the container on every path (after the task's exit code was read).
    struct remover {
      containerd_backend* self;
      std::string id;
      bool active;
      ~remover() {
        if (!active) return;
        std::error_code e;
        self->client_->remove_container(id, e);
      }
    } cleanup{this, id, r.rm};

    std::error_code ec;
    berth::diagnostics diag;
    auto proc = std::make_shared<ctrd::process>(
        client_->create_task(id, {.stdin_ = r.interactive, .terminal = r.tty, .capture = true}, ec));
    if (ec) throw command_error{"starting " + id + ": " + ec.message()};
    return drive(proc, r.interactive, r.tty, std::nullopt, /*forward_signals=*/true);
  }

  int exec(const exec_request& r) override {
    auto task = require_running(r.id, "exec");
    (void)task;
    ctrd::process_spec spec;
    spec.args = r.cmd;
    spec.env = r.env;
    spec.cwd = r.workdir.value_or("");
    spec.user = r.user.value_or("");
    spec.terminal = r.tty;
    std::error_code ec;
    if (!r.interactive && !r.tty) {
      // The library's exec to completion: output as it comes; after --timeout the exec's
      // whole process tree is killed (the container runs on) and berth exits 124 with the
      // output so far already written.
      ctrd::run_options ro;
      ro.on_output = [](ctrd::output which, std::string_view data) {
        write_all(which == ctrd::output::stderr_stream ? 2 : 1, data);
      };
      if (r.timeout_seconds) ro.timeout = std::chrono::seconds(*r.timeout_seconds);
      berth::diagnostics diag;
      ro.diag = &diag;
      auto res = client_->exec_run(r.id, spec, ro, ec);
      if (ec == ctrd::pull_errc::bad_user) throw command_error{user_error(spec.user)};
      if (ec) fail(ec, diag, "exec");
      if (res.timed_out)
        throw command_error{"exec: timed out after " + std::to_string(*r.timeout_seconds) +
                                " s; the process and its children were killed",
                            124};
      return static_cast<int>(res.exit_code);
    }
    std::string exec_id = "exec-" + random_hex(12);
    auto proc = std::make_shared<ctrd::process>(
        client_->exec(r.id, exec_id, spec, {.stdin_ = r.interactive, .terminal = r.tty, .capture = true}, ec));
    if (ec == ctrd::pull_errc::bad_user) throw command_error{user_error(spec.user)};
    if (ec) throw command_error{"exec: " + ec.message()};
    std::optional<std::chrono::seconds> timeout;
    if (r.timeout_seconds) timeout = std::chrono::seconds(*r.timeout_seconds);
    struct deleter {
      std::shared_ptr<ctrd::process> p;
      ~deleter() {
        std::error_code e;
        p->delete_(e);
      }
    } cleanup{proc};
    return drive(proc, r.interactive, r.tty, timeout, /*forward_signals=*/false);
  }

  int logs(const logs_request& r) override {
    ctrd::log_read_options o;
    o.follow = r.follow;
    if (r.since) o.since = ctrd::time_point(std::chrono::seconds(*r.since));
    if (r.tail && *r.tail != "all") o.tail = static_cast<std::size_t>(std::stoll(*r.tail));
    std::error_code ec;
    berth::diagnostics diag;
    auto reader = client_->run(cop::open_logs{.id = r.id, .options = o}, ec, {.diag = &diag});
    if (ec == ctrd::pull_errc::no_log_capture)
      throw command_error{"logs: " + r.id +
                          " has no logs: containerd keeps none, and berth records only the output of containers it "
                          "started detached (run -d, start)"};
    if (ec) fail(ec, diag, "logs " + r.id);
    log_printer printer(r.timestamps);
    for (;;) {
      auto e = reader.next(ec);
      if (ec == asio::error::eof) return 0;
      if (ec) fail(ec, diag, "logs " + r.id);
      if (!printer.print(e.stream == ctrd::output::stderr_stream ? 2 : 1, unix_nanos(e.time), e.data)) return 0;
    }
  }

  int lifecycle(const lifecycle_request& r) override {
    int code = 0;
    std::vector<std::string> inspected;
    for (const auto& id : r.ids) {
      try {
        if (r.verb == "start") {
          start_existing(id);
        } else if (r.verb == "stop") {
          stop(id, std::chrono::seconds(r.stop_seconds.value_or(10)));
        } else if (r.verb == "restart") {
          // As docker restart: a container started before without capture gets it now.
          auto c = get_container(id);
          if (!c.labels.count(ctrd::log_path_label)) {
            stop(id, std::chrono::seconds(r.stop_seconds.value_or(10)));
            start_existing(id);
          } else {
            call(cop::restart_container{.id = id, .signal = SIGTERM,
                                        .grace = std::chrono::seconds(r.stop_seconds.value_or(10))},
                 "restart " + id);
          }
        } else if (r.verb == "pause") {
          require_running(id, "pause");
          call(cop::task_pause{.container_id = id}, "pause " + id);
        } else if (r.verb == "unpause") {
          get_container(id);
          call(cop::task_resume{.container_id = id}, "unpause " + id);
        } else if (r.verb == "kill") {
          std::uint32_t sig = parse_signal(r.signal);
          require_running(id, "kill");
          call(cop::task_kill{.container_id = id, .signal = sig, .all = sig == SIGKILL}, "kill " + id);
        } else if (r.verb == "rm") {
          remove(id, r.force);
        } else if (r.verb == "wait") {
          write_all(1, std::to_string(wait_exit(id)) + "\n");
          continue;
        } else if (r.verb == "inspect") {
          inspected.push_back(inspect_json(id));
          continue;
        } else {
          unsupported(r.verb);
        }
        write_all(1, id + "\n");
      } catch (const command_error& e) {
        if (e.code == exit_usage) throw;
        write_all(2, "berth: " + e.message + "\n");
        code = exit_failure;
      }
    }
    if (r.verb == "inspect") write_json_array(1, inspected);
    return code;
  }

  // ---- images ----------------------------------------------------------------------

  int pull(const std::string& image) override {
    pull_image(normalize(image), 1, true);
    return 0;
  }

  int images(const images_request& r) override {
    auto list = call(cop::image_list{});
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    std::string s;
    if (!r.quiet) s = column("REPOSITORY", 48) + column("TAG", 20) + column("DIGEST", 15) + "CREATED\n";
    for (const auto& i : list) {
      if (r.quiet) {
        s += i.name + "\n";
        continue;
      }
      std::string repo = i.name, tag;
      auto at = repo.find('@');
      auto colon = repo.rfind(':');
      auto slash = repo.rfind('/');
      if (at != std::string::npos) {
        tag = "<none>";
      } else if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
        tag = repo.substr(colon + 1);
        repo = repo.substr(0, colon);
      }
      std::string digest = i.target.digest;
      if (digest.rfind("sha256:", 0) == 0) digest = digest.substr(7, 12);
      s += column(repo, 48) + column(tag, 20) + column(digest, 15) + human_age(unix_seconds(i.created_at)) + "\n";
    }
    write_all(1, s);
    return 0;
  }

  int rmi(const std::vector<std::string>& images, bool) override {
    int code = 0;
    for (const auto& name : images) {
      try {
        std::string ref = normalize(name);
        std::error_code ec;
        berth::diagnostics diag;
        client_->run(cop::remove_image{.name = ref}, ec, {.diag = &diag});
        if (ctrd::is_not_found(ec)) throw command_error{"no such image: " + name};
        if (ec) fail(ec, diag, "rmi " + name);
        write_all(1, "Untagged: " + ref + "\n");
      } catch (const command_error& e) {
        write_all(2, "berth: " + e.message + "\n");
        code = exit_failure;
      }
    }
    return code;
  }

  int tag(const std::string& source, const std::string& target) override {
    std::error_code ec;
    berth::diagnostics diag;
    client_->run(cop::tag_image{.source = normalize(source), .target = normalize(target)}, ec, {.diag = &diag});
    if (ctrd::is_not_found(ec)) throw command_error{"no such image: " + source};
    if (ec) fail(ec, diag, "tag");
    return 0;
  }

  /// commit: the container's changes as a new image (containerd's Diff service), paused
  /// meanwhile when it runs (unless --pause false); the new image's manifest digest.
  int commit(const commit_request& r) override {
    if (r.author) throw command_error{"commit --author applies to --engine docker", exit_usage};
    get_container(r.container);
    bool paused = false;
    if (r.pause) {
      std::error_code ec;
      auto t = client_->run(cop::task_get{.container_id = r.container}, ec);
      if (!ec && t.status == ctrd::process_status::running) {
        call(cop::task_pause{.container_id = r.container}, "commit: pause " + r.container);
        paused = true;
      }
    }
    std::error_code ec;
    berth::diagnostics diag;
    auto img = client_->run(cop::commit_container{.id = r.container, .reference = normalize(r.reference),
                                                  .comment = r.message.value_or("")},
                            ec, {.diag = &diag});
    if (paused) {
      std::error_code rec;
      client_->run(cop::task_resume{.container_id = r.container}, rec);
    }
    if (ec) fail(ec, diag, "commit " + r.container);
    write_all(1, img.target.digest + "\n");
    return 0;
  }

  /// save: the images as one archive (OCI layout with Docker's manifest.json) that both
  /// `docker load` and `ctr images import` read, to FILE or stdout.
  int save(const std::vector<std::string>& images, const std::optional<std::string>& output) override {
    if (!output && is_terminal(1))
      throw command_error{"save: refusing to write a tar archive to a terminal; redirect stdout or use -o FILE",
                          exit_usage};
    cop::export_images o;
    for (const auto& i : images) o.names.push_back(normalize(i));
    if (output) {
      o.path = *output;
    } else {
      o.sink = [](std::string_view piece) {
        return write_all(1, piece.data(), piece.size()) ? std::error_code{} : std::make_error_code(std::errc::io_error);
      };
    }
    std::error_code ec;
    berth::diagnostics diag;
    client_->run(std::move(o), ec, {.diag = &diag});
    if (ctrd::is_not_found(ec)) throw command_error{"save: no such image" + (diag.message.empty() ? std::string() : ": " + diag.message)};
    if (ec) fail(ec, diag, "save");
    return 0;
  }

  /// load: the archive (docker save or OCI layout, as ctr images export writes it) is
  /// imported from FILE or streamed from stdin into the content store, its images are
  /// created and unpacked; one line per image. On failure the import leaves nothing.
  int load(const std::optional<std::string>& input) override {
    if (!input && is_terminal(0)) throw command_error{"load: give the tar archive on stdin or with -i FILE", exit_usage};
    std::error_code ec;
    berth::diagnostics diag;
    ctrd::import_options opts;
    opts.diag = &diag;
    std::vector<ctrd::image> imgs;
    if (input) {
      imgs = client_->import_archive(*input, std::move(opts), ec);
    } else {
      ctrd::archive_source src = [](asio::mutable_buffer buf, std::error_code& e) -> std::size_t {
        for (;;) {
          ssize_t n = ::read(0, buf.data(), buf.size());
          if (n >= 0) return static_cast<std::size_t>(n);
          if (errno == EINTR) continue;
          e = std::error_code(errno, std::generic_category());
          return 0;
        }
      };
      imgs = client_->import_archive(std::move(src), std::move(opts), ec);
    }
    if (ec) {
      if (ctrd::is_unavailable(ec)) fail(ec, diag, "load");
      std::string msg = describe(ec, diag);
      if (!diag.message.empty() && msg.find(ec.message()) == std::string::npos) msg = ec.message() + ": " + msg;
      throw command_error{"load: " + msg};
    }
    std::string s;
    for (const auto& i : imgs) s += "Loaded image: " + i.name + "\n";
    write_all(1, s);
    return 0;
  }

  // ---- events and sweep ------------------------------------------------------------

  int events(const events_request& r) override {
    if (r.since)
      throw command_error{"events --since is not supported with --engine containerd: containerd keeps no event history",
                          exit_usage};
    std::optional<std::chrono::system_clock::time_point> until;
    if (r.until) until = parse_time(*r.until, "--until");
    std::vector<std::string> containers, topics, types, names;
    for (const auto& [k, v] : r.filters) {
      if (k == "container") containers.push_back(v);
      else if (k == "topic") topics.push_back(v);
      else if (k == "type") types.push_back(v);
      else if (k == "event") names.push_back(v);
      else
        throw command_error{"events: --filter " + k +
                                "= is not supported with --engine containerd (container, type, event, topic)",
                            exit_usage};
    }
    std::error_code ec;
    auto stream = std::make_shared<ctrd::event_stream>(client_->subscribe({}, ec));
    if (ec) throw command_error{unreachable_or("events", ec)};
    auto matches = [](const std::vector<std::string>& want, const std::string& have) {
      return want.empty() || std::find(want.begin(), want.end(), have) != want.end();
    };
    for (;;) {
      std::promise<std::pair<std::error_code, ctrd::event>> pr;
      auto fut = pr.get_future();
      stream->async_next([&pr](std::error_code e, ctrd::event ev) { pr.set_value({e, std::move(ev)}); });
      if (until) {
        if (fut.wait_until(*until) != std::future_status::ready) {
          std::promise<void> closed;
          asio::dispatch(stream->get_executor(), [stream, &closed] {
            stream->close();
            closed.set_value();
          });
          closed.get_future().wait();
          fut.wait();
          return 0;
        }
      }
      auto [e, ev] = fut.get();
      if (e) throw command_error{"events: " + e.message()};
      // topic "/tasks/exit": type "tasks", event "exit".
      std::string type, name;
      auto second = ev.topic.find('/', 1);
      type = ev.topic.substr(1, second == std::string::npos ? std::string::npos : second - 1);
      name = second == std::string::npos ? std::string() : ev.topic.substr(second + 1);
      if (!matches(topics, ev.topic) || !matches(types, type) || !matches(names, name) ||
          !matches(containers, ev.container_id))
        continue;
      std::string line = format_nanos(unix_nanos(ev.timestamp)) + " " + ev.topic;
      if (!ev.container_id.empty()) {
        line += " " + ev.container_id;
      } else if (auto what = first_string_field(ev.payload.value); !what.empty()) {
        line += " " + what;
      }
      std::string attrs;
      auto add = [&](const std::string& k, const std::string& v) { attrs += (attrs.empty() ? "" : ", ") + k + "=" + v; };
      if (!ev.exec_id.empty() && ev.exec_id != ev.container_id) add("exec", ev.exec_id);
      if (ev.pid) add("pid", std::to_string(ev.pid));
      if (ev.topic == "/tasks/exit") add("exitCode", std::to_string(ev.exit_status));
      add("namespace", ev.namespace_);
      line += " (" + attrs + ")";
      if (!write_all(1, line + "\n")) return 0;
    }
  }

  runtime::client runtime_client() override { return runtime::from_containerd(*client_); }

 private:
  /// Runs op; a failure becomes a command_error with containerd's words.
  template <class Op>
  typename Op::result_type call(Op o, const std::string& what = {}) {
    std::error_code ec;
    berth::diagnostics diag;
    auto v = client_->run(std::move(o), ec, {.diag = &diag});
    if (ec) fail(ec, diag, what);
    return v;
  }

  [[noreturn]] void fail(const std::error_code& ec, const berth::diagnostics& diag, const std::string& what) {
    if (ctrd::is_unavailable(ec))
      throw command_error{"cannot reach containerd at " + client_->address() + ": " + describe(ec, diag)};
    throw command_error{(what.empty() ? std::string() : what + ": ") + describe(ec, diag)};
  }

  std::string unreachable_or(const std::string& what, const std::error_code& ec) {
    if (ctrd::is_unavailable(ec)) return "cannot reach containerd at " + client_->address() + ": " + ec.message();
    return what + ": " + ec.message();
  }

  static std::string user_error(const std::string& user) {
    return "--user " + user + ": no such user (or group) in the container's /etc/passwd (/etc/group)";
  }

  static std::chrono::system_clock::time_point parse_time(const std::string& s, const std::string& what) {
    if (s.empty()) throw command_error{what + " is empty", exit_usage};
    char unit = s.back();
    long long mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 0;
    auto now = std::chrono::system_clock::now();
    try {
      if (mult == 0) return std::chrono::system_clock::time_point(std::chrono::seconds(parse_count(s, what)));
      // A duration: from now on for --until.
      return now + std::chrono::seconds(parse_count(std::string_view(s).substr(0, s.size() - 1), what) * mult);
    } catch (const usage_error& e) {
      throw command_error{e.what(), exit_usage};
    }
  }

  std::string normalize(const std::string& ref) {
    auto r = ctrd::parse_reference(ref);
    if (!r) throw command_error{"invalid image reference '" + ref + "'"};
    return r->name();
  }

  static ctrd::mount_spec parse_volume(const std::string& v) {
    std::vector<std::string> parts;
    std::size_t pos = 0;
    for (;;) {
      auto c = v.find(':', pos);
      parts.push_back(v.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
      if (c == std::string::npos) break;
      pos = c + 1;
    }
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty() || parts[1][0] != '/')
      throw command_error{"-v " + v + ": expected SRC:DST[:ro]", exit_usage};
    if (parts[0][0] != '/')
      throw command_error{"-v " + v + ": named volumes are not supported with --engine containerd; give an absolute "
                                      "host path",
                          exit_usage};
    ctrd::mount_spec m;
    m.source = parts[0];
    m.target = parts[1];
    if (parts.size() == 3) {
      if (parts[2] == "ro") m.read_only = true;
      else if (parts[2] != "rw") throw command_error{"-v " + v + ": the mode is ro or rw", exit_usage};
    }
    std::error_code ec;
    if (!std::filesystem::exists(m.source, ec))
      throw command_error{"-v " + v + ": " + m.source + " does not exist"};
    return m;
  }

  std::string log_path_of(const std::string& id) {
    auto dir = state_dir() / "containerd" / client_->namespace_name();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw command_error{"cannot create " + dir.string() + ": " + ec.message()};
    return (dir / (id + ".log")).string();
  }

  std::map<std::string, ctrd::process_info> task_map() {
    std::map<std::string, ctrd::process_info> m;
    for (auto& t : call(cop::task_list{})) m.emplace(t.id, std::move(t));
    return m;
  }

  static std::string status_word(const ctrd::process_info* t) {
    if (!t) return "created";
    switch (t->status) {
      case ctrd::process_status::created: return "created";
      case ctrd::process_status::running: return "running";
      case ctrd::process_status::paused:
      case ctrd::process_status::pausing: return "paused";
      case ctrd::process_status::stopped: return "exited";
      default: return "unknown";
    }
  }

  static std::string status_text(const ctrd::process_info* t) {
    std::string w = status_word(t);
    if (w == "running") return "Up";
    if (w == "paused") return "Up (Paused)";
    if (w == "exited")
      return "Exited (" + std::to_string(t->exit_status) + ") " + human_age(unix_seconds(t->exited_at));
    if (w == "created") return "Created";
    return "Unknown";
  }

  ctrd::container get_container(const std::string& id) {
    std::error_code ec;
    berth::diagnostics diag;
    auto c = client_->run(cop::container_get{.id = id}, ec, {.diag = &diag});
    // An id containerd cannot hold (e.g. an image name) is invalid_argument.
    if (ctrd::is_not_found(ec) || ctrd::is_invalid_argument(ec)) throw command_error{"no such container: " + id};
    if (ec) fail(ec, diag, id);
    return c;
  }

  /// The task of id; nullopt when it has none.
  std::optional<ctrd::process_info> task_of(const std::string& id) {
    std::error_code ec;
    berth::diagnostics diag;
    auto t = client_->run(cop::task_get{.container_id = id}, ec, {.diag = &diag});
    if (ctrd::is_not_found(ec)) return std::nullopt;
    if (ec) fail(ec, diag, id);
    return t;
  }

  bool is_running(const std::string& id) {
    auto t = task_of(id);
    return t && t->status != ctrd::process_status::stopped && t->status != ctrd::process_status::created;
  }

  ctrd::process_info require_running(const std::string& id, const std::string& what) {
    get_container(id);
    auto t = task_of(id);
    if (!t || t->status == ctrd::process_status::stopped || t->status == ctrd::process_status::created)
      throw command_error{what + ": container " + id + " is not running"};
    return *t;
  }

  void create_container(ctrd::container_options& o) {
    std::error_code ec;
    client_->create_container(o, ec);
    if (!ec) return;
    if (ctrd::is_already_exists(ec)) throw command_error{"the container name " + o.id + " is already in use"};
    if (ec == ctrd::pull_errc::bad_user) throw command_error{user_error(o.user)};
    if (ec == ctrd::pull_errc::init_not_found) throw command_error{"--init: " + ec.message()};
    if (ec == ctrd::errc::invalid_argument && !o.ulimits.empty())
      throw command_error{"creating the container: a --ulimit names no resource limit Linux has"};
    if (ec == ctrd::pull_errc::image_not_unpacked)
      throw command_error{"image " + o.image + " is not unpacked: pull it again (berth --engine containerd pull " +
                          o.image + ")"};
    throw command_error{unreachable_or("creating the container", ec)};
  }

  /// A missing image is pulled, like docker run (progress on a terminal only, so that a
  /// failure stays one line).
  void ensure_image(const std::string& ref) {
    std::error_code ec;
    berth::diagnostics diag;
    client_->run(cop::image_get{.name = ref}, ec, {.diag = &diag});
    if (!ec) return;
    if (!ctrd::is_not_found(ec)) fail(ec, diag, "image " + ref);
    pull_image(ref, 2, false);
  }

  /// Pulls ref, showing its progress stream (berth/containerd/pull_stream.hpp) on fd: bars
  /// on a terminal, else plain lines when plain_lines.
  void pull_image(const std::string& ref, int fd, bool plain_lines) {
    bool terminal = is_terminal(fd);
    std::optional<progress_view> view;
    if (terminal || plain_lines) view.emplace(fd, terminal);
    std::error_code ec;
    berth::diagnostics diag;
    auto stream = client_->run(cop::pull_image{.reference = ref}, ec, {.diag = &diag});
    if (ec) fail(ec, diag, "pull " + ref);
    for (;;) {
      auto p = stream.next(ec);
      if (ec) break;
      if (!view || p.id == ref) continue;
      std::string id = p.id.rfind("sha256:", 0) == 0 ? p.id.substr(7, 12) : p.id;
      switch (p.phase) {
        case ctrd::pull_phase::waiting: view->update(id, "Waiting", std::nullopt, std::nullopt); break;
        case ctrd::pull_phase::downloading: view->update(id, "Downloading", p.current, p.total); break;
        case ctrd::pull_phase::downloaded: view->update(id, "Download complete", std::nullopt, std::nullopt); break;
        case ctrd::pull_phase::exists: view->update(id, "Already exists", std::nullopt, std::nullopt); break;
        default: break;
      }
    }
    if (ec != asio::error::eof) fail(ec, stream.diag(), "pull " + ref);
    const auto& img = stream.image();
    if (view) {
      view->update("", "Digest: " + img.target.digest, std::nullopt, std::nullopt);
      view->update("", "Status: Downloaded " + img.name, std::nullopt, std::nullopt);
    }
  }

  /// start: a running task is left alone; a stopped one is replaced by a new task whose
  /// output is logged (in the log it had, or a new one).
  void start_existing(const std::string& id) {
    auto c = get_container(id);
    std::optional<ctrd::log_options> log;
    if (!c.labels.count(ctrd::log_path_label)) log = ctrd::log_options{.path = log_path_of(id)};
    call(cop::start_container{.id = id, .log = log}, "start " + id);
  }

  void stop(const std::string& id, std::chrono::seconds grace) {
    get_container(id);
    call(cop::stop_container{.id = id, .signal = SIGTERM,
                             .grace = std::chrono::duration_cast<std::chrono::milliseconds>(grace)},
         "stop " + id);
  }

  void remove(const std::string& id, bool force) {
    auto c = get_container(id);
    std::error_code ec;
    berth::diagnostics diag;
    client_->run(cop::remove_container{.id = id, .force = force}, ec, {.diag = &diag});
    if (ec == ctrd::pull_errc::container_running)
      throw command_error{"cannot remove " + id + ": the container is running; stop it first or use rm -f"};
    if (ec) throw command_error{unreachable_or("rm " + id, ec)};
  }

  std::uint32_t wait_exit(const std::string& id) {
    get_container(id);
    if (!task_of(id)) throw command_error{"wait: container " + id + " has never been started"};
    std::error_code ec;
    berth::diagnostics diag;
    berth::call_options o;
    o.diag = &diag;
    auto st = client_->run(cop::task_wait{.container_id = id}, ec, o);
    if (ec) fail(ec, diag, "wait " + id);
    return st.status;
  }

  std::string inspect_json(const std::string& id) {
    std::error_code ec;
    berth::diagnostics diag;
    auto c = client_->run(cop::container_get{.id = id}, ec, {.diag = &diag});
    if (!ec) {
      auto t = task_of(id);
      std::string w = status_word(t ? &*t : nullptr);
      std::string s = "{\"Id\":" + json_string(c.id) + ",\"Image\":" + json_string(c.image) +
                      ",\"Created\":" + json_string(format_nanos(unix_nanos(c.created_at))) +
                      ",\"Runtime\":" + json_string(c.runtime.name) + ",\"Snapshotter\":" + json_string(c.snapshotter) +
                      ",\"SnapshotKey\":" + json_string(c.snapshot_key) + ",\"Labels\":" + json_labels(c.labels) +
                      ",\"State\":{\"Status\":" + json_string(w) + ",\"Running\":" +
                      (w == "running" || w == "paused" ? "true" : "false") +
                      ",\"Pid\":" + std::to_string(t ? t->pid : 0) +
                      ",\"ExitCode\":" + std::to_string(t && w == "exited" ? t->exit_status : 0);
      if (t && w == "exited") s += ",\"FinishedAt\":" + json_string(format_nanos(unix_nanos(t->exited_at)));
      s += "}";
      if (c.spec.type_url == ctrd::oci_spec_type_url && !c.spec.value.empty()) s += ",\"Spec\":" + c.spec.value;
      return s + "}";
    }
    if (!ctrd::is_not_found(ec) && !ctrd::is_invalid_argument(ec)) fail(ec, diag, "inspect " + id);
    std::string ref;
    try {
      ref = normalize(id);
    } catch (const command_error&) {
      throw command_error{"no such container or image: " + id};
    }
    auto img = client_->run(cop::image_get{.name = ref}, ec, {.diag = &diag});
    if (ctrd::is_not_found(ec)) throw command_error{"no such container or image: " + id};
    if (ec) fail(ec, diag, "inspect " + id);
    return "{\"Id\":" + json_string(img.target.digest) + ",\"Name\":" + json_string(img.name) +
           ",\"MediaType\":" + json_string(img.target.media_type) + ",\"Size\":" + std::to_string(img.target.size) +
           ",\"Created\":" + json_string(format_nanos(unix_nanos(img.created_at))) +
           ",\"Labels\":" + json_labels(img.labels) + "}";
  }

  /// Runs a created process to its end: starts it, copies its output to ours, forwards
  /// stdin (-i), the terminal's size (-t) and SIGINT/SIGTERM (run); kills it after
  /// timeout (exit 124). Returns its exit code.
  int drive(const std::shared_ptr<ctrd::process>& proc, bool interactive, bool tty,
            std::optional<std::chrono::seconds> timeout, bool forward_signals) {
    std::error_code ec;
    if (forward_signals) forward_signals_to(proc->container_id());
    proc->start(ec);
    if (ec) {
      close_process(proc);
      std::error_code e;
      proc->delete_(e);
      throw command_error{"starting " + proc->container_id() + ": " + ec.message()};
    }
    std::optional<raw_terminal> raw;
    if (tty && interactive) raw.emplace(0);
    if (tty) watch_size(proc);
    if (interactive) forward_stdin(proc);

    std::mutex m;
    std::condition_variable cv;
    bool done = false, timed_out = false;
    std::thread watchdog;
    if (timeout) {
      watchdog = std::thread([&, proc] {
        std::unique_lock<std::mutex> lock(m);
        if (cv.wait_for(lock, *timeout, [&] { return done; })) return;
        timed_out = true;
        lock.unlock();
        std::error_code e;
        proc->kill(SIGKILL, e);
      });
    }
    std::thread err_pump;
    if (!tty) err_pump = std::thread([proc] { pump(*proc, ctrd::output::stderr_stream, 2); });
    pump(*proc, ctrd::output::stdout_stream, 1);
    if (err_pump.joinable()) err_pump.join();
    raw.reset();
    auto st = proc->wait(ec);
    {
      std::lock_guard<std::mutex> lock(m);
      done = true;
    }
    cv.notify_all();
    if (watchdog.joinable()) watchdog.join();
    close_process(proc);
    if (ec) throw command_error{"waiting for " + proc->container_id() + ": " + ec.message()};
    if (timed_out)
      throw command_error{"exec: timed out after " + std::to_string(timeout->count()) + " s; the process was killed",
                          124};
    return static_cast<int>(st.status);
  }

  /// Closes the process's FIFOs on the client's strand (the stdin thread may still hold it).
  static void close_process(const std::shared_ptr<ctrd::process>& proc) {
    std::promise<void> closed;
    asio::dispatch(proc->get_executor(), [&] {
      proc->close();
      closed.set_value();
    });
    closed.get_future().wait();
  }

  /// Copies one output stream of a process to fd until its end.
  static void pump(ctrd::process& p, ctrd::output which, int fd) {
    std::vector<char> buf(64 * 1024);
    for (;;) {
      std::error_code ec;
      std::size_t n = p.read(which, asio::buffer(buf), ec);
      if (n > 0 && !write_all(fd, buf.data(), n)) return;  // our reader went away
      if (ec) return;  // eof (or the FIFO was closed)
    }
  }

  /// Sends SIGINT and SIGTERM we receive to the task, as docker run does.
  void forward_signals_to(const std::string& id) {
    loop_.forward_signals([this, id](int sig) {
      cop::task_kill k{.container_id = id, .signal = static_cast<std::uint32_t>(sig)};
      client_->async_run(std::move(k), [](std::error_code, ctrd::empty) {});
    });
  }

  /// Resizes the process's terminal now and on every SIGWINCH, when stdout is a terminal.
  void watch_size(std::shared_ptr<ctrd::process> p) {
    loop_.watch_size([p] {
      if (auto sz = terminal_size(1))
        p->async_resize(static_cast<std::uint32_t>(sz->second), static_cast<std::uint32_t>(sz->first),
                        [](std::error_code) {});
    });
  }

  global_options g_;
  event_thread loop_;
  std::optional<ctrd::client> client_;
};

}  // namespace

std::unique_ptr<backend> make_containerd_backend(const global_options& g) {
  return std::make_unique<containerd_backend>(g);
}

}  // namespace berth::cli
