// `pwnbox proxy serve` (docs/proxy.md): the real server on a temporary socket, spoken to by the
// Python client shipped in examples/proxy/client.py and by proxy::ProxyClient. Confinement
// beneath --root ("..", absolute symlinks, magic links), --allow, the stat/readlink/uname
// answers, clients that break the protocol in every way, and 50 clients at once. Runs as root
// and as nobody alike (the server needs no privileges).
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "proxy/client.h"
#include "proxy/protocol.h"
#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

using json = nlohmann::json;

// A `pwnbox proxy serve` in the background; ready when it printed its "serving" line.
class ServeProcess {
 public:
  ServeProcess(const std::string& root, const std::vector<std::string>& extra = {}) {
    socket_ = TempDir() + "/p.sock";
    std::vector<std::string> args = {PwnboxBin(), "proxy", "serve", "--listen",
                                     "unix:" + socket_, "--root", root};
    args.insert(args.end(), extra.begin(), extra.end());
    int err[2];
    EXPECT_EQ(pipe2(err, O_CLOEXEC), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(err[1], 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(err[1]);
    err_ = err[0];
    // Wait for the line that says the socket accepts (no sleeping).
    while (stderr_.find("serving ") == std::string::npos) {
      char buf[256];
      ssize_t n = read(err_, buf, sizeof buf);
      if (n <= 0) break;
      stderr_.append(buf, static_cast<size_t>(n));
    }
    EXPECT_NE(stderr_.find("pwnbox proxy serve: serving "), std::string::npos) << stderr_;
  }
  ~ServeProcess() { Stop(); }

  // SIGTERM; returns the exit status (0 expected) and collects stderr.
  int Stop() {
    if (pid_ <= 0) return status_;
    kill(pid_, SIGTERM);
    int ws = 0;
    waitpid(pid_, &ws, 0);
    pid_ = -1;
    char buf[4096];
    ssize_t n;
    while ((n = read(err_, buf, sizeof buf)) > 0) stderr_.append(buf, static_cast<size_t>(n));
    close(err_);
    status_ = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return status_;
  }
  bool Alive() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }
  const std::string& socket() const { return socket_; }
  std::string backend() const { return "unix:" + socket_; }
  const std::string& err() const { return stderr_; }

 private:
  std::string socket_;
  pid_t pid_ = -1;
  int err_ = -1;
  int status_ = -1;
  std::string stderr_;
};

// examples/proxy/client.py SOCKET ARGS...: its one JSON line.
json PyClient(const ServeProcess& server, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"python3", SourcePath("examples/proxy/client.py"),
                                   server.socket()};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r = Run(argv);
  EXPECT_EQ(r.status, 0) << r.err;
  json j = json::parse(r.out, nullptr, false);
  EXPECT_TRUE(j.is_object()) << r.out << r.err;
  return j;
}

proxy::Request Call(const std::string& name, const std::string& path, int64_t flags = 0) {
  proxy::Request r;
  r.name = name;
  r.pid = getpid();
  r.path = path;
  r.flags = flags;
  r.mode = 0644;
  return r;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = pread(fd, buf, sizeof buf, static_cast<off_t>(out.size()))) > 0)
    out.append(buf, static_cast<size_t>(n));
  return out;
}

// A raw connection, for clients that break the protocol.
int RawConnect(const std::string& path) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  EXPECT_EQ(connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << strerror(errno);
  return s;
}

// What the server sends before it closes a raw connection: its messages' types and texts.
std::string Drain(int s) {
  std::string out;
  while (true) {
    auto frame = proxy::ReceiveMessage(s, 30'000);
    if (!frame.ok() || !frame->has_value()) break;
    auto m = proxy::DecodeMessage((*frame)->payload, std::move((*frame)->fd));
    if (!m.ok()) break;
    if (m->type == proxy::Message::Type::kError) out += "error: " + m->error + "\n";
    if (m->type == proxy::Message::Type::kHello) out += "hello\n";
  }
  close(s);
  return out;
}

class ProxyServe : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = TempDir();
    root_ = base_ + "/root";
    mkdir(root_.c_str(), 0755);
    mkdir((root_ + "/data").c_str(), 0755);
    mkdir((base_ + "/outside").c_str(), 0755);
    WriteFile(root_ + "/data/report.csv", "a,b\n1,2\n");
    WriteFile(root_ + "/other.txt", "other\n");
    WriteFile(base_ + "/outside/secret", "SECRET\n");
    // Ways out, each of which must stay beneath the root.
    symlink("../other.txt", (root_ + "/data/lnk").c_str());
    symlink((base_ + "/outside/secret").c_str(), (root_ + "/abs").c_str());
    symlink("../../../../../../../../outside/secret", (root_ + "/data/up").c_str());
    symlink("/proc/self/root/etc/hostname", (root_ + "/magic").c_str());
  }
  std::string base_, root_;
};

