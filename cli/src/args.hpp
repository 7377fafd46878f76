// Command-line parsing of the berth command: a small table-driven parser (long and short
// options, flags, values, repeated options, combined short flags, "--") and the help text
// made from the same table. Knows nothing about containers.
#pragma once

#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::cli {

/// One option of a command.
struct option_spec {
  std::string_view name;        ///< Long name, without "--".
  char short_name = 0;          ///< 0: no short form.
  std::string_view value = {};  ///< Metavariable of its value; empty for a flag.
  bool repeatable = false;      ///< Collect every occurrence (else the last one wins).
  std::string_view help = {};
};

/// One command (or the global options, with an empty name).
struct command_spec {
  std::string_view name;
  std::string_view usage;    ///< What follows the name, e.g. "[OPTIONS] IMAGE [CMD...]".
  std::string_view summary;  ///< One line.
  std::vector<option_spec> options = {};
  std::size_t min_args = 0;
  std::size_t max_args = std::numeric_limits<std::size_t>::max();
  /// false: options end at the first positional argument (run IMAGE CMD..., exec ID CMD...,
  /// and the global options before the command name).
  bool interspersed = true;
};

/// A command line that does not fit its spec; what() is the one line to print.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// What parse() found.
struct parsed_args {
  /// Option long name -> the values given, in order (flags get "" once per occurrence).
  std::map<std::string, std::vector<std::string>, std::less<>> options;
  std::vector<std::string> positionals;
  bool help = false;  ///< -h or --help was given (positional counts are then not checked).

  bool has(std::string_view name) const { return options.find(name) != options.end(); }
  /// The last value of an option.
  std::optional<std::string> value(std::string_view name) const;
  /// Every value of a repeatable option.
  std::vector<std::string> values(std::string_view name) const;
};

/// Parses args (without the command name) against spec. Throws usage_error.
parsed_args parse(const command_spec& spec, const std::vector<std::string>& args);

/// The --help text of a command: usage line, summary, options.
std::string help_text(std::string_view program, const command_spec& spec);

/// Splits "KEY=VALUE" at the first '='; throws usage_error naming `what` when there is
/// none or the key is empty.
std::pair<std::string, std::string> split_key_value(std::string_view text, std::string_view what);

/// Parses a non-negative decimal integer; throws usage_error naming `what`.
long long parse_count(std::string_view text, std::string_view what);

/// A --ulimit NAME=SOFT[:HARD] (HARD defaults to SOFT).
struct ulimit_value {
  std::string name{};
  long long soft = 0, hard = 0;
};
/// Parses a --ulimit value; throws usage_error.
ulimit_value parse_ulimit(std::string_view text);

}  // namespace berth::cli
