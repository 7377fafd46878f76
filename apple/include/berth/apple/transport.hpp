// The transport seam of the apple layer: "send this message to that Mach service, get the
// reply or a connection error". libxpc implements it on macOS (make_xpc_transport); tests
// use an in-process fake apiserver behind the same interface.
//
// A transport completes through a callback, called exactly once per send, on any thread
// (libxpc calls back on libdispatch's threads), possibly before send returns. The clients
// (berth/apple/client.hpp) turn that into berth's async, error_code and throwing forms,
// with per-route deadlines: a route the service does not know gets no reply at all, so
// only a deadline or cancel() ends such a call. No Asio here, so that the libxpc
// translation unit can include it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "berth/apple/message.hpp"
#include "berth/core/export.hpp"
#include "berth/core/result.hpp"

namespace berth::apple {

/// The two Mach services a client talks to.
enum class service {
  apiserver,  ///< com.apple.container.apiserver: containers, processes, kernel, networks, volumes
  images,     ///< com.apple.container.core.container-core-images: images, snapshots, content
};

/// "com.apple.container.apiserver" or "com.apple.container.core.container-core-images".
BERTH_API std::string_view mach_service_name(service s) noexcept;

/// The completion of transport::send: the reply, or a connection error (the message is then
/// empty). An in-band error reply is a reply: ec is clear.
using reply_callback = std::function<void(std::error_code, message)>;

/// How one message is sent.
struct send_options {
  /// Send on a connection of its own, cancelled (closed) with the call; for calls that
  /// block for long (containerWait, image pulls).
  bool dedicated_connection = false;
};

/// One way of reaching the two services. Thread-safe. Destroying it completes every
/// outstanding call with xpc_errc::connection_invalid.
class BERTH_API transport {
 public:
  using call_id = std::uint64_t;
  virtual ~transport();

  /// Sends request (which carries its route key) to svc; done is called exactly once, on any
  /// thread, possibly before send returns. Failures: berth::errc::invalid_argument
  /// (validate_for_xpc failed; nothing sent), xpc_errc::connection_invalid,
  /// xpc_errc::connection_interrupted, xpc_errc::bad_reply (the reply is not a dictionary),
  /// berth::errc::cancelled (after cancel()). A route the service does not know may get no
  /// reply at all: done then waits for cancel() or the transport's destruction.
  virtual call_id send(service svc, message request, send_options opts, reply_callback done) = 0;

  /// Gives up on a call: its done runs with berth::errc::cancelled unless it already ran (a
  /// late reply is dropped, and the fds it carries are closed). A dedicated connection is
  /// cancelled; the daemon may still carry the request out.
  virtual void cancel(call_id id) noexcept = 0;
};

/// Settings of the libxpc transport.
struct xpc_transport_options {
  std::string apiserver_service{"com.apple.container.apiserver"};
  std::string images_service{"com.apple.container.core.container-core-images"};
  /// A shared connection is replaced after this many of its calls were abandoned (cancelled
  /// or timed out while their reply might still come); berth policy.
  std::size_t max_abandoned_replies = 16;
};

/// The libxpc transport (macOS builds with BERTH_HAVE_APPLE_XPC). Elsewhere it fails with
/// berth::errc::unsupported.
BERTH_API result<std::shared_ptr<transport>> make_xpc_transport(xpc_transport_options opts = {});

}  // namespace berth::apple
