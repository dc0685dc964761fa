// Network from a network-less sandbox (issue 14, use 2): pwnbox runs in a new user and network
// namespace (`unshare -rn`: only a loopback that is down), a rule proxies connect, bind and
// sendto to `pwnbox proxy serve --allow-connect ...` in the host's namespace, and the target's
// sockets are replaced by sockets the server made there: a python urllib fetch works, a
// destination the server does not list gets EACCES, the target's O_NONBLOCK and FD_CLOEXEC are
// kept, a UDP exchange comes back to the same socket, abstract unix names are refused, and a
// backend that is down or answers nonsense fails the call with EIO (docs/proxy.md "Network
// calls"). Real servers (python3) in the host namespace; ports come from their output.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

// A process started in the host's namespace whose first line on stdout (a port number, or
// "ready") says it is serving; killed and reaped with the object.
class Background {
 public:
  // `ready`: the first line containing it is the one waited for (default: the first line).
  Background(const std::vector<std::string>& argv, const std::string& cwd = "",
             const std::string& ready = "") {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);  // killed as a group with whatever it starts (a python3 shim's child)
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      const int null = open("/dev/null", O_WRONLY);  // the servers' request logs
      if (null >= 0) dup2(null, 2);
      if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
      std::vector<char*> c;
      for (const auto& a : argv) c.push_back(const_cast<char*>(a.c_str()));
      c.push_back(nullptr);
      execvp(c[0], c.data());
      _exit(127);
    }
    close(out[1]);
    char ch;
    do {
      line_.clear();
      while (read(out[0], &ch, 1) == 1 && ch != '\n') line_ += ch;
    } while (!ready.empty() && !line_.empty() && line_.find(ready) == std::string::npos);
    close(out[0]);
  }
  ~Background() {
    if (pid_ > 0) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  const std::string& line() const { return line_; }

 private:
  pid_t pid_ = -1;
  std::string line_;
};

// `pwnbox proxy serve` in the host's namespace, with `--allow-connect ALLOW` when given.
class ProxyServer : public ProxyServeProcess {
 public:
  ProxyServer(const std::string& dir, const std::string& allow_connect)
      : ProxyServeProcess(dir, allow_connect.empty()
                                   ? std::vector<std::string>{}
                                   : std::vector<std::string>{"--allow-connect", allow_connect}) {}
};

std::string NetPolicy(const std::string& dir, const std::string& backend) {
  const std::string path = dir + "/net.toml";
  WriteFile(path, "version = 1\ndefault = \"allow\"\n\n[[rule]]\n"
                  "syscalls = [\"connect\", \"bind\", \"sendto\"]\naction = \"proxy\"\n"
                  "backend = \"" + backend + "\"\nlog = true\n");
  return path;
}

// pwnbox and its target in a new user and network namespace: no network but a loopback that
// is down.
RunResult Sandboxed(const std::string& policy, const std::vector<std::string>& command) {
  std::vector<std::string> argv{"unshare", "-rn", PwnboxBin(), "run", "--policy", policy, "--"};
  argv.insert(argv.end(), command.begin(), command.end());
  RunOptions o;
  o.timeout_sec = 60;
  return testing::Run(argv, o);
}

// An HTTP server on 127.0.0.1 in the host's namespace serving `dir`; prints its port.
constexpr const char* kHttpServer =
    "import http.server, sys\n"
    "s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), http.server.SimpleHTTPRequestHandler)\n"
    "print(s.server_address[1], flush=True)\n"
    "s.serve_forever()\n";

// A fetch with python's urllib; with a timeout python makes the socket non-blocking.
std::string Urllib(const std::string& port, const std::string& file, bool timeout = false) {
  return "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:" + port + "/" +
         file + "'" + (timeout ? ", timeout=20" : "") + ").read().decode(), end='')";
}

