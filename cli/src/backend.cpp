#include "backend.hpp"

#include <chrono>
#include <cstdlib>

#include "output.hpp"
#include "stdin_forwarder.hpp"

namespace berth::cli {

std::atomic<bool> stdin_forwarder_active{false};

void backend::unsupported(std::string_view command) const {
  throw command_error{"'" + std::string(command) + "' is not supported with --engine " +
                      std::string(engine_name())};
}

int backend::version() { unsupported("version"); }
int backend::info() { unsupported("info"); }
int backend::ps(const ps_request&) { unsupported("ps"); }
int backend::run(const run_request&) { unsupported("run"); }
int backend::exec(const exec_request&) { unsupported("exec"); }
int backend::logs(const logs_request&) { unsupported("logs"); }
int backend::lifecycle(const lifecycle_request& r) { unsupported(r.verb); }
int backend::pull(const std::string&) { unsupported("pull"); }
int backend::push(const std::string&) { unsupported("push"); }
int backend::images(const images_request&) { unsupported("images"); }
int backend::rmi(const std::vector<std::string>&, bool) { unsupported("rmi"); }
int backend::tag(const std::string&, const std::string&) { unsupported("tag"); }
int backend::build(const build_request&) { unsupported("build"); }
int backend::commit(const commit_request&) { unsupported("commit"); }
int backend::save(const std::vector<std::string>&, const std::optional<std::string>&) { unsupported("save"); }
int backend::load(const std::optional<std::string>&) { unsupported("load"); }
int backend::events(const events_request&) { unsupported("events"); }
int backend::sweep(const std::map<std::string, std::string>& labels) {
  // The runtime layer's sweep: containers, networks, volumes and images carrying every
  // label, each rechecked client-side; nothing unlabelled is touched.
  auto rt = runtime_client();
  std::error_code ec;
  berth::diagnostics diag;
  auto r = rt.run(runtime::op::sweep{.match = labels}, ec, {.diag = &diag});
  std::string s;
  for (const auto& id : r.containers) s += "container " + id + "\n";
  for (const auto& n : r.networks) s += "network " + n + "\n";
  for (const auto& v : r.volumes) s += "volume " + v + "\n";
  for (const auto& i : r.images) s += "image " + i + "\n";
  write_all(1, s);
  if (ec) throw command_error{"sweep: " + ec.message() + (diag.message.empty() ? "" : ": " + diag.message)};
  return 0;
}

kata::runtime_choice runtime_choice_of(const std::string& name) {
  if (name == "runc") return kata::runtime_choice::runc();
  if (name == "kata") return kata::runtime_choice::kata();
  return kata::runtime_choice::named(name);
}

std::unique_ptr<backend> make_backend(const global_options& g) {
  if (g.engine == "auto") {
    runtime::detect_options d;
    d.probe_timeout = std::chrono::seconds(5);
    if (g.address) d.containerd_address = *g.address;
    if (g.ns) d.containerd_namespace = *g.ns;
    if (g.host) {
      // --host names the engine as DOCKER_HOST would.
      std::string host = *g.host;
      d.getenv = [host](std::string_view n) -> std::optional<std::string> {
        if (n == "DOCKER_HOST") return host;
        if (const char* v = std::getenv(std::string(n).c_str())) return std::string(v);
        return std::nullopt;
      };
    }
    berth::diagnostics diag;
    auto found = runtime::detect(d, &diag);
    if (!found) throw command_error{"--engine auto: " + diag.message};
    if (const char* dbg = std::getenv("BERTH_DEBUG"); dbg && *dbg)
      write_all(2, "berth: engine " + std::string(runtime::to_string(found->client.kind())) + " at " + found->endpoint +
                       " (" + found->why + ")\n");
    global_options chosen = g;
    if (found->client.kind() == runtime::engine_kind::docker) {
      chosen.engine = "docker";
      chosen.host = found->endpoint;
      chosen.address.reset();
      chosen.ns.reset();
    } else {
      chosen.engine = "containerd";
      chosen.host.reset();
      chosen.address = found->endpoint;
    }
    return make_backend(chosen);
  }
  if (g.engine == "docker") {
    if (g.address || g.ns)
      throw command_error{"--address and --namespace apply to --engine containerd, not docker", exit_usage};
    return make_docker_backend(g);
  }
  if (g.engine == "containerd") {
    if (g.host) throw command_error{"--host applies to --engine docker; give containerd's socket with --address", exit_usage};
#ifdef BERTH_CLI_CONTAINERD
    return make_containerd_backend(g);
#else
    throw command_error{"--engine containerd is not available: this berth was built without the containerd backend "
                        "(configure with -Dcontainerd=enabled)"};
#endif
  }
  throw command_error{"unknown engine '" + g.engine + "' (docker, containerd or auto)", exit_usage};
}

}  // namespace berth::cli
