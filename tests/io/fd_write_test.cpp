// io::write_no_sigpipe: a write to a pipe whose reader is gone gives EPIPE and leaves the
// process's signal state as it was (the default SIGPIPE action would end this test).
#include <doctest/doctest.h>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string_view>

#include "berth/io/fd_write.hpp"

namespace {

bool sigpipe_pending() {
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

bool is_default(const struct sigaction& a) { return a.sa_handler == SIG_DFL; }

bool sigpipe_blocked() {
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, SIGPIPE) == 1;
}

}  // namespace

TEST_CASE("a write to a pipe with no reader is EPIPE, with SIGPIPE at its default disposition") {
  struct sigaction old {};
  REQUIRE(sigaction(SIGPIPE, nullptr, &old) == 0);
  REQUIRE(is_default(old));  // the test process has not ignored it
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  ::close(fds[0]);
  errno = 0;
  auto n = berth::io::write_no_sigpipe(fds[1], "x", 1);
  int e = errno;
  ::close(fds[1]);
  CHECK(n == -1);
  CHECK(e == EPIPE);
  CHECK_FALSE(sigpipe_pending());  // consumed, not left for the host program
  CHECK_FALSE(sigpipe_blocked());  // the thread's mask is restored
  struct sigaction now {};
  REQUIRE(sigaction(SIGPIPE, nullptr, &now) == 0);
  CHECK(is_default(now));  // the disposition is untouched
}

TEST_CASE("a SIGPIPE the thread already had pending stays pending") {
  sigset_t pipe_set, old_mask;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  REQUIRE(pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask) == 0);
  REQUIRE(pthread_kill(pthread_self(), SIGPIPE) == 0);
  REQUIRE(sigpipe_pending());
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  ::close(fds[0]);
  CHECK(berth::io::write_no_sigpipe(fds[1], "x", 1) == -1);
  ::close(fds[1]);
  CHECK(sigpipe_pending());  // the host program's own signal is still there
  timespec zero{0, 0};
  CHECK(sigtimedwait(&pipe_set, nullptr, &zero) == SIGPIPE);  // take it off ourselves
  REQUIRE(pthread_sigmask(SIG_SETMASK, &old_mask, nullptr) == 0);
}

TEST_CASE("a write to a pipe with a reader writes") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  CHECK(berth::io::write_no_sigpipe(fds[1], "hello", 5) == 5);
  char buf[8] = {};
  CHECK(::read(fds[0], buf, sizeof buf) == 5);
  CHECK(std::string_view(buf, 5) == "hello");
  ::close(fds[0]);
  ::close(fds[1]);
}
