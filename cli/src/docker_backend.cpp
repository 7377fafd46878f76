// The Docker Engine backend of the berth command: every command, on berth's public API.
//
// The client runs on an io_context driven by one runner thread; the commands use the
// blocking forms from the main thread, and -i forwards stdin from a second thread through
// the same stream (reads and writes of one stream may come from two threads: both run on
// the client's strand).
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include "backend.hpp"
#include "event_thread.hpp"
#include "berth/engine/engine.hpp"
#include "berth/engine/runner.hpp"
#include "berth/io/error.hpp"
#include "berth/kata/docker.hpp"
#include "output.hpp"
#include "stdin_forwarder.hpp"

#ifndef BERTH_CLI_VERSION
#define BERTH_CLI_VERSION "unknown"
#endif

namespace berth::cli {

namespace {

namespace engine = berth::engine;
namespace op = berth::engine::op;

std::string describe(const std::error_code& ec, const berth::diagnostics& diag) {
  if (!diag.message.empty()) return diag.message;
  return ec.message();
}

using runtime::split_reference;

std::optional<berth::config::auth_config> credentials_for(const std::string& ref) {
  auto c = berth::config::resolve_credentials(berth::config::registry_of(ref));
  if (!c) return std::nullopt;
  return *c;
}

std::string short_id(std::string id) {
  if (id.rfind("sha256:", 0) == 0) id = id.substr(7);
  return id.substr(0, 12);
}

std::string format_event_time(const engine::event_message& e) {
  std::int64_t nanos = e.time_nano.value_or(e.time.value_or(0) * 1'000'000'000);
  std::time_t secs = static_cast<std::time_t>(nanos / 1'000'000'000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char head[32];
  std::strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(nanos % 1'000'000'000));
  return std::string(head) + frac + "Z";
}

class docker_backend final : public backend {
 public:
  explicit docker_backend(const global_options& g) : g_(g) {
    if (g.host && ::setenv("DOCKER_HOST", g.host->c_str(), 1) != 0)
      throw command_error{"cannot set DOCKER_HOST"};
    auto c = engine::client::from_env(loop_.executor());
    if (!c) throw command_error{"docker endpoint: " + c.error().message()};
    client_.emplace(std::move(*c));
    loop_.start();
  }

  ~docker_backend() override {
    loop_.stop_relays();
    client_.reset();
    loop_.stop();
  }

  std::string_view engine_name() const override { return "docker"; }

  // ---- system ----------------------------------------------------------------------

  int version() override {
    auto v = call(op::system_version{});
    std::error_code ec;
    auto api = client_->negotiated_version(ec);
    std::string s = "Client: berth " + std::string(BERTH_CLI_VERSION) + "\n";
    s += " Engine:      docker\n";
    s += " Endpoint:    " + client_->endpoint().to_string() + "\n";
    s += " API in use:  " + (ec ? std::string("?") : api.to_string()) + "\n";
    s += "Server: Docker Engine " + v.version.value_or("?") + "\n";
    s += " API version: " + v.api_version.value_or("?") + " (minimum " + v.min_api_version.value_or("?") + ")\n";
    s += " OS/Arch:     " + v.os.value_or("?") + "/" + v.arch.value_or("?") + "\n";
    s += " Kernel:      " + v.kernel_version.value_or("?") + "\n";
    write_all(1, s);
    return 0;
  }

  int info() override {
    auto i = call(op::system_info{});
    auto num = [](const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : std::string("?"); };
    std::string s;
    s += "Server Version:   " + i.server_version.value_or("?") + "\n";
    s += "Containers:       " + num(i.containers) + " (running " + num(i.containers_running) +
         ", paused " + num(i.containers_paused) + ", stopped " + num(i.containers_stopped) + ")\n";
    s += "Images:           " + num(i.images) + "\n";
    s += "Storage Driver:   " + i.driver.value_or("?") + "\n";
    s += "Logging Driver:   " + i.logging_driver.value_or("?") + "\n";
    s += "Cgroup Driver:    " + i.cgroup_driver.value_or("?") + " (v" + i.cgroup_version.value_or("?") + ")\n";
    std::string runtimes;
    if (i.runtimes)
      for (const auto& [name, _] : *i.runtimes) runtimes += (runtimes.empty() ? "" : " ") + name;
    s += "Runtimes:         " + runtimes + "\n";
    s += "Default Runtime:  " + i.default_runtime.value_or("?") + "\n";
    s += "Kernel Version:   " + i.kernel_version.value_or("?") + "\n";
    s += "Operating System: " + i.operating_system.value_or("?") + "\n";
    s += "CPUs:             " + num(i.ncpu) + "\n";
    s += "Total Memory:     " + (i.mem_total ? human_size(*i.mem_total) : std::string("?")) + "\n";
    s += "Docker Root Dir:  " + i.docker_root_dir.value_or("?") + "\n";
    write_all(1, s);
    return 0;
  }

  // ---- containers ------------------------------------------------------------------

  int ps(const ps_request& r) override {
    op::container_list l{.all = r.all};
    for (const auto& [k, v] : r.filters) l.filters[k].push_back(v);
    auto list = call(std::move(l));
    std::string s;
    if (!r.quiet)
      s = column("CONTAINER ID", 15) + column("IMAGE", 28) + column("COMMAND", 24) + column("CREATED", 18) +
          column("STATUS", 32) + "NAMES\n";
    for (const auto& c : list) {
      std::string id = short_id(c.id.value_or(""));
      if (r.quiet) {
        s += id + "\n";
        continue;
      }
      std::string names;
      for (const auto& n : c.names.value_or(std::vector<std::string>{}))
        names += (names.empty() ? "" : ",") + (n.rfind('/', 0) == 0 ? n.substr(1) : n);
      std::string cmd = "\"" + c.command.value_or("") + "\"";
      if (cmd.size() > 22) cmd = cmd.substr(0, 20) + "…\"";
      s += column(id, 15) + column(c.image.value_or(""), 28) + column(cmd, 24) +
           column(c.created ? human_age(*c.created) : "", 18) + column(c.status.value_or(""), 32) + names + "\n";
    }
    write_all(1, s);
    return 0;
  }

  int run(const run_request& r) override {
    op::container_create c;
    c.name = r.name;
    auto& b = c.body;
    b.image = r.image;
    if (!r.cmd.empty()) b.cmd = r.cmd;
    if (!r.env.empty()) b.env = r.env;
    if (!r.labels.empty()) b.labels = r.labels;
    b.working_dir = r.workdir;
    b.user = r.user;
    if (r.tty) b.tty = true;
    if (!r.detach) {
      b.attach_stdout = true;
      b.attach_stderr = true;
    }
    if (r.interactive) {
      b.attach_stdin = !r.detach;
      b.open_stdin = true;
      b.stdin_once = true;
    }
    engine::host_config hc;
    if (!r.volumes.empty()) hc.binds = r.volumes;
    if (r.network) hc.network_mode = *r.network;
    if (r.detach && r.rm) hc.auto_remove = true;
    if (r.init) hc.init = true;
    if (r.privileged) hc.privileged = true;
    if (!r.ulimits.empty()) {
      hc.ulimits.emplace();
      for (const auto& u : r.ulimits) hc.ulimits->push_back({.name = u.name, .soft = u.soft, .hard = u.hard});
    }
    b.host_config = hc;
    if (g_.runtime) {
      // Through kata/: the Kata policy over the settings (no daemon call), the daemon's
      // name for the runtime, and the runtime's presence in /info.
      std::error_code kec;
      berth::diagnostics kdiag;
      auto prepared = kata::prepare_create(*client_, std::move(b), runtime_choice_of(*g_.runtime), {}, kec, {.diag = &kdiag});
      if (kec) throw command_error{"--runtime " + *g_.runtime + ": " + describe(kec, kdiag)};
      for (const auto& w : prepared.report.warnings) report("warning: " + w.setting + ": " + w.message);
      b = std::move(prepared.body);
    }

    std::error_code ec;
    berth::diagnostics diag;
    auto created = client_->run(c, ec, {.diag = &diag});
    if (ec && engine::is_not_found(ec)) {
      // Like docker run: pull a missing image (progress on stderr), then create again.
      pull_to(r.image, 2);
      created = call(c);
    } else if (ec) {
      throw command_error{describe(ec, diag)};
    }
    const std::string id = created.id;

    if (r.detach) {
      call(op::container_start{.id = id});
      write_all(1, id + "\n");
      return 0;
    }

    // Remove the container on every path when --rm (not through AutoRemove: the exit
    // code is read after the container stopped, before it is gone).
    struct remover {
      docker_backend* self;
      std::string id;
      bool active;
      ~remover() {
        if (!active) return;
        std::error_code e;
        self->client_->run(op::container_delete{.id = id, .force = true}, e);
      }
    } cleanup{this, id, r.rm};

    auto out = std::make_shared<engine::output_stream>(
        call(op::container_attach{.id = id, .stdin_ = r.interactive, .tty = r.tty}));
    forward_signals_to(id);
    call(op::container_start{.id = id});

    std::optional<raw_terminal> raw;
    if (r.tty && r.interactive) raw.emplace(0);
    if (r.tty) watch_size([this, id](int h, int w) {
      client_->async_run(op::container_resize{.id = id, .height = h, .width = w},
                         [](std::error_code, engine::empty) {});
    });
    if (r.interactive) forward_stdin(out);

    pump(*out);
    raw.reset();
    auto waited = call(op::container_wait{.id = id});
    if (waited.error && waited.error->message && !waited.error->message->empty())
      throw command_error{"wait: " + *waited.error->message};
    return static_cast<int>(waited.status_code);
  }

  int exec(const exec_request& r) override {
    if (r.timeout_seconds) return exec_with_timeout(r);
    op::container_exec e{.id = r.id};
    e.body.cmd = r.cmd;
    if (!r.env.empty()) e.body.env = r.env;
    e.body.working_dir = r.workdir;
    e.body.user = r.user;
    if (r.tty) e.body.tty = true;
    if (r.interactive) e.body.attach_stdin = true;
    e.body.attach_stdout = true;
    e.body.attach_stderr = true;
    std::string exec_id = call(e).id;

    auto out = std::make_shared<engine::output_stream>(
        call(op::exec_start{.id = exec_id, .tty = r.tty, .stdin_ = r.interactive}));
    std::optional<raw_terminal> raw;
    if (r.tty && r.interactive) raw.emplace(0);
    if (r.tty) watch_size([this, exec_id](int h, int w) {
      client_->async_run(op::exec_resize{.id = exec_id, .height = h, .width = w},
                         [](std::error_code, engine::empty) {});
    });
    if (r.interactive) forward_stdin(out);
    pump(*out);
    raw.reset();
    // The output ended; the exit code follows as soon as the daemon has reaped the process.
    for (int i = 0; i < 500; ++i) {
      auto info = call(op::exec_inspect{.id = exec_id});
      if (!info.running.value_or(false)) return static_cast<int>(info.exit_code.value_or(exit_failure));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw command_error{"exec: the process closed its output but did not exit"};
  }

  int logs(const logs_request& r) override {
    op::container_logs l{.id = r.id, .follow = r.follow, .since = r.since, .timestamps = r.timestamps,
                         .tail = r.tail};
    auto s = call(std::move(l));
    pump(s);
    return 0;
  }

  int lifecycle(const lifecycle_request& r) override {
    int code = 0;
    std::vector<std::string> inspected;
    for (const auto& id : r.ids) {
      std::error_code ec;
      berth::diagnostics diag;
      call_options o{.diag = &diag};
      std::string line = id;
      if (r.verb == "start") {
        client_->run(op::container_start{.id = id}, ec, o);
        if (engine::is_not_modified(ec)) ec.clear();
      } else if (r.verb == "stop") {
        client_->run(op::container_stop{.id = id, .timeout = r.stop_seconds}, ec, o);
        if (engine::is_not_modified(ec)) ec.clear();
      } else if (r.verb == "restart") {
        client_->run(op::container_restart{.id = id, .timeout = r.stop_seconds}, ec, o);
      } else if (r.verb == "pause") {
        client_->run(op::container_pause{.id = id}, ec, o);
      } else if (r.verb == "unpause") {
        client_->run(op::container_unpause{.id = id}, ec, o);
      } else if (r.verb == "kill") {
        client_->run(op::container_kill{.id = id, .signal = r.signal}, ec, o);
      } else if (r.verb == "rm") {
        client_->run(op::container_delete{.id = id, .force = r.force}, ec, o);
      } else if (r.verb == "wait") {
        auto w = client_->run(op::container_wait{.id = id}, ec, o);
        line = std::to_string(w.status_code);
      } else if (r.verb == "inspect") {
        auto c = client_->run(op::container_inspect{.id = id}, ec, o);
        std::optional<std::string> json;
        if (!ec) {
          json = engine::to_json(c).value_or("{}");
        } else if (engine::is_not_found(ec)) {
          ec.clear();
          auto img = client_->run(op::image_inspect{.name = id}, ec, o);
          if (!ec) json = engine::to_json(img).value_or("{}");
          else if (engine::is_not_found(ec)) diag.message = "no such container or image: " + id;
        }
        if (json) inspected.push_back(std::move(*json));
      } else {
        unsupported(r.verb);
      }
      if (ec) {
        report(describe(ec, diag));
        code = exit_failure;
        continue;
      }
      if (r.verb != "inspect") write_all(1, line + "\n");
    }
    if (r.verb == "inspect") write_json_array(1, inspected);
    return code;
  }

  // ---- images ----------------------------------------------------------------------

  int pull(const std::string& image) override {
    pull_to(image, 1);
    return 0;
  }

  int push(const std::string& image) override {
    auto [repo, tag] = split_reference(image);
    op::image_push p{.name = repo, .auth = credentials_for(image).value_or(berth::config::auth_config{})};
    if (!tag.empty()) p.tag = tag;
    auto s = call(std::move(p));
    progress_view v(1, is_terminal(1));
    show_progress(s, v);
    return 0;
  }

  int images(const images_request& r) override {
    auto list = call(op::image_list{});
    std::string s;
    std::set<std::string> seen;
    if (!r.quiet)
      s = column("REPOSITORY", 44) + column("TAG", 20) + column("IMAGE ID", 15) + column("CREATED", 18) + "SIZE\n";
    for (const auto& i : list) {
      std::string id = short_id(i.id);
      if (r.quiet) {
        if (seen.insert(id).second) s += id + "\n";
        continue;
      }
      auto tags = i.repo_tags;
      if (tags.empty()) tags.push_back("<none>:<none>");
      for (const auto& t : tags) {
        auto colon = t.rfind(':');
        s += column(t.substr(0, colon), 44) + column(colon == std::string::npos ? "" : t.substr(colon + 1), 20) +
             column(id, 15) + column(human_age(i.created), 18) + human_size(i.size) + "\n";
      }
    }
    write_all(1, s);
    return 0;
  }

  int rmi(const std::vector<std::string>& images, bool force) override {
    int code = 0;
    for (const auto& name : images) {
      std::error_code ec;
      berth::diagnostics diag;
      auto items = client_->run(op::image_delete{.name = name, .force = force}, ec, {.diag = &diag});
      if (ec) {
        report(describe(ec, diag));
        code = exit_failure;
        continue;
      }
      std::string s;
      for (const auto& it : items) {
        if (it.untagged) s += "Untagged: " + *it.untagged + "\n";
        if (it.deleted) s += "Deleted: " + *it.deleted + "\n";
      }
      write_all(1, s);
    }
    return code;
  }

  int tag(const std::string& source, const std::string& target) override {
    auto [repo, t] = split_reference(target);
    if (t.empty()) throw command_error{"tag: the target must be REPOSITORY[:TAG], not a digest", exit_usage};
    call(op::image_tag{.name = source, .repo = repo, .tag = t});
    return 0;
  }

  int build(const build_request& r) override {
    std::error_code fec;
    if (!std::filesystem::is_directory(r.dir, fec)) throw command_error{"build: " + r.dir + " is not a directory"};
    // forcerm: a failed RUN step leaves no container behind unless asked to.
    op::image_build b{.dockerfile = r.dockerfile, .tags = r.tags, .forcerm = !r.keep_failed};
    b.buildargs = r.build_args;
    b.networkmode = r.network;
    auto up = call(std::move(b));
    engine::build_context_options o;
    if (r.dockerfile) o.dockerfile = *r.dockerfile;
    std::error_code ec;
    engine::write_build_context(up, r.dir, ec, o);
    if (ec) throw command_error{"build: sending the context: " + ec.message()};
    berth::diagnostics diag;
    auto s = up.finish(ec, &diag);
    if (ec) throw command_error{"build: " + describe(ec, diag)};
    progress_view v(1, is_terminal(1));
    show_progress(s, v);
    return 0;
  }

  int commit(const commit_request& r) override {
    // REPOSITORY[:TAG]: the tag is after the last ':' that follows the last '/'.
    std::string repo = r.reference;
    std::optional<std::string> tag;
    auto slash = repo.rfind('/');
    auto colon = repo.rfind(':');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
      tag = repo.substr(colon + 1);
      repo.resize(colon);
    }
    auto id = call(op::image_commit{.container = r.container, .repo = repo, .tag = tag, .comment = r.message,
                                    .author = r.author, .pause = r.pause});
    write_all(1, id.id + "\n");
    return 0;
  }

  int save(const std::vector<std::string>& images, const std::optional<std::string>& output) override {
    int fd = 1;
    if (output) {
      fd = ::open(output->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) throw command_error{"save: " + *output + ": " + std::strerror(errno)};
    } else if (is_terminal(1)) {
      throw command_error{"save: refusing to write a tar archive to a terminal; redirect stdout or use -o FILE",
                          exit_usage};
    }
    auto body = call(op::image_get_all{.names = images});
    std::vector<char> buf(256 * 1024);
    for (;;) {
      std::error_code ec;
      std::size_t n = body.read_some(asio::buffer(buf), ec);
      if (n > 0 && !write_all(fd, buf.data(), n)) throw command_error{"save: writing the archive failed"};
      if (ec == asio::error::eof) break;
      if (ec) throw command_error{"save: " + ec.message()};
    }
    if (output && ::close(fd) != 0) throw command_error{"save: " + *output + ": " + std::strerror(errno)};
    return 0;
  }

  int load(const std::optional<std::string>& input) override {
    int fd = 0;
    if (input) {
      fd = ::open(input->c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw command_error{"load: " + *input + ": " + std::strerror(errno)};
    } else if (is_terminal(0)) {
      throw command_error{"load: give the tar archive on stdin or with -i FILE", exit_usage};
    }
    auto up = call(op::image_load{});
    std::vector<char> buf(256 * 1024);
    for (;;) {
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw command_error{std::string("load: reading the archive: ") + std::strerror(errno)};
      if (n == 0) break;
      std::error_code ec;
      up.write(asio::buffer(buf.data(), static_cast<std::size_t>(n)), ec);
      if (ec) throw command_error{"load: " + ec.message()};
    }
    std::error_code ec;
    berth::diagnostics diag;
    auto s = up.finish(ec, &diag);
    if (ec) throw command_error{"load: " + describe(ec, diag)};
    progress_view v(1, is_terminal(1));
    show_progress(s, v);
    return 0;
  }

  // ---- events and sweep ------------------------------------------------------------

  int events(const events_request& r) override {
    op::system_events e{.since = r.since, .until = r.until};
    for (const auto& [k, v] : r.filters) e.filters[k].push_back(v);
    auto s = call(std::move(e));
    for (;;) {
      std::error_code ec;
      auto ev = s.next(ec);
      if (ec == asio::error::eof) return 0;
      if (ec) throw command_error{"events: " + ec.message()};
      std::string line = format_event_time(ev) + " " + ev.type.value_or("?") + " " + ev.action.value_or("?");
      if (ev.actor && ev.actor->id) line += " " + *ev.actor->id;
      if (ev.actor && ev.actor->attributes && !ev.actor->attributes->empty()) {
        std::string attrs;
        for (const auto& [k, v] : *ev.actor->attributes) attrs += (attrs.empty() ? "" : ", ") + k + "=" + v;
        line += " (" + attrs + ")";
      }
      if (!write_all(1, line + "\n")) return 0;
    }
  }

  runtime::client runtime_client() override { return runtime::client(*client_); }

 private:
  static void report(const std::string& message) { write_all(2, "berth: " + message + "\n"); }

  /// Runs op; a failure becomes a command_error with the daemon's words.
  template <class Op>
  typename Op::result_type call(Op o) {
    std::error_code ec;
    berth::diagnostics diag;
    auto v = client_->run(std::move(o), ec, {.diag = &diag});
    if (ec) {
      if (engine::is_unreachable(ec))
        throw command_error{"cannot reach dockerd at " + client_->endpoint().to_string() + ": " + ec.message()};
      throw command_error{describe(ec, diag)};
    }
    return v;
  }

  void pull_to(const std::string& image, int fd) {
    auto [repo, tag] = split_reference(image);
    op::image_create_pull p{.from_image = repo, .auth = credentials_for(image)};
    if (!tag.empty()) p.tag = tag;
    auto s = call(std::move(p));
    progress_view v(fd, is_terminal(fd));
    show_progress(s, v);
  }

  template <class Record>
  static void show_progress(engine::progress_stream<Record>& s, progress_view& v) {
    for (;;) {
      std::error_code ec;
      Record rec = s.next(ec);
      if (ec == asio::error::eof) return;
      if (ec) {
        const auto& d = s.diagnostics();
        throw command_error{d.message.empty() ? ec.message() : d.message};
      }
      std::string id;
      if constexpr (requires { rec.id; }) id = rec.id.value_or("");
      if constexpr (requires { rec.stream; }) {
        if (rec.stream) {
          v.text(*rec.stream);
          continue;
        }
      }
      if (!rec.status) continue;
      std::optional<std::int64_t> cur, total;
      if (rec.progress_detail) {
        cur = rec.progress_detail->current;
        total = rec.progress_detail->total;
      }
      if (id.empty() && cur) id = "progress";
      v.update(id, *rec.status, cur, total);
    }
  }

  /// Copies a container's output to ours, stdout to fd 1 and stderr to fd 2, until its end.
  void pump(engine::output_stream& s) {
    std::vector<char> buf(64 * 1024);
    for (;;) {
      std::error_code ec;
      auto chunk = s.read(asio::buffer(buf), ec);
      if (ec == asio::error::eof) return;
      if (ec == io::error::system_stream) throw command_error{s.diagnostics().message};
      if (ec) throw command_error{"reading the output: " + ec.message()};
      int fd = chunk.stream == engine::stream_id::stderr_stream ? 2 : 1;
      if (!write_all(fd, buf.data(), chunk.size)) {
        s.close();  // our reader went away: stop reading, the container goes on
        return;
      }
    }
  }

  /// Sends SIGINT and SIGTERM we receive to the container, as docker run does.
  void forward_signals_to(const std::string& id) {
    loop_.forward_signals([this, id](int sig) {
      client_->async_run(op::container_kill{.id = id, .signal = sig == SIGINT ? "SIGINT" : "SIGTERM"},
                         [](std::error_code, engine::empty) {});
    });
  }

  /// Calls resize(rows, columns) now and on every SIGWINCH, when stdout is a terminal.
  void watch_size(std::function<void(int, int)> resize) {
    loop_.watch_size([resize = std::move(resize)] {
      if (auto sz = terminal_size(1)) resize(sz->first, sz->second);
    });
  }

  int exec_with_timeout(const exec_request& r) {
    engine::exec_options o;
    o.cmd = r.cmd;
    o.env = r.env;
    o.working_dir = r.workdir;
    o.user = r.user;
    o.tty = r.tty;
    o.timeout = std::chrono::seconds(*r.timeout_seconds);
    // The callback runs on the runner thread; blocking there on our stdout is the
    // backpressure.
    o.output.callback = [](engine::stream_id sid, std::string_view d) {
      write_all(sid == engine::stream_id::stderr_stream ? 2 : 1, d);
    };
    if (r.interactive) {
      std::string in;
      std::vector<char> buf(64 * 1024);
      for (;;) {
        ssize_t n = ::read(0, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        in.append(buf.data(), static_cast<std::size_t>(n));
      }
      o.stdin_data = std::move(in);
    }
    std::error_code ec;
    berth::diagnostics diag;
    auto res = engine::exec_run(*client_, r.id, std::move(o), ec, {.diag = &diag});
    if (!ec && res.timed_out)
      throw command_error{"exec: timed out after " + std::to_string(*r.timeout_seconds) +
                              " s; the process was killed",
                          124};
    if (ec) throw command_error{"exec: " + describe(ec, diag)};
    return static_cast<int>(res.exit_code);
  }

  global_options g_;
  event_thread loop_;
  std::optional<engine::client> client_;
};

}  // namespace

std::unique_ptr<backend> make_docker_backend(const global_options& g) {
  return std::make_unique<docker_backend>(g);
}

}  // namespace berth::cli
