// bench_proxy_relay: the throughput of a socket or file carried without fd passing (docs/proxy.md
// "Without fd passing") against the same transfer without pwnbox in the way.
//
//   bench_proxy_relay [--mb N] [--reps R] [--pin]
//
// Each case moves N MB (default 100) from a writer thread to a reader thread; the figure is the
// median over R rounds (cases interleaved A B C A B C ...), in MB/s (10^6 bytes):
//   loopback TCP       writer -> TCP 127.0.0.1 -> reader: the direct connection
//   relayed TCP        writer -> socketpair end (the target's fd) -> supervisor relay
//                      (ProxyRelays) -> unix stream connection -> server Pump (as `proxy serve`
//                      serves a duplex stream) -> TCP 127.0.0.1 -> reader: a relayed connect
//   socketpair         writer -> socketpair -> reader: the floor of the relayed path's hops
//   materialised file  proxy serve's SendFileBytes (sendfile) -> unix socket -> Materialise
//                      (memfd), then read whole: a proxied read-only open, against
//   direct file        the same file read whole (page cache)
// --pin puts every thread on CPU 0 (a wake-up across CPUs costs ~100 us on this VM, ~10 us on
// one); unpinned, the scheduler places them. Prints a Markdown table.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "proxy/stream.h"
#include "supervisor/proxy_relay.h"

namespace {

using namespace pwnbox;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_proxy_relay: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

bool g_pin = false;
void Pin() {
  if (!g_pin) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  sched_setaffinity(0, sizeof set, &set);
}

// A connected TCP pair over 127.0.0.1.
std::pair<core::UniqueFd, core::UniqueFd> TcpPair() {
  core::UniqueFd l(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (!l || bind(l.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      listen(l.get(), 1) != 0 || getsockname(l.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
    Die("tcp listen");
  core::UniqueFd c(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!c || connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) Die("tcp connect");
  core::UniqueFd s(accept4(l.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!s) Die("tcp accept");
  return {std::move(c), std::move(s)};
}

std::pair<core::UniqueFd, core::UniqueFd> UnixPair() {
  int p[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) != 0) Die("socketpair");
  return {core::UniqueFd(p[0]), core::UniqueFd(p[1])};
}

// Writes `bytes` to `out` (then shuts it down) on a thread while this one reads `in` to EOF:
// the seconds from the first write to the last byte read.
double Transfer(int out, int in, uint64_t bytes) {
  std::thread writer([out, bytes] {
    Pin();
    static std::vector<char> chunk(1 << 20, 'x');
    uint64_t left = bytes;
    while (left > 0) {
      ssize_t n = write(out, chunk.data(), std::min<uint64_t>(left, chunk.size()));
      if (n <= 0) Die("write");
      left -= static_cast<uint64_t>(n);
    }
    shutdown(out, SHUT_WR);
  });
  const int64_t start = NowNs();
  std::vector<char> buf(1 << 20);
  uint64_t got = 0;
  ssize_t n;
  while ((n = read(in, buf.data(), buf.size())) > 0) got += static_cast<uint64_t>(n);
  const int64_t end = NowNs();
  writer.join();
  if (got != bytes) Die("short transfer " + std::to_string(got));
  return static_cast<double>(end - start) / 1e9;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t mb = 100;
  int reps = 5;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--mb" && i + 1 < argc) mb = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
    else if (a == "--pin") g_pin = true;
    else {
      std::fprintf(stderr, "usage: bench_proxy_relay [--mb N] [--reps R] [--pin]\n");
      return 2;
    }
  }
  Pin();
  const uint64_t bytes = mb * 1'000'000;
  // The file the file cases read (in the page cache after the first round).
  char path[] = "/tmp/bench_proxy_relay.XXXXXX";
  core::UniqueFd file(mkstemp(path));
  if (!file) Die("mkstemp");
  unlink(path);
  {
    std::vector<char> chunk(1 << 20, 'f');
    for (uint64_t left = bytes; left > 0;) {
      ssize_t n = write(file.get(), chunk.data(), std::min<uint64_t>(left, chunk.size()));
      if (n <= 0) Die("write file");
      left -= static_cast<uint64_t>(n);
    }
  }

  struct Case {
    const char* name;
    std::function<double()> run;
    std::vector<double> seconds;
  };
  supervisor::ProxyRelays relays;
  std::vector<Case> cases;
  cases.push_back({"loopback TCP (direct)", [&] {
                     auto [a, b] = TcpPair();
                     return Transfer(a.get(), b.get(), bytes);
                   }, {}});
  cases.push_back({"relayed TCP (socketpair, relay, stream, server pump, TCP)", [&] {
                     auto [tcp_out, tcp_in] = TcpPair();
                     auto [stream_client, stream_server] = UnixPair();
                     // The server's side: a duplex stream pumped to its socket.
                     std::thread server([&, s = stream_server.get(), t = tcp_out.get()] {
                       Pin();
                       proxy::Pump(t, s, proxy::PumpWays{});
                     });
                     auto target = relays.Start(std::move(stream_client));
                     if (!target.ok()) Die(target.error().message());
                     double s = Transfer(target->get(), tcp_in.get(), bytes);
                     target->reset();
                     tcp_in.reset();  // the pump's other way ends
                     server.join();
                     return s;
                   }, {}});
  cases.push_back({"socketpair (direct)", [&] {
                     auto [a, b] = UnixPair();
                     return Transfer(a.get(), b.get(), bytes);
                   }, {}});
  cases.push_back({"materialised file (sendfile, unix socket, memfd) + read", [&] {
                     auto [a, b] = UnixPair();
                     const int64_t start = NowNs();
                     std::thread server([&, s = a.get()] {
                       Pin();
                       if (!proxy::SendFileBytes(file.get(), s, bytes).ok()) Die("sendfile");
                     });
                     auto mem = proxy::Materialise(b.get(), bytes, "bench", 10'000);
                     server.join();
                     if (!mem.ok()) Die(mem.error().message());
                     std::vector<char> buf(1 << 20);
                     uint64_t got = 0;
                     ssize_t n;
                     while ((n = read(mem->get(), buf.data(), buf.size())) > 0) got += n;
                     if (got != bytes) Die("short memfd");
                     return static_cast<double>(NowNs() - start) / 1e9;
                   }, {}});
  cases.push_back({"direct file read", [&] {
                     const int64_t start = NowNs();
                     std::vector<char> buf(1 << 20);
                     uint64_t got = 0;
                     ssize_t n;
                     off_t off = 0;
                     while ((n = pread(file.get(), buf.data(), buf.size(), off)) > 0) {
                       got += n;
                       off += n;
                     }
                     if (got != bytes) Die("short file");
                     return static_cast<double>(NowNs() - start) / 1e9;
                   }, {}});
  for (int r = 0; r < reps; ++r)
    for (Case& c : cases) c.seconds.push_back(c.run());
  std::printf("%llu MB, median of %d, %s\n\n| case | median MB/s | ms |\n|---|---:|---:|\n",
              static_cast<unsigned long long>(mb), reps, g_pin ? "pinned to CPU 0" : "unpinned");
  for (Case& c : cases) {
    const double s = Median(c.seconds);
    std::printf("| %s | %.0f | %.1f |\n", c.name, static_cast<double>(bytes) / 1e6 / s, s * 1e3);
  }
  return 0;
}
