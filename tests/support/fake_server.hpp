// A scripted HTTP server on a unix socket, for fault injection in transport tests.
//
// The server listens on a socket in a fresh temporary directory and runs on its own
// thread with plain non-blocking POSIX sockets and poll() with a short timeout, so it can
// always be stopped. Every accepted connection runs a script: a list of steps (read a
// request head, write bytes, write them slowly, stall, half-close, close, wait for the
// client's EOF...). Connections are served concurrently, each at its own pace; nothing
// waits longer than the step's own timeout. When a script has run out of steps the
// connection lingers until the client closes it (so a pooled connection stays healthy),
// then the server closes its end. The destructor stops the thread, closes every fd and
// removes the directory.
//
// What happened is recorded for assertions: the raw bytes of every request, what the
// client sent otherwise, whether its EOF came, and why a script stopped early.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "berth/net/endpoint.hpp"

namespace berth::test {

/// One step of a connection's script. Build steps with the static functions.
struct step {
  enum class op {
    read_head,       ///< Read up to and including CRLFCRLF; record it as a new request.
    read_request,    ///< read_head, then its Content-Length body (recorded with it).
    read_body,       ///< Read `count` more bytes, appended to the last request.
    read_bytes,      ///< Read `count` raw bytes, appended to connection_record::received.
    write,           ///< Write `bytes`.
    write_slowly,    ///< Write `bytes` in pieces of `count`, `time` apart.
    sleep,           ///< Do nothing for `time` (the client's bytes stay unread).
    shutdown_write,  ///< shutdown(SHUT_WR): the client reads EOF, the server reads on.
    close,           ///< Close the connection; the script ends here.
    expect_eof,      ///< Wait up to `time` for the client's EOF (recorded); then go on.
  };

  op what = op::sleep;
  std::string bytes;                  ///< write, write_slowly.
  std::size_t count = 0;              ///< read_body, read_bytes; write_slowly: piece size.
  std::chrono::milliseconds time{0};  ///< sleep, write_slowly, expect_eof; reads: timeout.

  static constexpr std::chrono::milliseconds read_timeout{5000};

  static step read_head(std::chrono::milliseconds timeout = read_timeout);
  static step read_request(std::chrono::milliseconds timeout = read_timeout);
  static step read_body(std::size_t n, std::chrono::milliseconds timeout = read_timeout);
  static step read_bytes(std::size_t n, std::chrono::milliseconds timeout = read_timeout);
  static step write(std::string bytes);
  static step write_slowly(std::string bytes, std::size_t piece, std::chrono::milliseconds gap);
  static step sleep(std::chrono::milliseconds d);
  static step shutdown_write();
  static step close();
  static step expect_eof(std::chrono::milliseconds timeout);
};

using script = std::vector<step>;

/// What happened on one accepted connection.
struct connection_record {
  std::vector<std::string> requests;  ///< Raw bytes of each request read (head + body read).
  std::string received;               ///< Bytes read by read_bytes, expect_eof, lingering.
  std::size_t steps_done = 0;         ///< Steps completed (a failed step is not counted).
  bool saw_eof = false;               ///< The client closed (or reset) its sending side.
  bool reset = false;                 ///< ... and it was a reset (ECONNRESET).
  bool closed = false;                ///< The server has closed its fd.
  std::string error;                  ///< Why the script stopped early; empty if it did not.
};

class fake_server {
 public:
  /// Connection i (in accept order) runs scripts[i]; further connections are closed at once.
  explicit fake_server(std::vector<script> scripts);
  /// Connection i runs script_for(i). Called on the server thread.
  explicit fake_server(std::function<script(std::size_t)> script_for);
  ~fake_server();

  fake_server(const fake_server&) = delete;
  fake_server& operator=(const fake_server&) = delete;

  /// unix://<tmpdir>/http.sock
  const net::endpoint& endpoint() const noexcept { return ep_; }

  std::size_t connections_accepted() const;
  /// Request heads read, over all connections.
  std::size_t requests_seen() const;
  /// Raw bytes of every request, in the order they were read.
  std::vector<std::string> requests() const;
  /// A copy of connection i's record (a default record if there is no such connection).
  connection_record connection(std::size_t i) const;

  /// Polls pred every millisecond or two until it holds or timeout passes.
  static bool eventually(const std::function<bool()>& pred,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Every accepted connection has been closed by the server.
  bool wait_all_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  /// Connection i has been accepted and closed by the server.
  bool wait_closed(std::size_t i, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  /// Connection i has completed at least n steps.
  bool wait_steps(std::size_t i, std::size_t n,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

 private:
  struct conn;

  void run();
  void accept_new();
  void advance(conn& c);
  void finish(conn& c, std::string error);

  std::function<script(std::size_t)> script_for_;
  std::string dir_;
  net::endpoint ep_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};

  mutable std::mutex mu_;  // guards records_ and requests_
  std::vector<connection_record> records_;
  std::vector<std::string> requests_;

  std::vector<conn> conns_;  // server thread only (and the destructor, after join)
  std::thread thread_;
};

}  // namespace berth::test
