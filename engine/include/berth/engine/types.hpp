// Small types shared by the engine operations.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace berth::engine {

/// The result of operations that return nothing but success.
struct empty {};

/// Docker's filters parameter: key -> accepted values, e.g. {"label", {"a=b"}}.
using filters = std::map<std::string, std::vector<std::string>>;

}  // namespace berth::engine
