// berth: the command-line tool of the berth library.
//
//   berth [--host URL] [--engine docker|containerd|auto] [--address SOCKET] [--namespace NS]
//         [--runtime NAME] COMMAND ...
//
// Each command's arguments are parsed against its spec (args.hpp) into a request for the
// engine backend (backend.hpp). Failures print one line, "berth: <what went wrong>", on
// stderr and exit non-zero: 2 for a wrong command line, 125 when berth or the engine
// failed; run and exec otherwise exit with the container's exit code.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "args.hpp"
#include "backend.hpp"
#include "output.hpp"
#include "stdin_forwarder.hpp"

namespace {

using namespace berth::cli;

const command_spec global_spec{
    .name = "",
    .usage = "[GLOBAL OPTIONS] COMMAND [ARGS...]",
    .summary = "Drive container engines through their native APIs (Docker Engine API, containerd).",
    .options = {
        {"host", 'H', "URL", false, "Docker endpoint (default: DOCKER_HOST, else the current context, else unix:///var/run/docker.sock)"},
        {"engine", 0, "ENGINE", false, "docker (default), containerd, or auto (found from the environment)"},
        {"address", 0, "SOCKET", false, "containerd socket (default: CONTAINERD_ADDRESS, else /run/containerd/containerd.sock)"},
        {"namespace", 0, "NS", false, "containerd namespace (default: CONTAINERD_NAMESPACE, else default)"},
        {"runtime", 0, "NAME", false, "Runtime of the containers that run creates: docker: a runtime of the daemon (e.g. kata); containerd: runc, kata or a shim name (io.containerd.kata.v2)"},
    },
    .interspersed = false,
};

struct command {
  command_spec spec;
  std::function<int(backend&, const parsed_args&)> handler;
};

key_values filters_of(const parsed_args& a) {
  key_values out;
  for (const auto& f : a.values("filter")) out.push_back(split_key_value(f, "--filter"));
  return out;
}

/// --since for logs: UNIX seconds, or a duration ago (30s, 5m, 2h).
std::int64_t parse_since(const std::string& s) {
  if (s.empty()) throw usage_error("berth logs: --since is empty");
  char unit = s.back();
  long long mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 0;
  if (mult == 0) return parse_count(s, "--since");
  long long n = parse_count(std::string_view(s).substr(0, s.size() - 1), "--since");
  return static_cast<std::int64_t>(std::time(nullptr)) - n * mult;
}

lifecycle_request lifecycle_of(std::string verb, const parsed_args& a) {
  lifecycle_request r{.verb = std::move(verb), .ids = a.positionals};
  if (auto t = a.value("time")) r.stop_seconds = parse_count(*t, "--time");
  r.signal = a.value("signal");
  r.force = a.has("force");
  return r;
}

std::vector<command> commands() {
  const option_spec env{"env", 'e', "KEY=VALUE", true, "Set an environment variable (KEY alone: take it from ours)"};
  const option_spec workdir{"workdir", 'w', "DIR", false, "Working directory inside the container"};
  const option_spec user{"user", 'u', "USER", false, "User (name, uid, user:group or uid:gid; names from the image's /etc/passwd)"};
  const option_spec interactive{"interactive", 'i', "", false, "Forward stdin, closing it at end of input"};
  const option_spec tty{"tty", 't', "", false, "Allocate a terminal (raw mode and resize follow ours)"};
  auto simple = [](std::string_view name, std::string_view summary, std::vector<option_spec> opts = {}) {
    return command_spec{.name = name, .usage = "[OPTIONS] CONTAINER...", .summary = summary,
                        .options = std::move(opts), .min_args = 1};
  };
  std::vector<command> c;
  c.push_back({{.name = "version", .usage = "", .summary = "Show berth's version and the engine's", .max_args = 0},
               [](backend& b, const parsed_args&) { return b.version(); }});
  c.push_back({{.name = "info", .usage = "", .summary = "Show engine-wide information", .max_args = 0},
               [](backend& b, const parsed_args&) { return b.info(); }});
  c.push_back({{.name = "ps", .usage = "[OPTIONS]", .summary = "List containers",
                .options = {{"all", 'a', "", false, "Include stopped containers"},
                            {"quiet", 'q', "", false, "Print the ids only"},
                            {"filter", 'f', "KEY=VALUE", true, "Filter: label=K[=V], name=N, status=S, id=, ancestor=, exited=... (containerd: label, name, status, id)"}},
                .max_args = 0},
               [](backend& b, const parsed_args& a) {
                 return b.ps({.all = a.has("all"), .quiet = a.has("quiet"), .filters = filters_of(a)});
               }});
  c.push_back({{.name = "run", .usage = "[OPTIONS] IMAGE [CMD...]",
                .summary = "Create and start a container; its stdout and stderr become ours and its exit code berth's",
                .options = {{"rm", 0, "", false, "Remove the container when it has exited"},
                            {"detach", 'd', "", false, "Start it and print its id"},
                            interactive, tty,
                            {"name", 0, "NAME", false, "Name of the container"},
                            env,
                            {"volume", 'v', "SRC:DST[:ro]", true, "Bind a host path (or volume; containerd: host paths only) into the container"},
                            {"label", 'l', "KEY=VALUE", true, "Set a label"},
                            workdir, user,
                            {"network", 0, "NETWORK", false, "Network mode (default: the engine's; containerd: none only, loopback)"},
                            {"ulimit", 0, "NAME=SOFT[:HARD]", true, "Set a resource limit (e.g. nofile=1024:2048)"},
                            {"init", 0, "", false, "Run an init process (tini) as PID 1 that reaps orphans"},
                            {"privileged", 0, "", false, "Every capability and the host's devices"}},
                .min_args = 1, .interspersed = false},
               [](backend& b, const parsed_args& a) {
                 run_request r{.rm = a.has("rm"), .detach = a.has("detach"), .interactive = a.has("interactive"),
                               .tty = a.has("tty"), .init = a.has("init"), .privileged = a.has("privileged"),
                               .name = a.value("name"), .workdir = a.value("workdir"),
                               .user = a.value("user"), .network = a.value("network")};
                 for (const auto& u : a.values("ulimit")) r.ulimits.push_back(parse_ulimit(u));
                 for (const auto& e : a.values("env")) {
                   if (e.find('=') != std::string::npos) {
                     r.env.push_back(e);
                   } else if (const char* v = std::getenv(e.c_str())) {
                     r.env.push_back(e + "=" + v);
                   }
                 }
                 r.volumes = a.values("volume");
                 for (const auto& l : a.values("label")) r.labels.insert(split_key_value(l, "--label"));
                 r.image = a.positionals[0];
                 r.cmd.assign(a.positionals.begin() + 1, a.positionals.end());
                 if (r.detach && r.tty && r.interactive)
                   throw usage_error("berth run: -d cannot be combined with -i -t");
                 return b.run(r);
               }});
  c.push_back({{.name = "exec", .usage = "[OPTIONS] CONTAINER CMD...",
                .summary = "Run a command in a running container; exits with the command's exit code",
                .options = {interactive, tty, env, workdir, user,
                            {"timeout", 0, "SECONDS", false, "Kill the command after this long (exit 124)"}},
                .min_args = 2, .interspersed = false},
               [](backend& b, const parsed_args& a) {
                 exec_request r{.interactive = a.has("interactive"), .tty = a.has("tty"),
                                .workdir = a.value("workdir"), .user = a.value("user")};
                 for (const auto& e : a.values("env")) {
                   if (e.find('=') != std::string::npos) {
                     r.env.push_back(e);
                   } else if (const char* v = std::getenv(e.c_str())) {
                     r.env.push_back(e + "=" + v);
                   }
                 }
                 if (auto t = a.value("timeout")) {
                   r.timeout_seconds = parse_count(*t, "--timeout");
                   if (*r.timeout_seconds == 0) throw usage_error("berth exec: --timeout must be at least 1");
                 }
                 r.id = a.positionals[0];
                 r.cmd.assign(a.positionals.begin() + 1, a.positionals.end());
                 return b.exec(r);
               }});
  c.push_back({{.name = "logs", .usage = "[OPTIONS] CONTAINER", .summary = "Print a container's output, stdout to stdout and stderr to stderr (containerd: of containers started with run -d or start)",
                .options = {{"follow", 'f', "", false, "Follow the output until the container stops"},
                            {"tail", 'n', "N", false, "Only the last N lines (or all)"},
                            {"since", 0, "T", false, "Only output since T: UNIX seconds or a duration ago (30s, 5m, 2h)"},
                            {"timestamps", 0, "", false, "Prefix each line with its timestamp"}},
                .min_args = 1, .max_args = 1},
               [](backend& b, const parsed_args& a) {
                 logs_request r{.follow = a.has("follow"), .timestamps = a.has("timestamps"), .tail = a.value("tail"),
                                .id = a.positionals[0]};
                 if (r.tail && *r.tail != "all") parse_count(*r.tail, "--tail");
                 if (auto s = a.value("since")) r.since = parse_since(*s);
                 return b.logs(r);
               }});
  c.push_back({simple("start", "Start containers"),
               [](backend& b, const parsed_args& a) { return b.lifecycle(lifecycle_of("start", a)); }});
  c.push_back({simple("stop", "Stop containers (the stop signal, then SIGKILL after the grace period)",
                      {{"time", 't', "S", false, "Grace period in seconds"}}),
               [](backend& b, const parsed_args& a) { return b.lifecycle(lifecycle_of("stop", a)); }});
  c.push_back({simple("restart", "Stop containers as stop does, then start them again",
                      {{"time", 't', "S", false, "Grace period in seconds"}}),
               [](backend& b, const parsed_args& a) { return b.lifecycle(lifecycle_of("restart", a)); }});
  c.push_back({simple("pause", "Freeze every process of containers"),
               [](backend& b, const parsed_args& a) { return b.lifecycle(lifecycle_of("pause", a)); }});
  c.push_back({simple("unpause", "Thaw paused containers"),
               [](backend& b, const parsed_args& a) { return b.lifecycle(lifecycle_of("unpause", a)); }});
  c.push_back({simple("kill", "Send a signal to containers", {{"signal", 's', "SIGNAL", false, "Signal (default SIGKILL)"}}),
               [](backend& b, const parsed_args& a) { return b.lifecycle(lifecycle_of("kill", a)); }});
  c.push_back({simple("rm", "Remove containers", {{"force", 'f', "", false, "Kill a running container first"}}),
               [](backend& b, const parsed_args& a) { return b.lifecycle(lifecycle_of("rm", a)); }});
  c.push_back({{.name = "inspect", .usage = "CONTAINER|IMAGE...", .summary = "Print containers or images as a JSON array",
                .min_args = 1},
               [](backend& b, const parsed_args& a) { return b.lifecycle(lifecycle_of("inspect", a)); }});
  c.push_back({simple("wait", "Wait for containers to stop and print their exit codes"),
               [](backend& b, const parsed_args& a) { return b.lifecycle(lifecycle_of("wait", a)); }});
  c.push_back({{.name = "pull", .usage = "IMAGE", .summary = "Pull an image (progress bars on a terminal)", .min_args = 1, .max_args = 1},
               [](backend& b, const parsed_args& a) { return b.pull(a.positionals[0]); }});
  c.push_back({{.name = "push", .usage = "IMAGE", .summary = "Push an image (progress bars on a terminal)", .min_args = 1, .max_args = 1},
               [](backend& b, const parsed_args& a) { return b.push(a.positionals[0]); }});
  c.push_back({{.name = "images", .usage = "[OPTIONS]", .summary = "List images",
                .options = {{"quiet", 'q', "", false, "Print the ids only"}}, .max_args = 0},
               [](backend& b, const parsed_args& a) { return b.images({.quiet = a.has("quiet")}); }});
  c.push_back({{.name = "rmi", .usage = "[OPTIONS] IMAGE...", .summary = "Remove images",
                .options = {{"force", 'f', "", false, "Remove even when in use or tagged in several repositories"}},
                .min_args = 1},
               [](backend& b, const parsed_args& a) { return b.rmi(a.positionals, a.has("force")); }});
  c.push_back({{.name = "tag", .usage = "SOURCE TARGET", .summary = "Give an image another name", .min_args = 2, .max_args = 2},
               [](backend& b, const parsed_args& a) { return b.tag(a.positionals[0], a.positionals[1]); }});
  c.push_back({{.name = "build", .usage = "[OPTIONS] DIR",
                .summary = "Build an image from a directory (its .dockerignore honoured); intermediate containers "
                           "are removed, after a failed step too",
                .options = {{"tag", 't', "TAG", true, "Name the image"},
                            {"build-arg", 0, "KEY=VALUE", true, "Set a build argument"},
                            {"file", 'f', "PATH", false, "The Dockerfile's path inside DIR"},
                            {"network", 0, "NETWORK", false, "Network mode of the RUN steps (default: the engine's)"},
                            {"keep-failed", 0, "", false, "Keep the container of a failed step (for debugging)"}},
                .min_args = 1, .max_args = 1},
               [](backend& b, const parsed_args& a) {
                 build_request r{.tags = a.values("tag"),
                                 .dockerfile = a.value("file"),
                                 .dir = a.positionals[0],
                                 .network = a.value("network"),
                                 .keep_failed = a.has("keep-failed")};
                 for (const auto& kv : a.values("build-arg")) r.build_args.insert(split_key_value(kv, "--build-arg"));
                 return b.build(r);
               }});
  c.push_back({{.name = "commit", .usage = "[OPTIONS] CONTAINER REPOSITORY[:TAG]",
                .summary = "Create an image from a container's changes",
                .options = {{"message", 'm', "TEXT", false, "Commit message (the history entry's comment)"},
                            {"author", 'a', "NAME", false, "Author (docker only)"},
                            {"pause", 'p', "BOOL", false, "Pause the container during the commit (default true)"}},
                .min_args = 2, .max_args = 2},
               [](backend& b, const parsed_args& a) {
                 commit_request r{.container = a.positionals[0], .reference = a.positionals[1],
                                  .message = a.value("message"), .author = a.value("author")};
                 if (auto p = a.value("pause")) {
                   if (*p != "true" && *p != "false") throw command_error{"--pause: true or false", exit_usage};
                   r.pause = *p == "true";
                 }
                 return b.commit(r);
               }});
  c.push_back({{.name = "save", .usage = "[OPTIONS] IMAGE...", .summary = "Write images as a tar archive to stdout",
                .options = {{"output", 'o', "FILE", false, "Write to FILE instead"}}, .min_args = 1},
               [](backend& b, const parsed_args& a) { return b.save(a.positionals, a.value("output")); }});
  c.push_back({{.name = "load", .usage = "[OPTIONS]", .summary = "Load images from a tar archive on stdin",
                .options = {{"input", 'i', "FILE", false, "Read FILE instead"}}, .max_args = 0},
               [](backend& b, const parsed_args& a) { return b.load(a.value("input")); }});
  c.push_back({{.name = "events", .usage = "[OPTIONS]", .summary = "Print the engine's events as they happen",
                .options = {{"filter", 'f', "KEY=VALUE", true, "Filter: type=, event=, container=, image=, label=... (containerd: container=, type=tasks, event=exit, topic=/tasks/exit)"},
                            {"since", 0, "T", false, "Start from T (UNIX seconds or a duration such as 10m; docker only)"},
                            {"until", 0, "T", false, "Stop at T (UNIX seconds or a duration); without it, run until interrupted"}},
                .max_args = 0},
               [](backend& b, const parsed_args& a) {
                 return b.events({.filters = filters_of(a), .since = a.value("since"), .until = a.value("until")});
               }});
  c.push_back({{.name = "sweep", .usage = "--label KEY=VALUE...",
                .summary = "Remove every container, network and volume carrying all the labels (containerd: containers)",
                .options = {{"label", 'l', "KEY=VALUE", true, "A label the objects must carry"}}, .max_args = 0},
               [](backend& b, const parsed_args& a) {
                 std::map<std::string, std::string> labels;
                 for (const auto& l : a.values("label")) labels.insert(split_key_value(l, "--label"));
                 if (labels.empty()) throw usage_error("berth sweep: at least one --label KEY=VALUE is required");
                 return b.sweep(labels);
               }});
  return c;
}

std::string overview(const std::vector<command>& cmds) {
  std::string s = help_text("berth", global_spec);
  s += "\nCommands:\n";
  for (const auto& c : cmds) s += "  " + column(c.spec.name, 10) + std::string(c.spec.summary) + "\n";
  s += "\nWith --engine containerd: push, build and save are not supported; load takes a docker save\n"
       "or OCI layout (ctr images export) tar; tag names the same manifest again; logs and logs -f\n"
       "work for containers started with run -d or start (berth records their output), not for\n"
       "foreground runs, whose output went to the caller.\n";
  s += "\nRun 'berth COMMAND --help' for a command's options.\n";
  return s;
}

int main_impl(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto cmds = commands();
  parsed_args g = parse(global_spec, args);
  if (g.positionals.empty()) {
    write_all(g.help ? 1 : 2, overview(cmds));
    return g.help ? 0 : exit_usage;
  }
  const std::string& name = g.positionals[0];
  const command* cmd = nullptr;
  for (const auto& c : cmds)
    if (c.spec.name == name) cmd = &c;
  if (!cmd) throw usage_error("berth: unknown command '" + name + "'; see 'berth --help'");
  std::vector<std::string> rest(g.positionals.begin() + 1, g.positionals.end());
  parsed_args a = parse(cmd->spec, rest);
  if (a.help || g.help) {
    write_all(1, help_text("berth", cmd->spec));
    return 0;
  }
  global_options opts;
  opts.host = g.value("host");
  opts.engine = g.value("engine").value_or("docker");
  opts.address = g.value("address");
  opts.ns = g.value("namespace");
  opts.runtime = g.value("runtime");
  auto b = make_backend(opts);
  int code = 0;
  try {
    code = cmd->handler(*b, a);
  } catch (const command_error& e) {
    if (!stdin_forwarder_active) throw;
    write_all(2, "berth: " + e.message + "\n");
    std::_Exit(e.code);
  }
  if (stdin_forwarder_active) {
    // A thread may still be blocked reading our stdin for a container that is gone: end
    // here rather than tear the client down under it.
    std::_Exit(code);
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return main_impl(argc, argv);
  } catch (const usage_error& e) {
    std::string m = e.what();
    write_all(2, m + "\n");
    return exit_usage;
  } catch (const command_error& e) {
    write_all(2, "berth: " + e.message + "\n");
    return e.code;
  } catch (const std::exception& e) {
    write_all(2, std::string("berth: ") + e.what() + "\n");
    return exit_failure;
  }
}
