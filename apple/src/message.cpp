// The message value type: fds, values, dictionaries, validation and the text dump.
#include "berth/apple/message.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace berth::apple {

namespace detail {

fd_holder::~fd_holder() {
  if (fd >= 0) ::close(fd);
}

dictionary_box::dictionary_box() : p_(std::make_unique<dictionary>()) {}
dictionary_box::dictionary_box(dictionary d) : p_(std::make_unique<dictionary>(std::move(d))) {}
dictionary_box::dictionary_box(const dictionary_box& o) : p_(std::make_unique<dictionary>(*o.p_)) {}
dictionary_box::dictionary_box(dictionary_box&& o) noexcept : p_(std::move(o.p_)) {
  // o stays usable: a moved-from box holds an empty dictionary again.
  try {
    o.p_ = std::make_unique<dictionary>();
  } catch (...) {
  }
}
dictionary_box& dictionary_box::operator=(const dictionary_box& o) {
  if (this != &o) p_ = std::make_unique<dictionary>(*o.p_);
  return *this;
}
dictionary_box& dictionary_box::operator=(dictionary_box&& o) noexcept {
  std::swap(p_, o.p_);
  return *this;
}
dictionary_box::~dictionary_box() = default;

}  // namespace detail

// ---- shared_fd, xpc_date ----

shared_fd shared_fd::adopt(int fd) noexcept {
  shared_fd s;
  if (fd < 0) return s;
  try {
    s.h_ = std::make_shared<const detail::fd_holder>(fd);
  } catch (...) {
    ::close(fd);
  }
  return s;
}

result<shared_fd> shared_fd::dup(int fd) {
  const int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (d < 0) return unexpected(std::error_code(errno, std::generic_category()));
  return adopt(d);
}

result<int> shared_fd::dup_raw() const {
  if (!h_) return unexpected(berth::errc::invalid_argument);
  const int d = ::fcntl(h_->fd, F_DUPFD_CLOEXEC, 0);
  if (d < 0) return unexpected(std::error_code(errno, std::generic_category()));
  return d;
}

std::chrono::system_clock::time_point xpc_date::to_time_point() const noexcept {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(unix_ns)));
}

xpc_date xpc_date::from(std::chrono::system_clock::time_point tp) noexcept {
  return {std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count()};
}

std::string_view kind_name(value_kind k) noexcept {
  switch (k) {
    case value_kind::string: return "string";
    case value_kind::data: return "data";
    case value_kind::boolean: return "bool";
    case value_kind::int64: return "int64";
    case value_kind::uint64: return "uint64";
    case value_kind::date: return "date";
    case value_kind::fd: return "fd";
    case value_kind::array: return "array";
    case value_kind::dictionary: return "dictionary";
  }
  return "unknown";
}

// ---- value ----

value::value(std::string v) : v_(std::in_place_index<0>, std::move(v)) {}
value::value(const char* v) : v_(std::in_place_index<0>, v) {}
value::value(bytes v) : v_(std::in_place_index<1>, std::move(v)) {}
value::value(bool v) : v_(std::in_place_index<2>, v) {}
value::value(std::int64_t v) : v_(std::in_place_index<3>, v) {}
value::value(std::uint64_t v) : v_(std::in_place_index<4>, v) {}
value::value(xpc_date v) : v_(std::in_place_index<5>, v) {}
value::value(shared_fd v) : v_(std::in_place_index<6>, std::move(v)) {}
value::value(apple::array v) : v_(std::in_place_index<7>, std::move(v)) {}
value::value(dictionary v) : v_(std::in_place_index<8>, std::move(v)) {}
value::value(const value&) = default;
value::value(value&&) noexcept = default;
value& value::operator=(const value&) = default;
value& value::operator=(value&&) noexcept = default;
value::~value() = default;

bool value::operator==(const value& o) const {
  if (v_.index() != o.v_.index()) return false;
  if (auto* d = get_if<dictionary>()) return *d == *o.get_if<dictionary>();
  return std::visit(
      [&](const auto& a) -> bool {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, detail::dictionary_box>) {
          return false;  // handled above
        } else {
          return a == *std::get_if<T>(&o.v_);
        }
      },
      v_);
}

// ---- dictionary ----

void dictionary::set(std::string key, value v) { entries_.insert_or_assign(std::move(key), std::move(v)); }
void dictionary::set_string(std::string key, std::string v) { set(std::move(key), value(std::move(v))); }
void dictionary::set_data(std::string key, std::string raw) { set(std::move(key), value(bytes{std::move(raw)})); }
void dictionary::set_bool(std::string key, bool v) { set(std::move(key), value(v)); }
void dictionary::set_int64(std::string key, std::int64_t v) { set(std::move(key), value(v)); }
void dictionary::set_uint64(std::string key, std::uint64_t v) { set(std::move(key), value(v)); }
void dictionary::set_date(std::string key, xpc_date v) { set(std::move(key), value(v)); }
void dictionary::set_fd(std::string key, shared_fd v) { set(std::move(key), value(std::move(v))); }
void dictionary::set_array(std::string key, apple::array v) { set(std::move(key), value(std::move(v))); }
void dictionary::set_dictionary(std::string key, dictionary v) { set(std::move(key), value(std::move(v))); }

