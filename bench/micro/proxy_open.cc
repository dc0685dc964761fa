// bench_proxy_open: what `action = "proxy"` costs a target under `pwnbox run`, against the same
// calls under a path-emulation rule and natively (issue 14's targets: a proxied open at most
// 1.5x an emulated one; reads on the fd it returns native, at most 1.02x).
//
//   bench_proxy_open --pwnbox build/cli/pwnbox [--calls N] [--reps R]
//
// Starts `pwnbox proxy serve` on a temporary tree, then runs this binary itself as the target
// (`--loop open|pread PATH N`: N open+close, or N 4 KiB preads on one fd, timed inside the
// target with CLOCK_MONOTONIC) in each mode, interleaved (A B C A B C ...) so that drift in the
// machine's speed hits every mode alike. Prints a Markdown table: median ns per call, min, max,
// ratio against the reference of its group.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// The target: prints the mean ns per call.
int Loop(const std::string& what, const std::string& path, long n) {
  char buf[4096];
  int64_t t0 = 0;
  if (what == "open") {
    for (long i = -n / 10; i < n; ++i) {  // a tenth more as warm-up
      if (i == 0) t0 = NowNs();
      int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return perror("open"), 1;
      close(fd);
    }
  } else {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return perror("open"), 1;
    for (long i = -n / 10; i < n; ++i) {
      if (i == 0) t0 = NowNs();
      if (pread(fd, buf, sizeof buf, 0) != static_cast<ssize_t>(sizeof buf)) return 1;
    }
  }
  std::printf("%.1f\n", static_cast<double>(NowNs() - t0) / static_cast<double>(n));
  return 0;
}

// Runs argv, returns its stdout (empty on failure).
std::string Capture(const std::vector<std::string>& argv) {
  int out[2];
  if (pipe(out) != 0) return "";
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    std::vector<char*> c;
    for (const auto& a : argv) c.push_back(const_cast<char*>(a.c_str()));
    c.push_back(nullptr);
    execvp(c[0], c.data());
    _exit(127);
  }
  close(out[1]);
  std::string text;
  char b[256];
  ssize_t k;
  while ((k = read(out[0], b, sizeof b)) > 0) text.append(b, static_cast<size_t>(k));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "";
  return text;
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], "--loop") == 0) return Loop(argv[2], argv[3], atol(argv[4]));
  std::string pwnbox;
  long calls = 20000;
  int reps = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--pwnbox")) pwnbox = argv[i + 1];
    else if (!std::strcmp(argv[i], "--calls")) calls = atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
  }
  if (pwnbox.empty()) {
    std::fprintf(stderr, "usage: bench_proxy_open --pwnbox PATH [--calls N] [--reps R]\n");
    return 2;
  }
  char tmpl[] = "/tmp/pwnbox-bench-proxy-XXXXXX";
  if (!mkdtemp(tmpl)) return perror("mkdtemp"), 1;
  const std::string dir = tmpl;
  mkdir((dir + "/srv").c_str(), 0755);
  mkdir((dir + "/data").c_str(), 0755);
  mkdir((dir + "/local").c_str(), 0755);
  const std::string content(64 << 10, 'x');
  Write(dir + "/srv/f", content);
  Write(dir + "/local/f", content);
  const std::string sock = dir + "/p.sock";
  // The server; it prints "serving" once the socket accepts.
  int err[2];
  if (pipe(err) != 0) return 1;
  pid_t server = fork();
  if (server == 0) {
    dup2(err[1], 2);
    close(err[0]);
    execl(pwnbox.c_str(), pwnbox.c_str(), "proxy", "serve", "--listen", ("unix:" + sock).c_str(),
          "--root", (dir + "/srv").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(err[1]);
  std::string said;
  char b[256];
  ssize_t k;
  while (said.find("serving") == std::string::npos && (k = read(err[0], b, sizeof b)) > 0)
    said.append(b, static_cast<size_t>(k));
  if (said.find("serving") == std::string::npos) {
    std::fprintf(stderr, "proxy serve did not start: %s\n", said.c_str());
    return 1;
  }
  const std::string emulate = dir + "/emulate.toml", proxy = dir + "/proxy.toml";
  Write(emulate, "version = 1\ndefault = \"allow\"\n[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"" +
                     dir + "/local/**\"]\naction = \"allow\"\n");
  Write(proxy, "version = 1\ndefault = \"allow\"\n[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"" +
                   dir + "/data/**\"]\naction = \"proxy\"\nbackend = \"unix:" + sock + "\"\n");
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return 1;
  self[n] = '\0';
  const std::string count = std::to_string(calls);
  struct Mode {
    std::string name;
    std::vector<std::string> argv;
    int group;  // rows are compared with the first row of their group
    std::vector<double> ns;
  };
  std::vector<Mode> modes = {
      {"open+close, path-emulation rule (run)", {pwnbox, "run", "--policy", emulate, "--", self, "--loop", "open", dir + "/local/f", count}, 0, {}},
      {"open+close, proxied (run, proxy serve, fd passed)", {pwnbox, "run", "--policy", proxy, "--", self, "--loop", "open", dir + "/data/f", count}, 0, {}},
      {"open+close, native", {self, "--loop", "open", dir + "/local/f", count}, 0, {}},
      {"pread 4 KiB, a local fd (run)", {pwnbox, "run", "--policy", proxy, "--", self, "--loop", "pread", dir + "/local/f", count}, 1, {}},
      {"pread 4 KiB, on the proxied fd (run)", {pwnbox, "run", "--policy", proxy, "--", self, "--loop", "pread", dir + "/data/f", count}, 1, {}},
      {"pread 4 KiB, native (no filter)", {self, "--loop", "pread", dir + "/local/f", count}, 1, {}},
  };
  for (int rep = 0; rep <= reps; ++rep) {
    for (Mode& m : modes) {
      std::string out = Capture(m.argv);
      if (out.empty()) {
        std::fprintf(stderr, "%s failed\n", m.name.c_str());
        kill(server, SIGTERM);
        return 1;
      }
      if (rep > 0) m.ns.push_back(std::atof(out.c_str()));  // round 0 warms caches up
    }
  }
  kill(server, SIGTERM);
  waitpid(server, nullptr, 0);
  std::printf("| call | median ns | min | max | ratio |\n|---|---:|---:|---:|---:|\n");
  double reference[2] = {0, 0};
  for (Mode& m : modes) {
    std::sort(m.ns.begin(), m.ns.end());
    const double median = m.ns[m.ns.size() / 2];
    if (reference[m.group] == 0) reference[m.group] = median;
    std::printf("| %s | %.0f | %.0f | %.0f | %.2fx |\n", m.name.c_str(), median, m.ns.front(),
                m.ns.back(), median / reference[m.group]);
  }
  std::string rm = "rm -rf " + dir;
  return std::system(rm.c_str()) == 0 ? 0 : 1;
}
