#include "berth/engine/json.hpp"

#include <string>

#include <rapidjson/document.h>

#include "models_json.hpp"

namespace berth::engine {
namespace {

class json_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "berth.engine.json"; }
  std::string message(int ev) const override {
    switch (static_cast<json_error>(ev)) {
      case json_error::bad_json: return "malformed JSON";
      case json_error::not_an_object: return "JSON value is not an object";
      case json_error::not_an_array: return "JSON value is not an array";
      case json_error::field_unsupported: return "a field is not supported by the API version";
      case json_error::invalid_value: return "a value cannot be written as JSON";
    }
    return "unknown berth.engine.json error";
  }
};

constexpr unsigned parse_flags = rapidjson::kParseFullPrecisionFlag;

// Parses json into doc; false when it is not one well-formed JSON value of sane depth.
bool parse_document(std::string_view json, rapidjson::Document& doc) {
  if (json_detail::json_depth(json, json_detail::max_depth) > json_detail::max_depth) return false;
  doc.Parse<parse_flags>(json.data(), json.size());
  return !doc.HasParseError();
}

}  // namespace

const std::error_category& json_category() noexcept {
  static const json_category_impl cat;
  return cat;
}

template <model T>
result<T> parse(std::string_view json) {
  rapidjson::Document doc;
  if (!parse_document(json, doc)) return unexpected(json_error::bad_json);
  T out{};
  if (!json_detail::read(doc, out)) return unexpected(json_error::not_an_object);
  return out;
}

template <model T>
result<std::vector<T>> parse_array(std::string_view json) {
  rapidjson::Document doc;
  if (!parse_document(json, doc)) return unexpected(json_error::bad_json);
  std::vector<T> out;
  if (!json_detail::read(doc, out)) return unexpected(json_error::not_an_array);
  return out;
}

template <model T>
result<std::string> to_json(const T& value, api_version version) {
  if (!json_detail::first_unsupported(value, version).empty())
    return unexpected(json_error::field_unsupported);
  rapidjson::StringBuffer sb;
  json_detail::json_writer w(sb);
  if (!json_detail::write(w, value)) return unexpected(json_error::invalid_value);
  return std::string(sb.GetString(), sb.GetSize());
}

template <model T>
std::string first_unsupported_field(const T& value, api_version version) {
  return json_detail::first_unsupported(value, version);
}

#define BERTH_ENGINE_INSTANTIATE(T)                                                   \
  template result<T> parse<T>(std::string_view);                                      \
  template result<std::vector<T>> parse_array<T>(std::string_view);                   \
  template result<std::string> to_json<T>(const T&, api_version);                     \
  template std::string first_unsupported_field<T>(const T&, api_version);
BERTH_ENGINE_FOR_EACH_MODEL(BERTH_ENGINE_INSTANTIATE)
#undef BERTH_ENGINE_INSTANTIATE

}  // namespace berth::engine
