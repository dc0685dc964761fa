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

// `pwnbox proxy serve` on a socket in `dir`, serving `root` (with `--allow ALLOW`).
class Server : public ProxyServeProcess {
 public:
  Server(const std::string& dir, const std::string& root, const std::string& allow = "")
      : ProxyServeProcess(dir, allow.empty() ? std::vector<std::string>{"--root", root}
                                             : std::vector<std::string>{"--root", root,
                                                                        "--allow", allow}) {}
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
  WriteFile(evil, ProxyHandlerScript(R"(def evil(call):
    n = call["name"]
    if n == "uname":
        return {"ret": 0, "data": base64.b64encode(b"A" * 1000).decode()}
    if n in ("newfstatat", "statx"):
        return {"ret": 0, "data": base64.b64encode(b"B" * 10).decode()}
    return {"ret": 0}
h.answer = evil
h.serve(h.socket.socket(fileno=0))
)"));
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
TEST(ProxyRun, CallsBeyondTheInFlightCapGetEagain) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/data").c_str(), 0755), 0);
  WriteFile(dir + "/served", "x\n");
  const std::string gate = dir + "/gate";
  ASSERT_EQ(mkfifo(gate.c_str(), 0600), 0);
  const std::string gated = dir + "/gated.py";
  WriteFile(gated, ProxyHandlerScript(R"(sock = h.socket.socket(fileno=0)
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
)"));
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

}


constexpr const char* kTreeCalls =
    "\"open\", \"openat\", \"newfstatat\", \"statx\", \"mkdir\", \"mkdirat\", \"rmdir\", "
    "\"unlink\", \"unlinkat\", \"rename\", \"renameat\", \"renameat2\", \"link\", \"linkat\", "
    "\"symlink\", \"symlinkat\", \"chmod\", \"fchmodat\", \"truncate\"";

// The calls that change the tree act on the server's side: mkdir (with the target's umask),
// a file created, renamed, linked, truncated, chmod'ed, a symlink, unlink and rmdir; a
// directory listed through the fd the server passed (getdents runs on it natively).
TEST(ProxyRun, TheTreeChangesOnTheServersSide) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/srv").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/data").c_str(), 0755), 0);
  WriteFile(dir + "/srv/gone.txt", "x");
  ASSERT_EQ(mkdir((dir + "/srv/empty").c_str(), 0755), 0);
  Server server(dir, dir + "/srv");
  ASSERT_TRUE(server.ready());
  const std::string policy = Policy(dir, kTreeCalls, dir + "/data/**", server.backend());
  const std::string d = dir + "/data";
  const std::string script =
      "import os\n"
      "d = '" + d + "'\n"
      "os.umask(0o027)\n"
      "os.mkdir(d + '/sub', 0o777)\n"
      "with open(d + '/sub/a.txt', 'w') as f: f.write('hello world')\n"
      "os.rename(d + '/sub/a.txt', d + '/sub/b.txt')\n"
      "os.link(d + '/sub/b.txt', d + '/sub/c.txt')\n"
      "os.truncate(d + '/sub/b.txt', 5)\n"
      "os.chmod(d + '/sub/b.txt', 0o600)\n"
      "os.symlink('b.txt', d + '/sub/l')\n"
      "os.unlink(d + '/gone.txt')\n"
      "os.rmdir(d + '/empty')\n"
      "print(sorted(os.listdir(d + '/sub')))\n"
      "for bad in (lambda: os.mkdir(d + '/sub'), lambda: os.rmdir(d + '/sub'),\n"
      "            lambda: os.unlink(d + '/missing')):\n"
      "  try: bad()\n"
      "  except OSError as e: print(e.strerror)\n";
  auto r = Pwnbox({"--policy", policy, "--", "python3", "-c", script});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "['b.txt', 'c.txt', 'l']\nFile exists\nDirectory not empty\n"
                   "No such file or directory\n");
  // All of it happened beneath the server's root, none of it in the local directory.
  struct stat st;
  ASSERT_EQ(stat((dir + "/srv/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);  // 0777 less the target's umask 027
  ASSERT_EQ(stat((dir + "/srv/sub/b.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 5);
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_EQ(ReadFile(dir + "/srv/sub/c.txt"), "hello");
  char link[64] = {};
  EXPECT_EQ(readlink((dir + "/srv/sub/l").c_str(), link, sizeof link - 1), 5);
  EXPECT_STREQ(link, "b.txt");
  EXPECT_NE(access((dir + "/srv/gone.txt").c_str(), F_OK), 0);
  EXPECT_NE(access((dir + "/srv/empty").c_str(), F_OK), 0);
  EXPECT_NE(access((dir + "/data/sub").c_str(), F_OK), 0);
  // A created file gets the target's umask too (0666 & ~027).
  auto created = Pwnbox({"--policy", policy, "--", "sh", "-c",
                         "umask 027; echo x > " + d + "/new.txt"});
  ASSERT_EQ(created.status, 0) << created.err;
  ASSERT_EQ(stat((dir + "/srv/new.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  // ls lists the server's directory (getdents on the fd it passed).
  auto ls = Pwnbox({"--policy", policy, "--", "ls", d + "/sub"});
  EXPECT_EQ(ls.status, 0) << ls.err;
  EXPECT_EQ(ls.out, "b.txt\nc.txt\nl\n");
}

// rename and link between a proxied path and a local one fail with EXDEV, as across mounts
// (mv then copies, which goes through the rule); nothing moves on either side.
TEST(ProxyRun, RenameBetweenTheServerAndLocalIsExdev) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/srv").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/data").c_str(), 0755), 0);
  WriteFile(dir + "/srv/remote.txt", "remote\n");
  WriteFile(dir + "/local.txt", "local\n");
  Server server(dir, dir + "/srv");
  ASSERT_TRUE(server.ready());
  const std::string policy = Policy(dir, kTreeCalls, dir + "/data/**", server.backend());
  const std::string script =
      "import os\n"
      "for a, b in (('" + dir + "/data/remote.txt', '" + dir + "/moved.txt'),\n"
      "             ('" + dir + "/local.txt', '" + dir + "/data/moved.txt')):\n"
      "  for op in (os.rename, os.link):\n"
      "    try: op(a, b); print('moved')\n"
      "    except OSError as e: print(e.strerror)\n";
  auto r = Pwnbox({"--policy", policy, "--", "python3", "-c", script});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "Invalid cross-device link\nInvalid cross-device link\n"
                       "Invalid cross-device link\nInvalid cross-device link\n");
  EXPECT_EQ(ReadFile(dir + "/srv/remote.txt"), "remote\n");
  EXPECT_EQ(ReadFile(dir + "/local.txt"), "local\n");
  EXPECT_NE(access((dir + "/moved.txt").c_str(), F_OK), 0);
  EXPECT_NE(access((dir + "/srv/moved.txt").c_str(), F_OK), 0);
}

// The server's --allow list holds for the calls that change the tree: a name it does not
// list is not created, removed or renamed (EACCES), and a symlink it allows cannot lead a
// create outside the list.
TEST(ProxyRun, TheAllowListHoldsForTreeChanges) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/srv").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/srv/pub").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/data").c_str(), 0755), 0);
  WriteFile(dir + "/srv/secret", "s");
  ASSERT_EQ(symlink("/secret", (dir + "/srv/pub/door").c_str()), 0);
  Server server(dir, dir + "/srv", "pub/**");
  ASSERT_TRUE(server.ready());
  const std::string policy = Policy(dir, kTreeCalls, dir + "/data/**", server.backend());
  const std::string d = dir + "/data";
  const std::string script =
      "import os\n"
      "d = '" + d + "'\n"
      "for op in (lambda: os.mkdir(d + '/pub/new'), lambda: os.mkdir(d + '/top'),\n"
      "           lambda: os.unlink(d + '/secret'), lambda: os.rename(d + '/secret', d + '/pub/s'),\n"
      "           lambda: os.symlink('x', d + '/evil'), lambda: os.chmod(d + '/pub/door', 0o777)):\n"
      "  try: op(); print('ok')\n"
      "  except OSError as e: print(e.strerror)\n";
  auto r = Pwnbox({"--policy", policy, "--", "python3", "-c", script});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "ok\nPermission denied\nPermission denied\nPermission denied\n"
                   "Permission denied\nPermission denied\n");
  struct stat st;
  ASSERT_EQ(stat((dir + "/srv/secret").c_str(), &st), 0);
  EXPECT_NE(st.st_mode & 07777, 0777u);  // chmod through the allowed symlink did not reach it
  EXPECT_NE(access((dir + "/srv/top").c_str(), F_OK), 0);
  EXPECT_NE(access((dir + "/srv/evil").c_str(), F_OK), 0);
}

