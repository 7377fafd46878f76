// The non-template part of berth/engine/json.hpp: the error category and the document
// parser. The templates' cores are in json_impl.hpp, instantiated by the generated
// models_json_<n>.cpp files.
#include "berth/engine/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <system_error>

#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include "berth/io/json_number.hpp"
#include "json_impl.hpp"

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
      case json_error::missing_field:
        return "a field the spec requires is absent, or not of its JSON type";
    }
    return "unknown berth.engine.json error";
  }
};


// Forwards the reader's SAX events to a document, converting numbers itself: the reader
// runs with kParseNumbersAsStringsFlag because RapidJSON 1.1.0's full-precision strtod
// reads out of bounds on inputs such as 0.<400 zeros>1e-20, and its normal precision is not
// correctly rounded. std::from_chars is both safe and exact.
template <class Handler>
class number_converter {
 public:
  explicit number_converter(Handler& h) : h_(h) {}

  bool Null() { return h_.Null(); }
  bool Bool(bool b) { return h_.Bool(b); }
  bool Int(int i) { return h_.Int(i); }
  bool Uint(unsigned u) { return h_.Uint(u); }
  bool Int64(std::int64_t i) { return h_.Int64(i); }
  bool Uint64(std::uint64_t u) { return h_.Uint64(u); }
  bool Double(double d) { return h_.Double(d); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return h_.String(s, n, copy); }
  bool StartObject() { return h_.StartObject(); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return h_.Key(s, n, copy); }
  bool EndObject(rapidjson::SizeType n) { return h_.EndObject(n); }
  bool StartArray() { return h_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return h_.EndArray(n); }

  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    return io::deliver_json_number(std::string_view(s, n), h_);
  }

 private:
  Handler& h_;
};

struct document_generator {
  std::string_view json;
  bool ok = false;

  template <class Handler>
  bool operator()(Handler& h) {
    number_converter<Handler> conv(h);
    rapidjson::MemoryStream ms(json.data(), json.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(ms);
    rapidjson::Reader reader;
    ok = !reader.Parse<rapidjson::kParseNumbersAsStringsFlag>(in, conv).IsError();
    return ok;
  }
};

}  // namespace

const std::error_category& json_category() noexcept {
  static const json_category_impl cat;
  return cat;
}

namespace json_detail {

bool json_writer::Double(double d) {
  if (!std::isfinite(d)) return false;
  char text[32];
  const auto r = std::to_chars(text, text + sizeof text, d);
  if (r.ec != std::errc{}) return false;
  // to_chars writes 1e+23 and 1; JSON readers take both, but 1e23 is shorter and 1.0 keeps
  // the value a double for readers that type numbers by their text.
  std::string out;
  out.reserve(static_cast<std::size_t>(r.ptr - text) + 2);
  bool fraction_or_exponent = false;
  for (const char* p = text; p != r.ptr; ++p) {
    if (*p == '.' || *p == 'e') fraction_or_exponent = true;
    if (*p == '+') continue;
    out.push_back(*p);
  }
  if (!fraction_or_exponent) out += ".0";
  return RawValue(out.data(), out.size(), rapidjson::kNumberType);
}

bool parse_document(std::string_view json, rapidjson::Document& doc) {
  if (json_depth(json, max_depth) > max_depth) return false;
  document_generator g{json};
  doc.Populate(g);
  return g.ok;
}

}  // namespace json_detail
}  // namespace berth::engine
