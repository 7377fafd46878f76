// An in-process fake of Apple's apiserver and images service, written from APPLE.md: the
// envelope checks in the server's order (EUID, route key, unknown route => no reply), the
// route handlers with their state and validations, in-band error dictionaries, and guests
// that write real pipes (the stdio fds of containerBootstrap / containerCreateProcess).
//
// It is a link_driver: make_transport() runs berth's real pool transport and Asio bridge
// over it, so only libxpc_link.cpp is not exercised. Replies come from the fake's own
// thread, as libxpc's come from libdispatch's. Request and reply key names are the fake's
// own string literals (copied from APPLE.md's tables, not from berth::apple::keys), so a
// misspelt key in the library fails against it. Where APPLE.md is silent the fake makes a
// choice, marked "fake" (the design's FLAGs); tests assert those only against the fake.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "berth/apple/message.hpp"
#include "berth/apple/models.hpp"
#include "berth/apple/transport.hpp"
#include "xpc/link.hpp"

namespace berth::apple::test {

/// What an unregistered route gets: nothing (the source), or an immediate
/// CONNECTION_INTERRUPTED with the connection staying usable (Cider's live run).
enum class unknown_route_mode { no_reply, interrupted };

struct fake_options {
  bool macos26 = true;            ///< false: networkCreate is not registered
  bool peer_euid_matches = true;  ///< false: every request gets invalidState "unauthorized request"
  unknown_route_mode unknown_route = unknown_route_mode::no_reply;
  std::string api_server_version = "container-apiserver version 1.2.2 (build: release, commit: 0190097)";
  std::string api_server_commit = "0190097";
  std::string api_server_build = "release";
  std::string api_server_app_name = "container-apiserver";
  std::string app_root = "file:///fake/appRoot/";
  std::string install_root = "file:///usr/local/";
  std::optional<std::string> log_root{};
};

/// Faults injected into a route.
enum class fault {
  no_reply,      ///< the request is dropped: no reply ever
  interrupt,     ///< CONNECTION_INTERRUPTED, the request not carried out
  service_exit,  ///< every pending call interrupted, and every later one, until restart()
};

/// The built-in guest program: executable "/berth/guest", whose arguments are steps:
/// "out:TEXT" and "err:TEXT" (a line on stdout / stderr), "cat" (stdin to stdout until
/// EOF), "flood:N" (N bytes to stdout), "sleep:MS", "trap:SIG" (that signal ends the
/// program with 0), "ignore:SIG" (that signal does nothing), "exit:N". A signal it does
/// not trap or ignore ends it with 128 + the signal number (fake). Any other executable
/// exits 0 at once.
inline constexpr const char* guest_executable = "/berth/guest";

class fake_apiserver {
 public:
  explicit fake_apiserver(fake_options o = {});
  ~fake_apiserver();
  fake_apiserver(const fake_apiserver&) = delete;
  fake_apiserver& operator=(const fake_apiserver&) = delete;

  /// The link driver (the two Mach service names; any other name gives invalid links).
  std::shared_ptr<detail::link_driver> driver();
  /// berth's pool transport over driver().
  std::shared_ptr<transport> make_transport(xpc_transport_options o = {});

  /// What getDefaultKernel answers for k.platform.
  void seed_default_kernel(kernel k);
  /// An image imagePull can fetch.
  void seed_remote_image(image_description d);

  /// The nth next call of route (1: the next one; 0: every call) gets f.
  void inject(std::string route, fault f, int nth = 0);
  /// Ends a service_exit.
  void restart();

  /// dump() of every request that arrived, in order (both services).
  std::vector<std::string> requests() const;
  /// Bytes a process's guest has written to its stdout pipe so far.
  std::size_t guest_bytes_written(const std::string& id, const std::string& process_id) const;
  /// The fake's state directory (bundles, volumes, content).
  std::filesystem::path root() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

/// A default kernel for tests: linux/arm64, a file URL path.
kernel test_kernel();
/// A minimal valid container configuration running the guest with these steps.
container_configuration test_config(std::string id, std::vector<std::string> steps = {});

}  // namespace berth::apple::test