// sqlite3 reads a database the server holds, read-only, through the fd it passes (locks and
// reads on the real file).
TEST(ProxyRun, Sqlite3ReadsAProxiedDatabase) {
  if (access("/usr/bin/sqlite3", X_OK) != 0) GTEST_SKIP() << "sqlite3 is not installed";
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/srv").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/data").c_str(), 0755), 0);
  auto made = pwnbox::testing::Run({"/usr/bin/sqlite3", dir + "/srv/app.db",
                   "create table t(x); insert into t values (1),(2),(3);"});
  ASSERT_EQ(made.status, 0) << made.err;
  Server server(dir, dir + "/srv");
  ASSERT_TRUE(server.ready());
  const std::string policy = Policy(dir, std::string(kFileCalls) + ", \"access\"",
                                    dir + "/data/**", server.backend());
  auto r = Pwnbox({"--policy", policy, "--", "/usr/bin/sqlite3", "-readonly",
                   dir + "/data/app.db", "select sum(x) from t;"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "6\n");
  // The same with an allow list naming only the database: sqlite3 lstats every directory on
  // the way, which the server lets it see.
  server.Stop();
  Server listed(dir, dir + "/srv", "app.db*");
  ASSERT_TRUE(listed.ready());
  r = Pwnbox({"--policy", policy, "--", "/usr/bin/sqlite3", "-readonly", dir + "/data/app.db",
              "select sum(x) from t;"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "6\n");
}

// Beneath a proxy rule's directory the walk stops (the backend resolves the rest, and the
// directories need not exist locally), but only for calls the rule proxies: any other call
// there acts locally, on the path as resolved locally, so a local symlink under the proxied
// directory cannot carry an open past a deny rule on its target.
TEST(ProxyRun, ACallTheRuleDoesNotProxyIsResolvedLocally) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/srv").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/data").c_str(), 0755), 0);
  WriteFile(dir + "/secret", "secret\n");
  WriteFile(dir + "/srv/link", "served\n");
  ASSERT_EQ(symlink((dir + "/secret").c_str(), (dir + "/data/link").c_str()), 0);
  Server server(dir, dir + "/srv");
  ASSERT_TRUE(server.ready());
  const std::string policy = dir + "/p.toml";
  WriteFile(policy, "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"newfstatat\", \"statx\"]\n"
                    "paths = [\"" + dir + "/data/**\"]\naction = \"proxy\"\nbackend = \"" +
                    server.backend() + "\"\n\n[[rule]]\nsyscalls = [\"open\", \"openat\"]\n"
                    "paths = [\"" + dir + "/secret\"]\naction = \"deny\"\n");
  // openat is not proxied: resolved locally, through the symlink, to the denied file.
  auto cat = Pwnbox({"--policy", policy, "--", "cat", dir + "/data/link"});
  EXPECT_EQ(cat.status, 1);
  EXPECT_TRUE(Contains(cat.err, "Operation not permitted")) << cat.err;  // the deny rule
  EXPECT_EQ(cat.out, "");
  // stat is: the server's file (7 bytes), not the local link's target.
  auto st = Pwnbox({"--policy", policy, "--", "stat", "-c", "%s", dir + "/data/link"});
  EXPECT_EQ(st.status, 0) << st.err;
  EXPECT_EQ(st.out, "7\n");
  // A local path through a directory only the server has fails as the kernel fails it.
  auto missing = Pwnbox({"--policy", policy, "--", "cat", dir + "/data/nodir/f"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_TRUE(Contains(missing.err, "No such file or directory")) << missing.err;
}

// open(O_PATH) of a proxied directory or regular file gets it opened for reading (an O_PATH
// file cannot be installed in the target): `mv` into a proxied directory, which opens it
// O_PATH|O_DIRECTORY, works; O_PATH of a FIFO is ENOSYS.
TEST(ProxyRun, OPathGetsTheObjectOpenedForReading) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/srv").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/srv/into").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/data").c_str(), 0755), 0);
  WriteFile(dir + "/srv/f", "f\n");
  ASSERT_EQ(mkfifo((dir + "/srv/fifo").c_str(), 0600), 0);
  Server server(dir, dir + "/srv");
  ASSERT_TRUE(server.ready());
  const std::string policy = Policy(dir, kTreeCalls, dir + "/data/**", server.backend());
  auto opath = Pwnbox({"--policy", policy, "--", Prog("px_flood"), dir + "/data/into", "1", "path"});
  EXPECT_EQ(opath.status, 0) << opath.err;
  EXPECT_EQ(opath.out, "ok\n");
  auto fifo = Pwnbox({"--policy", policy, "--", Prog("px_flood"), dir + "/data/fifo", "1", "path"});
  EXPECT_EQ(fifo.out, "errno 38\n");  // ENOSYS
  auto mv = Pwnbox({"--policy", policy, "--", "mv", dir + "/data/f", dir + "/data/into/"});
  EXPECT_EQ(mv.status, 0) << mv.err;
  EXPECT_EQ(ReadFile(dir + "/srv/into/f"), "f\n");
}

