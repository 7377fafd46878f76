// Small types shared by the engine operations (empty results, stream identifiers,
// filters). Plain values; nothing here does I/O.
#pragma once

#include <map>
#include <string>
#include <vector>
#include "berth/core/export.hpp"

namespace berth::engine {

/// The result of operations that return nothing but success.
struct BERTH_API empty {};

/// Docker's filters parameter: key -> accepted values, e.g. {"label", {"a=b"}}.
using filters = std::map<std::string, std::vector<std::string>>;

}  // namespace berth::engine
