// Test harness for integration tests: runs the real pwnbox binary (or any program) with
// arguments, captures stdout/stderr and the exit status, with a timeout so that a hang fails the
// test instead of stalling the suite.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace pwnbox::testing {

struct RunResult {
  int status = -1;       // exit code; 128+N when killed by signal N; -1 on timeout
  std::string out;       // stdout
  std::string err;       // stderr
  bool timed_out = false;
};

struct RunOptions {
  std::string stdin_data;
  std::vector<std::string> env;  // extra NAME=VALUE entries
  int timeout_sec = 60;
  std::string cwd;
};

// Runs `argv` (argv[0] is a path or a name looked up in PATH).
RunResult Run(const std::vector<std::string>& argv, const RunOptions& opts = {});
// Runs the pwnbox binary under test with `args`.
RunResult Pwnbox(const std::vector<std::string>& args, const RunOptions& opts = {});

std::string PwnboxBin();
// In a forked child: replaces it with pwnbox `args` (exits 127 when that fails).
[[noreturn]] void ExecPwnbox(const std::vector<std::string>& args);
std::string Prog(const std::string& name);  // path of tests/progs/NAME
std::string SourcePath(const std::string& rel);  // path under the source tree
std::string SharedPath(const std::string& rel);  // path under ../shared
// A fresh directory under $TMPDIR (or /tmp), removed at exit.
std::string TempDir();
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& data);
std::vector<std::string> Lines(const std::string& text);
// Lines of `text` that contain `needle`.
std::vector<std::string> Grep(const std::string& text, const std::string& needle);
bool Contains(const std::string& text, const std::string& needle);

// A Python proxy handler for a test: `body` with examples/proxy/handler.py loaded as `h`
// (from argv[1]; h.receive, h.send, h.answer, h.serve) and base64, os, socket, sys and
// threading imported.
std::string ProxyHandlerScript(const std::string& body);

// `pwnbox proxy serve --listen unix:DIR/p.sock ARGS...` for a test, started and ready once it
// accepts (it says "serving" on stderr: no sleeping), stopped with SIGTERM and reaped with the
// object.
class ProxyServeProcess {
 public:
  ProxyServeProcess(const std::string& dir, const std::vector<std::string>& args);
  ~ProxyServeProcess() { Stop(); }
  ProxyServeProcess(const ProxyServeProcess&) = delete;
  ProxyServeProcess& operator=(const ProxyServeProcess&) = delete;
  void Stop();
  bool ready() const { return ready_; }
  std::string backend() const { return "unix:" + socket_; }

 private:
  std::string socket_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

}  // namespace pwnbox::testing
