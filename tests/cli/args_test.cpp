// The berth command's argument parser (cli/src/args.*): long and short options, values
// inline and separate, combined short flags, repeated options, "--", options ending at the
// first positional for run/exec, the errors, and the help text.
#include <doctest/doctest.h>

#include "args.hpp"

using namespace berth::cli;

namespace {

command_spec run_spec() {
  return {.name = "run",
          .usage = "[OPTIONS] IMAGE [CMD...]",
          .summary = "Run a container",
          .options = {{"rm", 0, "", false, "remove"},
                      {"detach", 'd', "", false, "detach"},
                      {"interactive", 'i', "", false, "stdin"},
                      {"tty", 't', "", false, "tty"},
                      {"env", 'e', "KEY=VALUE", true, "env"},
                      {"name", 0, "NAME", false, "name"}},
          .min_args = 1,
          .interspersed = false};
}

command_spec ps_spec() {
  return {.name = "ps",
          .usage = "[OPTIONS]",
          .summary = "List",
          .options = {{"all", 'a', "", false, "all"}, {"filter", 'f', "KEY=VALUE", true, "filter"}},
          .max_args = 0};
}

}  // namespace

TEST_CASE("flags, values, repeated options and the command after the image") {
  auto a = parse(run_spec(), {"--rm", "-it", "-e", "A=1", "-eB=2", "--env=C=3", "--name", "x", "--name=y",
                              "img", "sh", "-c", "echo --rm -e"});
  CHECK(a.has("rm"));
  CHECK(a.has("interactive"));
  CHECK(a.has("tty"));
  CHECK_FALSE(a.has("detach"));
  CHECK(a.values("env") == std::vector<std::string>{"A=1", "B=2", "C=3"});
  CHECK(a.value("name") == "y");  // not repeatable: the last one wins
  CHECK(a.values("name").size() == 1);
  // Everything after IMAGE belongs to the command, dashes included.
  CHECK(a.positionals == std::vector<std::string>{"img", "sh", "-c", "echo --rm -e"});
  CHECK_FALSE(a.help);
}

TEST_CASE("interspersed options, -- and a lone dash") {
  auto a = parse(ps_spec(), {"-a", "--filter", "label=x=y", "-f", "status=exited"});
  CHECK(a.has("all"));
  CHECK(a.values("filter") == std::vector<std::string>{"label=x=y", "status=exited"});

  command_spec rm{.name = "rm", .usage = "CONTAINER...", .summary = "rm",
                  .options = {{"force", 'f', "", false, "force"}}, .min_args = 1};
  auto b = parse(rm, {"one", "-f", "--", "-two", "-"});
  CHECK(b.has("force"));
  CHECK(b.positionals == std::vector<std::string>{"one", "-two", "-"});
}

TEST_CASE("errors name the option and the command") {
  auto msg = [](const command_spec& s, std::vector<std::string> v) {
    try {
      parse(s, v);
    } catch (const usage_error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  CHECK(msg(run_spec(), {"--bogus", "img"}) == "berth run: unknown option --bogus");
  CHECK(msg(run_spec(), {"-x", "img"}) == "berth run: unknown option -x");
  CHECK(msg(run_spec(), {"--rm=yes", "img"}) == "berth run: option --rm takes no value");
  CHECK(msg(run_spec(), {"img", "--name"}) == "(no error)");  // after IMAGE: the command's
  CHECK(msg(run_spec(), {"--name"}) == "berth run: option --name needs a value (NAME)");
  CHECK(msg(run_spec(), {"-e"}) == "berth run: option -e needs a value (KEY=VALUE)");
  CHECK(msg(run_spec(), {"--rm"}).find("missing arguments") != std::string::npos);
  CHECK(msg(ps_spec(), {"extra"}).find("too many arguments") != std::string::npos);
}

TEST_CASE("--help wins over missing arguments, anywhere before the positionals") {
  CHECK(parse(run_spec(), {"--help"}).help);
  CHECK(parse(run_spec(), {"--rm", "-h"}).help);
  // After IMAGE, --help belongs to the container's command.
  auto a = parse(run_spec(), {"img", "--help"});
  CHECK_FALSE(a.help);
  CHECK(a.positionals.back() == "--help");
}

TEST_CASE("help text lists every option with its value and repeatability") {
  auto h = help_text("berth", run_spec());
  CHECK(h.rfind("Usage: berth run [OPTIONS] IMAGE [CMD...]\n", 0) == 0);
  CHECK(h.find("  -e, --env KEY=VALUE") != std::string::npos);
  CHECK(h.find("(repeatable)") != std::string::npos);
  CHECK(h.find("      --rm") != std::string::npos);
  CHECK(h.find("-h, --help") != std::string::npos);
}

TEST_CASE("key=value and counts") {
  CHECK(split_key_value("a=b=c", "--label") == std::pair<std::string, std::string>{"a", "b=c"});
  CHECK(split_key_value("a=", "--label") == std::pair<std::string, std::string>{"a", ""});
  CHECK_THROWS_AS(split_key_value("novalue", "--label"), usage_error);
  CHECK_THROWS_AS(split_key_value("=v", "--label"), usage_error);
  CHECK(parse_count("42", "--tail") == 42);
  CHECK_THROWS_AS(parse_count("-1", "--tail"), usage_error);
  CHECK_THROWS_AS(parse_count("4x", "--tail"), usage_error);
  CHECK_THROWS_AS(parse_count("", "--tail"), usage_error);
}
