// HTTP header fields: an ordered list of (name, value) with case-insensitive lookup.
// A plain value type; nothing here does I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/core/export.hpp"

namespace berth::http {

/// ASCII case-insensitive equality, for header names and tokens.
BERTH_API bool iequals(std::string_view a, std::string_view b) noexcept;

/// An ordered collection of header fields; names compare case-insensitively.
class BERTH_API fields {
 public:
  using value_type = std::pair<std::string, std::string>;
  using const_iterator = std::vector<value_type>::const_iterator;

  /// Appends a field (duplicates allowed).
  void add(std::string name, std::string value);
  /// Replaces every field named name by one field.
  void set(std::string name, std::string value);
  /// Removes every field named name.
  void erase(std::string_view name);
  /// Makes room for n fields without reallocating.
  void reserve(std::size_t n) { list_.reserve(n); }
  /// The first value of name.
  std::optional<std::string_view> find(std::string_view name) const;
  /// True when name is present and one of its comma-separated tokens equals token
  /// (case-insensitive), e.g. contains_token("Connection", "close").
  bool contains_token(std::string_view name, std::string_view token) const;

  const_iterator begin() const noexcept { return list_.begin(); }
  const_iterator end() const noexcept { return list_.end(); }
  std::size_t size() const noexcept { return list_.size(); }
  bool empty() const noexcept { return list_.empty(); }
  void clear() noexcept { list_.clear(); }

 private:
  std::vector<value_type> list_;
};

}  // namespace berth::http
