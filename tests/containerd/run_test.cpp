// Containers and tasks against the real containerd, from an image berth pulled from the
// loopback registry: run to completion, 100 MiB of stdout byte-exact with stderr apart,
// stdin with close, exec stdin (exec_run and by hand), exit codes, exec with timeout,
// kill, events of a task's lifecycle, typed failures (unknown runtime, missing image),
// deadlines on wait, and interop with ctr.
#include <doctest/doctest.h>

#include <openssl/evp.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <sstream>
#include <thread>

#include "berth/kata/runtime.hpp"
#include "containerd/support.hpp"

using namespace berth;
using test::ctr;
using test::sh;
namespace ctrd = berth::containerd;
namespace op = berth::containerd::op;

namespace {

struct sha256 {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::uint64_t bytes = 0;
  sha256() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
  ~sha256() { EVP_MD_CTX_free(ctx); }
  void update(std::string_view d) {
    bytes += d.size();
    EVP_DigestUpdate(ctx, d.data(), d.size());
  }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(ctx, md, &n);
    std::string out;
    char b[3];
    for (unsigned i = 0; i < n; ++i) std::snprintf(b, sizeof b, "%02x", md[i]), out += b;
    return out;
  }
};

ctrd::container_options busybox(std::string id, std::vector<std::string> args) {
  ctrd::container_options o;
  o.id = std::move(id);
  o.image = test::registry_image();
  o.args = std::move(args);
  return o;
}

std::size_t fifo_dirs() {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/tmp", ec))
    if (e.path().filename().string().rfind("berth-fifo-", 0) == 0) ++n;
  return n;
}

}  // namespace

TEST_CASE("pull from the loopback registry; a second pull reuses the content") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  std::error_code ec;
  auto img = c.pull(test::registry_image(), {}, ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(img.name == test::registry_image());
  CHECK(img.target.digest.rfind("sha256:", 0) == 0);
  auto blobs = c.run(op::content_list{});
  CHECK(blobs.size() >= 3);  // manifest, config, layer(s)
  bool config_labelled = false;
  for (const auto& b : blobs)
    if (b.labels.count("containerd.io/gc.ref.snapshot.overlayfs")) config_labelled = true;
  CHECK(config_labelled);
  auto snaps = c.run(op::snapshot_list{});
  CHECK(!snaps.empty());
  for (const auto& s : snaps) CHECK(s.kind == ctrd::snapshot_kind::committed);
  // No lease left behind.
  CHECK(c.run(op::lease_list{}).empty());

  auto again = c.pull(test::registry_image(), {}, ec);
  REQUIRE(!ec);
  CHECK(again.target.digest == img.target.digest);
  CHECK(c.run(op::content_list{}).size() == blobs.size());
  CHECK(c.run(op::snapshot_list{}).size() == snaps.size());
}

TEST_CASE("a missing image or tag fails typed") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  std::error_code ec;
  berth::diagnostics diag;
  c.pull(test::registry() + "/berth-test/busybox:no-such-tag", {}, ec);
  CHECK(ec == ctrd::pull_errc::manifest_unknown);
  CHECK(ctrd::is_not_found(ec));
  c.pull(test::registry() + "/berth-test/no-such-repo:latest", {}, ec);
  CHECK(ctrd::is_not_found(ec));
  c.pull("Bad Reference", {}, ec);
  CHECK(ec == ctrd::pull_errc::bad_reference);
  // Creating a container from an image containerd does not have.
  c.create_container(busybox("c-missing", {"true"}), ec);
  CHECK(ctrd::is_not_found(ec));
  CHECK(c.run(op::container_list{}).empty());
}