TEST_F(ProxyServe, HelloProvesFdPassingBothClients) {
  ServeProcess server(root_);
  auto client = proxy::ProxyClient::Connect(server.backend());
  ASSERT_TRUE(client.ok()) << client.error().message();
  EXPECT_TRUE((*client)->fd_passing());
  EXPECT_EQ((*client)->version(), 1);
  EXPECT_NE((*client)->peer_software().find("proxy serve"), std::string::npos);
  EXPECT_EQ(PyClient(server, {"uname"})["fd_passing"], true);
  // Without the proof the server says no, and an open cannot come back as an fd.
  json j = PyClient(server, {"--no-fd", "open", "/data/report.csv"});
  EXPECT_EQ(j["fd_passing"], false);
  EXPECT_EQ(j["errno"], EOPNOTSUPP);
}

TEST_F(ProxyServe, OpensBeneathRootAndPassesTheFd) {
  ServeProcess server(root_);
  auto client = proxy::ProxyClient::Connect(server.backend());
  ASSERT_TRUE(client.ok()) << client.error().message();
  auto res = (*client)->Call(Call("openat", "/data/report.csv", O_RDONLY));
  ASSERT_TRUE(res.ok()) << res.error().message();
  EXPECT_EQ(res->err, 0);
  ASSERT_TRUE(res->fd);
  EXPECT_EQ(ReadAll(res->fd.get()), "a,b\n1,2\n");
  EXPECT_EQ(fcntl(res->fd.get(), F_GETFL) & O_NONBLOCK, 0);  // the server's own flag is gone
  EXPECT_EQ(PyClient(server, {"open", "/data/report.csv"})["content"], "a,b\n1,2\n");
  // creat and a write through the passed fd land in the root.
  auto created = (*client)->Call(Call("creat", "/data/new.txt"));
  ASSERT_TRUE(created.ok() && created->fd);
  ASSERT_EQ(write(created->fd.get(), "hi", 2), 2);
  EXPECT_EQ(ReadFile(root_ + "/data/new.txt"), "hi");
  auto missing = (*client)->Call(Call("open", "/nope", O_RDONLY));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->err, ENOENT);
  EXPECT_FALSE(missing->fd);
}

TEST_F(ProxyServe, NothingEscapesTheRoot) {
  ServeProcess server(root_);
  auto client = proxy::ProxyClient::Connect(server.backend());
  ASSERT_TRUE(client.ok()) << client.error().message();
  for (const std::string path : {"/../outside/secret", "/data/../../outside/secret",
                                 "../outside/secret", "/abs", "/data/up", "/magic",
                                 "/../../../../proc/self/root/etc/hostname"}) {
    for (const char* name : {"openat", "stat", "readlink"}) {
      auto res = (*client)->Call(Call(name, path, O_RDONLY));
      ASSERT_TRUE(res.ok()) << res.error().message();
      if (std::string(name) == "readlink" && (path == "/abs" || path == "/data/up" || path == "/magic")) {
        EXPECT_EQ(res->err, 0) << path;  // reading the link itself is fine: it is in the root
        continue;
      }
      EXPECT_NE(res->err, 0) << name << " " << path;
      EXPECT_FALSE(res->fd) << path;
      EXPECT_TRUE(res->data.empty()) << path;
    }
  }
  // ".." inside the root is fine.
  auto ok = (*client)->Call(Call("openat", "/data/../other.txt", O_RDONLY));
  ASSERT_TRUE(ok.ok() && ok->fd);
  EXPECT_EQ(ReadAll(ok->fd.get()), "other\n");
}

TEST_F(ProxyServe, MagicLinksAreRefusedEvenWithTheWholeFileSystemAsRoot) {
  ServeProcess server("/");
  auto client = proxy::ProxyClient::Connect(server.backend());
  ASSERT_TRUE(client.ok()) << client.error().message();
  for (const std::string& path : std::vector<std::string>{
           "/proc/self/root/" + root_ + "/other.txt", "/proc/self/cwd", "/proc/self/fd/0",
           "/proc/self/exe"}) {
    auto res = (*client)->Call(Call("openat", path, O_RDONLY));
    ASSERT_TRUE(res.ok());
    EXPECT_EQ(res->err, ELOOP) << path;
  }
  auto plain = (*client)->Call(Call("openat", root_ + "/other.txt", O_RDONLY));
  ASSERT_TRUE(plain.ok() && plain->fd);
}

