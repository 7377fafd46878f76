// The nesting depth of a JSON text, found by a conservative scan before any parser sees it,
// so that readers can refuse documents nested deeper than they accept (a recursive parser
// would otherwise use stack in proportion). Shared by the Engine API and Apple readers.
#pragma once

#include <cstddef>
#include <string_view>

#include "berth/core/export.hpp"

namespace berth::io {

/// The deepest nesting of brackets ('[' and '{') outside strings in s, capped at
/// limit + 1 (the scan stops there). The text need not be valid JSON.
BERTH_API std::size_t json_depth(std::string_view s, std::size_t limit);

}  // namespace berth::io
