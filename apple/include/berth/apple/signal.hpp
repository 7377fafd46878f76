// Signal strings as the daemon parses them (containerKill's signal key and
// ContainerStopOptions.signal): a name or a number, case-insensitive, the SIG prefix
// optional ("KILL", "sigterm", "15"). Linux numbering: the guest is Linux.
//
// Pure functions; nothing completes later.
#pragma once

#include <string>
#include <string_view>

#include "berth/core/export.hpp"
#include "berth/core/result.hpp"

namespace berth::apple {

/// The signal number of s (1 to 64); berth::errc::invalid_argument otherwise.
BERTH_API result<int> parse_signal(std::string_view s);

/// The canonical string of signal n: "SIGTERM" for named signals (1 to 31), the decimal
/// number for the others.
BERTH_API std::string signal_name(int n);

}  // namespace berth::apple