TEST_F(ProxyServe, AllowListRefusesTheRestWithEacces) {
  ServeProcess server(root_, {"--allow", "data/*.csv,data/new*", "--allow", "data/lnk"});
  auto client = proxy::ProxyClient::Connect(server.backend());
  ASSERT_TRUE(client.ok()) << client.error().message();
  auto ok = (*client)->Call(Call("openat", "/data/report.csv", O_RDONLY));
  ASSERT_TRUE(ok.ok() && ok->fd);
  EXPECT_EQ(ReadAll(ok->fd.get()), "a,b\n1,2\n");
  // Not named; a name outside the list by ".."; a listed symlink to an unlisted file; a
  // directory on the way to listed names (which stat can see, not open: below).
  for (const std::string path : {"/other.txt", "/data/../other.txt", "/data/lnk", "/data"}) {
    auto res = (*client)->Call(Call("openat", path, O_RDONLY));
    ASSERT_TRUE(res.ok());
    EXPECT_EQ(res->err, EACCES) << path;
    EXPECT_FALSE(res->fd);
    auto st = (*client)->Call(Call("stat", path));
    EXPECT_EQ(st->err, path == "/data" ? 0 : EACCES) << path;
  }
  // The directories on the way to listed names can be stat'ed and accessed (realpath and
  // sqlite3 lstat every component), never opened, listed or read as links; others cannot.
  ASSERT_EQ(mkdir((root_ + "/other").c_str(), 0755), 0);
  for (const std::string dir : {"/", "/data", "/data/"}) {
    EXPECT_EQ((*client)->Call(Call("lstat", dir))->err, 0) << dir;
    proxy::Request acc = Call("access", dir);
    acc.mode = X_OK;
    EXPECT_EQ((*client)->Call(acc)->err, 0) << dir;
    EXPECT_EQ((*client)->Call(Call("openat", dir, O_RDONLY | O_DIRECTORY))->err, EACCES) << dir;
  }
  EXPECT_EQ((*client)->Call(Call("stat", "/other"))->err, EACCES);
  EXPECT_EQ((*client)->Call(Call("stat", "/data/../other"))->err, EACCES);
  // A refused create creates nothing; an allowed one does.
  auto refused = (*client)->Call(Call("openat", "/made.txt", O_WRONLY | O_CREAT));
  EXPECT_EQ(refused->err, EACCES);
  EXPECT_NE(access((root_ + "/made.txt").c_str(), F_OK), 0);
  auto made = (*client)->Call(Call("openat", "/data/new1", O_WRONLY | O_CREAT));
  ASSERT_TRUE(made.ok() && made->fd);
  EXPECT_EQ(access((root_ + "/data/new1").c_str(), F_OK), 0);
  EXPECT_EQ(PyClient(server, {"open", "/other.txt"})["errno"], EACCES);
}

