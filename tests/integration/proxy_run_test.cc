// `action = "proxy"` under run (issue 14): calls a rule proxies are carried out by its backend,
// `pwnbox proxy serve` or a handler (examples/proxy/handler.py), and the target gets the fd or
// the result: real programs (cat, stat, uname) read through it. Every backend failure (none,
// gone, a handler answering nonsense) fails the call with EIO, reported once, and never writes
// the target's buffer with anything but what the call writes there.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

// `pwnbox proxy serve` on a socket in `dir`, serving `root`; stopped with the object.
class Server {
 public:
  Server(const std::string& dir, const std::string& root, const std::string& allow = "") {
    socket_ = dir + "/p.sock";
    int err[2];
    if (pipe(err) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(err[1], 2);
      close(err[0]);
      std::vector<std::string> argv{PwnboxBin(), "proxy", "serve", "--listen", "unix:" + socket_,
                                    "--root", root};
      if (!allow.empty()) argv.insert(argv.end(), {"--allow", allow});
      std::vector<char*> c;
      for (auto& a : argv) c.push_back(a.data());
      c.push_back(nullptr);
      execv(c[0], c.data());
      _exit(127);
    }
    close(err[1]);
    // It says so on stderr once the socket accepts (no sleeping).
    std::string got;
    char buf[256];
    ssize_t n;
    while (got.find("serving") == std::string::npos && (n = read(err[0], buf, sizeof buf)) > 0)
      got.append(buf, static_cast<size_t>(n));
    close(err[0]);
    ready_ = got.find("serving") != std::string::npos;
  }
  ~Server() { Stop(); }
  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  bool ready() const { return ready_; }
  std::string backend() const { return "unix:" + socket_; }

 private:
  std::string socket_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

std::string Policy(const std::string& dir, const std::string& syscalls, const std::string& paths,
                   const std::string& backend) {
  const std::string path = dir + "/proxy.toml";
  WriteFile(path, "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [" + syscalls + "]\n" +
                      (paths.empty() ? "" : "paths = [\"" + paths + "\"]\n") +
                      "action = \"proxy\"\nbackend = \"" + backend + "\"\n");
  return path;
}

constexpr const char* kFileCalls = "\"open\", \"openat\", \"newfstatat\", \"statx\", \"readlink\"";

TEST(ProxyRun, FilesUnderARuleComeFromTheServer) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/srv").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/data").c_str(), 0755), 0);
  WriteFile(dir + "/srv/report.csv", "a,b\n1,2\n");
  ASSERT_EQ(symlink("report.csv", (dir + "/srv/latest").c_str()), 0);
  WriteFile(dir + "/data/local.txt", "local\n");  // not what the target sees: the rule's
  Server server(dir, dir + "/srv");
  ASSERT_TRUE(server.ready());
  const std::string policy = Policy(dir, kFileCalls, dir + "/data/**", server.backend());
  // The target names /DIR/data/...: the rule's directory is the server's root.
  auto cat = Pwnbox({"--policy", policy, "--", "cat", dir + "/data/report.csv"});
  EXPECT_EQ(cat.status, 0) << cat.err;
  EXPECT_EQ(cat.out, "a,b\n1,2\n");
  auto st = Pwnbox({"--policy", policy, "--", "stat", "-c", "%s", dir + "/data/report.csv"});
  EXPECT_EQ(st.status, 0) << st.err;
  EXPECT_EQ(st.out, "8\n");
  auto link = Pwnbox({"--policy", policy, "--", "readlink", dir + "/data/latest"});
  EXPECT_EQ(link.status, 0) << link.err;
  EXPECT_EQ(link.out, "report.csv\n");
  // What the server does not have is not found, whatever the local directory holds.
  auto local = Pwnbox({"--policy", policy, "--", "cat", dir + "/data/local.txt"});
  EXPECT_EQ(local.status, 1);
  EXPECT_TRUE(Contains(local.err, "No such file or directory")) << local.err;
  // Paths outside the rule are the target's own.
  auto own = Pwnbox({"--policy", policy, "--", "cat", dir + "/srv/report.csv"});
  EXPECT_EQ(own.out, "a,b\n1,2\n");
}

// trace --policy and record --policy serve proxy rules through the same notify loop, and show
// the proxied call with the fd the target got.
TEST(ProxyRun, TraceAndRecordUnderAProxyPolicy) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/srv").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/data").c_str(), 0755), 0);
  WriteFile(dir + "/srv/f", "served\n");
  Server server(dir, dir + "/srv");
  ASSERT_TRUE(server.ready());
  const std::string policy = Policy(dir, kFileCalls, dir + "/data/**", server.backend());
  auto t = Pwnbox({"trace", "--policy", policy, "-e", "trace=openat", "--", "cat",
                   dir + "/data/f"});
  EXPECT_EQ(t.status, 0) << t.err;
  EXPECT_EQ(t.out, "served\n");
  EXPECT_EQ(Grep(t.err, "openat(AT_FDCWD, \"" + dir + "/data/f\", O_RDONLY) = 3").size(), 1u)
      << t.err;
  const std::string rec = dir + "/r.pwnr";
  auto r = Pwnbox({"record", "--policy", policy, "-o", rec, "--", "cat", dir + "/data/f"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "served\n");
  auto show = Pwnbox({"show", rec});
  EXPECT_EQ(Grep(show.out, "openat(AT_FDCWD, \"" + dir + "/data/f\", O_RDONLY) = 3").size(), 1u)
      << show.out;
}

