// bench_proxy: what a proxied call costs against the same call made directly (docs/proxy.md).
//
//   bench_proxy [--calls N] [--reps R] [--pin] [--handler PATH/TO/handler.py]
//
// Measures, per call (median of R rounds of N calls, rounds interleaved A B C A B C ...):
//   native open      openat(file) + close in this process
//   proxied open     ProxyClient::Call(openat) to a proxy::Server in a child process (unix
//                    socket, the fd passed back) + close: the round trip with fd passing
//   proxied uname    the same round trip for a scalar call (no fd)
//   exec: handler    uname through examples/proxy/handler.py (python3) as an exec: backend
//   native connect   socket + connect + close to a TCP listener on 127.0.0.1 in this process
//   proxied connect  the same connect made by the server (--allow-connect), the socket passed
//                    back + close (docs/proxy.md "Network calls")
// --pin puts client and server on one CPU: a wake-up across CPUs is the dominant cost on small
// virtual machines (DESIGN.md). Prints a Markdown table.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "proxy/client.h"
#include "proxy/server.h"

namespace {

using namespace pwnbox;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

struct Case {
  std::string name;
  std::function<bool()> call;  // one call; false on failure
  int calls_divisor = 1;       // slow cases run fewer calls
  std::vector<double> ns;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_proxy: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  int calls = 20000, reps = 5;
  bool pin = false;
  std::string handler;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--calls" && i + 1 < argc) calls = std::atoi(argv[++i]);
    else if (a == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
    else if (a == "--pin") pin = true;
    else if (a == "--handler" && i + 1 < argc) handler = argv[++i];
    else Die("usage: bench_proxy [--calls N] [--reps R] [--pin] [--handler handler.py]");
  }
  if (pin) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) Die("sched_setaffinity");
  }
  char dir[] = "/tmp/bench_proxyXXXXXX";
  if (!mkdtemp(dir)) Die("mkdtemp");
  const std::string root = dir, file = root + "/file", sock = root + "/s";
  FILE* f = std::fopen(file.c_str(), "w");
  std::fputs("data\n", f);
  std::fclose(f);

  // A TCP listener on 127.0.0.1 for the connect cases (accepted and closed by a thread).
  int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in tcp_addr{};
  tcp_addr.sin_family = AF_INET;
  tcp_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t tcp_len = sizeof tcp_addr;
  if (tcp < 0 || bind(tcp, reinterpret_cast<sockaddr*>(&tcp_addr), sizeof tcp_addr) != 0 ||
      listen(tcp, SOMAXCONN) != 0 ||
      getsockname(tcp, reinterpret_cast<sockaddr*>(&tcp_addr), &tcp_len) != 0)
    Die("tcp listener");
  const std::string tcp_sockaddr(reinterpret_cast<const char*>(&tcp_addr), sizeof tcp_addr);

  proxy::ServerOptions options;
  options.root = root;
  options.allow_connect = {"127.0.0.1:" + std::to_string(ntohs(tcp_addr.sin_port))};
  auto server = proxy::Server::Create(options);
  if (!server.ok()) Die(server.error().message());
  auto listener = proxy::Listen("unix:" + sock);
  if (!listener.ok()) Die(listener.error().message());
  int stop[2];
  if (pipe(stop) != 0) Die("pipe");
  pid_t child = fork();
  if (child == 0) {
    close(stop[1]);
    (void)(*server)->Run(listener->get(), stop[0]);
    _exit(0);
  }
  close(stop[0]);
  listener->reset();
  std::thread acceptor([tcp] {
    int c;
    while ((c = accept4(tcp, nullptr, nullptr, SOCK_CLOEXEC)) >= 0) close(c);
  });

  auto client = proxy::ProxyClient::Connect("unix:" + sock);
  if (!client.ok()) Die(client.error().message());
  std::unique_ptr<proxy::ProxyClient> exec_client;
  if (!handler.empty()) {
    auto c = proxy::ProxyClient::Connect("exec:exec python3 " + handler);
    if (!c.ok()) Die(c.error().message());
    exec_client = std::move(*c);
  }

  proxy::Request open_req;
  open_req.name = "openat";
  open_req.nr = 257;
  open_req.path = "/file";
  open_req.flags = O_RDONLY | O_CLOEXEC;
  open_req.mode = 0;
  proxy::Request uname_req;
  uname_req.name = "uname";
  uname_req.nr = 63;

  proxy::Request connect_req;
  connect_req.name = "connect";
  connect_req.nr = 42;
  connect_req.domain = AF_INET;
  connect_req.sock_type = SOCK_STREAM;
  connect_req.protocol = 0;
  connect_req.data = tcp_sockaddr;

  // Closed with an RST (SO_LINGER 0): no TIME_WAIT left behind, whose thousands would make the
  // kernel's search for a free port the cost being measured.
  auto reset_close = [](int fd) {
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
  };

  std::vector<Case> cases;
  cases.push_back({"native open", [&] {
                     int fd = openat(AT_FDCWD, file.c_str(), O_RDONLY | O_CLOEXEC);
                     if (fd < 0) return false;
                     close(fd);
                     return true;
                   }});
  cases.push_back({"proxied open (fd passed)", [&] {
                     auto r = (*client)->Call(open_req);
                     return r.ok() && r->err == 0 && static_cast<bool>(r->fd);
                   }});
  cases.push_back({"proxied uname (unix:, proxy serve)", [&] {
                     auto r = (*client)->Call(uname_req);
                     return r.ok() && r->err == 0;
                   }});
  if (exec_client)
    cases.push_back({"uname via exec: handler.py", [&] {
                       auto r = exec_client->Call(uname_req);
                       return r.ok() && r->err == 0;
                     }, 4});

  cases.push_back({"native connect (TCP, 127.0.0.1)", [&] {
                     int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                     bool ok = c >= 0 && connect(c, reinterpret_cast<sockaddr*>(&tcp_addr),
                                                 sizeof tcp_addr) == 0;
                     if (c >= 0) reset_close(c);
                     return ok;
                   }, 4});
  cases.push_back({"proxied connect (socket passed)", [&] {
                     auto r = (*client)->Call(connect_req);
                     if (!r.ok() || r->err != 0 || !r->fd) return false;
                     reset_close(r->fd.release());
                     return true;
                   }, 4});

  for (int rep = -1; rep < reps; ++rep) {  // rep -1: warm-up
    for (Case& c : cases) {
      int n = std::max(1, calls / c.calls_divisor);
      int64_t t0 = NowNs();
      for (int i = 0; i < n; ++i)
        if (!c.call()) Die(c.name + " failed");
      if (rep >= 0) c.ns.push_back(double(NowNs() - t0) / n);
    }
  }
  std::printf("| call (%s) | median ns/call | min | max | vs native open |\n",
              pin ? "client and server on one CPU" : "unpinned");
  std::printf("|---|---:|---:|---:|---:|\n");
  double native = 0;
  for (Case& c : cases) {
    std::sort(c.ns.begin(), c.ns.end());
    double med = c.ns[c.ns.size() / 2];
    if (native == 0) native = med;
    std::printf("| %s | %.0f | %.0f | %.0f | %.1fx |\n", c.name.c_str(), med, c.ns.front(),
                c.ns.back(), med / native);
  }
  shutdown(tcp, SHUT_RDWR);  // ends the acceptor's accept
  acceptor.join();
  close(tcp);
  close(stop[1]);
  client->reset();
  exec_client.reset();
  waitpid(child, nullptr, 0);
  unlink(file.c_str());
  unlink(sock.c_str());
  rmdir(dir);
  return 0;
}