TEST_F(ProxyServe, StatReadlinkAccessUname) {
  ServeProcess server(root_);
  auto client = proxy::ProxyClient::Connect(server.backend());
  ASSERT_TRUE(client.ok()) << client.error().message();
  struct stat local;
  ASSERT_EQ(stat((root_ + "/data/report.csv").c_str(), &local), 0);
  auto st = (*client)->Call(Call("newfstatat", "/data/report.csv"));
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->data.size(), sizeof(struct stat));
  struct stat remote;
  std::memcpy(&remote, st->data.data(), sizeof remote);
  EXPECT_EQ(remote.st_ino, local.st_ino);
  EXPECT_EQ(remote.st_size, 8);
  auto lst = (*client)->Call(Call("lstat", "/data/lnk"));
  std::memcpy(&remote, lst->data.data(), sizeof remote);
  EXPECT_TRUE(S_ISLNK(remote.st_mode));
  proxy::Request sx = Call("statx", "/data/lnk", AT_SYMLINK_NOFOLLOW);
  sx.mask = STATX_SIZE;
  auto stx = (*client)->Call(sx);
  ASSERT_EQ(stx->data.size(), sizeof(struct statx));
  struct statx x;
  std::memcpy(&x, stx->data.data(), sizeof x);
  EXPECT_EQ(x.stx_size, std::strlen("../other.txt"));
  proxy::Request rl = Call("readlink", "/data/lnk");
  rl.size = 5;
  auto link = (*client)->Call(rl);
  EXPECT_EQ(link->ret, 5);
  EXPECT_EQ(link->data, "../ot");
  EXPECT_EQ(PyClient(server, {"readlink", "/data/lnk"})["target"], "../other.txt");
  json pystat = PyClient(server, {"stat", "/data/report.csv"});
  EXPECT_EQ(pystat["ino"], local.st_ino);
  EXPECT_EQ(pystat["size"], 8);
  proxy::Request acc = Call("access", "/data/report.csv");
  acc.mode = R_OK;
  EXPECT_EQ((*client)->Call(acc)->err, 0);
  acc.path = "/absent";
  EXPECT_EQ((*client)->Call(acc)->err, ENOENT);
  utsname u;
  uname(&u);
  auto un = (*client)->Call(Call("uname", ""));
  ASSERT_EQ(un->data.size(), sizeof u);
  EXPECT_STREQ(reinterpret_cast<const utsname*>(un->data.data())->nodename, u.nodename);
  EXPECT_EQ(PyClient(server, {"gethostname"})["hostname"], u.nodename);
  EXPECT_EQ((*client)->Call(Call("getdents64", "/data"))->err, ENOSYS);  // not a call it serves
  // The calls that change the tree, beneath the root; "/" is the root itself.
  proxy::Request mk = Call("mkdir", "/made");
  mk.mode = 0750;
  EXPECT_EQ((*client)->Call(mk)->err, 0);
  struct stat made;
  ASSERT_EQ(stat((root_ + "/made").c_str(), &made), 0);
  EXPECT_EQ(made.st_mode & 07777, 0750u);  // the server's umask does not apply (proxy serve)
  mk.path = "/";
  EXPECT_EQ((*client)->Call(mk)->err, EEXIST);
  EXPECT_EQ((*client)->Call(Call("rmdir", "/"))->err, EBUSY);
  proxy::Request mv = Call("renameat2", "/other.txt");
  mv.path2 = "/made/../../../moved.txt";  // ".." stops at the root
  EXPECT_EQ((*client)->Call(mv)->err, 0);
  EXPECT_EQ(access((root_ + "/moved.txt").c_str(), F_OK), 0);
  mv.path2.reset();
  EXPECT_EQ((*client)->Call(mv)->err, EFAULT);  // rename needs its second path
  proxy::Request ln = Call("symlink", "/made/l");
  ln.data = "/etc/passwd";  // text only: the server resolves it in the root when it opens
  EXPECT_EQ((*client)->Call(ln)->err, 0);
  EXPECT_EQ((*client)->Call(Call("open", "/made/l"))->err, ENOENT);  // no /etc/passwd there
  EXPECT_EQ((*client)->Call(Call("unlink", "/made/l"))->err, 0);
  EXPECT_EQ((*client)->Call(Call("unlink", "/made"))->err, EISDIR);
  EXPECT_EQ((*client)->Call(Call("rmdir", "/made"))->err, 0);
  EXPECT_EQ(access((root_ + "/made").c_str(), F_OK), -1);
}

