// Swarm operations of the Docker Engine API (spec tags "Swarm", "Node", "Service",
// "Task", "Secret", "Config", "Session").
//
// Each struct is one operation, named after its operationId; fields are its parameters.
// Run them with engine::client::run / async_run. On a daemon that is not a swarm manager
// they fail with engine::error::not_swarm_manager, the daemon's words in diagnostics.
// Update operations take the object's current version (Version.Index from its inspect)
// so that concurrent updates are refused instead of lost.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/awaitable.hpp>

#include "berth/core/call_options.hpp"
#include "berth/core/result.hpp"
#include "berth/engine/models.hpp"
#include "berth/engine/streams.hpp"
#include "berth/engine/types.hpp"
#include "berth/http/client.hpp"
#include "berth/core/export.hpp"

namespace berth::engine {

namespace detail {
struct state;
}

namespace op {

// --- Swarm ---------------------------------------------------------------------------

/// POST /swarm/init: make this daemon the first manager of a new swarm. result: the
/// node's id.
struct BERTH_API swarm_init {
  using result_type = std::string;
  static constexpr std::string_view operation_id = "SwarmInit";
  swarm_init_body body{};  ///< ListenAddr, AdvertiseAddr, DefaultAddrPool, Spec...
};

/// POST /swarm/join: join an existing swarm.
struct BERTH_API swarm_join {
  using result_type = empty;
  static constexpr std::string_view operation_id = "SwarmJoin";
  swarm_join_body body{};  ///< RemoteAddrs, JoinToken, ListenAddr, AdvertiseAddr...
};

/// POST /swarm/leave.
struct BERTH_API swarm_leave {
  using result_type = empty;
  static constexpr std::string_view operation_id = "SwarmLeave";
  bool force = false;  ///< Leave even as the last manager (the swarm is lost).
};

/// POST /swarm/update.
struct BERTH_API swarm_update {
  using result_type = empty;
  static constexpr std::string_view operation_id = "SwarmUpdate";
  std::int64_t version = 0;  ///< The swarm's Version.Index.
  swarm_spec body{};
  bool rotate_worker_token = false;
  bool rotate_manager_token = false;
  bool rotate_manager_unlock_key = false;
};

/// GET /swarm/unlockkey.
struct BERTH_API swarm_unlockkey {
  using result_type = swarm_unlockkey_response;
  static constexpr std::string_view operation_id = "SwarmUnlockkey";
};

/// POST /swarm/unlock: unlock a locked manager.
struct BERTH_API swarm_unlock {
  using result_type = empty;
  static constexpr std::string_view operation_id = "SwarmUnlock";
  swarm_unlock_body body{};
};

/// GET /swarm.
struct BERTH_API swarm_inspect {
  using result_type = engine::swarm;
  static constexpr std::string_view operation_id = "SwarmInspect";
};

// --- Nodes ---------------------------------------------------------------------------

/// GET /nodes.
struct BERTH_API node_list {
  using result_type = std::vector<node>;
  static constexpr std::string_view operation_id = "NodeList";
  engine::filters filters{};  ///< id, label, membership, name, node.label, role.
};

/// GET /nodes/{id}.
struct BERTH_API node_inspect {
  using result_type = node;
  static constexpr std::string_view operation_id = "NodeInspect";
  std::string id{};  ///< Id or name.
};

/// DELETE /nodes/{id}.
struct BERTH_API node_delete {
  using result_type = empty;
  static constexpr std::string_view operation_id = "NodeDelete";
  std::string id{};
  bool force = false;
};

/// POST /nodes/{id}/update.
struct BERTH_API node_update {
  using result_type = empty;
  static constexpr std::string_view operation_id = "NodeUpdate";
  std::string id{};
  std::int64_t version = 0;  ///< The node's Version.Index.
  node_spec body{};          ///< Name, Labels, Role, Availability.
};

// --- Services ------------------------------------------------------------------------

/// GET /services.
struct BERTH_API service_list {
  using result_type = std::vector<service>;
  static constexpr std::string_view operation_id = "ServiceList";
  engine::filters filters{};  ///< id, label, mode, name.
  bool status = false;        ///< Include ServiceStatus (running and desired tasks).
};

/// POST /services/create.
struct BERTH_API service_create {
  using result_type = service_create_response;
  static constexpr std::string_view operation_id = "ServiceCreate";
  service_create_body body{};
  /// X-Registry-Auth: base64url of the registry's auth JSON, for pulling the image on
  /// the nodes; not sent when empty.
  std::string registry_auth{};
};

/// GET /services/{id}.
struct BERTH_API service_inspect {
  using result_type = service;
  static constexpr std::string_view operation_id = "ServiceInspect";
  std::string id{};
  bool insert_defaults = false;  ///< Fill in default values of unset fields.
};

/// DELETE /services/{id}.
struct BERTH_API service_delete {
  using result_type = empty;
  static constexpr std::string_view operation_id = "ServiceDelete";
  std::string id{};
};

/// POST /services/{id}/update.
struct BERTH_API service_update {
  using result_type = service_update_response;
  static constexpr std::string_view operation_id = "ServiceUpdate";
  std::string id{};
  std::int64_t version = 0;                       ///< The service's Version.Index.
  service_update_body body{};
  std::optional<std::string> registry_auth_from{};  ///< "spec" or "previous-spec".
  std::optional<std::string> rollback{};            ///< "previous" to roll back.
  std::string registry_auth{};                    ///< X-Registry-Auth; not sent when empty.
};

/// GET /services/{id}/logs as a pull-driven output stream.
struct BERTH_API service_logs {
  using result_type = output_stream;
  static constexpr std::string_view operation_id = "ServiceLogs";
  std::string id{};
  bool details = false;
  bool follow = false;
  bool stdout_ = true;
  bool stderr_ = true;
  std::optional<std::int64_t> since{};  ///< UNIX seconds.
  bool timestamps = false;
  std::optional<std::string> tail{};    ///< A number of lines, or "all".
  /// Whether the service's containers have a TTY (the stream is then not multiplexed);
  /// API 1.42+ daemons say so in the Content-Type. Default: multiplexed.
  std::optional<bool> tty{};
};

// --- Tasks ---------------------------------------------------------------------------

/// GET /tasks.
struct BERTH_API task_list {
  using result_type = std::vector<task>;
  static constexpr std::string_view operation_id = "TaskList";
  engine::filters filters{};  ///< desired-state, id, label, name, node, service.
};

/// GET /tasks/{id}.
struct BERTH_API task_inspect {
  using result_type = task;
  static constexpr std::string_view operation_id = "TaskInspect";
  std::string id{};
};

/// GET /tasks/{id}/logs as a pull-driven output stream.
struct BERTH_API task_logs {
  using result_type = output_stream;
  static constexpr std::string_view operation_id = "TaskLogs";
  std::string id{};
  bool details = false;
  bool follow = false;
  bool stdout_ = true;
  bool stderr_ = true;
  std::optional<std::int64_t> since{};
  bool timestamps = false;
  std::optional<std::string> tail{};
  std::optional<bool> tty{};  ///< As for service_logs.
};

// --- Secrets -------------------------------------------------------------------------

/// GET /secrets.
struct BERTH_API secret_list {
  using result_type = std::vector<secret>;
  static constexpr std::string_view operation_id = "SecretList";
  engine::filters filters{};  ///< id, label, name, names.
};

/// POST /secrets/create. result: the new secret's id.
struct BERTH_API secret_create {
  using result_type = id_response;
  static constexpr std::string_view operation_id = "SecretCreate";
  secret_create_body body{};  ///< Name, Labels, Data (standard base64), Driver, Templating.
};

/// GET /secrets/{id}.
struct BERTH_API secret_inspect {
  using result_type = secret;
  static constexpr std::string_view operation_id = "SecretInspect";
  std::string id{};
};

/// DELETE /secrets/{id}.
struct BERTH_API secret_delete {
  using result_type = empty;
  static constexpr std::string_view operation_id = "SecretDelete";
  std::string id{};
};

/// POST /secrets/{id}/update. Only Labels may change.
struct BERTH_API secret_update {
  using result_type = empty;
  static constexpr std::string_view operation_id = "SecretUpdate";
  std::string id{};
  std::int64_t version = 0;  ///< The secret's Version.Index.
  secret_spec body{};
};

// --- Configs -------------------------------------------------------------------------

/// GET /configs.
struct BERTH_API config_list {
  using result_type = std::vector<config>;
  static constexpr std::string_view operation_id = "ConfigList";
  engine::filters filters{};  ///< id, label, name, names.
};

/// POST /configs/create. result: the new config's id.
struct BERTH_API config_create {
  using result_type = id_response;
  static constexpr std::string_view operation_id = "ConfigCreate";
  config_create_body body{};  ///< Name, Labels, Data (standard base64), Templating.
};

/// GET /configs/{id}.
struct BERTH_API config_inspect {
  using result_type = config;
  static constexpr std::string_view operation_id = "ConfigInspect";
  std::string id{};
};

/// DELETE /configs/{id}.
struct BERTH_API config_delete {
  using result_type = empty;
  static constexpr std::string_view operation_id = "ConfigDelete";
  std::string id{};
};

/// POST /configs/{id}/update. Only Labels may change.
struct BERTH_API config_update {
  using result_type = empty;
  static constexpr std::string_view operation_id = "ConfigUpdate";
  std::string id{};
  std::int64_t version = 0;  ///< The config's Version.Index.
  config_spec body{};
};

// --- Session -------------------------------------------------------------------------

/// POST /session: a long-lived connection upgraded to HTTP/2 cleartext (h2c) that carries
/// BuildKit's gRPC session. Unsupported by berth: it has no HTTP/2 or gRPC stack to speak
/// on such a connection, so running this fails with berth::errc::unsupported (reason in
/// diagnostics) without contacting the daemon.
struct BERTH_API session {
  using result_type = http::hijacked_stream;
  static constexpr std::string_view operation_id = "Session";
};

}  // namespace op

namespace detail {
#define BERTH_ENGINE_OP(OP) \
  BERTH_API asio::awaitable<result<op::OP::result_type>> execute(std::shared_ptr<state> s, op::OP op, call_options opts);
BERTH_ENGINE_OP(swarm_init)
BERTH_ENGINE_OP(swarm_join)
BERTH_ENGINE_OP(swarm_leave)
BERTH_ENGINE_OP(swarm_update)
BERTH_ENGINE_OP(swarm_unlockkey)
BERTH_ENGINE_OP(swarm_unlock)
BERTH_ENGINE_OP(swarm_inspect)
BERTH_ENGINE_OP(node_list)
BERTH_ENGINE_OP(node_inspect)
BERTH_ENGINE_OP(node_delete)
BERTH_ENGINE_OP(node_update)
BERTH_ENGINE_OP(service_list)
BERTH_ENGINE_OP(service_create)
BERTH_ENGINE_OP(service_inspect)
BERTH_ENGINE_OP(service_delete)
BERTH_ENGINE_OP(service_update)
BERTH_ENGINE_OP(service_logs)
BERTH_ENGINE_OP(task_list)
BERTH_ENGINE_OP(task_inspect)
BERTH_ENGINE_OP(task_logs)
BERTH_ENGINE_OP(secret_list)
BERTH_ENGINE_OP(secret_create)
BERTH_ENGINE_OP(secret_inspect)
BERTH_ENGINE_OP(secret_delete)
BERTH_ENGINE_OP(secret_update)
BERTH_ENGINE_OP(config_list)
BERTH_ENGINE_OP(config_create)
BERTH_ENGINE_OP(config_inspect)
BERTH_ENGINE_OP(config_delete)
BERTH_ENGINE_OP(config_update)
BERTH_ENGINE_OP(session)
#undef BERTH_ENGINE_OP
}  // namespace detail

}  // namespace berth::engine
