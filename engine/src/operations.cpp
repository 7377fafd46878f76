// The registry of implemented operations. Every op header is included here and every op
// struct is listed once below: a struct missing from the list is an operation the
// coverage test (tests/engine/coverage_test.cpp) reports as missing.
#include "berth/engine/operations.hpp"

#include <algorithm>
#include <array>
#include <concepts>
#include <memory>

#include "berth/engine/op/containers.hpp"
#include "berth/engine/op/exec.hpp"
#include "berth/engine/op/images.hpp"
#include "berth/engine/op/networks.hpp"
#include "berth/engine/op/plugins.hpp"
#include "berth/engine/op/swarm.hpp"
#include "berth/engine/op/system.hpp"
#include "berth/engine/op/volumes.hpp"

namespace berth::engine {
namespace {

/// An op struct: an operation_id, a result_type, and an execute overload declared.
template <class Op>
concept operation = requires(std::shared_ptr<detail::state> s, Op op, call_options opts) {
  { Op::operation_id } -> std::convertible_to<std::string_view>;
  {
    detail::execute(s, std::move(op), opts)
  } -> std::same_as<asio::awaitable<result<typename Op::result_type>>>;
};

template <operation... Ops>
struct op_list {
  static constexpr std::size_t size = sizeof...(Ops);
  static constexpr std::array<std::string_view, size> ids{Ops::operation_id...};
};

// clang-format off
using all_operations = op_list<
  // containers.hpp
  op::container_list, op::container_create, op::container_inspect, op::container_top, op::container_logs,
  op::container_changes, op::container_export, op::container_stats, op::container_stats_stream,
  op::container_resize, op::container_start, op::container_stop, op::container_restart, op::container_kill,
  op::container_update, op::container_rename, op::container_pause, op::container_unpause, op::container_attach,
  op::container_attach_websocket, op::container_wait, op::container_delete, op::container_archive_info,
  op::container_archive, op::put_container_archive, op::container_prune,
  // exec.hpp
  op::container_exec, op::exec_start, op::exec_start_detached, op::exec_resize, op::exec_inspect,
  // images.hpp
  op::image_list, op::image_create_pull, op::image_create_import, op::image_inspect, op::image_history,
  op::image_push, op::image_tag, op::image_delete, op::image_search, op::image_prune, op::image_commit, op::image_get,
  op::image_get_all, op::image_load, op::distribution_inspect, op::image_attestations, op::image_build, op::build_prune,
  // networks.hpp
  op::network_list, op::network_inspect, op::network_create, op::network_connect, op::network_disconnect,
  op::network_delete, op::network_prune,
  // volumes.hpp
  op::volume_list, op::volume_create, op::volume_inspect, op::volume_update, op::volume_delete, op::volume_prune,
  // system.hpp
  op::system_ping, op::system_ping_head, op::system_version, op::system_info, op::system_data_usage,
  op::system_events, op::system_auth,
  // swarm.hpp
  op::swarm_init, op::swarm_join, op::swarm_leave, op::swarm_update, op::swarm_unlockkey, op::swarm_unlock,
  op::swarm_inspect, op::node_list, op::node_inspect, op::node_delete, op::node_update, op::service_list,
  op::service_create, op::service_inspect, op::service_delete, op::service_update, op::service_logs, op::task_list,
  op::task_inspect, op::task_logs, op::secret_list, op::secret_create, op::secret_inspect, op::secret_delete,
  op::secret_update, op::config_list, op::config_create, op::config_inspect, op::config_delete, op::config_update,
  op::session,
  // plugins.hpp
  op::plugin_list, op::get_plugin_privileges, op::plugin_pull, op::plugin_inspect, op::plugin_delete,
  op::plugin_enable, op::plugin_disable, op::plugin_upgrade, op::plugin_create, op::plugin_push, op::plugin_set>;
// clang-format on

struct unique_ids {
  std::array<std::string_view, all_operations::size> ids{};
  std::size_t count = 0;
};

constexpr unique_ids make_unique_ids() {
  unique_ids u;
  u.ids = all_operations::ids;
  std::sort(u.ids.begin(), u.ids.end());
  u.count = static_cast<std::size_t>(std::unique(u.ids.begin(), u.ids.end()) - u.ids.begin());
  return u;
}

constexpr unique_ids op_registry = make_unique_ids();

}  // namespace

std::span<const std::string_view> implemented_operation_ids() noexcept {
  return {op_registry.ids.data(), op_registry.count};
}

}  // namespace berth::engine
