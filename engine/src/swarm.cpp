// Swarm, node, service, task, secret, config and session operations.
#include "berth/engine/op/swarm.hpp"

#include <rapidjson/document.h>

#include "op_helpers.hpp"

namespace berth::engine::detail {

namespace {

/// POST path?query with body serialised for the negotiated version.
template <class T>
asio::awaitable<result<call_spec>> post_body(std::shared_ptr<state> s, std::string path,
                                             std::string q, const T& body, call_options opts) {
  auto json = co_await encode_body(s, body, opts);
  if (!json) co_return unexpected(json.error());
  auto spec = make_spec("POST", std::move(path), std::move(q));
  spec.body = std::move(*json);
  co_return spec;
}

std::string version_query(std::int64_t version) {
  return query().add_int("version", version).str();
}

/// Service and task logs: multiplexed unless the Content-Type (API 1.42+) or the caller
/// says the containers have a TTY.
bool logs_multiplexed(const std::shared_ptr<state>& s, const http::fields& headers,
                      std::optional<bool> tty) {
  auto ct = headers.find("Content-Type");
  if (ct && *ct == "application/vnd.docker.multiplexed-stream") return true;
  if (ct && *ct == "application/vnd.docker.raw-stream" && s->version &&
      *s->version >= api_version{1, 42})
    return false;
  return !tty.value_or(false);
}

template <class Logs>
asio::awaitable<result<output_stream>> logs(std::shared_ptr<state> s, std::string path,
                                            Logs op, call_options opts) {
  query q;
  if (op.details) q.add("details", "1");
  if (op.follow) q.add("follow", "1");
  q.add("stdout", op.stdout_ ? "1" : "0");
  q.add("stderr", op.stderr_ ? "1" : "0");
  q.add_int("since", op.since);
  if (op.timestamps) q.add("timestamps", "1");
  q.add_opt("tail", op.tail);
  if (op.follow && !opts.timeouts.head) opts.timeouts.head = std::chrono::milliseconds(0);
  auto body = co_await open_stream(s, make_spec("GET", std::move(path), q.str()), opts);
  if (!body) co_return unexpected(body.error());
  bool mux = logs_multiplexed(s, body->head().headers, op.tty);
  co_return output_stream(std::move(*body), mux);
}

}  // namespace

// --- Swarm ---------------------------------------------------------------------------

asio::awaitable<result<std::string>> execute(std::shared_ptr<state> s, op::swarm_init op,
                                             call_options opts) {
  auto spec = co_await post_body(s, "/swarm/init", {}, op.body, opts);
  if (!spec) co_return unexpected(spec.error());
  auto r = co_await call(s, std::move(*spec), opts);
  if (!r) co_return unexpected(r.error());
  // The node id, as a JSON string (or plain text).
  rapidjson::Document d;
  d.Parse(r->body.data(), r->body.size());
  if (!d.HasParseError() && d.IsString()) co_return std::string(d.GetString(), d.GetStringLength());
  std::string id = r->body;
  while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) id.pop_back();
  if (id.empty() || id.front() == '{' || id.front() == '[') {
    if (opts.diag) opts.diag->set_message("SwarmInit: the answer is not a node id");
    co_return unexpected(error::bad_response);
  }
  co_return id;
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::swarm_join op,
                                       call_options opts) {
  auto spec = co_await post_body(s, "/swarm/join", {}, op.body, opts);
  if (!spec) co_return unexpected(spec.error());
  co_return co_await call_empty(s, std::move(*spec), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::swarm_leave op,
                                       call_options opts) {
  query q;
  if (op.force) q.add("force", "1");
  co_return co_await call_empty(s, make_spec("POST", "/swarm/leave", q.str()), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::swarm_update op,
                                       call_options opts) {
  query q;
  q.add_int("version", op.version);
  if (op.rotate_worker_token) q.add("rotateWorkerToken", "1");
  if (op.rotate_manager_token) q.add("rotateManagerToken", "1");
  if (op.rotate_manager_unlock_key) q.add("rotateManagerUnlockKey", "1");
  auto spec = co_await post_body(s, "/swarm/update", q.str(), op.body, opts);
  if (!spec) co_return unexpected(spec.error());
  co_return co_await call_empty(s, std::move(*spec), opts);
}

asio::awaitable<result<swarm_unlockkey_response>> execute(std::shared_ptr<state> s,
                                                           op::swarm_unlockkey,
                                                           call_options opts) {
  co_return co_await call_json<swarm_unlockkey_response>(s, make_spec("GET", "/swarm/unlockkey"),
                                                         opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::swarm_unlock op,
                                       call_options opts) {
  auto spec = co_await post_body(s, "/swarm/unlock", {}, op.body, opts);
  if (!spec) co_return unexpected(spec.error());
  co_return co_await call_empty(s, std::move(*spec), opts);
}

asio::awaitable<result<swarm>> execute(std::shared_ptr<state> s, op::swarm_inspect,
                                       call_options opts) {
  co_return co_await call_json<swarm>(s, make_spec("GET", "/swarm"), opts);
}

// --- Nodes ---------------------------------------------------------------------------

asio::awaitable<result<std::vector<node>>> execute(std::shared_ptr<state> s, op::node_list op,
                                                   call_options opts) {
  co_return co_await call_list<node>(
      s, make_spec("GET", "/nodes", query().add_filters("filters", op.filters).str()), opts);
}

asio::awaitable<result<node>> execute(std::shared_ptr<state> s, op::node_inspect op,
                                      call_options opts) {
  co_return co_await call_json<node>(s, make_spec("GET", "/nodes/" + segment(op.id)), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::node_delete op,
                                       call_options opts) {
  query q;
  if (op.force) q.add("force", "1");
  co_return co_await call_empty(s, make_spec("DELETE", "/nodes/" + segment(op.id), q.str()), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::node_update op,
                                       call_options opts) {
  auto spec = co_await post_body(s, "/nodes/" + segment(op.id) + "/update",
                                 version_query(op.version), op.body, opts);
  if (!spec) co_return unexpected(spec.error());
  co_return co_await call_empty(s, std::move(*spec), opts);
}

// --- Services ------------------------------------------------------------------------

asio::awaitable<result<std::vector<service>>> execute(std::shared_ptr<state> s,
                                                      op::service_list op, call_options opts) {
  query q;
  q.add_filters("filters", op.filters);
  if (op.status) q.add("status", "1");
  co_return co_await call_list<service>(s, make_spec("GET", "/services", q.str()), opts);
}

asio::awaitable<result<service_create_response>> execute(std::shared_ptr<state> s,
                                                         op::service_create op,
                                                         call_options opts) {
  auto spec = co_await post_body(s, "/services/create", {}, op.body, opts);
  if (!spec) co_return unexpected(spec.error());
  set_registry_auth(*spec, op.registry_auth);
  co_return co_await call_json<service_create_response>(s, std::move(*spec), opts);
}

asio::awaitable<result<service>> execute(std::shared_ptr<state> s, op::service_inspect op,
                                         call_options opts) {
  query q;
  if (op.insert_defaults) q.add("insertDefaults", "1");
  co_return co_await call_json<service>(s, make_spec("GET", "/services/" + segment(op.id), q.str()),
                                        opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::service_delete op,
                                       call_options opts) {
  co_return co_await call_empty(s, make_spec("DELETE", "/services/" + segment(op.id)), opts);
}

asio::awaitable<result<service_update_response>> execute(std::shared_ptr<state> s,
                                                         op::service_update op,
                                                         call_options opts) {
  query q;
  q.add_int("version", op.version);
  q.add_opt("registryAuthFrom", op.registry_auth_from);
  q.add_opt("rollback", op.rollback);
  auto spec = co_await post_body(s, "/services/" + segment(op.id) + "/update", q.str(), op.body,
                                 opts);
  if (!spec) co_return unexpected(spec.error());
  set_registry_auth(*spec, op.registry_auth);
  co_return co_await call_json<service_update_response>(s, std::move(*spec), opts);
}

asio::awaitable<result<output_stream>> execute(std::shared_ptr<state> s, op::service_logs op,
                                               call_options opts) {
  return logs(std::move(s), "/services/" + segment(op.id) + "/logs", op, opts);
}

// --- Tasks ---------------------------------------------------------------------------

asio::awaitable<result<std::vector<task>>> execute(std::shared_ptr<state> s, op::task_list op,
                                                   call_options opts) {
  co_return co_await call_list<task>(
      s, make_spec("GET", "/tasks", query().add_filters("filters", op.filters).str()), opts);
}

asio::awaitable<result<task>> execute(std::shared_ptr<state> s, op::task_inspect op,
                                      call_options opts) {
  co_return co_await call_json<task>(s, make_spec("GET", "/tasks/" + segment(op.id)), opts);
}

asio::awaitable<result<output_stream>> execute(std::shared_ptr<state> s, op::task_logs op,
                                               call_options opts) {
  return logs(std::move(s), "/tasks/" + segment(op.id) + "/logs", op, opts);
}

// --- Secrets -------------------------------------------------------------------------

asio::awaitable<result<std::vector<secret>>> execute(std::shared_ptr<state> s, op::secret_list op,
                                                     call_options opts) {
  co_return co_await call_list<secret>(
      s, make_spec("GET", "/secrets", query().add_filters("filters", op.filters).str()), opts);
}

asio::awaitable<result<id_response>> execute(std::shared_ptr<state> s, op::secret_create op,
                                             call_options opts) {
  auto spec = co_await post_body(s, "/secrets/create", {}, op.body, opts);
  if (!spec) co_return unexpected(spec.error());
  co_return co_await call_json<id_response>(s, std::move(*spec), opts);
}

asio::awaitable<result<secret>> execute(std::shared_ptr<state> s, op::secret_inspect op,
                                        call_options opts) {
  co_return co_await call_json<secret>(s, make_spec("GET", "/secrets/" + segment(op.id)), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::secret_delete op,
                                       call_options opts) {
  co_return co_await call_empty(s, make_spec("DELETE", "/secrets/" + segment(op.id)), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::secret_update op,
                                       call_options opts) {
  auto spec = co_await post_body(s, "/secrets/" + segment(op.id) + "/update",
                                 version_query(op.version), op.body, opts);
  if (!spec) co_return unexpected(spec.error());
  co_return co_await call_empty(s, std::move(*spec), opts);
}

// --- Configs -------------------------------------------------------------------------

asio::awaitable<result<std::vector<config>>> execute(std::shared_ptr<state> s, op::config_list op,
                                                     call_options opts) {
  co_return co_await call_list<config>(
      s, make_spec("GET", "/configs", query().add_filters("filters", op.filters).str()), opts);
}

asio::awaitable<result<id_response>> execute(std::shared_ptr<state> s, op::config_create op,
                                             call_options opts) {
  auto spec = co_await post_body(s, "/configs/create", {}, op.body, opts);
  if (!spec) co_return unexpected(spec.error());
  co_return co_await call_json<id_response>(s, std::move(*spec), opts);
}

asio::awaitable<result<config>> execute(std::shared_ptr<state> s, op::config_inspect op,
                                        call_options opts) {
  co_return co_await call_json<config>(s, make_spec("GET", "/configs/" + segment(op.id)), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::config_delete op,
                                       call_options opts) {
  co_return co_await call_empty(s, make_spec("DELETE", "/configs/" + segment(op.id)), opts);
}

asio::awaitable<result<empty>> execute(std::shared_ptr<state> s, op::config_update op,
                                       call_options opts) {
  auto spec = co_await post_body(s, "/configs/" + segment(op.id) + "/update",
                                 version_query(op.version), op.body, opts);
  if (!spec) co_return unexpected(spec.error());
  co_return co_await call_empty(s, std::move(*spec), opts);
}

// --- Session -------------------------------------------------------------------------

asio::awaitable<result<http::hijacked_stream>> execute(std::shared_ptr<state>, op::session,
                                                       call_options opts) {
  if (opts.diag) {
    opts.diag->clear();
    opts.diag->set_message(
        "POST /session upgrades to h2c for BuildKit's gRPC session; berth has no HTTP/2 stack");
  }
  co_return unexpected(errc::unsupported);
}

}  // namespace berth::engine::detail