TEST_F(ProxyServe, SurvivesClientsThatBreakTheProtocol) {
  ServeProcess server(root_);
  // A well-behaved client connected all along must keep being served.
  auto good = proxy::ProxyClient::Connect(server.backend());
  ASSERT_TRUE(good.ok()) << good.error().message();
  auto check_good = [&] {
    auto res = (*good)->Call(Call("openat", "/other.txt", O_RDONLY));
    ASSERT_TRUE(res.ok()) << res.error().message();
    ASSERT_TRUE(res->fd);
    EXPECT_EQ(ReadAll(res->fd.get()), "other\n");
  };
  auto raw = [&](const std::string& bytes) {
    int s = RawConnect(server.socket());
    EXPECT_EQ(write(s, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    shutdown(s, SHUT_WR);
    return Drain(s);
  };
  auto frame = [](const std::string& payload) {
    uint32_t n = static_cast<uint32_t>(payload.size());
    return std::string(reinterpret_cast<const char*>(&n), 4) + payload;
  };
  const std::string hello = frame(R"({"type":"hello","version":1,"fd":false})");
  // Garbage: a length of 0x6c6c6568 ("hell") > 1 MiB.
  EXPECT_NE(raw("hello world, not a message").find("error: proxy: a message of"), std::string::npos);
  check_good();
  // Oversized length; zero length; valid length, invalid JSON; JSON that is not an object.
  EXPECT_NE(raw(std::string("\xff\xff\xff\xff", 4)).find("error:"), std::string::npos);
  EXPECT_NE(raw(std::string(4, '\0')).find("error:"), std::string::npos);
  EXPECT_NE(raw(frame("{\"type\":")).find("error: proxy protocol: the payload is not valid JSON"),
            std::string::npos);
  EXPECT_NE(raw(frame("[1,2]")).find("error:"), std::string::npos);
  EXPECT_NE(raw(frame(std::string(100, '[') + std::string(100, ']'))).find("deeper"),
            std::string::npos);
  // Calls before the hello; a wrong version; a bad call after a good hello.
  EXPECT_NE(raw(frame(R"({"type":"call","id":1,"name":"uname"})")).find("must be a hello"),
            std::string::npos);
  EXPECT_NE(raw(frame(R"({"type":"hello","version":2,"fd":false})"))
                .find("error: unsupported protocol version 2; this server speaks 1"),
            std::string::npos);
  EXPECT_EQ(raw(hello + frame(R"({"type":"call","id":0,"name":"uname"})")),
            "hello\nerror: proxy protocol: \"id\" must be an integer in 1..9007199254740991\n");
  // Disconnect in the middle of a message (the length says 100, 10 bytes come).
  EXPECT_EQ(raw(hello + std::string("\x64\0\0\0", 4) + "0123456789"),
            "hello\nerror: proxy: the peer closed the connection in the middle of a message\n");
  // An oversized message that is really sent: 1 MiB + 1 of JSON.
  {
    int s = RawConnect(server.socket());
    std::string big = frame(R"({"type":"hello","version":1,"pad":")" +
                            std::string(proxy::kMaxMessageBytes, 'x') + "\"}");
    std::thread writer([&] { (void)!send(s, big.data(), big.size(), MSG_NOSIGNAL); });
    EXPECT_NE(Drain(s).find("bytes; the protocol allows 1..1048576"), std::string::npos);
    writer.join();
  }
  // Connect and vanish without a byte; connect, hello, vanish.
  close(RawConnect(server.socket()));
  {
    int s = RawConnect(server.socket());
    EXPECT_EQ(write(s, hello.data(), hello.size()), static_cast<ssize_t>(hello.size()));
    close(s);
  }
  check_good();
  EXPECT_TRUE(server.Alive());
  EXPECT_EQ(server.Stop(), 0) << server.err();
}

TEST_F(ProxyServe, FiftyClientsAtOnce) {
  ServeProcess server(root_);
  constexpr int kClients = 50, kCalls = 20;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&] {
      auto client = proxy::ProxyClient::Connect(server.backend());
      if (!client.ok()) return;
      for (int k = 0; k < kCalls; ++k) {
        auto res = (*client)->Call(Call("openat", k % 2 ? "/other.txt" : "/data/report.csv"));
        if (!res.ok() || !res->fd) return;
        if (ReadAll(res->fd.get()) != (k % 2 ? "other\n" : "a,b\n1,2\n")) return;
      }
      ++good;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), kClients);
  // One ProxyClient shared by 8 threads: their calls are in flight together on one connection.
  auto shared = proxy::ProxyClient::Connect(server.backend());
  ASSERT_TRUE(shared.ok());
  std::atomic<int> shared_good{0};
  threads.clear();
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 50; ++k) {
        auto res = (*shared)->Call(Call(i % 2 ? "stat" : "openat", "/other.txt"));
        if (!res.ok() || res->err) return;
        if (i % 2 ? res->data.size() != sizeof(struct stat) : ReadAll(res->fd.get()) != "other\n")
          return;
      }
      ++shared_good;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(shared_good.load(), 8);
  EXPECT_EQ(server.Stop(), 0) << server.err();
}

TEST_F(ProxyServe, UsageErrors) {
  RunResult r = Pwnbox({"proxy", "serve", "--root", root_});
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(Contains(r.err, "needs --listen unix:PATH")) << r.err;
  r = Pwnbox({"proxy", "serve", "--listen", "tcp:1.2.3.4:5"});
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(Contains(r.err, "only unix:PATH")) << r.err;
  r = Pwnbox({"proxy", "serve", "--listen", "unix:" + TempDir() + "/s", "--root", "/nonexistent"});
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(Contains(r.err, "--root /nonexistent")) << r.err;
  // A second server on a live socket is refused; the first keeps it.
  ServeProcess first(root_);
  r = Pwnbox({"proxy", "serve", "--listen", first.backend(), "--root", root_});
  EXPECT_EQ(r.status, 125);
  EXPECT_TRUE(Contains(r.err, "not a stale socket")) << r.err;
  EXPECT_TRUE(proxy::ProxyClient::Connect(first.backend()).ok());
}

}  // namespace
}  // namespace pwnbox::testing