TEST(ProxyRun, TheServersAllowListIsEnforced) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/srv").c_str(), 0755), 0);
  WriteFile(dir + "/srv/ok.txt", "ok\n");
  WriteFile(dir + "/srv/secret.txt", "secret\n");
  ASSERT_EQ(mkdir((dir + "/data").c_str(), 0755), 0);  // the rule's directory exists here
  Server server(dir, dir + "/srv", "ok.txt");
  ASSERT_TRUE(server.ready());
  const std::string policy = Policy(dir, kFileCalls, dir + "/data/**", server.backend());
  auto ok = Pwnbox({"--policy", policy, "--", "cat", dir + "/data/ok.txt"});
  EXPECT_EQ(ok.out, "ok\n") << ok.err;
  auto refused = Pwnbox({"--policy", policy, "--", "cat", dir + "/data/secret.txt"});
  EXPECT_EQ(refused.status, 1);
  EXPECT_TRUE(Contains(refused.err, "Permission denied")) << refused.err;
}

TEST(ProxyRun, NoServerFailsWithEioReportedOnce) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/data").c_str(), 0755), 0);
  const std::string policy = Policy(dir, kFileCalls, dir + "/data/**", "unix:" + dir + "/none");
  auto r = Pwnbox({"--policy", policy, "--", "sh", "-c",
                   "cat " + dir + "/data/a 2>/dev/null || echo eio-a; cat " + dir +
                       "/data/b 2>&1 | grep -c 'Input/output error'"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "eio-a\n1\n");
  EXPECT_EQ(Grep(r.err, "pwnbox: proxy backend unix:" + dir + "/none").size(), 1u) << r.err;
  // A server that goes away mid-run: the next call fails the same way.
  ASSERT_EQ(mkdir((dir + "/srv").c_str(), 0755), 0);
  WriteFile(dir + "/srv/f", "f\n");
  Server server(dir, dir + "/srv");
  ASSERT_TRUE(server.ready());
  const std::string live = Policy(dir, kFileCalls, dir + "/data/**", server.backend());
  auto a = Pwnbox({"--policy", live, "--", "cat", dir + "/data/f"});
  EXPECT_EQ(a.out, "f\n") << a.err;
  server.Stop();
  auto b = Pwnbox({"--policy", live, "--", "cat", dir + "/data/f"});
  EXPECT_EQ(b.status, 1);
  EXPECT_TRUE(Contains(b.err, "Input/output error")) << b.err;
}

