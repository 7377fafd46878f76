// System operations: ping, version, info, data usage, events, auth.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <asio/awaitable.hpp>

#include "berth/core/call_options.hpp"
#include "berth/core/result.hpp"
#include "berth/engine/api_version.hpp"

namespace berth::engine {

namespace detail {
struct state;
}

/// What a daemon's ping says about it (from the response headers).
struct ping_result {
  api_version api{};                  ///< Api-Version: the daemon's newest API version.
  std::string os_type{};                ///< Ostype: "linux" or "windows".
  bool experimental = false;          ///< Docker-Experimental.
  std::string builder_version{};        ///< Builder-Version: "1" (classic) or "2" (BuildKit).
  std::optional<std::string> swarm{};   ///< Swarm: "inactive", "pending", "active/worker", ...
  std::string cache_control{};          ///< Cache-Control as sent.
};

namespace op {

/// GET /_ping. Unversioned: it works before negotiation and is what negotiation uses.
struct system_ping {
  using result_type = ping_result;
  static constexpr std::string_view operation_id = "SystemPing";
};

/// HEAD /_ping: the same headers without a body. Falls back to GET when a proxy refuses
/// HEAD (405).
struct system_ping_head {
  using result_type = ping_result;
  static constexpr std::string_view operation_id = "SystemPingHead";
};

}  // namespace op

namespace detail {
asio::awaitable<result<ping_result>> execute(std::shared_ptr<state> s, op::system_ping op,
                                             call_options opts);
asio::awaitable<result<ping_result>> execute(std::shared_ptr<state> s, op::system_ping_head op,
                                             call_options opts);
}  // namespace detail

}  // namespace berth::engine
