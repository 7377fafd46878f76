#include "backend.hpp"
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
int backend::sweep(const std::map<std::string, std::string>&) { unsupported("sweep"); }

std::unique_ptr<backend> make_backend(const global_options& g) {
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
  throw command_error{"unknown engine '" + g.engine + "' (docker or containerd)", exit_usage};
}

}  // namespace berth::cli
