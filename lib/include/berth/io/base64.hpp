// Base64 (RFC 4648), standard and URL-safe alphabets. Private to berth.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::engine::detail {

/// Decodes standard or URL-safe base64, with or without padding; nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view in);
/// Encodes with the standard alphabet and padding.
std::string base64_encode(std::string_view in);
/// Encodes with the URL-safe alphabet and padding (what X-Registry-Auth needs).
std::string base64url_encode(std::string_view in);

}  // namespace berth::engine::detail
