#include "berth/http/fields.hpp"

#include <algorithm>

namespace berth::http {
namespace {

constexpr unsigned char lower(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c | 0x20) : c;
}

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(static_cast<unsigned char>(a[i])) != lower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

void fields::add(std::string name, std::string value) {
  list_.emplace_back(std::move(name), std::move(value));
}

void fields::set(std::string name, std::string value) {
  // The surviving field keeps the position of the first one it replaces.
  auto first = std::find_if(list_.begin(), list_.end(),
                            [&](const value_type& f) { return iequals(f.first, name); });
  if (first == list_.end()) {
    list_.emplace_back(std::move(name), std::move(value));
    return;
  }
  first->first = std::move(name);
  first->second = std::move(value);
  std::string_view kept = first->first;
  auto tail = std::remove_if(std::next(first), list_.end(),
                             [&](const value_type& f) { return iequals(f.first, kept); });
  list_.erase(tail, list_.end());
}

void fields::erase(std::string_view name) {
  std::erase_if(list_, [&](const value_type& f) { return iequals(f.first, name); });
}

std::optional<std::string_view> fields::find(std::string_view name) const {
  for (const auto& f : list_) {
    if (iequals(f.first, name)) return std::string_view(f.second);
  }
  return std::nullopt;
}

bool fields::contains_token(std::string_view name, std::string_view token) const {
  for (const auto& f : list_) {
    if (!iequals(f.first, name)) continue;
    std::string_view rest = f.second;
    for (;;) {
      const std::size_t comma = rest.find(',');
      if (iequals(trim_ows(rest.substr(0, comma)), token)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

}  // namespace berth::http
