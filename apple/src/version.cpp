// apiServerVersion parsing, capabilities, and signal strings.
#include <array>
#include <cctype>
#include <charconv>

#include "berth/apple/error.hpp"
#include "berth/apple/signal.hpp"
#include "berth/apple/version.hpp"

namespace berth::apple {
namespace {

bool read_number(std::string_view& s, std::uint32_t& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  if (r.ec != std::errc{} || r.ptr == s.data()) return false;
  s.remove_prefix(static_cast<std::size_t>(r.ptr - s.data()));
  return true;
}

// The value of "key: value" inside the parenthesised tail, up to ',' or ')'.
std::string field(std::string_view tail, std::string_view key) {
  const auto at = tail.find(key);
  if (at == std::string_view::npos) return {};
  std::string_view v = tail.substr(at + key.size());
  const auto end = v.find_first_of(",)");
  v = v.substr(0, end);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  return std::string(v);
}

// Linux signal names, by number (index 0 unused).
constexpr std::array<std::string_view, 32> signal_names = {
    "",     "HUP",  "INT",  "QUIT", "ILL",    "TRAP", "ABRT", "BUS",  "FPE",  "KILL",   "USR1",
    "SEGV", "USR2", "PIPE", "ALRM", "TERM",   "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN",
    "TTOU", "URG",  "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO",  "PWR",  "SYS"};

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) != static_cast<unsigned char>(b[i])) return false;
  return true;
}

}  // namespace

result<apiserver_version> parse_apiserver_version(std::string_view s) {
  const auto at = s.find("version ");
  if (at == std::string_view::npos) return unexpected(berth::errc::invalid_argument);
  std::string_view rest = s.substr(at + 8);
  apiserver_version v;
  if (!read_number(rest, v.major) || rest.empty() || rest.front() != '.') return unexpected(berth::errc::invalid_argument);
  rest.remove_prefix(1);
  if (!read_number(rest, v.minor) || rest.empty() || rest.front() != '.') return unexpected(berth::errc::invalid_argument);
  rest.remove_prefix(1);
  if (!read_number(rest, v.patch)) return unexpected(berth::errc::invalid_argument);
  const auto open = rest.find('(');
  if (open != std::string_view::npos) {
    const std::string_view tail = rest.substr(open);
    v.build = field(tail, "build:");
    v.commit = field(tail, "commit:");
  }
  return v;
}

result<capabilities> capabilities_of(const system_info& info) {
  auto v = parse_apiserver_version(info.api_server_version);
  if (!v || v->major < 1) return unexpected(xpc_errc::unsupported_version);
  capabilities c;
  c.version = *v;
  c.tested_range = v->major == 1 && v->minor <= 3;
  c.copy_routes = true;
  c.kernel_digest = v->major > 1 || v->minor >= 2;
  c.masked_readonly_paths = c.kernel_digest;
  return c;
}

result<int> parse_signal(std::string_view s) {
  if (s.empty()) return unexpected(berth::errc::invalid_argument);
  if (std::isdigit(static_cast<unsigned char>(s.front()))) {
    int n = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), n);
    if (r.ec != std::errc{} || r.ptr != s.data() + s.size() || n < 1 || n > 64)
      return unexpected(berth::errc::invalid_argument);
    return n;
  }
  if (s.size() > 3 && iequal(s.substr(0, 3), "SIG")) s.remove_prefix(3);
  for (std::size_t n = 1; n < signal_names.size(); ++n)
    if (iequal(s, signal_names[n])) return static_cast<int>(n);
  return unexpected(berth::errc::invalid_argument);
}

std::string signal_name(int n) {
  if (n >= 1 && n < static_cast<int>(signal_names.size())) return "SIG" + std::string(signal_names[n]);
  return std::to_string(n);
}

}  // namespace berth::apple
