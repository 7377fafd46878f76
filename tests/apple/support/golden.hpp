// Golden fixtures of tests/apple/golden: reading them, comparing JSON as DOMs (member order
// and number spelling carry no meaning), and comparing a message with a route golden
// (key kind value per line, data @FILE compared as JSON).
#pragma once

#include <fcntl.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "berth/apple/message.hpp"

namespace berth::apple::test {

inline std::string golden_dir() {
  if (const char* e = std::getenv("BERTH_APPLE_GOLDEN")) return e;
#ifdef BERTH_APPLE_GOLDEN_DIR
  return BERTH_APPLE_GOLDEN_DIR;
#else
  return "tests/apple/golden";
#endif
}

inline std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/// A fixture's text without its final newline.
inline std::string fixture(const std::string& name) {
  std::string t = read_text(golden_dir() + "/" + name);
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t;
}

inline bool dom_equal(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (a.IsNumber() && b.IsNumber()) {
    if (a.IsInt64() && b.IsInt64()) return a.GetInt64() == b.GetInt64();
    if (a.IsUint64() && b.IsUint64()) return a.GetUint64() == b.GetUint64();
    return a.GetDouble() == b.GetDouble();
  }
  if (a.GetType() != b.GetType()) return false;
  if (a.IsString())
    return std::string_view(a.GetString(), a.GetStringLength()) == std::string_view(b.GetString(), b.GetStringLength());
  if (a.IsArray()) {
    if (a.Size() != b.Size()) return false;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i)
      if (!dom_equal(a[i], b[i])) return false;
    return true;
  }
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) return false;
    for (auto it = a.MemberBegin(); it != a.MemberEnd(); ++it) {
      auto o = b.FindMember(it->name);
      if (o == b.MemberEnd() || !dom_equal(it->value, o->value)) return false;
    }
    return true;
  }
  return a == b;  // null, bool
}

/// True when both texts are JSON and equal as DOMs.
inline bool json_equal(std::string_view a, std::string_view b) {
  rapidjson::Document da, db;
  da.Parse(a.data(), a.size());
  db.Parse(b.data(), b.size());
  if (da.HasParseError() || db.HasParseError()) return false;
  return dom_equal(da, db);
}

/// Compares m with a route golden; an empty result means equal, else what differs.
inline std::string compare_route_golden(const message& m, const std::string& golden_name) {
  std::istringstream in(read_text(golden_dir() + "/routes/" + golden_name));
  if (!in) return "cannot read " + golden_name;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    lines.push_back(line);
  }
  std::string diff;
  auto it = m.begin();
  for (const std::string& line : lines) {
    const auto sp = line.find(' ');
    const std::string key = line.substr(0, sp);
    const std::string rest = line.substr(sp + 1);
    if (it == m.end()) {
      diff += "missing key " + key + "\n";
      continue;
    }
    if (it->first != key) {
      diff += "key " + it->first + " where the golden has " + key + "\n";
      ++it;
      continue;
    }
    const value& v = it->second;
    if (rest.rfind("data @", 0) == 0) {
      const bytes* b = v.get_if<bytes>();
      if (!b) diff += key + ": " + dump(v) + " is not data\n";
      else if (!json_equal(b->value, fixture(rest.substr(6))))
        diff += key + ": " + b->value + " differs from " + rest.substr(6) + "\n";
    } else if (dump(v) != rest) {
      diff += key + ": got " + dump(v) + ", golden " + rest + "\n";
    }
    ++it;
  }
  for (; it != m.end(); ++it) diff += "extra key " + it->first + "\n";
  return diff;
}

/// A message built from a route golden: strings, numbers, bools and data as written (data
/// @FILE: the fixture's text); fds as /dev/null descriptors; "array [fd, fd]" as two of them.

inline std::string unquote(std::string_view q) {
  std::string out;
  if (q.size() < 2) return out;
  q = q.substr(1, q.size() - 2);
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (q[i] == '\\' && i + 1 < q.size()) {
      const char c = q[++i];
      if (c == 'n') out += '\n';
      else if (c == 't') out += '\t';
      else if (c == 'r') out += '\r';
      else if (c == 'x' && i + 2 < q.size()) {
        out += static_cast<char>(std::stoi(std::string(q.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else out += c;
    } else {
      out += q[i];
    }
  }
  return out;
}

inline shared_fd dev_null() { return shared_fd::adopt(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

inline message message_from_golden(const std::string& golden_name) {
  std::istringstream in(read_text(golden_dir() + "/routes/" + golden_name));
  message m;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto sp = line.find(' ');
    const std::string key = line.substr(0, sp);
    const std::string rest = line.substr(sp + 1);
    const auto sp2 = rest.find(' ');
    const std::string kind = rest.substr(0, sp2);
    const std::string text = sp2 == std::string::npos ? std::string() : rest.substr(sp2 + 1);
    if (kind == "string") m.set_string(key, unquote(text));
    else if (kind == "data" && text.rfind('@', 0) == 0) m.set_data(key, fixture(text.substr(1)));
    else if (kind == "data") m.set_data(key, unquote(text));
    else if (kind == "bool") m.set_bool(key, text == "true");
    else if (kind == "int64") m.set_int64(key, std::stoll(text));
    else if (kind == "uint64") m.set_uint64(key, std::stoull(text));
    else if (kind == "date") m.set_date(key, xpc_date{std::stoll(text)});
    else if (kind == "fd") m.set_fd(key, dev_null());
    else if (kind == "array" && text == "[fd, fd]") m.set_array(key, {value(dev_null()), value(dev_null())});
  }
  return m;
}

}  // namespace berth::apple::test
