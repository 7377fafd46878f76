// Private helpers shared by context.cpp and auth.cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "berth/core/result.hpp"
#include "berth/net/endpoint.hpp"

namespace berth::config::detail {

/// getenv through the injected lookup, or the process environment when it is empty.
std::optional<std::string> env_get(const net::env_lookup& getenv, std::string_view name);
/// A file's contents; an empty optional when it does not exist; bad_config when unreadable.
result<std::optional<std::string>> read_file(const std::string& path);

}  // namespace berth::config::detail
