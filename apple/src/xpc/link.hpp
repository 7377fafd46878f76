// Private, standard library only: the libxpc-shaped seam under the pool transport. A link
// is one XPC connection to one Mach service; a link_driver opens them. libxpc_link.cpp
// implements it on macOS, the fake apiserver and the scripted test driver elsewhere.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "berth/apple/message.hpp"

namespace berth::apple::detail {

/// What a reply handler received.
enum class link_status {
  reply,             ///< a dictionary
  interrupted,       ///< XPC_ERROR_CONNECTION_INTERRUPTED (the connection stays usable)
  invalid,           ///< XPC_ERROR_CONNECTION_INVALID (the connection is dead, or was cancelled)
  not_a_dictionary,  ///< some other object
};

struct link_result {
  link_status status = link_status::reply;
  message reply{};
  std::string description{};  ///< XPC_ERROR_KEY_DESCRIPTION of an error object, if any
};

/// One XPC connection. send() calls cb exactly once, on any thread, possibly before it
/// returns; or, for a request that gets no reply, not until cancel() or the link's
/// destruction (then with `invalid`). A link may be destroyed from within one of its own
/// callbacks.
class link {
 public:
  virtual ~link();
  virtual void send(const message& m, std::function<void(link_result)> cb) = 0;
  /// xpc_connection_cancel: every pending callback runs with `invalid`.
  virtual void cancel() noexcept = 0;
  /// True once the connection saw CONNECTION_INVALID (or was cancelled): useless from then on.
  virtual bool invalid() const noexcept = 0;
};

/// Opens links; nullptr when it cannot (treated as `invalid`).
class link_driver {
 public:
  virtual ~link_driver();
  virtual std::shared_ptr<link> open(std::string_view mach_service) = 0;
};

/// The libxpc driver (libxpc_link.cpp; macOS builds with BERTH_HAVE_APPLE_XPC only).
std::shared_ptr<link_driver> make_libxpc_driver();

}  // namespace berth::apple::detail