// A handler of the user's (exec:), as docs/proxy.md shows: a made-up host name.
TEST(ProxyRun, AnExecHandlerAnswersUname) {
  const std::string dir = TempDir();
  const std::string policy =
      Policy(dir, "\"uname\"", "",
             "exec:FAKE_HOSTNAME=boxed python3 " + SourcePath("examples/proxy/handler.py"));
  auto r = Pwnbox({"--policy", policy, "--", "uname", "-n"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "boxed\n");
  auto p = Pwnbox({"--policy", policy, "--", Prog("px_uname")});
  EXPECT_EQ(p.out, "rc=0 nodename=boxed\n") << p.err;
}

// A handler that answers nonsense: oversized or short data, no fd for an open, an fd for a
// stat. Each call fails with EIO; the target's buffer is not written; pwnbox reports it once.
TEST(ProxyRun, AMaliciousHandlerCannotCorruptTheTarget) {
  const std::string dir = TempDir();
  const std::string evil = dir + "/evil.py";
  WriteFile(evil, R"(import base64, importlib.util, os, sys
spec = importlib.util.spec_from_file_location("h", sys.argv[1])
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)
def evil(call):
    n = call["name"]
    if n == "uname":
        return {"ret": 0, "data": base64.b64encode(b"A" * 1000).decode()}
    if n in ("newfstatat", "statx"):
        return {"ret": 0, "data": base64.b64encode(b"B" * 10).decode()}
    return {"ret": 0}
h.answer = evil
h.serve(h.socket.socket(fileno=0))
)");
  const std::string backend =
      "exec:python3 " + evil + " " + SourcePath("examples/proxy/handler.py");
  auto u = Pwnbox({"--policy", Policy(dir, "\"uname\"", "", backend), "--", Prog("px_uname")});
  EXPECT_EQ(u.status, 0) << u.err;
  EXPECT_EQ(u.out, "rc=-1 errno=5 untouched\n") << u.err;
  EXPECT_EQ(Grep(u.err, "1000 bytes for uname's 390-byte buffer").size(), 1u) << u.err;
  ASSERT_EQ(mkdir((dir + "/data").c_str(), 0755), 0);
  const std::string files = Policy(dir, kFileCalls, dir + "/data/**", backend);
  auto r = Pwnbox({"--policy", files, "--", "sh", "-c",
                   "stat " + dir + "/data/x 2>&1 | grep -c 'Input/output error'; cat " + dir +
                       "/data/x 2>&1 | grep -c 'Input/output error'"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1\n1\n") << r.err;
}

// At most 64 calls are in flight (NotifyMonitor::kMaxInFlight, emulated and proxied together):
// with a backend that holds every open until the test opens its gate, 80 concurrent opens are
// 64 held and 16 answered EAGAIN at once; opening the gate answers the 64. open(O_PATH) is
// ENOSYS, as under path rules.
TEST(ProxyRun, CallsBeyondTheInFlightCapGetEagainAndOPathIsEnosys) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/data").c_str(), 0755), 0);
  WriteFile(dir + "/served", "x\n");
  const std::string gate = dir + "/gate";
  ASSERT_EQ(mkfifo(gate.c_str(), 0600), 0);
  const std::string gated = dir + "/gated.py";
  WriteFile(gated, R"(import importlib.util, os, sys
spec = importlib.util.spec_from_file_location("h", sys.argv[1])
h = importlib.util.module_from_spec(spec)
spec.loader.exec_module(h)
sock = h.socket.socket(fileno=0)
hello, fds = h.receive(sock)
h.send(sock, {"type": "hello", "version": 1, "fd": bool(fds), "fd_passing": bool(fds)}, fds[:1])
opened = False
while True:
    call, fds = h.receive(sock)
    if call is None:
        break
    if not opened:
        open(sys.argv[2]).read()  # until the test opens the gate
        opened = True
    fd = os.open(sys.argv[3], os.O_RDONLY)
    h.send(sock, {"type": "result", "id": call["id"], "ret": 0, "fd": True}, [fd])
    os.close(fd)
)");
  const std::string backend = "exec:python3 " + gated + " " +
                              SourcePath("examples/proxy/handler.py") + " " + gate + " " + dir +
                              "/served";
  const std::string policy = Policy(dir, kFileCalls, dir + "/data/**", backend);
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t pw = fork();
  if (pw == 0) {
    dup2(out[1], 1);
    close(out[0]);
    std::string bin = PwnboxBin(), prog = Prog("px_flood"), file = dir + "/data/f";
    execl(bin.c_str(), bin.c_str(), "--policy", policy.c_str(), "--", prog.c_str(), file.c_str(),
          "80", nullptr);
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  ASSERT_NE(f, nullptr);
  char line[64];
  int eagain = 0, ok = 0, other = 0;
  while (eagain + other < 16 && fgets(line, sizeof line, f)) {
    if (std::string(line) == "EAGAIN\n") ++eagain;
    else ++other;
  }
  EXPECT_EQ(eagain, 16);
  EXPECT_EQ(other, 0);
  {  // open the gate: the 64 held opens are answered with the backend's fd
    int g = open(gate.c_str(), O_WRONLY);
    ASSERT_GE(g, 0);
    close(g);
  }
  while (fgets(line, sizeof line, f)) {
    if (std::string(line) == "ok\n") ++ok;
    else ++other;
  }
  fclose(f);
  int st = 0;
  ASSERT_EQ(waitpid(pw, &st, 0), pw);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  EXPECT_EQ(ok, 64);
  EXPECT_EQ(other, 0);

  auto opath = Pwnbox({"--policy", Policy(dir, kFileCalls, dir + "/data/**", "unix:/nowhere"),
                       "--", Prog("px_flood"), dir + "/data/f", "1", "path"});
  EXPECT_EQ(opath.status, 0) << opath.err;
  EXPECT_EQ(opath.out, "errno 38\n");  // ENOSYS, without asking the backend
  EXPECT_EQ(opath.err, "");
}

TEST(ProxyRun, PolicyErrorsNameTheRule) {
  const std::string dir = TempDir();
  auto bad = Pwnbox({"--policy", Policy(dir, "\"execve\"", "", "unix:/x"), "--", "true"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_TRUE(Contains(bad.err, dir + "/proxy.toml:4:1: proxy cannot serve execve yet"))
      << bad.err;
  auto scheme = Pwnbox({"--policy", Policy(dir, "\"uname\"", "", "tcp:1.2.3.4:5"), "--", "true"});
  EXPECT_EQ(scheme.status, 125);
  EXPECT_TRUE(Contains(scheme.err, "neither unix:PATH nor exec:COMMAND")) << scheme.err;
}

}  // namespace
}  // namespace pwnbox::testing