// examples/proxy/memfs.py: files that exist nowhere on disk, read through a sealed memfd the
// handler passes; stat answers from the tree; writes are EROFS.
TEST(ProxyRun, TheInMemoryTreeExample) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/data").c_str(), 0755), 0);
  WriteFile(dir + "/tree.json", R"({"/app.conf": "x = 1\n", "/sub/deep.txt": "deep\n"})");
  const std::string backend = "exec:python3 " + SourcePath("examples/proxy/memfs.py") + " " +
                              dir + "/tree.json";
  const std::string policy =
      Policy(dir, "\"open\", \"openat\", \"newfstatat\", \"statx\", \"access\", \"faccessat2\"",
             dir + "/data/**", backend);
  auto r = Pwnbox({"--policy", policy, "--", "sh", "-c",
                   "cat " + dir + "/data/app.conf " + dir + "/data/sub/deep.txt; "
                   "stat -L -c '%s %A' " + dir + "/data/app.conf; "
                   "test -d " + dir + "/data/sub && echo dir; "
                   "echo no > " + dir + "/data/app.conf || echo refused; "
                   "cat " + dir + "/data/absent 2>/dev/null || echo absent"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "x = 1\ndeep\n6 -r--r--r--\ndir\nrefused\nabsent\n") << r.err;
  EXPECT_TRUE(Contains(r.err, "Read-only file system")) << r.err;
}