TEST_CASE("run to completion: output, exit codes, env, cwd, user, hostname, mounts") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  auto before = fifo_dirs();
  std::string out, err;
  ctrd::run_options ro;
  ro.on_output = [&](ctrd::output w, std::string_view d) { (w == ctrd::output::stdout_stream ? out : err) += d; };
  auto o = busybox("run-1", {"sh", "-c", "echo out; echo err >&2; echo $GREETING; pwd; id -u; hostname; "
                                          "cat /mnt/ro/hello; echo x > /scratch/f && cat /scratch/f; exit 7"});
  o.env = {"GREETING=hi"};
  o.cwd = "/tmp";
  o.user = "1234:1234";
  o.hostname = "berth-host";
  std::string dir = "/tmp/berth-ctrd-mount-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  { std::FILE* f = std::fopen((dir + "/hello").c_str(), "w"); std::fputs("from host\n", f); std::fclose(f); }
  o.mounts = {{.type = "bind", .source = dir, .target = "/mnt/ro", .read_only = true},
              {.type = "tmpfs", .target = "/scratch", .options = {"mode=1777"}}};
  std::error_code ec;
  auto r = c.run_container(o, ro, ec);
  std::filesystem::remove_all(dir);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(r.exit_code == 7);
  CHECK(out == "out\nhi\n/tmp\n1234\nberth-host\nfrom host\nx\n");
  CHECK(err == "err\n");
  CHECK(c.run(op::container_list{}).empty());
  CHECK(c.run(op::task_list{}).empty());
  CHECK(fifo_dirs() == before);

  r = c.run_container(busybox("run-2", {"true"}), {}, ec);
  REQUIRE(!ec);
  CHECK(r.exit_code == 0);
  r = c.run_container(busybox("run-3", {"sh", "-c", "exit 255"}), {}, ec);
  CHECK(r.exit_code == 255);

  // read-only rootfs refuses writes.
  auto ro_fs = busybox("run-4", {"sh", "-c", "touch /x"});
  ro_fs.read_only_rootfs = true;
  r = c.run_container(ro_fs, {}, ec);
  REQUIRE(!ec);
  CHECK(r.exit_code != 0);
}

TEST_CASE("100 MiB of binary stdout arrive byte-exact, stderr apart") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  sha256 out, err;
  std::string err_text;
  ctrd::run_options ro;
  ro.on_output = [&](ctrd::output w, std::string_view d) {
    if (w == ctrd::output::stdout_stream) {
      out.update(d);
    } else {
      err.update(d);
      err_text += d;
    }
  };
  // /dev/urandom is not reproducible: compute the expected digest inside the container
  // from a file written first, then stream that file.
  std::error_code ec;
  auto o = busybox("big", {"sh", "-c",
                           "head -c 104857600 /dev/urandom > /tmp/blob && sha256sum /tmp/blob >&2 && cat /tmp/blob"});
  auto t0 = std::chrono::steady_clock::now();
  auto r = c.run_container(o, ro, ec);
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(r.exit_code == 0);
  CHECK(out.bytes == 104857600u);
  auto expected = err_text.substr(0, err_text.find(' '));
  CHECK(out.hex() == expected);
  MESSAGE("100 MiB run (write + sha256 + stream) in " << secs << " s");
}

