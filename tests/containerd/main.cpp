// main() for the tests against the real containerd: checks that it answers and that the
// busybox test image is in the loopback registry (pushing it there through dockerd with
// the engine part of berth when it is not). When containerd does not answer, the run
// fails if daemons are required (CI), else exits 77 (meson: skipped).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <map>

#include "berth/engine/engine.hpp"
#include "containerd/support.hpp"

namespace berth::test {

std::string empty_namespace(containerd::client& c) {
  namespace op = containerd::op;
  std::string left;
  std::error_code ec;
  for (const auto& t : c.run(op::task_list{}, ec)) {
    std::error_code e2;
    c.remove_container(t.id, e2);
    if (e2) left += "task " + t.id + ": " + e2.message() + "; ";
  }
  for (const auto& k : c.run(op::container_list{}, ec)) {
    std::error_code e2;
    c.remove_container(k.id, e2);
    if (e2) left += "container " + k.id + ": " + e2.message() + "; ";
  }
  for (const auto& i : c.run(op::image_list{}, ec)) {
    std::error_code e2;
    c.run(op::image_delete{.name = i.name}, e2);
    if (e2) left += "image " + i.name + ": " + e2.message() + "; ";
  }
  for (const auto& l : c.run(op::lease_list{}, ec)) {
    std::error_code e2;
    c.run(op::lease_delete{.id = l.id}, e2);
  }
  // Snapshots: children before parents.
  std::map<std::string, std::string> snap_errors;
  for (int pass = 0; pass < 16; ++pass) {
    auto snaps = c.run(op::snapshot_list{}, ec);
    if (ec || snaps.empty()) break;
    for (const auto& sn : snaps) {
      std::error_code e2;
      berth::diagnostics d2;
      berth::call_options o2;
      o2.diag = &d2;
      c.run(op::snapshot_remove{.key = sn.name}, e2, o2);
      if (e2) snap_errors[sn.name] = e2.message() + " (" + d2.message + ")";
    }
  }
  for (const auto& sn : c.run(op::snapshot_list{}, ec)) left += "snapshot " + sn.name + ": " + snap_errors[sn.name] + "; ";
  for (const auto& b : c.run(op::content_list{}, ec)) {
    std::error_code e2;
    c.run(op::content_delete{.digest = b.digest}, e2);
  }
  for (const auto& st : c.run(op::content_list_statuses{}, ec)) {
    std::error_code e2;
    c.run(op::content_abort{.ref = st.ref}, e2);
  }
  for (const auto& b : c.run(op::content_list{}, ec)) left += "blob " + b.digest + "; ";
  return left;
}

scoped_namespace::scoped_namespace()
    : name_("berth-test-" + std::to_string(::getpid()) + "-" + [] {
        static std::atomic<int> n{0};
        return std::to_string(++n);
      }()),
      client_(ctrd_options(name_)) {
  client_.run(containerd::op::namespace_create{.name = name_, .labels = {{"berth.test", "1"}}});
}

scoped_namespace::~scoped_namespace() {
  std::string left = empty_namespace(client_);
  CHECK_MESSAGE(left.empty(), "left behind in " << name_ << ": " << left);
  std::error_code ec;
  client_.run(containerd::op::namespace_delete{.name = name_}, ec);
  CHECK_MESSAGE(!ec, "namespace " << name_ << " not deleted: " << ec.message());
}

containerd::image pull_test_image(containerd::client& c) {
  std::error_code ec;
  auto img = c.run(containerd::op::image_get{.name = registry_image()}, ec);
  if (!ec) return img;
  ec.clear();
  auto pulled = c.pull(registry_image(), {}, ec);
  REQUIRE_MESSAGE(!ec, "pull " << registry_image() << ": " << ec.message());
  return pulled;
}

}  // namespace berth::test

namespace {

/// Pushes the busybox test image from dockerd to the loopback registry (idempotent).
bool push_test_image() {
  using namespace berth;
  namespace op = engine::op;
  std::error_code ec;
  auto docker = engine::client(test::docker_endpoint());
  std::string repo = test::registry() + "/berth-test/busybox";
  docker.run(op::image_tag{.name = test::test_image(), .repo = repo, .tag = "latest"}, ec);
  if (ec) {
    std::fprintf(stderr, "tag %s as %s: %s\n", test::test_image().c_str(), repo.c_str(), ec.message().c_str());
    return false;
  }
  auto progress = docker.run(op::image_push{.name = repo, .tag = "latest"}, ec);
  if (ec) {
    std::fprintf(stderr, "push %s: %s\n", repo.c_str(), ec.message().c_str());
    return false;
  }
  while (!ec) progress.next(ec);
  if (ec != asio::error::eof) {
    std::fprintf(stderr, "push %s: %s (%s)\n", repo.c_str(), ec.message().c_str(),
                 progress.diagnostics().message.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace berth;
  std::error_code ec;
  containerd::client c(test::ctrd_options("default"));
  auto v = c.run(containerd::op::version{}, ec, {.timeouts = {.total = std::chrono::seconds(5)}});
  if (ec) {
    std::fprintf(stderr, "containerd at %s does not answer: %s\n", c.address().c_str(), ec.message().c_str());
    if (test::daemons_required()) return 1;
    std::fprintf(stderr, "skipping (set BERTH_REQUIRE_DAEMONS=1 to fail instead)\n");
    return 77;
  }
  std::fprintf(stderr, "containerd %s at %s\n", v.version.c_str(), c.address().c_str());
  if (!push_test_image()) {
    std::fprintf(stderr, "cannot put the test image into the registry at %s\n", test::registry().c_str());
    if (test::daemons_required()) return 1;
    return 77;
  }
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
