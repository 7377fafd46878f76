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

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// For a number std::from_chars found out of range: true when it is too large (rather than
// too small) for a double. t is a JSON number the reader validated.
bool too_large(std::string_view t) {
  std::size_t i = t.front() == '-' ? 1 : 0;
  const std::size_t int_begin = i;
  while (i < t.size() && is_digit(t[i])) ++i;
  std::size_t lead = int_begin;
  while (lead < i && t[lead] == '0') ++lead;
  // The decimal exponent of the first significant digit, plus one.
  long magnitude = static_cast<long>(i - lead);
  if (magnitude == 0 && i < t.size() && t[i] == '.') {
    std::size_t f = i + 1;
    while (f < t.size() && t[f] == '0') ++f;
    magnitude = -static_cast<long>(f - (i + 1));
  }
  const std::size_t e = t.find_first_of("eE");
  if (e != std::string_view::npos) {
    std::size_t at = e + 1;
    const bool negative = at < t.size() && t[at] == '-';
    if (at < t.size() && (t[at] == '-' || t[at] == '+')) ++at;
    long exponent = 0;
    const auto r = std::from_chars(t.data() + at, t.data() + t.size(), exponent);
    if (r.ec == std::errc::result_out_of_range) exponent = std::numeric_limits<long>::max() / 2;
    magnitude = negative ? magnitude - exponent : magnitude + exponent;
  }
  return magnitude > 0;
}

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
    const std::string_view t(s, n);
    const char* end = s + n;
    if (t.find_first_of(".eE") == std::string_view::npos) {
      std::int64_t i = 0;
      auto r = std::from_chars(s, end, i);
      if (r.ec == std::errc{} && r.ptr == end) return h_.Int64(i);
      std::uint64_t u = 0;
      r = std::from_chars(s, end, u);
      if (r.ec == std::errc{} && r.ptr == end) return h_.Uint64(u);
    }
    double d = 0;
    const auto r = std::from_chars(s, end, d);
    if (r.ptr != end) return false;
    if (r.ec == std::errc::result_out_of_range) {
      if (too_large(t)) return false;
      d = t.front() == '-' ? -0.0 : 0.0;
    } else if (r.ec != std::errc{}) {
      return false;
    }
    return h_.Double(d);
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
