// Parsing and serialising the Docker Engine API models (berth/engine/models.hpp).
//
// The functions are thin inline templates over a core compiled once inside the library
// (explicitly instantiated for every model): including this header costs no JSON library.
//
//   auto info = berth::engine::parse<berth::engine::system_info>(body);
//   if (!info) return info.error();
//   berth::engine::container_create_body create;
//   create.image = "alpine:3.20";
//   create.cmd = std::vector<std::string>{"true"};
//   auto json = berth::engine::to_json(create, negotiated_version);
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "berth/core/export.hpp"
#include "berth/core/result.hpp"
#include "berth/engine/api_version.hpp"
#include "berth/engine/models.hpp"

namespace berth::engine {

/// Errors of the model parser and serialiser.
enum class json_error {
  bad_json = 1,       ///< The text is not JSON (or is nested deeper than 256 levels).
  not_an_object,      ///< The JSON value is not an object where a model was expected.
  not_an_array,       ///< The JSON value is not an array where a list of models was expected.
  field_unsupported,  ///< A set field is newer than the target API version (see first_unsupported_field).
  invalid_value,      ///< A value cannot be written as JSON: a non-finite double or an invalid json_value.
  missing_field,      ///< A field the spec requires is absent, or not of its JSON type (see parse).
};

/// The category of berth::engine::json_error, named "berth.engine.json".
BERTH_API const std::error_category& json_category() noexcept;

/// Makes berth::engine::json_error usable as a std::error_code.
inline std::error_code make_error_code(json_error e) noexcept {
  return {static_cast<int>(e), json_category()};
}

/// A struct of berth/engine/models.hpp.
template <class T>
concept model = is_model<T>;

namespace json_detail {
// The compiled cores of the templates below, explicitly instantiated inside the library
// for every model: user code only instantiates the thin inline wrappers.
// On json_error::missing_field, *missing_path (when not null) is the field's JSON path.
template <class T>
BERTH_API std::error_code parse_into(std::string_view json, T& out, std::string* missing_path);
template <class T>
BERTH_API std::error_code parse_array_into(std::string_view json, std::vector<T>& out,
                                           std::string* missing_path);
template <class T>
BERTH_API std::error_code to_json_into(const T& value, api_version version, std::string& out);
template <class T>
BERTH_API std::string first_unsupported_path(const T& value, api_version version);
}  // namespace json_detail

/// Parses one JSON object into T.
///
/// Member names match as Go's encoding/json matches them: exactly, else ASCII
/// case-insensitively ("ID" fills Id; an exact spelling wins over another one whatever the
/// order). Unknown members are ignored. An optional field stays unset when its member is
/// absent, null, or of a JSON type the spec does not give it. A plain field (one the spec
/// requires in the daemon's answers, "Always in the daemon's answer.") takes its
/// value-initialised default from a null; when its member is absent or of another JSON type,
/// at any depth (also inside optional fields and array elements), parsing fails with
/// json_error::missing_field. Fails also with json_error::bad_json or
/// json_error::not_an_object.
template <model T>
result<T> parse(std::string_view json) {
  result<T> out;
  if (auto ec = json_detail::parse_into(json, *out, nullptr)) return unexpected(ec);
  return out;
}

/// parse(json), and on json_error::missing_field the JSON path of the first such field in
/// missing_path, e.g. "Config.Args.Name" or "Mounts[0].Type" (JSON names; map entries as
/// .key). missing_path is left alone otherwise.
template <model T>
result<T> parse(std::string_view json, std::string& missing_path) {
  result<T> out;
  if (auto ec = json_detail::parse_into(json, *out, &missing_path)) return unexpected(ec);
  return out;
}

/// Parses a JSON array of objects (a list response such as GET /containers/json).
///
/// Elements that are not objects are skipped; an element lacking a required field fails
/// the whole array with json_error::missing_field (see parse). Fails also with
/// json_error::bad_json or json_error::not_an_array.
template <model T>
result<std::vector<T>> parse_array(std::string_view json) {
  result<std::vector<T>> out;
  if (auto ec = json_detail::parse_array_into(json, *out, nullptr)) return unexpected(ec);
  return out;
}

/// parse_array(json), and on json_error::missing_field the JSON path of the first such
/// field in missing_path, e.g. "[3].Id".
template <model T>
result<std::vector<T>> parse_array(std::string_view json, std::string& missing_path) {
  result<std::vector<T>> out;
  if (auto ec = json_detail::parse_array_into(json, *out, &missing_path)) return unexpected(ec);
  return out;
}

/// Serialises value as a compact JSON object holding its set optional fields and all its
/// plain fields.
///
/// Fails with json_error::field_unsupported when a set field (at any depth) needs a newer
/// API than version, and with json_error::invalid_value when a double is not finite or a
/// json_value does not hold valid JSON.
template <model T>
result<std::string> to_json(const T& value, api_version version = max_api_version) {
  std::string out;
  if (auto ec = json_detail::to_json_into(value, version, out)) return unexpected(ec);
  return out;
}

/// The path of the first set field of value that needs a newer API than version, e.g.
/// "HostConfig.Mounts[0].BindOptions.ReadOnlyNonRecursive" (JSON names; map entries as
/// .key); empty when every set field is supported.
template <model T>
std::string first_unsupported_field(const T& value, api_version version) {
  return json_detail::first_unsupported_path(value, version);
}

}  // namespace berth::engine

/// \cond
template <>
struct std::is_error_code_enum<berth::engine::json_error> : std::true_type {};
/// \endcond
