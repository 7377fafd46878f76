// The XPC message model of the apple layer: a portable value type mirroring the xpc
// dictionaries Apple's `container` services exchange (APPLE.md §1.2 "Value types used").
//
// A request or reply is a dictionary of string keys to values of nine kinds: string, data
// (raw bytes; the JSON payloads travel as data holding UTF-8 JSON, never base64), bool,
// int64, uint64 (distinct: the daemon reads each key with one typed getter), date (int64
// nanoseconds since the Unix epoch), fd, array and dictionary. Everything here is plain
// values and synchronous; nothing completes later. The header uses only the standard
// library and berth/core, so the libxpc translation unit can include it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "berth/core/export.hpp"
#include "berth/core/result.hpp"

namespace berth::apple {

namespace detail {
/// Closes its descriptor when destroyed.
struct BERTH_API fd_holder {
  int fd = -1;
  explicit fd_holder(int f) noexcept : fd(f) {}
  ~fd_holder();
  fd_holder(const fd_holder&) = delete;
  fd_holder& operator=(const fd_holder&) = delete;
};
}  // namespace detail

/// A file descriptor shared by the values (and their copies) holding it; closed with the
/// last one. Equality is identity, as for xpc fd objects.
class BERTH_API shared_fd {
 public:
  shared_fd() noexcept = default;
  /// Takes ownership of fd (a negative fd gives an empty shared_fd).
  static shared_fd adopt(int fd) noexcept;
  /// A shared_fd holding a close-on-exec duplicate of fd; the caller keeps fd.
  static result<shared_fd> dup(int fd);
  /// The descriptor, or -1 when empty.
  int get() const noexcept { return h_ ? h_->fd : -1; }
  explicit operator bool() const noexcept { return h_ != nullptr; }
  /// A new, caller-owned close-on-exec descriptor for the same open file (what xpc_fd_dup
  /// hands a receiver).
  result<int> dup_raw() const;
  friend bool operator==(const shared_fd& a, const shared_fd& b) noexcept { return a.h_ == b.h_; }

 private:
  std::shared_ptr<const detail::fd_holder> h_;
};

/// An xpc date: int64 nanoseconds since the Unix epoch. Only the exitedAt key of the
/// containerWait reply uses it.
struct BERTH_API xpc_date {
  std::int64_t unix_ns = 0;
  std::chrono::system_clock::time_point to_time_point() const noexcept;
  static xpc_date from(std::chrono::system_clock::time_point tp) noexcept;
  friend bool operator==(const xpc_date&, const xpc_date&) = default;
};

/// An xpc data value. For JSON payloads: the raw UTF-8 JSON bytes.
struct bytes {
  std::string value;
  friend bool operator==(const bytes&, const bytes&) = default;
};

/// The kinds a value can hold.
enum class value_kind : std::uint8_t { string, data, boolean, int64, uint64, date, fd, array, dictionary };

/// The name of a kind as the golden files and diagnostics write it ("string", "data",
/// "bool", "int64", "uint64", "date", "fd", "array", "dictionary").
BERTH_API std::string_view kind_name(value_kind k) noexcept;

class value;
class dictionary;
/// An xpc array.
using array = std::vector<value>;

namespace detail {
/// A deep-copying owner of a dictionary (a dictionary holds values, a value may hold a
/// dictionary). Never empty.
class BERTH_API dictionary_box {
 public:
  dictionary_box();
  explicit dictionary_box(dictionary d);
  dictionary_box(const dictionary_box& o);
  dictionary_box(dictionary_box&& o) noexcept;
  dictionary_box& operator=(const dictionary_box& o);
  dictionary_box& operator=(dictionary_box&& o) noexcept;
  ~dictionary_box();
  const dictionary& get() const noexcept { return *p_; }
  dictionary& get() noexcept { return *p_; }

