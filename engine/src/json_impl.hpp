// Private: the compiled cores of the templates of berth/engine/json.hpp. Each generated
// models_json_<n>.cpp includes this and instantiates them for its own structs
// (BERTH_ENGINE_INSTANTIATE_JSON).
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <rapidjson/document.h>

#include "berth/engine/json.hpp"
#include "models_json.hpp"

namespace berth::engine::json_detail {

template <class T>
std::error_code parse_into(std::string_view json, T& out, std::string* missing_path) {
  rapidjson::Document doc;
  if (!parse_document(json, doc)) return json_error::bad_json;
  read_ctx cx;
  if (read(doc, out, cx)) return {};
  if (cx.missing.empty()) return json_error::not_an_object;
  if (missing_path) *missing_path = std::move(cx.missing);
  return json_error::missing_field;
}

template <class T>
std::error_code parse_array_into(std::string_view json, std::vector<T>& out,
                                 std::string* missing_path) {
  rapidjson::Document doc;
  if (!parse_document(json, doc)) return json_error::bad_json;
  read_ctx cx;
  if (read(doc, out, cx)) return {};
  if (cx.missing.empty()) return json_error::not_an_array;
  if (missing_path) *missing_path = std::move(cx.missing);
  return json_error::missing_field;
}

template <class T>
std::error_code to_json_into(const T& value, api_version version, std::string& out) {
  if (!first_unsupported(value, version).empty()) return json_error::field_unsupported;
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  if (!write(w, value)) return json_error::invalid_value;
  out.assign(sb.GetString(), sb.GetSize());
  return {};
}

template <class T>
std::string first_unsupported_path(const T& value, api_version version) {
  return first_unsupported(value, version);
}

}  // namespace berth::engine::json_detail

/// Explicitly instantiates the compiled cores of the json.hpp templates for model T
/// (inside namespace berth::engine::json_detail).
#define BERTH_ENGINE_INSTANTIATE_JSON(T)                                                  \
  template std::error_code parse_into<T>(std::string_view, T&, std::string*);               \
  template std::error_code parse_array_into<T>(std::string_view, std::vector<T>&, std::string*); \
  template std::error_code to_json_into<T>(const T&, api_version, std::string&);            \
  template std::string first_unsupported_path<T>(const T&, api_version);
