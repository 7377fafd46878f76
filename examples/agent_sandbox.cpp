// A coding agent's sandbox, as a coding-agent platform's container provider runs one
// (seed 000): a session container with the agent's worktree bind-mounted, limits and no
// network; commands run in it with a working directory, environment and timeout, their
// exit code and output collected; destroyed at the end. Same code on Docker and
// containerd: the engine is detected, or named with --engine.
//
//   berth-example-agent-sandbox [--engine docker|containerd|auto] [--image REF] [--runtime runc|kata]
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "berth/runtime/runtime.hpp"

using namespace berth;
namespace rop = runtime::op;

int main(int argc, char** argv) {
  std::string engine = "auto", image = "127.0.0.1:5000/berth-test/busybox:latest", rt_name = "runc";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--engine")) engine = argv[i + 1];
    else if (!std::strcmp(argv[i], "--image")) image = argv[i + 1];
    else if (!std::strcmp(argv[i], "--runtime")) rt_name = argv[i + 1];
  }
  runtime::detect_options d;
  auto pref = runtime::parse_preference(engine);
  if (!pref) {
    std::fprintf(stderr, "--engine: docker, containerd or auto, not %s\n", engine.c_str());
    return 2;
  }
  d.preference = *pref;
  d.options.owner = {.owner = "agent-sandbox"};
  berth::diagnostics diag;
  auto found = runtime::detect(d, &diag);
  if (!found) {
    std::fprintf(stderr, "no engine: %s\n", diag.message.c_str());
    return 1;
  }
  auto& rt = found->client;
  std::printf("engine: %s at %s (%s)\n", runtime::to_string(rt.kind()), found->endpoint.c_str(), found->why.c_str());

  // The agent's worktree.
  char tmpl[] = "/tmp/agent-worktree-XXXXXX";
  std::filesystem::path work = ::mkdtemp(tmpl);
  std::ofstream(work / "main.c") << "int main(void) { return 0; }\n";

  runtime::container_spec session;
  session.image = image;
  session.cmd = {"sleep", "infinity"};
  session.init = true;
  session.mounts = {{.type = runtime::mount::kind::bind, .source = work.string(), .target = "/workspace"}};
  session.resources = {.memory_bytes = 512 << 20, .cpu_shares = 512, .pids_limit = 256};
  session.network = runtime::network_mode::none;
  if (rt_name == "kata") session.runtime = kata::runtime_choice::kata();
  int status = 0;
  try {
    auto s = rt.run(rop::ensure_container{.spec = session});
    std::printf("session %s (%s)\n", s.info.id.substr(0, 12).c_str(), runtime::to_string(s.action));
    for (auto w : s.info.warnings) std::printf("  warning: %s\n", w.c_str());

    auto ls = rt.run(rop::exec{.id = s.info.id, .argv = {"sh", "-c", "ls; echo task=$TASK"}, .env = {"TASK=build"},
                               .cwd = "/workspace"});
    std::printf("exit %lld: %s", static_cast<long long>(ls.exit_code), ls.stdout_data.c_str());
    auto slow = rt.run(rop::exec{.id = s.info.id, .argv = {"sh", "-c", "echo thinking; sleep 60"},
                                 .timeout = std::chrono::milliseconds(500)});
    std::printf("timed out: %s, output so far: %s", slow.timed_out ? "yes" : "no", slow.stdout_data.c_str());
    if (!slow.timed_out || ls.exit_code != 0) status = 1;

    // destroy(): stop, remove; the session's id is then unknown to the engine.
    rt.run(rop::stop{.id = s.info.id, .grace = std::chrono::seconds(2)});
    rt.run(rop::remove{.id = s.info.id, .force = true});
    std::error_code ec;
    rt.run(rop::exec{.id = s.info.id, .argv = {"true"}}, ec);
    std::printf("exec after destroy: %s\n", ec == runtime::reason::not_found ? "not found" : ec.message().c_str());
  } catch (const berth::error& e) {
    std::fprintf(stderr, "failed: %s: %s\n", e.what(), e.details().message.c_str());
    status = 1;
  }
  std::error_code ec;
  rt.run(rop::sweep{}, ec);
  std::filesystem::remove_all(work, ec);
  return status;
}
