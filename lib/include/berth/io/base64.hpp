// Base64 (RFC 4648), standard and URL-safe alphabets: registry credentials
// (X-Registry-Auth), HTTP Basic authorization, headers the Docker daemon encodes.
// Plain functions; nothing is allocated beyond the result.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "berth/core/export.hpp"

namespace berth::io {

/// Decodes standard or URL-safe base64, with or without padding; nullopt when malformed.
BERTH_API std::optional<std::string> base64_decode(std::string_view in);
/// Encodes with the standard alphabet and padding.
BERTH_API std::string base64_encode(std::string_view in);
/// Encodes with the URL-safe alphabet and padding (what X-Registry-Auth needs).
BERTH_API std::string base64url_encode(std::string_view in);

}  // namespace berth::io