 private:
  std::unique_ptr<dictionary> p_;
};
}  // namespace detail

/// One xpc value of any of the nine kinds.
class BERTH_API value {
 public:
  value(std::string v);
  value(const char* v);
  value(bytes v);
  value(bool v);
  value(std::int64_t v);
  value(std::uint64_t v);
  value(xpc_date v);
  value(shared_fd v);
  value(apple::array v);
  value(dictionary v);
  value(const value&);
  value(value&&) noexcept;
  value& operator=(const value&);
  value& operator=(value&&) noexcept;
  ~value();

  value_kind kind() const noexcept { return static_cast<value_kind>(v_.index()); }

  /// The held value when it is of type T (one of the nine alternatives), else nullptr.
  template <class T>
  const T* get_if() const noexcept {
    if constexpr (std::is_same_v<T, dictionary>) {
      auto* b = std::get_if<detail::dictionary_box>(&v_);
      return b ? &b->get() : nullptr;
    } else {
      return std::get_if<T>(&v_);
    }
  }

  /// Deep equality; fds compare by identity.
  bool operator==(const value& o) const;

 private:
  std::variant<std::string, bytes, bool, std::int64_t, std::uint64_t, xpc_date, shared_fd, apple::array,
               detail::dictionary_box>
      v_;
};

/// An xpc dictionary: one value per key, iterated in byte order of the keys. The setters
/// replace an existing key, as xpc_dictionary_set_* do. The getters return nothing when
/// the key is absent or holds another kind (as xpc_dictionary_get_string and
/// xpc_dictionary_get_data return NULL).
class BERTH_API dictionary {
 public:
  using storage = std::map<std::string, value, std::less<>>;
  using const_iterator = storage::const_iterator;

  void set_string(std::string key, std::string v);
  /// Raw bytes (the JSON text, for payloads).
  void set_data(std::string key, std::string raw);
  void set_bool(std::string key, bool v);
  void set_int64(std::string key, std::int64_t v);
  void set_uint64(std::string key, std::uint64_t v);
  void set_date(std::string key, xpc_date v);
  void set_fd(std::string key, shared_fd v);
  void set_array(std::string key, apple::array v);
  void set_dictionary(std::string key, dictionary v);
  void set(std::string key, value v);
  /// Removes key; false when it was absent.
  bool erase(std::string_view key);

  const value* find(std::string_view key) const noexcept;
  const std::string* get_string(std::string_view key) const noexcept;
  const std::string* get_data(std::string_view key) const noexcept;
  std::optional<bool> get_bool(std::string_view key) const noexcept;
  std::optional<std::int64_t> get_int64(std::string_view key) const noexcept;
  std::optional<std::uint64_t> get_uint64(std::string_view key) const noexcept;
  std::optional<xpc_date> get_date(std::string_view key) const noexcept;
  const shared_fd* get_fd(std::string_view key) const noexcept;
  const apple::array* get_array(std::string_view key) const noexcept;
  const dictionary* get_dictionary(std::string_view key) const noexcept;

  bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  const_iterator begin() const noexcept { return entries_.begin(); }
  const_iterator end() const noexcept { return entries_.end(); }

  /// Deep equality; fds compare by identity.
  bool operator==(const dictionary& o) const;

 private:
  storage entries_;
};

/// A request or a reply.
using message = dictionary;

/// A request for route: a dictionary holding "com.apple.container.xpc.route" = route.
BERTH_API message make_request(std::string_view route);

/// The route of a request; empty when the key is absent or not a string.
BERTH_API std::string_view route_of(const message& m) noexcept;

/// Checks what libxpc cannot carry: a NUL byte inside a key or a string value (both are C
/// strings in libxpc), at any depth, and empty fds. berth::errc::invalid_argument when
/// one is found; every transport calls it before sending.
BERTH_API std::error_code validate_for_xpc(const message& m) noexcept;

/// A deterministic text form, one entry per line as "key kind value", keys in byte
/// order; strings and data are quoted with C escapes, fds print as "fd", arrays as
/// "[...]" of their elements, nested dictionaries as "{...}". For logs and test failures.
BERTH_API std::string dump(const message& m);
/// The value part of one dump line.
BERTH_API std::string dump(const value& v);

}  // namespace berth::apple
