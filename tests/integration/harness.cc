#include "tests/integration/harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace pwnbox::testing {
namespace {

std::vector<std::string>& TempDirs() {
  static std::vector<std::string> dirs;
  return dirs;
}

void RemoveTempDirs() {
  for (const auto& d : TempDirs()) {
    std::error_code ec;
    std::filesystem::remove_all(d, ec);
  }
}

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

RunResult Run(const std::vector<std::string>& argv, const RunOptions& opts) {
  RunResult r;
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) return r;
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  // opts.env entries replace the inherited ones of the same name (getenv finds the first).
  std::vector<std::string> envs;
  auto overridden = [&](std::string_view entry) {
    const std::string_view name = entry.substr(0, entry.find('=') + 1);
    for (const auto& e : opts.env)
      if (std::string_view(e).substr(0, e.find('=') + 1) == name) return true;
    return false;
  };
  for (char** e = environ; *e; ++e)
    if (!overridden(*e)) envs.emplace_back(*e);
  for (const auto& e : opts.env) envs.push_back(e);
  std::vector<char*> cenv;
  for (auto& e : envs) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    // Only 0-2 reach the program, whatever the test runner left open (ctest leaks fds).
    syscall(SYS_close_range, 3, ~0U, 0);
    if (!opts.cwd.empty() && chdir(opts.cwd.c_str()) != 0) _exit(126);
    execvpe(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  // Feed stdin without blocking on a full pipe.
  size_t in_off = 0;
  int in_fd = in[1];
  if (opts.stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  int64_t deadline = NowMs() + int64_t{opts.timeout_sec} * 1000;
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    pollfd fds[3];
    int n = 0;
    int iout = -1, ierr = -1, iin = -1;
    if (out_open) { fds[n] = {out[0], POLLIN, 0}; iout = n++; }
    if (err_open) { fds[n] = {err[0], POLLIN, 0}; ierr = n++; }
    if (in_fd >= 0) { fds[n] = {in_fd, POLLOUT, 0}; iin = n++; }
    int64_t left = deadline - NowMs();
    if (left <= 0) {
      r.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      break;
    }
    int pr = poll(fds, n, static_cast<int>(left));
    if (pr < 0 && errno == EINTR) continue;
    if (iout >= 0 && fds[iout].revents) {
      ssize_t k = read(out[0], buf, sizeof buf);
      if (k <= 0) out_open = false; else r.out.append(buf, k);
    }
    if (ierr >= 0 && fds[ierr].revents) {
      ssize_t k = read(err[0], buf, sizeof buf);
      if (k <= 0) err_open = false; else r.err.append(buf, k);
    }
    if (iin >= 0 && fds[iin].revents) {
      ssize_t k = write(in_fd, opts.stdin_data.data() + in_off, opts.stdin_data.size() - in_off);
      if (k > 0) in_off += k;
      if (k < 0 || in_off == opts.stdin_data.size()) { close(in_fd); in_fd = -1; }
    }
  }
  if (in_fd >= 0) close(in_fd);
  close(out[0]);
  close(err[0]);
  int st = 0;
  while (true) {
    pid_t w = waitpid(pid, &st, r.timed_out ? 0 : WNOHANG);
    if (w == pid) break;
    if (NowMs() > deadline) {
      r.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      break;
    }
    usleep(2000);
  }
  if (r.timed_out) r.status = -1;
  else if (WIFEXITED(st)) r.status = WEXITSTATUS(st);
  else if (WIFSIGNALED(st)) r.status = 128 + WTERMSIG(st);
  return r;
}

std::string PwnboxBin() {
  if (const char* b = getenv("PWNBOX_BIN")) return b;
  return PWNBOX_BIN;
}

void ExecPwnbox(const std::vector<std::string>& args) {
  std::string bin = PwnboxBin();
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  argv.push_back(bin.data());
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(bin.c_str(), argv.data());
  _exit(127);
}

RunResult Pwnbox(const std::vector<std::string>& args, const RunOptions& opts) {
  std::vector<std::string> argv{PwnboxBin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, opts);
}

std::string Prog(const std::string& name) { return std::string(PWNBOX_PROGS_DIR) + "/" + name; }
std::string SourcePath(const std::string& rel) { return std::string(PWNBOX_SOURCE_DIR) + "/" + rel; }
std::string SharedPath(const std::string& rel) { return std::string(PWNBOX_SHARED_DIR) + "/" + rel; }

std::string TempDir() {
  static std::once_flag once;
  // Construct the list before registering the handler, so that it is destroyed after it runs.
  std::call_once(once, [] {
    TempDirs();
    atexit(RemoveTempDirs);
  });
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/pwnbox-test-XXXXXX";
  char* d = mkdtemp(tmpl.data());
  if (!d) return "/tmp";
  chmod(d, 0755);
  TempDirs().push_back(d);
  return d;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string cur;
  std::istringstream ss(text);
  while (std::getline(ss, cur)) lines.push_back(cur);
  return lines;
}

std::vector<std::string> Grep(const std::string& text, const std::string& needle) {
  std::vector<std::string> hits;
  for (auto& l : Lines(text))
    if (l.find(needle) != std::string::npos) hits.push_back(l);
  return hits;
}

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

std::string ProxyHandlerScript(const std::string& body) {
  return "import base64, importlib.util, os, socket, sys, threading\n"
         "spec = importlib.util.spec_from_file_location(\"h\", sys.argv[1])\n"
         "h = importlib.util.module_from_spec(spec)\n"
         "spec.loader.exec_module(h)\n" +
         body;
}

ProxyServeProcess::ProxyServeProcess(const std::string& dir,
                                     const std::vector<std::string>& args) {
  socket_ = dir + "/p.sock";
  int err[2];
  if (pipe(err) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(err[1], 2);
    close(err[0]);
    std::vector<std::string> argv{PwnboxBin(), "proxy", "serve", "--listen", "unix:" + socket_};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c;
    for (auto& a : argv) c.push_back(a.data());
    c.push_back(nullptr);
    execv(c[0], c.data());
    _exit(127);
  }
  close(err[1]);
  std::string got;
  char buf[256];
  ssize_t n;
  while (got.find("serving") == std::string::npos && (n = read(err[0], buf, sizeof buf)) > 0)
    got.append(buf, static_cast<size_t>(n));
  close(err[0]);
  ready_ = got.find("serving") != std::string::npos;
}

void ProxyServeProcess::Stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

}  // namespace pwnbox::testing
