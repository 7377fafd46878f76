// bench-measure: runs a command and writes "wall_seconds cpu_seconds peak_rss_kib exit_code"
// to a file. bench/run's harness starts every client through it: a child's peak RSS counts
// the memory of the process that forked it, so the launcher has to be small (a Python
// harness would add its own ~15 MiB to every figure).
//
//   bench-measure OUTFILE [--rate BYTES_PER_SECOND] CMD [ARGS...]
//
// --rate: the command's stdout goes into a pipe that the launcher itself drains no faster
// than that (a slow consumer for clients that write what they receive to stdout, such as
// `ctr run`); the figures stay the command's own (wait4 on it alone).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

double now() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

/// Reads fd to its end at no more than rate bytes/s.
void drain(int fd, double rate) {
  static char buf[64 * 1024];
  double start = now();
  double total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    total += static_cast<double>(n);
    double due = start + total / rate - now();
    if (due > 0) {
      timespec ts{static_cast<time_t>(due), static_cast<long>((due - static_cast<double>(static_cast<time_t>(due))) * 1e9)};
      nanosleep(&ts, nullptr);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  int cmd = 2;
  double rate = 0;
  if (std::strcmp(argv[2], "--rate") == 0) {
    if (argc < 5) return 2;
    rate = std::strtod(argv[3], nullptr);
    cmd = 4;
  }
  int pipefd[2] = {-1, -1};
  if (rate > 0 && pipe(pipefd) != 0) return 1;
  timespec t0{}, t1{};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid == 0) {
    if (rate > 0) {
      dup2(pipefd[1], 1);
      close(pipefd[0]);
      close(pipefd[1]);
    }
    execvp(argv[cmd], argv + cmd);
    _exit(127);
  }
  if (rate > 0) {
    close(pipefd[1]);
    drain(pipefd[0], rate);
    close(pipefd[0]);
  }
  int status = 0;
  rusage ru{};
  if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) return 1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double wall = static_cast<double>(t1.tv_sec - t0.tv_sec) + static_cast<double>(t1.tv_nsec - t0.tv_nsec) / 1e9;
  double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  FILE* f = std::fopen(argv[1], "w");
  if (!f) return 1;
  std::fprintf(f, "%.6f %.6f %ld %d\n", wall, cpu, ru.ru_maxrss, code);
  std::fclose(f);
  return 0;
}
