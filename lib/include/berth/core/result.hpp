// berth::result<T>: the subset of std::expected<T, std::error_code> berth needs
// (libstdc++ 12 has no <expected>).
#pragma once

#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "berth/core/error.hpp"
#include "berth/core/export.hpp"

namespace berth {

/// Wraps an error_code so that result<T> can be built from it unambiguously.
struct BERTH_API unexpected {
  std::error_code code;
  explicit unexpected(std::error_code ec) : code(ec) {}
  template <class E, class = std::enable_if_t<std::is_error_code_enum_v<E>>>
  explicit unexpected(E e) : code(make_error_code(e)) {}
};

/// A value or an error_code. Default-constructed, it holds a value-initialised T.
template <class T>
class [[nodiscard]] result {
 public:
  using value_type = T;

  result() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
  result(const T& v) : v_(std::in_place_index<0>, v) {}
  result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}
  result(unexpected u) : v_(std::in_place_index<1>, u.code) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; throws berth::error when this holds an error.
  T& value() & {
    check();
    return std::get<0>(v_);
  }
  const T& value() const& {
    check();
    return std::get<0>(v_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(v_));
  }

  T& operator*() & noexcept { return *std::get_if<0>(&v_); }
  const T& operator*() const& noexcept { return *std::get_if<0>(&v_); }
  T&& operator*() && noexcept { return std::move(*std::get_if<0>(&v_)); }
  T* operator->() noexcept { return std::get_if<0>(&v_); }
  const T* operator->() const noexcept { return std::get_if<0>(&v_); }

  /// The error; a default (success) error_code when this holds a value.
  std::error_code error() const noexcept {
    if (auto* e = std::get_if<1>(&v_)) return *e;
    return {};
  }

  template <class U>
  T value_or(U&& other) const& {
    return has_value() ? **this : static_cast<T>(std::forward<U>(other));
  }

 private:
  void check() const {
    if (!has_value()) throw berth::error(std::get<1>(v_));
  }
  std::variant<T, std::error_code> v_;
};

/// result<void>: success or an error_code.
template <>
class [[nodiscard]] result<void> {
 public:
  using value_type = void;
  result() = default;
  result(unexpected u) : ec_(u.code) {}
  bool has_value() const noexcept { return !ec_; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (ec_) throw berth::error(ec_);
  }
  std::error_code error() const noexcept { return ec_; }

 private:
  std::error_code ec_;
};

}  // namespace berth