TEST_CASE("stdin round trip through cat, closed by close_stdin") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  std::string data;
  for (int i = 0; i < 20000; ++i) data += "line " + std::to_string(i) + "\n";
  std::string out;
  ctrd::run_options ro;
  ro.stdin_data = data;
  ro.on_output = [&](ctrd::output w, std::string_view d) {
    if (w == ctrd::output::stdout_stream) out += d;
  };
  std::error_code ec;
  auto r = c.run_container(busybox("cat-1", {"cat"}), ro, ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(r.exit_code == 0);
  CHECK(out == data);

  // The same by hand with the process API.
  c.create_container(busybox("cat-2", {"sh", "-c", "cat; echo done"}), ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  auto p = c.create_task("cat-2", {.stdin_ = true}, ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(p.pid() > 0);
  p.start(ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  p.write(asio::buffer(std::string("ping\n")), ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  p.close_stdin(ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  std::string got;
  char buf[256];
  for (;;) {
    auto n = p.read(ctrd::output::stdout_stream, asio::buffer(buf), ec);
    if (ec) break;
    got.append(buf, n);
  }
  CHECK(ec == asio::error::eof);
  CHECK(got == "ping\ndone\n");
  auto st = p.wait(ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(st.status == 0);
  auto del = p.delete_(ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(del.status == 0);
  c.remove_container("cat-2", ec);
  CHECK(!ec);
}

TEST_CASE("exec with stdin: exec_run's stdin_data through cat, and by hand after start") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  auto before = fifo_dirs();
  std::error_code ec;
  c.create_container(busybox("exec-in", {"sleep", "1000"}), ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  auto task = c.create_task("exec-in", {.capture = false}, ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  task.start(ec);
  REQUIRE_MESSAGE(!ec, ec.message());

  // A few hundred KiB of binary data (every byte value, NULs included) in and out of cat.
  std::string data(300 * 1024 + 7, '\0');
  std::mt19937 rng(42);
  for (auto& ch : data) ch = static_cast<char>(rng() & 0xff);
  std::string out, err;
  ctrd::run_options ro;
  ro.stdin_data = data;
  ro.on_output = [&](ctrd::output w, std::string_view d) { (w == ctrd::output::stdout_stream ? out : err) += d; };
  auto r = c.exec_run("exec-in", {.args = {"cat"}}, ro, ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(r.exit_code == 0);
  CHECK(err.empty());
  CHECK(out.size() == data.size());
  bool same = out == data;
  CHECK(same);

  // with_stdin and no data: end of input at once.
  out.clear();
  ro.stdin_data.clear();
  ro.with_stdin = true;
  r = c.exec_run("exec-in", {.args = {"sh", "-c", "wc -c; exit 4"}}, ro, ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(r.exit_code == 4);
  CHECK(out.find('0') != std::string::npos);

  // By hand: exec, then stdin only once started.
  auto p = c.exec("exec-in", "exec-hand", {.args = {"sh", "-c", "cat; echo done"}}, {.stdin_ = true}, ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  p.write(asio::buffer(std::string("early\n")), ec);
  CHECK(ec == ctrd::errc::failed_precondition);
  p.close_stdin(ec);
  CHECK(ec == ctrd::errc::failed_precondition);
  p.start(ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(p.pid() > 0);
  std::string small = "ping\n" + data.substr(0, 4096) + "\n";
  p.write(asio::buffer(small), ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  p.close_stdin(ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  p.write(asio::buffer(small), ec);
  CHECK(ec == berth::errc::stream_closed);
  std::string got;
  char buf[4096];
  for (;;) {
    auto n = p.read(ctrd::output::stdout_stream, asio::buffer(buf), ec);
    if (ec) break;
    got.append(buf, n);
  }
  CHECK(ec == asio::error::eof);
  same = got == small + "done\n";
  CHECK(same);
  auto st = p.wait(ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(st.status == 0);
  p.delete_(ec);
  CHECK(!ec);

  // An exec that fails to start, and one in a missing container: nothing left behind.
  ro.stdin_data = "x";
  c.exec_run("exec-in", {.args = {"/no/such/binary"}}, ro, ec);
  CHECK(ec);
  c.exec_run("no-such-container", {.args = {"cat"}}, ro, ec);
  CHECK(ctrd::is_not_found(ec));

  CHECK(c.run(op::task_pids{.container_id = "exec-in"}).size() == 1);  // only sleep
  task.kill(9, ec);
  task.wait(ec);
  task.delete_(ec);
  CHECK(!ec);
  task.close();
  c.remove_container("exec-in", ec);
  CHECK(!ec);
  CHECK(c.run(op::container_list{}).empty());
  CHECK(c.run(op::task_list{}).empty());
  CHECK(fifo_dirs() == before);
}

TEST_CASE("exec with timeout, exec exit codes, kill, pids, pause and resume, metrics, wait deadline") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  std::error_code ec;
  c.create_container(busybox("long", {"sleep", "1000"}), ec);
  REQUIRE(!ec);
  auto p = c.create_task("long", {.capture = false}, ec);
  REQUIRE(!ec);
  p.start(ec);
  REQUIRE(!ec);

  std::string out;
  ctrd::run_options ro;
  ro.on_output = [&](ctrd::output, std::string_view d) { out += d; };
  auto r = c.exec_run("long", {.args = {"sh", "-c", "echo in-exec; exit 3"}}, ro, ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(r.exit_code == 3);
  CHECK(out == "in-exec\n");

  // A timeout is a result that keeps the output so far; the exec's whole tree is killed
  // (the child it started in the background too), the container's own process lives on.
  auto t0 = std::chrono::steady_clock::now();
  ro.timeout = std::chrono::milliseconds(700);
  ro.collect = 1024;
  out.clear();
  auto timed = c.exec_run("long", {.args = {"sh", "-c", "echo begun; sleep 61 & sleep 60"}}, ro, ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(timed.timed_out);
  CHECK(timed.exit_code != 0);
  CHECK(timed.stdout_data == "begun\n");
  CHECK(out == "begun\n");
  CHECK_FALSE(timed.truncated);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));
  ro.timeout.reset();

  auto pids = c.run(op::task_pids{.container_id = "long"});
  CHECK(pids.size() == 1);  // the exec and its child are gone, only sleep is left

  // Collection has a cap: the rest still reaches the sink, and truncated says so.
  ro.collect = 4;
  out.clear();
  auto capped = c.exec_run("long", {.args = {"sh", "-c", "echo 123456789; echo ab >&2"}}, ro, ec);
  REQUIRE(!ec);
  CHECK(capped.stdout_data == "1234");
  CHECK(capped.stderr_data == "ab\n");
  CHECK(capped.truncated);
  CHECK(out.size() == std::string("123456789\nab\n").size());
  ro.collect.reset();

  c.run(op::task_pause{.container_id = "long"});
  CHECK(c.run(op::task_get{.container_id = "long"}).status == ctrd::process_status::paused);
  c.run(op::task_resume{.container_id = "long"});
  CHECK(c.run(op::task_get{.container_id = "long"}).status == ctrd::process_status::running);

  auto metrics = c.run(op::task_metrics{.filters = {"id==long"}});
  REQUIRE(metrics.size() == 1);
  CHECK(!metrics[0].data.type_url.empty());

  // A wait with a deadline on a task that keeps running: berth::errc::timeout.
  c.run(op::task_wait{.container_id = "long"}, ec, {.timeouts = {.total = std::chrono::milliseconds(300)}});
  CHECK(berth::is_timeout(ec));

  // Deleting a running task is refused.
  c.run(op::task_delete{.container_id = "long"}, ec);
  CHECK(ec);

  p.kill(9, ec);
  REQUIRE(!ec);
  auto st = p.wait(ec);
  REQUIRE(!ec);
  CHECK(st.status == 137);
  p.delete_(ec);
  CHECK(!ec);
  c.remove_container("long", ec);
  CHECK(!ec);
}

TEST_CASE("events of a task's lifecycle") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  std::error_code ec;
  auto events = c.subscribe({"topic~=\"/tasks/\""}, ec);
  REQUIRE(!ec);
  // The subscription is registered asynchronously on the server.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto r = c.run_container(busybox("evt", {"sh", "-c", "exit 4"}), {}, ec);
  REQUIRE(!ec);
  CHECK(r.exit_code == 4);
  std::vector<std::string> topics;
  std::uint32_t exit_status = 0;
  while (topics.empty() || topics.back() != "/tasks/delete") {
    auto e = events.next(ec);
    REQUIRE(!ec);
    CHECK(e.namespace_ == ns.name());
    CHECK(e.container_id == "evt");
    if (e.topic == "/tasks/exit") exit_status = e.exit_status;
    topics.push_back(e.topic);
  }
  CHECK(topics == std::vector<std::string>{"/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"});
  CHECK(exit_status == 4);
}

TEST_CASE("an unknown runtime fails typed; the kata stand-in runs by name") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  auto o = busybox("rt-bad", {"true"});
  o.runtime.name = "io.containerd.nosuchruntime.v1";
  std::error_code ec;
  berth::diagnostics diag;
  c.run_container(o, {.diag = &diag}, ec);
  CHECK(ec.category() == ctrd::category());
  CHECK(ec);
  // containerd's own words from the failed Tasks.Create, beside the code.
  CHECK(ec == ctrd::errc::unknown);
  CHECK_MESSAGE(diag.message.find("binary not installed") != std::string::npos, diag.message);
  CHECK(diag.message.find("containerd-shim-nosuchruntime-v1") != std::string::npos);
  CHECK(diag.status == 2);  // gRPC UNKNOWN
  CHECK(c.run(op::container_list{}).empty());
  c.run(op::snapshot_stat{.key = "rt-bad"}, ec);
  CHECK(ctrd::is_not_found(ec));

  auto k = busybox("rt-kata", {"sh", "-c", "exit 5"});
  k.runtime.name = "io.containerd.kata.v2";
  auto r = c.run_container(k, {.diag = &diag}, ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(r.exit_code == 5);
  CHECK(diag.message.empty());  // cleared on success
  CHECK(diag.status == 0);

  auto runc = busybox("rt-runc-opts", {"true"});
  // The runc options berth sends come from kata's encoder (berth/kata/runtime.hpp).
  auto runc_rt = berth::kata::containerd_runtime_of(berth::kata::runtime_choice::runc({.binary_name = "runc"}));
  REQUIRE(runc_rt);
  runc.runtime.options = {runc_rt->options->type_url, runc_rt->options->value};
  r = c.run_container(runc, {}, ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(r.exit_code == 0);
}

TEST_CASE("ctr interop: ctr sees berth's container and runs berth's image; berth sees ctr's") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  std::error_code ec;
  c.create_container(busybox("berth-made", {"true"}), ec);
  REQUIRE(!ec);
  auto listed = ctr(ns, "containers ls -q");
  CHECK(listed.find("berth-made") != std::string::npos);
  c.remove_container("berth-made", ec);
  CHECK(!ec);

  int st = -1;
  auto out = ctr(ns, "run --rm " + test::registry_image() + " ctr-run echo ran-by-ctr", &st);
  CHECK_MESSAGE(st == 0, out);
  CHECK(out.find("ran-by-ctr") != std::string::npos);

  out = ctr(ns, "containers create " + test::registry_image() + " ctr-made -- sh -c 'echo from-ctr-container'", &st);
  REQUIRE_MESSAGE(st == 0, out);
  auto k = c.run(op::container_get{.id = "ctr-made"});
  CHECK(k.image == test::registry_image());
  std::string got;
  auto p = c.create_task("ctr-made", {}, ec);
  REQUIRE(!ec);
  p.start(ec);
  char buf[256];
  for (;;) {
    auto n = p.read(ctrd::output::stdout_stream, asio::buffer(buf), ec);
    if (ec) break;
    got.append(buf, n);
  }
  CHECK(got == "from-ctr-container\n");
  p.wait(ec);
  p.delete_(ec);
  c.remove_container("ctr-made", ec);
  CHECK(!ec);
}

TEST_CASE("berth runs an image ctr pulled") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  int st = -1;
  auto out = ctr(ns, "images pull --plain-http " + test::registry_image(), &st);
  REQUIRE_MESSAGE(st == 0, out);
  std::string got;
  ctrd::run_options ro;
  ro.on_output = [&](ctrd::output, std::string_view d) { got += d; };
  std::error_code ec;
  auto r = c.run_container(busybox("from-ctr-image", {"echo", "ok"}), ro, ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  CHECK(r.exit_code == 0);
  CHECK(got == "ok\n");
}

TEST_CASE("terminal: a TTY process with resize") {
  test::scoped_namespace ns;
  auto& c = ns.client();
  test::pull_test_image(c);
  std::error_code ec;
  auto o = busybox("tty", {"sh", "-c", "sleep 1; busybox stty size"});
  o.terminal = true;
  c.create_container(o, ec);
  REQUIRE(!ec);
  auto p = c.create_task("tty", {.terminal = true}, ec);
  REQUIRE(!ec);
  p.start(ec);
  REQUIRE(!ec);
  p.resize(100, 40, ec);
  REQUIRE(!ec);
  std::string got;
  char buf[256];
  for (;;) {
    auto n = p.read(ctrd::output::stdout_stream, asio::buffer(buf), ec);
    if (ec) break;
    got.append(buf, n);
  }
  CHECK(got.find("40 100") != std::string::npos);
  p.read(ctrd::output::stderr_stream, asio::buffer(buf), ec);
  CHECK(ec == berth::errc::unsupported);
  p.wait(ec);
  p.delete_(ec);
  c.remove_container("tty", ec);
  CHECK(!ec);
}