// examples/proxy/logger.py between pwnbox and `proxy serve`: calls and fds go through
// unchanged, one line per call on stderr.
TEST(ProxyRun, TheLoggingPassThroughExample) {
  const std::string dir = TempDir();
  ASSERT_EQ(mkdir((dir + "/srv").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/data").c_str(), 0755), 0);
  WriteFile(dir + "/srv/f", "through the logger\n");
  Server server(dir, dir + "/srv");
  ASSERT_TRUE(server.ready());
  const std::string backend = "exec:python3 " + SourcePath("examples/proxy/logger.py") + " " +
                              server.backend().substr(5);
  auto r = Pwnbox({"--policy", Policy(dir, kFileCalls, dir + "/data/**", backend), "--", "cat",
                   dir + "/data/f", dir + "/data/g"});
  EXPECT_EQ(r.status, 1);  // g is not there
  EXPECT_EQ(r.out, "through the logger\n");
  EXPECT_EQ(Grep(r.err, "openat /f -> fd").size(), 1u) << r.err;
  EXPECT_EQ(Grep(r.err, "openat /g -> errno 2").size(), 1u) << r.err;
}

// The notify loop's own connection (supervisor/proxy_loop.h): after the first call (on a
// worker), the loop sends the next ones itself on a second connection. A backend that breaks
// that connection (a result for an id not in flight, garbage, closing it, a stall of 10 s is
// it_proxy_relay_test's) fails the calls on it with EIO, reported once, and the next call
// goes through a worker again, which makes a new loop connection: the calls after work.
TEST(ProxyRun, TheLoopsOwnConnectionFailsClosedAndRecovers) {
  const std::string dir = TempDir();
  const std::string script = dir + "/flaky.py";
  // Connection 1 (the worker's) behaves; connection 2 (the first loop connection) answers its
  // first call and breaks on its second as argv[2] says; later connections behave.
  WriteFile(script, ProxyHandlerScript(R"(mode, count, lock = sys.argv[2], [0], threading.Lock()
def serve(sock, number):
    hello, fds = h.receive(sock)
    h.send(sock, {"type": "hello", "version": 1, "fd": bool(fds), "fd_passing": bool(fds)}, fds[:1])
    calls = 0
    while True:
        call, fds = h.receive(sock)
        if call is None:
            return
        calls += 1
        result = {"type": "result", "id": call["id"], **h.answer(call)}
        if number == 2 and calls == 2:
            if mode == "wrong-id":
                result["id"] += 1000
            elif mode == "garbage":
                sock.sendall(b"\xff\xff\xff\xff")
                return
            elif mode == "close":
                sock.close()
                return
        h.send(sock, result)
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(sys.argv[3])
listener.listen()
print("ready", flush=True)
while True:
    conn = listener.accept()[0]
    with lock:
        count[0] += 1
        number = count[0]
    threading.Thread(target=serve, args=(conn, number), daemon=True).start()
)"));
  for (const std::string mode : {"wrong-id", "garbage", "close"}) {
    const std::string sock = dir + "/" + mode + ".sock";
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    pid_t handler = fork();
    if (handler == 0) {
      setpgid(0, 0);  // killed as a group: python3 may be a shim that forks the interpreter
      dup2(out[1], 1);
      close(out[0]);
      execlp("python3", "python3", script.c_str(), SourcePath("examples/proxy/handler.py").c_str(),
             mode.c_str(), sock.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    struct Reap {  // on every way out of this scope, failed assertions included
      pid_t pid;
      ~Reap() {
        kill(-pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    } reap{handler};
    std::string line;  // "ready\n" once it accepts (perhaps in two writes)
    char ch;
    while (read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
    close(out[0]);
    ASSERT_EQ(line, "ready");
    auto r = Pwnbox({"--policy", Policy(dir, "\"uname\"", "", "unix:" + sock), "--", "sh", "-c",
                     "for i in 1 2 3 4 5 6; do uname -n 2>&1; done"});
    EXPECT_EQ(r.status, 0) << mode << ": " << r.err;
    // Calls 1 (worker) and 2 (loop) work, 3 meets the broken connection, 4 goes through a
    // worker again, 5 and 6 through the new loop connection.
    EXPECT_EQ(r.out, "sandbox\nsandbox\nuname: cannot get system name: Input/output error\n"
                     "sandbox\nsandbox\nsandbox\n")
        << mode;
    EXPECT_EQ(Grep(r.err, "its calls fail with EIO").size(), 1u) << mode << ": " << r.err;
  }
}

// getrandom, a call with a scalar result and bytes executed elsewhere: the backend's bytes
// (a handler's fixed ones prove where they came from), never more than the target asked for,
// and `proxy serve`'s own randomness.
TEST(ProxyRun, GetrandomComesFromTheBackend) {
  const std::string dir = TempDir();
  const std::string fixed = dir + "/fixed.py";
  WriteFile(fixed, ProxyHandlerScript(R"(def fixed(call):
    if call["name"] == "getrandom":
        return {"ret": call["size"], "data": base64.b64encode(b"\x42" * call["size"]).decode()}
    return {"errno": 38}
h.answer = fixed
h.serve(h.socket.socket(fileno=0))
)"));
  const std::string script = "import os; print(os.getrandom(8).hex(), len(os.getrandom(100000)))";
  auto r = Pwnbox({"--policy",
                   Policy(dir, "\"getrandom\"", "",
                          "exec:python3 " + fixed + " " + SourcePath("examples/proxy/handler.py")),
                   "--", "python3", "-c", script});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "4242424242424242 100000\n") << r.err;
  ASSERT_EQ(mkdir((dir + "/srv").c_str(), 0755), 0);
  Server server(dir, dir + "/srv");
  ASSERT_TRUE(server.ready());
  auto s = Pwnbox({"--policy", Policy(dir, "\"getrandom\"", "", server.backend()), "--", "python3",
                   "-c", "import os; a = os.getrandom(16); b = os.getrandom(16); print(len(a), a != b)"});
  EXPECT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(s.out, "16 True\n") << s.err;
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
