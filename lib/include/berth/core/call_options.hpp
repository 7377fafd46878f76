// Options every engine operation accepts beside its own parameters.
#pragma once

#include "berth/core/error.hpp"
#include "berth/core/timeouts.hpp"

namespace berth {

/// Per-call settings: deadlines, and where to put the peer's diagnostics.
struct call_options {
  /// Deadlines for this call; unset fields take the client's defaults.
  berth::timeouts timeouts{};
  /// When set, receives the daemon's status, message and request id on failure (and is
  /// cleared on success). Written before the completion handler runs.
  berth::diagnostics* diag = nullptr;
};

}  // namespace berth
