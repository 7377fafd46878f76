// System operations: ping, version, info, data usage, events, auth. One op struct per
// operationId, run through engine::client; events come as a pull-driven event_stream.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <asio/awaitable.hpp>

#include "berth/core/async.hpp"
#include "berth/core/call_options.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/engine/api_version.hpp"
#include "berth/engine/models.hpp"
#include "berth/engine/streams.hpp"
#include "berth/engine/types.hpp"

namespace berth::engine {

namespace detail {
struct state;
}

/// What a daemon's ping says about it (from the response headers).
struct BERTH_API ping_result {
  api_version api{};                  ///< Api-Version: the daemon's newest API version.
  std::string os_type{};                ///< Ostype: "linux" or "windows".
  bool experimental = false;          ///< Docker-Experimental.
  std::string builder_version{};        ///< Builder-Version: "1" (classic) or "2" (BuildKit).
  std::optional<std::string> swarm{};   ///< Swarm: "inactive", "pending", "active/worker", ...
  std::string cache_control{};          ///< Cache-Control as sent.
};

/// The daemon's events as typed records: a thin wrapper over record_stream that parses
/// each record into an event_message. Pull-driven like every stream: nothing is read until
/// the caller asks. A stream opened without `until` lasts until closed; with `until` it
/// ends (asio::error::eof) after the last event before that time.
class BERTH_API event_stream {
 public:
  using executor_type = record_stream::executor_type;

  event_stream() = default;
  explicit event_stream(record_stream records) : records_(std::move(records)) {}

  bool is_open() const noexcept { return records_.is_open(); }
  executor_type get_executor() const { return records_.get_executor(); }

  /// The next event. Completion: void(std::error_code, event_message); asio::error::eof
  /// after the last one, engine::error::bad_response for a record that is not an event.
  /// Cancellation: terminal; the stream is closed.
  template <class CompletionToken>
  auto async_next(CompletionToken&& token) {
    return berth::detail::initiate<event_message>(
        get_executor(), [s = records_.state()] { return do_next(s); },
        std::forward<CompletionToken>(token));
  }
  /// The next event, blocking; on failure sets ec and returns an empty event.
  event_message next(std::error_code& ec);
  /// Blocking; throws berth::error on failure, and at the end (asio::error::eof).
  event_message next();

  /// Closes the connection (a pending read completes with an error).
  void close() noexcept { records_.close(); }
  /// The untyped records underneath.
  record_stream& records() noexcept { return records_; }

 private:
  static asio::awaitable<result<event_message>> do_next(std::shared_ptr<detail::record_state> s);
  record_stream records_;
};

namespace op {

/// GET /_ping. Unversioned: it works before negotiation and is what negotiation uses.
struct BERTH_API system_ping {
  using result_type = ping_result;
  static constexpr std::string_view operation_id = "SystemPing";
};

/// HEAD /_ping: the same headers without a body. Falls back to GET when a proxy refuses
/// HEAD (405).
struct BERTH_API system_ping_head {
  using result_type = ping_result;
  static constexpr std::string_view operation_id = "SystemPingHead";
};

/// GET /version: the daemon's version, API range, OS, components.
struct BERTH_API system_version {
  using result_type = engine::system_version;
  static constexpr std::string_view operation_id = "SystemVersion";
};

/// GET /info: system-wide information (registered runtimes, storage driver, swarm state...).
struct BERTH_API system_info {
  using result_type = engine::system_info;
  static constexpr std::string_view operation_id = "SystemInfo";
};

/// GET /system/df: disk usage of images, containers, volumes and build cache. Computing it
/// may take a while: no head deadline applies unless the caller sets one.
struct BERTH_API system_data_usage {
  using result_type = system_data_usage_response;
  static constexpr std::string_view operation_id = "SystemDataUsage";
  /// Object types to compute: container, image, volume, build-cache (API 1.42+; empty:
  /// all).
  std::vector<std::string> types{};
};

/// GET /events as a pull-driven stream of typed events. Without `until` the stream lasts
/// until closed, so no head or idle deadline applies unless the caller sets one.
struct BERTH_API system_events {
  using result_type = event_stream;
  static constexpr std::string_view operation_id = "SystemEvents";
  std::optional<std::string> since{};  ///< UNIX seconds (with fraction) or a Go duration.
  std::optional<std::string> until{};  ///< Same; ends the stream.
  engine::filters filters{};           ///< config, container, daemon, event, image, label,
                                       ///< network, node, plugin, scope, secret, service,
                                       ///< type, volume.
};

/// POST /auth: check registry credentials (docker login). result: Status and, when the
/// registry issues one, an IdentityToken; empty when the daemon answers 204.
struct BERTH_API system_auth {
  using result_type = auth_response;
  static constexpr std::string_view operation_id = "SystemAuth";
  auth_config body{};  ///< username, password, serveraddress.
};

}  // namespace op

namespace detail {
BERTH_API asio::awaitable<result<engine::system_version>> execute(std::shared_ptr<state> s,
                                                        op::system_version op, call_options opts);
BERTH_API asio::awaitable<result<engine::system_info>> execute(std::shared_ptr<state> s, op::system_info op,
                                                     call_options opts);
BERTH_API asio::awaitable<result<system_data_usage_response>> execute(std::shared_ptr<state> s,
                                                            op::system_data_usage op,
                                                            call_options opts);
BERTH_API asio::awaitable<result<event_stream>> execute(std::shared_ptr<state> s, op::system_events op,
                                              call_options opts);
BERTH_API asio::awaitable<result<auth_response>> execute(std::shared_ptr<state> s, op::system_auth op,
                                               call_options opts);
BERTH_API asio::awaitable<result<ping_result>> execute(std::shared_ptr<state> s, op::system_ping op,
                                             call_options opts);
BERTH_API asio::awaitable<result<ping_result>> execute(std::shared_ptr<state> s, op::system_ping_head op,
                                             call_options opts);
}  // namespace detail

}  // namespace berth::engine
