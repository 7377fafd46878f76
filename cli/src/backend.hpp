// The engine behind the berth command. Each command parses its arguments into one of the
// requests below and hands it to a backend; a backend implements the commands its engine
// supports and leaves the others to the defaults, which fail with one clear line.
// docker_backend (docker_backend.cpp) implements every command; containerd_backend
// (containerd_backend.cpp) the subset containerd allows.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "args.hpp"
#include "berth/kata/runtime.hpp"
#include "berth/runtime/client.hpp"

namespace berth::cli {

/// Exit codes of berth's own failures (a container's exit code is passed on as is).
inline constexpr int exit_usage = 2;     ///< The command line is wrong.
inline constexpr int exit_failure = 125; ///< berth or the engine failed.

/// Thrown by a backend for a failure to report as one line ("berth: <message>").
struct command_error {
  std::string message;
  int code = exit_failure;
};

/// The global options.
struct global_options {
  std::optional<std::string> host{};       ///< --host URL (docker).
  std::string engine = "docker";         ///< --engine docker|containerd|auto.
  std::optional<std::string> address{};    ///< --address SOCKET (containerd).
  std::optional<std::string> ns{};         ///< --namespace NS (containerd).
  std::optional<std::string> runtime{};    ///< --runtime NAME (run).
};

using key_values = std::vector<std::pair<std::string, std::string>>;

struct ps_request {
  bool all = false;
  bool quiet = false;
  key_values filters{};
};

struct run_request {
  bool rm = false, detach = false, interactive = false, tty = false, init = false, privileged = false;
  std::optional<std::string> name{}, workdir{}, user{}, network{};
  std::vector<ulimit_value> ulimits{};
  std::vector<std::string> env{};      ///< KEY=VALUE
  std::vector<std::string> volumes{};  ///< SRC:DST[:ro]
  std::map<std::string, std::string> labels{};
  std::string image{};
  std::vector<std::string> cmd{};
};

struct exec_request {
  bool interactive = false, tty = false;
  std::vector<std::string> env{};
  std::optional<std::string> workdir{}, user{};
  std::optional<long long> timeout_seconds{};
  std::string id{};
  std::vector<std::string> cmd{};
};

struct logs_request {
  bool follow = false, timestamps = false;
  std::optional<std::string> tail{};
  std::optional<std::int64_t> since{};  ///< UNIX seconds.
  std::string id{};
};

/// start, stop, kill, rm, inspect, wait.
struct lifecycle_request {
  std::string verb{};
  std::vector<std::string> ids{};
  std::optional<long long> stop_seconds{};  ///< stop --time
  std::optional<std::string> signal{};      ///< kill --signal
  bool force = false;                     ///< rm -f
};

struct commit_request {
  std::string container{};
  std::string reference{};            ///< REPOSITORY[:TAG] of the new image.
  std::optional<std::string> message{};
  std::optional<std::string> author{};  ///< docker only
  bool pause = true;                    ///< Pause the container during the commit.
};

struct images_request {
  bool quiet = false;
};

struct build_request {
  std::vector<std::string> tags{};
  std::map<std::string, std::string> build_args{};
  std::optional<std::string> dockerfile{};
  std::string dir{};
  std::optional<std::string> network{};
  bool keep_failed = false;  ///< keep the container of a failed step (the daemon's default)
};

struct events_request {
  key_values filters{};
  std::optional<std::string> since{}, until{};
};

/// An engine, as the commands see it. Every method returns the process's exit code.
class backend {
 public:
  virtual ~backend() = default;
  virtual std::string_view engine_name() const = 0;

  virtual int version();
  virtual int info();
  virtual int ps(const ps_request&);
  virtual int run(const run_request&);
  virtual int exec(const exec_request&);
  virtual int logs(const logs_request&);
  virtual int lifecycle(const lifecycle_request&);
  virtual int pull(const std::string& image);
  virtual int push(const std::string& image);
  virtual int images(const images_request&);
  virtual int rmi(const std::vector<std::string>& images, bool force);
  virtual int tag(const std::string& source, const std::string& target);
  virtual int build(const build_request&);
  virtual int commit(const commit_request&);
  virtual int save(const std::vector<std::string>& images, const std::optional<std::string>& output);
  virtual int load(const std::optional<std::string>& input);
  virtual int events(const events_request&);
  virtual int sweep(const std::map<std::string, std::string>& labels);

 protected:
  /// Throws the command_error for a command this engine does not offer.
  [[noreturn]] void unsupported(std::string_view command) const;
  /// The runtime layer over this backend's engine client (berth/runtime): what both
  /// engines share is done there, once.
  virtual runtime::client runtime_client() = 0;
};

/// --runtime NAME: runc, kata, else any runtime by name (a Docker runtime, a containerd
/// shim name or path). The Kata policy applies to kata.
kata::runtime_choice runtime_choice_of(const std::string& name);

/// The backend for the global options; throws command_error when the engine is unknown or
/// not available in this build. --engine auto finds the engine as runtime::detect does
/// (DOCKER_HOST or --host, else CONTAINERD_ADDRESS or --address, else the well-known
/// sockets), every probe bounded, and says which on stderr with BERTH_DEBUG set.
std::unique_ptr<backend> make_backend(const global_options& g);

/// The Docker Engine backend (docker_backend.cpp).
std::unique_ptr<backend> make_docker_backend(const global_options& g);

/// The containerd backend (containerd_backend.cpp, built with the containerd backend only).
std::unique_ptr<backend> make_containerd_backend(const global_options& g);

}  // namespace berth::cli
