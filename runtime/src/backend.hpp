// What each engine provides to the runtime layer: small primitives, each an awaitable.
// The operations (ops.cpp) are written once above them; an engine that cannot do a
// primitive leaves the base's, which fails with errc::unsupported.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "berth/core/call_options.hpp"
#include "berth/core/result.hpp"
#include "berth/core/sync.hpp"
#include "berth/runtime/client.hpp"

namespace berth::containerd {
class client;
}

namespace berth::runtime::detail {

template <class T>
using task = asio::awaitable<result<T>>;

/// Runs op on an engine client (an engine::client or a containerd::client). Every request
/// is built as a named value and moved in: GCC 12 destroys class temporaries of a
/// co_await expression twice (a heap corruption at run time).
template <class Client, class Op>
task<typename Op::result_type> call(Client c, Op op, call_options o) {
  std::error_code ec;
  auto v = co_await c.async_run(std::move(op), o, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return unexpected(ec);
  co_return v;
}

/// A call whose failure `missing(ec)` is an answer (nullopt): the engine's words reach the
/// caller's diagnostics only on another failure.
template <class Client, class Op, class Missing>
task<std::optional<typename Op::result_type>> probe(Client c, Op op, call_options o, Missing missing) {
  using R = typename Op::result_type;
  berth::diagnostics local;
  call_options q = o;
  q.diag = &local;
  auto r = co_await call(std::move(c), std::move(op), q);
  if (r) co_return std::optional<R>(std::move(*r));
  if (missing(r.error())) co_return std::optional<R>{};
  if (o.diag) *o.diag = local;
  co_return unexpected(r.error());
}

/// have carries every label of want with the same value.
inline bool has_all(const runtime::labels& have, const runtime::labels& want) {
  for (const auto& [k, v] : want) {
    auto it = have.find(k);
    if (it == have.end() || it->second != v) return false;
  }
  return true;
}

/// A network or volume as the engine lists it.
struct named_resource {
  std::string id{};    ///< Networks: the id; volumes: the name.
  std::string name{};
  runtime::labels labels{};
  std::string mountpoint{};
};

struct backend {
  explicit backend(client_options o) : opts(std::move(o)) {}
  virtual ~backend();

  client_options opts;

  virtual engine_kind kind() const noexcept = 0;
  virtual runtime::capabilities caps() const = 0;
  virtual berth::execution_host& host() const noexcept = 0;
  virtual asio::any_io_executor executor() const = 0;
  virtual std::string endpoint() const = 0;

  virtual task<ping_info> ping(call_options o) = 0;
  /// The runtime's policy (Kata) over s, with no daemon call: a refusal, or warnings.
  virtual std::error_code check(const container_spec& s, call_options o, std::vector<std::string>* warnings) const = 0;

  // ---- containers ----
  /// The container by id or name; nullopt when missing.
  virtual task<std::optional<container_info>> find(std::string id, call_options o) = 0;
  /// Creates (not started) with these labels (ownership and hash included). Returns the id.
  virtual task<container_info> create(container_spec s, call_options o) = 0;
  virtual task<void> start(std::string id, call_options o) = 0;
  virtual task<stop_result> stop(std::string id, std::chrono::seconds grace, call_options o) = 0;
  virtual task<void> kill(std::string id, std::string signal, call_options o) = 0;
  virtual task<void> pause(std::string id, call_options o) = 0;
  virtual task<void> unpause(std::string id, call_options o) = 0;
  virtual task<std::int64_t> wait(std::string id, call_options o) = 0;
  /// false when missing. A running container without force: a conflict.
  virtual task<bool> remove(std::string id, bool force, call_options o) = 0;
  virtual task<std::vector<container_info>> list(runtime::labels match, bool running_only, call_options o) = 0;
  virtual task<exec_result> exec(op::exec e, call_options o) = 0;
  /// Runs s (labels already stamped) to completion.
  virtual task<exec_result> run(op::run_one_shot r, call_options o) = 0;
  virtual task<log_stream> logs(op::follow_logs l, call_options o) = 0;
  /// The container this process is in, by its id (exact or prefix) or hostname.
  virtual task<std::optional<container_info>> find_self(std::string hint, call_options o) = 0;

  // ---- images ----
  virtual task<std::optional<image_info>> find_image(std::string ref, call_options o) = 0;
  virtual task<image_info> pull(std::string ref, const std::function<void(const pull_progress&)>& cb,
                                int attempt, call_options o) = 0;
  virtual task<image_info> build(image_build b, std::string ref, runtime::labels l, call_options o);
  virtual task<std::vector<std::string>> load(std::string path, call_options o) = 0;
  virtual task<void> save(std::vector<std::string> refs, std::string path, call_options o) = 0;
  virtual task<void> tag(std::string source, std::string target, call_options o) = 0;
  virtual task<bool> remove_image(std::string ref, bool force, call_options o) = 0;
  virtual task<image_info> commit(op::commit c, call_options o) = 0;
  /// Images carrying every label of match (for sweeps).
  virtual task<std::vector<image_info>> list_images(runtime::labels match, call_options o) = 0;

  // ---- networks and volumes (Docker) ----
  virtual task<std::vector<named_resource>> list_networks(runtime::labels match, std::string name, call_options o);
  virtual task<std::string> create_network(std::string name, bool internal, runtime::labels l, call_options o);
  virtual task<bool> remove_network(std::string id, call_options o);
  virtual task<std::vector<named_resource>> list_volumes(runtime::labels match, std::string name, call_options o);
  virtual task<named_resource> create_volume(std::string name, runtime::labels l, call_options o);
  virtual task<bool> remove_volume(std::string name, call_options o);
};

/// errc::unsupported with "<engine>: <what> (<why>)" in diag.
std::error_code unsupported(call_options o, engine_kind k, std::string_view what);

/// Fails with errc::unsupported naming every field of s this engine cannot honour
/// (nothing when all are fine); warnings for hints it ignores go to *warnings.
std::error_code refuse_unsupported(const container_spec& s, const capabilities& c, engine_kind k,
                                   call_options o, std::vector<std::string>* warnings);

/// Sets the diagnostics' message (when opts.diag is set).
void say(const call_options& o, std::string_view message);

/// The Docker backend.
std::shared_ptr<backend> make_docker(engine::client c, client_options o);
/// The containerd backend.
std::shared_ptr<backend> make_containerd(containerd::client c, client_options o);
/// The containerd client of a containerd backend; nullptr for another.
containerd::client* containerd_of_backend(backend& b);
/// The backend of a client.
std::shared_ptr<backend> backend_of(client& c);
/// The Docker client of a Docker backend; nullptr for another.
engine::client* docker_of(backend& b);

}  // namespace berth::runtime::detail