TEST(ProxyNet, UrllibFromANetworklessSandbox) {
  const std::string dir = TempDir();
  WriteFile(dir + "/hello.txt", "hello from the host\n");
  Background http({"python3", "-c", kHttpServer}, dir);
  ASSERT_FALSE(http.line().empty());
  const std::string port = http.line();
  // The namespace has no network of its own.
  auto alone = testing::Run({"unshare", "-rn", "python3", "-c", Urllib(port, "hello.txt")});
  EXPECT_NE(alone.status, 0);
  EXPECT_TRUE(Contains(alone.err, "Network is unreachable") ||
              Contains(alone.err, "Connection refused"))
      << alone.err;

  ProxyServer server(dir, "127.0.0.1:" + port);
  ASSERT_TRUE(server.ready());
  const std::string policy = NetPolicy(dir, server.backend());
  auto r = Sandboxed(policy, {"python3", "-c", Urllib(port, "hello.txt")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello from the host\n");
  // log = true: the proxied connect with its sockaddr decoded and its result.
  EXPECT_EQ(Grep(r.err, "connect(3, {sa_family=AF_INET, sin_port=htons(" + port +
                            "), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 0 /* pwnbox: proxy")
                .size(),
            1u)
      << r.err;
  // With a timeout: a non-blocking socket, whose connect may say EINPROGRESS.
  auto nb = Sandboxed(policy, {"python3", "-c", Urllib(port, "hello.txt", /*timeout=*/true)});
  EXPECT_EQ(nb.status, 0) << nb.err;
  EXPECT_EQ(nb.out, "hello from the host\n");
}

// Without fd passing (the server behind socat, which drops SCM_RIGHTS, as an ssh-forwarded
// socket would): the server connects, the connected socket travels as a stream, and the target
// gets a relayed socketpair end in its socket's place; urllib works, blocking or not. bind
// has nothing a stream can carry: EOPNOTSUPP.
TEST(ProxyNet, ConnectWithoutFdPassingIsRelayed) {
  if (access("/usr/bin/socat", X_OK) != 0) GTEST_SKIP() << "socat is not installed";
  const std::string dir = TempDir();
  WriteFile(dir + "/hello.txt", "relayed from the host\n");
  Background http({"python3", "-c", kHttpServer}, dir);
  ASSERT_FALSE(http.line().empty());
  const std::string port = http.line();
  ProxyServer server(dir, "127.0.0.1:*");
  ASSERT_TRUE(server.ready());
  // socat says "listening on" (-d -d, on stderr, sent to the pipe) once it accepts.
  const std::string relay = dir + "/relay.sock";
  Background socat({"sh", "-c", "exec socat -d -d UNIX-LISTEN:" + relay + ",fork UNIX-CONNECT:" +
                                    server.backend().substr(5) + " 2>&1"},
                   "", "listening on");
  ASSERT_TRUE(Contains(socat.line(), "listening on")) << socat.line();
  const std::string policy = NetPolicy(dir, "unix:" + relay);
  // A namespace with its loopback up (as Docker's --network none): the relay is a TCP
  // connection over it, so urllib's TCP_NODELAY works on the target's end.
  auto with_lo = [&](const std::string& script) {
    RunOptions o;
    o.timeout_sec = 60;
    return testing::Run({"unshare", "-rn", "sh", "-c",
                         "ip link set lo up && exec \"$0\" run --policy \"$1\" -- python3 -c "
                         "\"$2\"",
                         PwnboxBin(), policy, script},
                        o);
  };
  auto r = with_lo(Urllib(port, "hello.txt"));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "relayed from the host\n");
  EXPECT_EQ(Grep(r.err, "sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 0 /* pwnbox: proxy").size(),
            1u) << r.err;
  auto nb = with_lo(Urllib(port, "hello.txt", /*timeout=*/true));
  EXPECT_EQ(nb.status, 0) << nb.err;
  EXPECT_EQ(nb.out, "relayed from the host\n");
  // Loopback down: the relay is a socketpair; bytes flow (TCP options would fail).
  auto raw = Sandboxed(policy, {"python3", "-c",
                                "import socket\n"
                                "s = socket.create_connection(('127.0.0.1', " + port + "))\n"
                                "s.sendall(b'GET /hello.txt HTTP/1.0\\r\\n\\r\\n')\n"
                                "data = b''\n"
                                "while True:\n"
                                "  chunk = s.recv(4096)\n"
                                "  if not chunk: break\n"
                                "  data += chunk\n"
                                "print(data.split(b'\\r\\n\\r\\n', 1)[1].decode(), end='')"});
  EXPECT_EQ(raw.status, 0) << raw.err;
  EXPECT_EQ(raw.out, "relayed from the host\n");
  auto bind = Sandboxed(policy, {"python3", "-c",
                                 "import socket\ns = socket.socket()\n"
                                 "try: s.bind(('127.0.0.1', 0)); print('bound')\n"
                                 "except OSError as e: print(e.strerror)"});
  EXPECT_EQ(bind.out, "Operation not supported\n") << bind.err;
}

TEST(ProxyNet, OtherDestinationsAreRefusedWithEacces) {
  const std::string dir = TempDir();
  Background http({"python3", "-c", kHttpServer}, dir);
  Background other({"python3", "-c", kHttpServer}, dir);
  ASSERT_FALSE(http.line().empty());
  ASSERT_FALSE(other.line().empty());
  {
    ProxyServer server(dir, "127.0.0.1:" + http.line());
    ASSERT_TRUE(server.ready());
    const std::string policy = NetPolicy(dir, server.backend());
    auto ok = Sandboxed(policy, {Prog("pn_connect"), "tcp", "127.0.0.1", http.line()});
    EXPECT_EQ(ok.out, "connect=0 fd=3 nonblock=0 cloexec=0\nHTTP/1.0 200 OK\n") << ok.err;
    // A live server on another port, another address, IPv6: not listed.
    for (std::string ip : {"127.0.0.1", "127.0.0.2"}) {
      auto no = Sandboxed(policy, {Prog("pn_connect"), "tcp", ip, other.line()});
      EXPECT_EQ(no.out, "connect=-1 errno=EACCES\n") << no.err;
      EXPECT_EQ(Grep(no.err, "= -1 EACCES (Permission denied) /* pwnbox: proxy").size(), 1u)
          << no.err;
    }
    auto v6 = Sandboxed(policy, {"python3", "-c",
                                 "import socket\ns = socket.socket(socket.AF_INET6)\n"
                                 "try: s.connect(('::1', " + http.line() + "))\n"
                                 "except OSError as e: print(e.errno)"});
    EXPECT_EQ(v6.out, "13\n") << v6.err;
  }
  // Without --allow-connect no network call is served.
  ProxyServer closed(dir, "");
  ASSERT_TRUE(closed.ready());
  auto none = Sandboxed(NetPolicy(dir, closed.backend()),
                        {Prog("pn_connect"), "tcp", "127.0.0.1", http.line()});
  EXPECT_EQ(none.out, "connect=-1 errno=EACCES\n") << none.err;
}

// The socket installed in place of the target's keeps its fd number, its O_NONBLOCK (a file
// status flag, set on the new file) and its FD_CLOEXEC (the fd number's flag).
TEST(ProxyNet, NonblockAndCloexecAreKept) {
  const std::string dir = TempDir();
  Background http({"python3", "-c", kHttpServer}, dir);
  ASSERT_FALSE(http.line().empty());
  ProxyServer server(dir, "127.0.0.1:*");
  ASSERT_TRUE(server.ready());
  const std::string policy = NetPolicy(dir, server.backend());
  // A non-blocking connect may say EINPROGRESS (on loopback too, natively): the line then
  // starts with "einprogress ", and the connection completes on the installed socket.
  auto without_einprogress = [](std::string out) {
    return out.rfind("einprogress ", 0) == 0 ? out.substr(12) : out;
  };
  auto both = Sandboxed(policy,
                        {Prog("pn_connect"), "tcp", "127.0.0.1", http.line(), "nonblock", "cloexec"});
  EXPECT_EQ(without_einprogress(both.out), "connect=0 fd=3 nonblock=1 cloexec=1\nHTTP/1.0 200 OK\n")
      << both.err;
  auto nb = Sandboxed(policy, {Prog("pn_connect"), "tcp", "127.0.0.1", http.line(), "nonblock"});
  EXPECT_EQ(without_einprogress(nb.out), "connect=0 fd=3 nonblock=1 cloexec=0\nHTTP/1.0 200 OK\n")
      << nb.err;
  auto ce = Sandboxed(policy, {Prog("pn_connect"), "tcp", "127.0.0.1", http.line(), "cloexec"});
  EXPECT_EQ(ce.out, "connect=0 fd=3 nonblock=0 cloexec=1\nHTTP/1.0 200 OK\n") << ce.err;
  // Nothing listens there: the server's connect error is the call's.
  Background gone({"python3", "-c",
                   "import socket\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\n"
                   "print(s.getsockname()[1], flush=True)\ns.close()\nimport time\n"
                   "time.sleep(3600)"});
  ASSERT_FALSE(gone.line().empty());
  auto refused = Sandboxed(policy, {Prog("pn_connect"), "tcp", "127.0.0.1", gone.line()});
  EXPECT_EQ(refused.out, "connect=-1 errno=ECONNREFUSED\n") << refused.err;
}

// A destination that does not answer (a listener whose accept queue is full drops the SYNs): a
// non-blocking connect gets EINPROGRESS at once with the connecting socket installed, as
// natively; a blocking one fails with ETIMEDOUT after the server's 5 s, nothing hangs.
TEST(ProxyNet, ASilentDestinationIsEinprogressOrEtimedout) {
  const std::string dir = TempDir();
  Background full({"python3", "-c",
                   "import socket, time\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\n"
                   "s.listen(0)\nc = socket.create_connection(s.getsockname())\n"
                   "print(s.getsockname()[1], flush=True)\ntime.sleep(3600)"});
  ASSERT_FALSE(full.line().empty());
  ProxyServer server(dir, "127.0.0.1:" + full.line());
  ASSERT_TRUE(server.ready());
  const std::string policy = NetPolicy(dir, server.backend());
  auto nb = Sandboxed(policy, {Prog("pn_connect"), "tcp", "127.0.0.1", full.line(), "nonblock",
                               "cloexec", "nowait"});
  EXPECT_EQ(nb.out, "connect=-1 errno=EINPROGRESS fd=3 nonblock=1 cloexec=1\n") << nb.err;
  EXPECT_EQ(Grep(nb.err, "= -1 EINPROGRESS (Operation now in progress) /* pwnbox: proxy").size(),
            1u)
      << nb.err;
  auto blocking = Sandboxed(policy, {Prog("pn_connect"), "tcp", "127.0.0.1", full.line()});
  EXPECT_EQ(blocking.out, "connect=-1 errno=ETIMEDOUT\n") << blocking.err;
}

// sendto on an unconnected datagram socket: the first replaces the socket (the supervisor sends
// the bytes on the new one), the second goes out on that same socket: both replies come back
// to one port.
TEST(ProxyNet, UdpSendtoRoundTrip) {
  const std::string dir = TempDir();
  Background echo({"python3", "-c",
                   "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                   "s.bind(('127.0.0.1', 0))\nprint(s.getsockname()[1], flush=True)\n"
                   "while True:\n"
                   "    data, peer = s.recvfrom(1024)\n"
                   "    s.sendto(data + b'@' + str(peer[1]).encode(), peer)\n"});
  ASSERT_FALSE(echo.line().empty());
  ProxyServer server(dir, "127.0.0.1:" + echo.line());
  ASSERT_TRUE(server.ready());
  auto r = Sandboxed(NetPolicy(dir, server.backend()),
                     {Prog("pn_connect"), "udp", "127.0.0.1", echo.line()});
  EXPECT_EQ(r.status, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out << r.err;
  const auto at1 = lines[0].find('@'), at2 = lines[1].find('@');
  ASSERT_NE(at1, std::string::npos);
  ASSERT_NE(at2, std::string::npos);
  EXPECT_EQ(lines[0].substr(0, at1), "sendto=5 reply=ping1");
  EXPECT_EQ(lines[1].substr(0, at2), "sendto=5 reply=ping2");
  EXPECT_EQ(lines[0].substr(at1), lines[1].substr(at2)) << "the second reply came to another port";
  EXPECT_TRUE(Contains(lines[0], "from_port_ok=1")) << lines[0];
  EXPECT_EQ(Grep(r.err, "sendto(3, \"ping1\", 5, 0, {sa_family=AF_INET, sin_port=htons(" +
                            echo.line() + "), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 5")
                .size(),
            1u)
      << r.err;
  // Another destination: EACCES, nothing sent.
  auto no = Sandboxed(NetPolicy(dir, server.backend()),
                      {Prog("pn_connect"), "udp", "127.0.0.2", echo.line()});
  EXPECT_EQ(no.out, "sendto=-1 errno=EACCES\n") << no.err;
}

// Unix sockets cross by path (the server's file system), never by abstract name: an abstract
// socket of that name in the host's namespace is not reached.
TEST(ProxyNet, UnixByPathNotAbstract) {
  const std::string dir = TempDir();
  const std::string path = dir + "/u.sock";
  const std::string name = "pn_abstract_" + std::to_string(getpid());
  Background unix_server(
      {"python3", "-c",
       "import socket, sys, threading\n"
       "def serve(s):\n"
       "    while True:\n"
       "        c, _ = s.accept(); c.sendall(b'hello\\n'); c.close()\n"
       "a = socket.socket(socket.AF_UNIX); a.bind(sys.argv[1]); a.listen()\n"
       "b = socket.socket(socket.AF_UNIX); b.bind('\\0' + sys.argv[2]); b.listen()\n"
       "threading.Thread(target=serve, args=(b,), daemon=True).start()\n"
       "print('ready', flush=True)\nserve(a)\n",
       path, name});
  ASSERT_EQ(unix_server.line(), "ready");
  ProxyServer server(dir, "unix:" + path);
  ASSERT_TRUE(server.ready());
  const std::string policy = NetPolicy(dir, server.backend());
  auto by_path = Sandboxed(policy, {Prog("pn_connect"), "unix", path});
  EXPECT_EQ(by_path.out, "connect=0 line=hello\n") << by_path.err;
  EXPECT_EQ(Grep(by_path.err, "connect(3, {sa_family=AF_UNIX, sun_path=\"" + path +
                                  "\"}, 110) = 0 /* pwnbox: proxy")
                .size(),
            1u)
      << by_path.err;
  auto abstract = Sandboxed(policy, {Prog("pn_connect"), "abstract", name});
  EXPECT_EQ(abstract.out, "connect=-1 errno=EACCES\n") << abstract.err;
  // And a server cannot be told to allow one.
  auto bad = Pwnbox({"proxy", "serve", "--listen", "unix:" + dir + "/q.sock", "--allow-connect",
                     "unix:@" + name});
  EXPECT_EQ(bad.status, 125);
  EXPECT_EQ(Lines(bad.err).size(), 1u) << bad.err;
  EXPECT_TRUE(Contains(bad.err, "abstract names are refused")) << bad.err;
}

// bind: only to an address the list names (HOST:* includes port 0, an ephemeral port).
TEST(ProxyNet, BindOnlyToListedAddresses) {
  const std::string dir = TempDir();
  ProxyServer server(dir, "127.0.0.1:*");
  ASSERT_TRUE(server.ready());
  const std::string policy = NetPolicy(dir, server.backend());
  auto ok = Sandboxed(policy, {Prog("pn_connect"), "bind", "127.0.0.1", "0"});
  EXPECT_TRUE(Contains(ok.out, "bind=0 port=")) << ok.out << ok.err;
  EXPECT_NE(ok.out, "bind=0 port=0\n");
  auto no = Sandboxed(policy, {Prog("pn_connect"), "bind", "0.0.0.0", "0"});
  EXPECT_EQ(no.out, "bind=-1 errno=EACCES\n") << no.err;
}

// A backend that is down, or that answers a connect with something other than a socket (a
// file, garbage, or by dying): the call fails with EIO at once, reported once; one that never
// answers, with EIO after the client's 10 s.
TEST(ProxyNet, BrokenBackendsFailWithEio) {
  const std::string dir = TempDir();
  auto down = Sandboxed(NetPolicy(dir, "unix:" + dir + "/none.sock"),
                        {Prog("pn_connect"), "tcp", "127.0.0.1", "80"});
  EXPECT_EQ(down.out, "connect=-1 errno=EIO\n") << down.err;
  EXPECT_EQ(Grep(down.err, "pwnbox: proxy backend unix:" + dir + "/none.sock").size(), 1u)
      << down.err;
  const std::string evil = dir + "/evil.py";
  WriteFile(evil, ProxyHandlerScript(R"(sock = h.socket.socket(fileno=0)
hello, fds = h.receive(sock)
h.send(sock, {"type": "hello", "version": 1, "fd": bool(fds), "fd_passing": bool(fds)}, fds[:1])
call, fds = h.receive(sock)
if sys.argv[2] == "file":
    fd = os.open("/dev/null", os.O_RDONLY)
    h.send(sock, {"type": "result", "id": call["id"], "ret": 0, "fd": True}, [fd])
elif sys.argv[2] == "garbage":
    sock.sendall(b"\x05\x00\x00\x00nope!")
elif sys.argv[2] == "stall":
    sys.stdin.read()  # never answers (pwnbox's 10 s), until pwnbox kills it
os._exit(0)  # "die": gone in the middle of the call
)"));
  for (std::string how : {"file", "garbage", "die", "stall"}) {
    const std::string backend = "exec:python3 " + evil + " " +
                                SourcePath("examples/proxy/handler.py") + " " + how;
    auto r = Sandboxed(NetPolicy(dir, backend), {Prog("pn_connect"), "tcp", "127.0.0.1", "80"});
    EXPECT_EQ(r.out, "connect=-1 errno=EIO\n") << how << ": " << r.err;
    EXPECT_EQ(Grep(r.err, "its calls fail with EIO").size(), 1u) << how << ": " << r.err;
    if (how == "file") {
      EXPECT_TRUE(Contains(r.err, "is not a socket of the target's kind")) << r.err;
    }
  }
}

// A rule's args conditions choose which calls are proxied (paths cannot apply: these calls
// name no path); the others run in the target's own, empty, namespace.
TEST(ProxyNet, ArgsConditionsChooseWhatIsProxied) {
  const std::string dir = TempDir();
  Background http({"python3", "-c", kHttpServer}, dir);
  ASSERT_FALSE(http.line().empty());
  ProxyServer server(dir, "127.0.0.1:" + http.line());
  ASSERT_TRUE(server.ready());
  auto policy = [&](const std::string& cond) {
    const std::string path = dir + "/args.toml";
    WriteFile(path, "version = 1\ndefault = \"allow\"\n\n[[rule]]\nsyscalls = [\"connect\"]\n"
                    "args = [\"" + cond + "\"]\naction = \"proxy\"\nbackend = \"" +
                        server.backend() + "\"\n");
    return path;
  };
  auto proxied = Sandboxed(policy("sockfd == 3"), {Prog("pn_connect"), "tcp", "127.0.0.1", http.line()});
  EXPECT_EQ(proxied.out, "connect=0 fd=3 nonblock=0 cloexec=0\nHTTP/1.0 200 OK\n") << proxied.err;
  auto own = Sandboxed(policy("sockfd == 4"), {Prog("pn_connect"), "tcp", "127.0.0.1", http.line()});
  EXPECT_EQ(own.out, "connect=-1 errno=ENETUNREACH\n") << own.err;
}

TEST(ProxyNet, BadAllowConnectEntriesAreOneLineErrors) {
  const std::string dir = TempDir();
  for (std::string entry :
       {"127.0.0.1", "127.0.0.1:70000", "::1:80", "[::1:80", "unix:relative"}) {
    auto r = Pwnbox({"proxy", "serve", "--listen", "unix:" + dir + "/p.sock", "--allow-connect",
                     entry});
    EXPECT_EQ(r.status, 125) << entry;
    EXPECT_EQ(Lines(r.err).size(), 1u) << entry << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, "--allow-connect " + entry)) << r.err;
  }
}

}  // namespace
}  // namespace pwnbox::testing
