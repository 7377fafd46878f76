// The few protobuf wire-format pieces runtime options need: varints, tags,
// length-delimited fields. Fields are written in field-number order, as protobuf's own
// serializers do, so the bytes match theirs exactly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace berth::kata::wire {

enum class wire_type : std::uint32_t { varint = 0, length_delimited = 2 };

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline void put_tag(std::string& out, std::uint32_t field, wire_type t) {
  put_varint(out, (static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint32_t>(t));
}

/// A string / bytes / embedded message field; proto3 omits an empty one.
inline void put_bytes(std::string& out, std::uint32_t field, std::string_view v) {
  if (v.empty()) return;
  put_tag(out, field, wire_type::length_delimited);
  put_varint(out, v.size());
  out.append(v);
}

/// An embedded message field that is present even when empty (a set sub-message).
inline void put_message(std::string& out, std::uint32_t field, std::string_view bytes) {
  put_tag(out, field, wire_type::length_delimited);
  put_varint(out, bytes.size());
  out.append(bytes);
}

/// A bool field; proto3 omits false.
inline void put_bool(std::string& out, std::uint32_t field, bool v) {
  if (!v) return;
  put_tag(out, field, wire_type::varint);
  put_varint(out, 1);
}

}  // namespace berth::kata::wire
