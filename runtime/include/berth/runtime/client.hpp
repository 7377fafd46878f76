// One runtime above Docker and containerd: ensure images, networks, volumes and
// containers; run, exec, follow logs, stop and sweep what is ours, through one client
// whatever the engine.
//
//   auto rt = runtime::detect().value();                     // docker, containerd or auto
//   runtime::container_spec s{.name = "db", .image = "postgres:16", .env = {"POSTGRES_PASSWORD=x"}};
//   auto db = rt.run(runtime::op::ensure_container{.spec = s});       // throws berth::error
//   auto r = rt.run(runtime::op::exec{.id = db.info.id, .argv = {"pg_isready"}}, ec);
//   rt.run(runtime::op::sweep{});                             // everything this owner made
//
// Every operation has three forms: async_run(op, token) with any completion token
// (callbacks, use_future, use_awaitable), run(op, ec) and the throwing run(op). Handlers
// run on the client's executor, never inside the initiating call. Cancellation: terminal
// cancellation through the handler's slot stops the engine call in flight with
// berth::errc::cancelled. The sync forms may be called from any thread but the one
// running the client's executor (berth::errc::would_deadlock).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include "berth/core/async.hpp"
#include "berth/core/call_options.hpp"
#include "berth/core/error.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/core/sync.hpp"
#include "berth/engine/client.hpp"
#include "berth/kata/docker.hpp"
#include "berth/net/endpoint.hpp"
#include "berth/runtime/error.hpp"
#include "berth/runtime/ops.hpp"
#include "berth/runtime/types.hpp"

namespace berth::runtime {

/// Settings of a runtime client.
struct BERTH_API client_options {
  /// Stamped on everything the client creates; the default selector of sweep.
  runtime::ownership owner{};
  /// The retry policy of pulls (ensure_image, pull_image) that set none.
  retry_policy pull_retry{};
  /// Docker: the daemon's names of runc and Kata (HostConfig.Runtime).
  kata::docker_runtime_names runtime_names{};
  /// containerd: the folder of the captured logs of the containers the layer starts
  /// (\<log_dir\>/\<namespace\>/\<id\>.log). Empty: $XDG_STATE_HOME/berth/containerd, else
  /// $HOME/.local/state/berth/containerd (the `berth` command's folder).
  std::string log_dir{};
};

namespace detail {
struct backend;
BERTH_API berth::execution_host& host_of(const std::shared_ptr<backend>& b) noexcept;
BERTH_API asio::any_io_executor executor_of(const std::shared_ptr<backend>& b) noexcept;
#define BERTH_RUNTIME_DECLARE(name)                                                                    \
  BERTH_API asio::awaitable<result<op::name::result_type>> execute(std::shared_ptr<backend> b, op::name o, \
                                                                   call_options opts);
BERTH_RUNTIME_OPS(BERTH_RUNTIME_DECLARE)
#undef BERTH_RUNTIME_DECLARE
}  // namespace detail

/// A runtime over one engine. Cheap to copy: copies share the engine client.
class BERTH_API client {
 public:
  using executor_type = asio::any_io_executor;

  /// Over a Docker Engine API client.
  explicit client(engine::client docker, client_options opts = {});
  /// Over a backend of berth's own (runtime/containerd.hpp: from_containerd()).
  explicit client(std::shared_ptr<detail::backend> b) noexcept : b_(std::move(b)) {}

  engine_kind kind() const noexcept;
  /// What this engine can do; runtimes are filled once ping ran.
  runtime::capabilities capabilities() const;
  const client_options& options() const noexcept;
  /// The Docker client underneath; nullptr on containerd.
  engine::client* docker() noexcept;
  executor_type get_executor() const { return detail::executor_of(b_); }
  /// The engine underneath (for berth's own layers).
  const std::shared_ptr<detail::backend>& backend_handle() const noexcept { return b_; }

  /// Runs op. Completion: void(std::error_code, typename Op::result_type).
  template <class Op, class CompletionToken>
  auto async_run(Op o, call_options opts, CompletionToken&& token) {
    using R = typename Op::result_type;
    return berth::detail::initiate<R>(
        get_executor(), [b = b_, o = std::move(o), opts]() mutable { return detail::execute(b, std::move(o), opts); },
        std::forward<CompletionToken>(token));
  }
  template <class Op, class CompletionToken>
  auto async_run(Op o, CompletionToken&& token) {
    return async_run(std::move(o), call_options{}, std::forward<CompletionToken>(token));
  }
  /// Runs op, blocking; on failure sets ec (and opts.diag) and returns a default value.
  template <class Op>
  typename Op::result_type run(Op o, std::error_code& ec, call_options opts = {}) {
    using R = typename Op::result_type;
    auto r = detail::host_of(b_).template run<R>([&](auto h) { async_run(std::move(o), opts, std::move(h)); });
    return value_or_set(std::move(r), ec);
  }
  /// Runs op, blocking; throws berth::error (with the engine's words) on failure.
  template <class Op>
  typename Op::result_type run(Op o, call_options opts = {}) {
    berth::diagnostics local;
    if (!opts.diag) opts.diag = &local;
    std::error_code ec;
    auto v = run(std::move(o), ec, opts);
    if (ec) throw berth::error(ec, *opts.diag);
    return v;
  }

 private:
  std::shared_ptr<detail::backend> b_;
};

// ---- detect ---------------------------------------------------------------------------

/// Which engine detect looks for.
enum class preference { auto_, docker, containerd };

/// "docker", "containerd", "auto" or "" (auto); anything else fails with
/// errc::invalid_argument naming the three.
BERTH_API result<preference> parse_preference(std::string_view s);

/// How detect finds an engine.
struct BERTH_API detect_options {
  runtime::preference preference = preference::auto_;
  /// The environment (DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG, DOCKER_TLS_VERIFY,
  /// DOCKER_CERT_PATH, CONTAINERD_ADDRESS, CONTAINERD_NAMESPACE, XDG_RUNTIME_DIR, HOME);
  /// empty: the process's.
  net::env_lookup getenv{};
  /// Each probe (a ping) is bounded by this.
  std::chrono::milliseconds probe_timeout{5000};
  /// containerd: the socket and namespace; empty: the environment, else
  /// /run/containerd/containerd.sock (then the rootless one) and "default".
  std::string containerd_address{};
  std::string containerd_namespace{};
  client_options options{};
};

/// What detect chose and why.
struct BERTH_API detection {
  runtime::client client;
  std::string endpoint{};             ///< The socket (or URL) it talks to.
  std::string why{};                  ///< "DOCKER_HOST is set", "the first engine that answered", ...
  std::vector<std::string> probes{};  ///< Every probe tried: "docker at unix:///...: ok" / its error.
  ping_info ping{};
};

/// Finds an engine. An engine asked for (preference, or DOCKER_HOST / DOCKER_CONTEXT /
/// CONTAINERD_ADDRESS under auto) that does not answer is an error naming it, never a
/// switch to another engine. auto: DOCKER_HOST or DOCKER_CONTEXT set: Docker only; else
/// CONTAINERD_ADDRESS set: containerd only; else Docker's socket (the current context's,
/// then the rootless $XDG_RUNTIME_DIR/docker.sock), then containerd's (system, then
/// rootless). None answering: errc::no_engine with every probe in diag. Blocking; every
/// probe is bounded by probe_timeout. The client owns a private io_context.
BERTH_API result<detection> detect(detect_options opts = {}, berth::diagnostics* diag = nullptr);

}  // namespace berth::runtime
