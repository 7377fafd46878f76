// Private: the portable transport over any link_driver (libxpc, the fake, test doubles).
//
// One shared connection per service for ordinary calls (several requests may be in flight
// on one connection: the daemon handles each message in its own task), reopened once it
// went invalid; a connection of its own for each dedicated call, cancelled with it.
// Completions are exactly once: the reply, a connection error, or berth::errc::cancelled
// after cancel(). A shared connection holding more than max_abandoned_replies abandoned
// calls (cancelled or timed out while a reply may still come) is retired: new calls get a
// new one, and the old one is cancelled once its last live call completed, which lets
// libxpc free the abandoned reply handlers. No retries: a create or a kill must not run twice.
#pragma once

#include <memory>

#include "berth/apple/transport.hpp"
#include "xpc/link.hpp"

namespace berth::apple::detail {

std::shared_ptr<transport> make_pool_transport(std::shared_ptr<link_driver> driver, xpc_transport_options opts);

}  // namespace berth::apple::detail
