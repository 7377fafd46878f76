// Private: the RapidJSON document reader shared by the payload codecs (json.cpp) and the
// error-reply parser (error.cpp): UTF-8 validated, at most max_depth levels deep, numbers
// converted exactly by std::from_chars (RapidJSON 1.1.0's own full-precision conversion
// reads out of bounds on some inputs).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace berth::apple::json_detail {

inline constexpr std::size_t max_depth = 256;

/// Parses json into doc; false when it is not valid UTF-8 JSON or nests deeper than max_depth.
bool parse_document(std::string_view json, rapidjson::Document& doc);

/// The compact JSON text of v (used for raw_json).
std::string serialise(const rapidjson::Value& v);

}  // namespace berth::apple::json_detail