bool dictionary::erase(std::string_view key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

const value* dictionary::find(std::string_view key) const noexcept {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

namespace {
template <class T>
const T* typed(const dictionary& d, std::string_view key) noexcept {
  const value* v = d.find(key);
  return v ? v->get_if<T>() : nullptr;
}
template <class T>
std::optional<T> typed_value(const dictionary& d, std::string_view key) noexcept {
  const T* p = typed<T>(d, key);
  if (!p) return std::nullopt;
  return *p;
}
}  // namespace

const std::string* dictionary::get_string(std::string_view key) const noexcept { return typed<std::string>(*this, key); }
const std::string* dictionary::get_data(std::string_view key) const noexcept {
  const bytes* b = typed<bytes>(*this, key);
  return b ? &b->value : nullptr;
}
std::optional<bool> dictionary::get_bool(std::string_view key) const noexcept { return typed_value<bool>(*this, key); }
std::optional<std::int64_t> dictionary::get_int64(std::string_view key) const noexcept {
  return typed_value<std::int64_t>(*this, key);
}
std::optional<std::uint64_t> dictionary::get_uint64(std::string_view key) const noexcept {
  return typed_value<std::uint64_t>(*this, key);
}
std::optional<xpc_date> dictionary::get_date(std::string_view key) const noexcept {
  return typed_value<xpc_date>(*this, key);
}
const shared_fd* dictionary::get_fd(std::string_view key) const noexcept { return typed<shared_fd>(*this, key); }
const apple::array* dictionary::get_array(std::string_view key) const noexcept { return typed<apple::array>(*this, key); }
const dictionary* dictionary::get_dictionary(std::string_view key) const noexcept {
  return typed<dictionary>(*this, key);
}

bool dictionary::operator==(const dictionary& o) const { return entries_ == o.entries_; }

// ---- helpers ----

message make_request(std::string_view route) {
  message m;
  m.set_string("com.apple.container.xpc.route", std::string(route));
  return m;
}

std::string_view route_of(const message& m) noexcept {
  const std::string* r = m.get_string("com.apple.container.xpc.route");
  return r ? std::string_view(*r) : std::string_view();
}

namespace {

bool valid_value(const value& v) noexcept;

bool valid_dictionary(const dictionary& d) noexcept {
  for (const auto& [k, v] : d) {
    if (k.find('\0') != std::string::npos) return false;
    if (!valid_value(v)) return false;
  }
  return true;
}

bool valid_value(const value& v) noexcept {
  if (auto* s = v.get_if<std::string>()) return s->find('\0') == std::string::npos;
  if (auto* f = v.get_if<shared_fd>()) return static_cast<bool>(*f);
  if (auto* a = v.get_if<apple::array>()) {
    for (const auto& e : *a)
      if (!valid_value(e)) return false;
    return true;
  }
  if (auto* d = v.get_if<dictionary>()) return valid_dictionary(*d);
  return true;
}

void quote(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void dump_value(std::string& out, const value& v) {
  out += kind_name(v.kind());
  out += ' ';
  if (auto* s = v.get_if<std::string>()) {
    quote(out, *s);
  } else if (auto* b = v.get_if<bytes>()) {
    quote(out, b->value);
  } else if (auto* x = v.get_if<bool>()) {
    out += *x ? "true" : "false";
  } else if (auto* i = v.get_if<std::int64_t>()) {
    out += std::to_string(*i);
  } else if (auto* u = v.get_if<std::uint64_t>()) {
    out += std::to_string(*u);
  } else if (auto* d = v.get_if<xpc_date>()) {
    out += std::to_string(d->unix_ns);
  } else if (v.get_if<shared_fd>()) {
    out.pop_back();  // "fd" alone
  } else if (auto* a = v.get_if<apple::array>()) {
    out += '[';
    for (std::size_t n = 0; n < a->size(); ++n) {
      if (n) out += ", ";
      dump_value(out, (*a)[n]);
    }
    out += ']';
  } else if (auto* dd = v.get_if<dictionary>()) {
    out += '{';
    bool first = true;
    for (const auto& [k, e] : *dd) {
      if (!first) out += ", ";
      first = false;
      out += k;
      out += ' ';
      dump_value(out, e);
    }
    out += '}';
  }
}

}  // namespace

std::error_code validate_for_xpc(const message& m) noexcept {
  if (!valid_dictionary(m)) return make_error_code(berth::errc::invalid_argument);
  return {};
}

std::string dump(const value& v) {
  std::string out;
  dump_value(out, v);
  return out;
}

std::string dump(const message& m) {
  std::string out;
  for (const auto& [k, v] : m) {
    out += k;
    out += ' ';
    dump_value(out, v);
    out += '\n';
  }
  return out;
}

}  // namespace berth::apple
