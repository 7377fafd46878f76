// Plugin operations of the Docker Engine API (spec tag "Plugin").
//
// Each struct is one operation, named after its operationId; fields are its parameters.
// Run them with engine::client::run / async_run.
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

/// GET /plugins.
struct BERTH_API plugin_list {
  using result_type = std::vector<plugin>;
  static constexpr std::string_view operation_id = "PluginList";
  engine::filters filters{};  ///< capability, enable.
};

/// GET /plugins/privileges: what a plugin asks for before it is pulled.
struct BERTH_API get_plugin_privileges {
  using result_type = std::vector<plugin_privilege>;
  static constexpr std::string_view operation_id = "GetPluginPrivileges";
  std::string remote{};  ///< The plugin's image reference.
};

/// POST /plugins/pull: pull and install a plugin, granting privileges. result: the pull
/// progress as JSON records (read to eof; a failure comes as an error record). No head
/// deadline applies unless the caller sets one.
struct BERTH_API plugin_pull {
  using result_type = record_stream;
  static constexpr std::string_view operation_id = "PluginPull";
  std::string remote{};                     ///< The plugin's image reference.
  std::optional<std::string> name{};        ///< Local name (default: remote).
  std::vector<plugin_privilege> privileges{};  ///< Those GetPluginPrivileges listed.
  std::string registry_auth{};              ///< X-Registry-Auth; not sent when empty.
};

/// GET /plugins/{name}/json.
struct BERTH_API plugin_inspect {
  using result_type = plugin;
  static constexpr std::string_view operation_id = "PluginInspect";
  std::string name{};
};

/// DELETE /plugins/{name}. result: the removed plugin.
struct BERTH_API plugin_delete {
  using result_type = plugin;
  static constexpr std::string_view operation_id = "PluginDelete";
  std::string name{};
  bool force = false;  ///< Disable it first if enabled.
};

/// POST /plugins/{name}/enable.
struct BERTH_API plugin_enable {
  using result_type = empty;
  static constexpr std::string_view operation_id = "PluginEnable";
  std::string name{};
  std::optional<std::int64_t> timeout{};  ///< Seconds the daemon waits for the plugin.
};

/// POST /plugins/{name}/disable.
struct BERTH_API plugin_disable {
  using result_type = empty;
  static constexpr std::string_view operation_id = "PluginDisable";
  std::string name{};
  bool force = false;
};

/// POST /plugins/{name}/upgrade: replace a (disabled) plugin with another image. result:
/// the pull progress as JSON records.
struct BERTH_API plugin_upgrade {
  using result_type = record_stream;
  static constexpr std::string_view operation_id = "PluginUpgrade";
  std::string name{};
  std::string remote{};
  std::vector<plugin_privilege> privileges{};
  std::string registry_auth{};
};

/// POST /plugins/create: create a plugin from a tar of its rootfs and config.json. The tar
/// is streamed by the caller through the returned writer; finish it with
/// engine::finish_put_archive (or request_writer::finish and engine::check_answer).
struct BERTH_API plugin_create {
  using result_type = http::request_writer;
  static constexpr std::string_view operation_id = "PluginCreate";
  std::string name{};  ///< The new plugin's name (a reference, tag optional).
};

/// POST /plugins/{name}/push. result: the push progress as JSON records.
struct BERTH_API plugin_push {
  using result_type = record_stream;
  static constexpr std::string_view operation_id = "PluginPush";
  std::string name{};
  std::string registry_auth{};  ///< X-Registry-Auth; not sent when empty.
};

/// POST /plugins/{name}/set: configure a (disabled) plugin: "KEY=value", "mount.source=...".
struct BERTH_API plugin_set {
  using result_type = empty;
  static constexpr std::string_view operation_id = "PluginSet";
  std::string name{};
  std::vector<std::string> settings{};
};

}  // namespace op

namespace detail {
#define BERTH_ENGINE_OP(OP) \
  BERTH_API asio::awaitable<result<op::OP::result_type>> execute(std::shared_ptr<state> s, op::OP op, call_options opts);
BERTH_ENGINE_OP(plugin_list)
BERTH_ENGINE_OP(get_plugin_privileges)
BERTH_ENGINE_OP(plugin_pull)
BERTH_ENGINE_OP(plugin_inspect)
BERTH_ENGINE_OP(plugin_delete)
BERTH_ENGINE_OP(plugin_enable)
BERTH_ENGINE_OP(plugin_disable)
BERTH_ENGINE_OP(plugin_upgrade)
BERTH_ENGINE_OP(plugin_create)
BERTH_ENGINE_OP(plugin_push)
BERTH_ENGINE_OP(plugin_set)
#undef BERTH_ENGINE_OP
}  // namespace detail

}  // namespace berth::engine
