#include "args.hpp"

#include <charconv>

namespace berth::cli {

namespace {

const option_spec* find_long(const command_spec& spec, std::string_view name) {
  for (const auto& o : spec.options)
    if (o.name == name) return &o;
  return nullptr;
}

const option_spec* find_short(const command_spec& spec, char c) {
  for (const auto& o : spec.options)
    if (o.short_name != 0 && o.short_name == c) return &o;
  return nullptr;
}

std::string where(const command_spec& spec) {
  return spec.name.empty() ? std::string("berth") : "berth " + std::string(spec.name);
}

void store(parsed_args& out, const option_spec& o, std::string value) {
  auto& v = out.options[std::string(o.name)];
  if (!o.repeatable && !o.value.empty()) v.clear();
  v.push_back(std::move(value));
}

}  // namespace

std::optional<std::string> parsed_args::value(std::string_view name) const {
  auto it = options.find(name);
  if (it == options.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> parsed_args::values(std::string_view name) const {
  auto it = options.find(name);
  return it == options.end() ? std::vector<std::string>{} : it->second;
}

parsed_args parse(const command_spec& spec, const std::vector<std::string>& args) {
  parsed_args out;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      out.positionals.push_back(a);
      if (!spec.interspersed) options_done = true;
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      out.help = true;
      continue;
    }
    if (a[1] == '-') {
      std::string_view body = std::string_view(a).substr(2);
      std::optional<std::string> inline_value;
      if (auto eq = body.find('='); eq != std::string_view::npos) {
        inline_value = std::string(body.substr(eq + 1));
        body = body.substr(0, eq);
      }
      const option_spec* o = find_long(spec, body);
      if (!o) throw usage_error(where(spec) + ": unknown option --" + std::string(body));
      if (o->value.empty()) {
        if (inline_value) throw usage_error(where(spec) + ": option --" + std::string(body) + " takes no value");
        store(out, *o, "");
      } else if (inline_value) {
        store(out, *o, std::move(*inline_value));
      } else {
        if (i + 1 >= args.size())
          throw usage_error(where(spec) + ": option --" + std::string(body) + " needs a value (" +
                            std::string(o->value) + ")");
        store(out, *o, args[++i]);
      }
      continue;
    }
    // One or more short options: -a, -it, -eKEY=V, -e KEY=V.
    for (std::size_t k = 1; k < a.size(); ++k) {
      const option_spec* o = find_short(spec, a[k]);
      if (!o) throw usage_error(where(spec) + ": unknown option -" + std::string(1, a[k]));
      if (o->value.empty()) {
        store(out, *o, "");
        continue;
      }
      if (k + 1 < a.size()) {
        store(out, *o, a.substr(k + 1));
      } else {
        if (i + 1 >= args.size())
          throw usage_error(where(spec) + ": option -" + std::string(1, a[k]) + " needs a value (" +
                            std::string(o->value) + ")");
        store(out, *o, args[++i]);
      }
      break;
    }
  }
  if (out.help) return out;
  if (out.positionals.size() < spec.min_args)
    throw usage_error(where(spec) + ": missing arguments; usage: " + where(spec) + " " +
                      std::string(spec.usage));
  if (out.positionals.size() > spec.max_args)
    throw usage_error(where(spec) + ": too many arguments; usage: " + where(spec) + " " +
                      std::string(spec.usage));
  return out;
}

std::string help_text(std::string_view program, const command_spec& spec) {
  std::string s = "Usage: " + std::string(program);
  if (!spec.name.empty()) s += " " + std::string(spec.name);
  if (!spec.usage.empty()) s += " " + std::string(spec.usage);
  s += "\n\n" + std::string(spec.summary) + "\n";
  if (!spec.options.empty()) {
    s += "\nOptions:\n";
    std::vector<std::string> left;
    std::size_t width = 0;
    for (const auto& o : spec.options) {
      std::string l = o.short_name ? std::string("  -") + o.short_name + ", " : std::string("      ");
      l += "--" + std::string(o.name);
      if (!o.value.empty()) l += " " + std::string(o.value);
      width = std::max(width, l.size());
      left.push_back(std::move(l));
    }
    for (std::size_t i = 0; i < left.size(); ++i) {
      s += left[i] + std::string(width + 2 - left[i].size(), ' ') + std::string(spec.options[i].help);
      if (spec.options[i].repeatable) s += " (repeatable)";
      s += "\n";
    }
  }
  if (spec.options.empty()) s += "\nOptions:\n";
  s += "  -h, --help  Print this help\n";
  return s;
}

std::pair<std::string, std::string> split_key_value(std::string_view text, std::string_view what) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw usage_error("berth: " + std::string(what) + " must be KEY=VALUE, got '" + std::string(text) + "'");
  return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

long long parse_count(std::string_view text, std::string_view what) {
  long long v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0)
    throw usage_error("berth: " + std::string(what) + " must be a non-negative integer, got '" +
                      std::string(text) + "'");
  return v;
}

ulimit_value parse_ulimit(std::string_view text) {
  auto [name, limits] = split_key_value(text, "--ulimit");
  auto colon = limits.find(':');
  ulimit_value u;
  u.name = name;
  u.soft = parse_count(std::string_view(limits).substr(0, colon), "--ulimit " + name);
  u.hard = colon == std::string::npos ? u.soft : parse_count(std::string_view(limits).substr(colon + 1), "--ulimit " + name);
  if (u.soft > u.hard) throw usage_error("berth: --ulimit " + name + ": the soft limit is above the hard one");
  return u;
}

}  // namespace berth::cli
