// Network operations of the Docker Engine API (spec tag "Network").
//
// Each struct is one operation, named after its operationId; fields are its parameters.
// Run them with engine::client::run / async_run.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/awaitable.hpp>

#include "berth/core/call_options.hpp"
#include "berth/core/result.hpp"
#include "berth/engine/models.hpp"
#include "berth/engine/types.hpp"
#include "berth/core/export.hpp"

namespace berth::engine {

namespace detail {
struct state;
}

namespace op {

/// GET /networks.
struct BERTH_API network_list {
  using result_type = std::vector<network_summary>;
  static constexpr std::string_view operation_id = "NetworkList";
  engine::filters filters{};  ///< dangling, driver, id, label, name, scope, type.
};

/// GET /networks/{id}.
struct BERTH_API network_inspect {
  using result_type = engine::network_inspect;
  static constexpr std::string_view operation_id = "NetworkInspect";
  std::string id{};                   ///< Id or name.
  bool verbose = false;               ///< Detailed inspect output for swarm networks.
  std::optional<std::string> scope{};  ///< "swarm", "global" or "local".
};

/// POST /networks/create. result: the new network's id and a warning.
struct BERTH_API network_create {
  using result_type = network_create_response;
  static constexpr std::string_view operation_id = "NetworkCreate";
  network_create_body body{};  ///< Name, Driver, Internal, IPAM, Labels...
};

/// POST /networks/{id}/connect: connect a container to a network.
struct BERTH_API network_connect {
  using result_type = empty;
  static constexpr std::string_view operation_id = "NetworkConnect";
  std::string id{};                   ///< The network.
  network_connect_request body{};     ///< Container, EndpointConfig.
};

/// POST /networks/{id}/disconnect.
struct BERTH_API network_disconnect {
  using result_type = empty;
  static constexpr std::string_view operation_id = "NetworkDisconnect";
  std::string id{};                   ///< The network.
  network_disconnect_request body{};  ///< Container, Force.
};

/// DELETE /networks/{id}.
struct BERTH_API network_delete {
  using result_type = empty;
  static constexpr std::string_view operation_id = "NetworkDelete";
  std::string id{};
};

/// POST /networks/prune: delete unused networks.
struct BERTH_API network_prune {
  using result_type = network_prune_response;
  static constexpr std::string_view operation_id = "NetworkPrune";
  engine::filters filters{};  ///< until, label, label!.
};

}  // namespace op

namespace detail {
#define BERTH_ENGINE_OP(OP) \
  BERTH_API asio::awaitable<result<op::OP::result_type>> execute(std::shared_ptr<state> s, op::OP op, call_options opts);
BERTH_ENGINE_OP(network_list)
BERTH_ENGINE_OP(network_inspect)
BERTH_ENGINE_OP(network_create)
BERTH_ENGINE_OP(network_connect)
BERTH_ENGINE_OP(network_disconnect)
BERTH_ENGINE_OP(network_delete)
BERTH_ENGINE_OP(network_prune)
#undef BERTH_ENGINE_OP
}  // namespace detail

}  // namespace berth::engine
