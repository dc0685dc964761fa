// The proxy action without fd passing (issue 14 use 3, docs/proxy.md "Without fd passing"):
// `pwnbox proxy serve` behind `socat UNIX-LISTEN:relay.sock,fork UNIX-CONNECT:serve.sock`, which
// drops SCM_RIGHTS as an ssh-forwarded socket does. A file opened read-only is materialised in
// the target (a sealed read-only memfd with the same bytes), one opened for writing is a
// socketpair end whose bytes pwnbox relays to the server's file, what a stream cannot carry
// faithfully (O_RDWR, a directory) fails with EOPNOTSUPP, and a server that dies or breaks a
// stream fails the open with EIO (reported once) or ends the relayed fd (EOF, EPIPE): never a
// hang.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/client.h"
#include "proxy/protocol.h"
#include "proxy/server.h"
#include "tests/integration/harness.h"

namespace pwnbox::testing {
namespace {

// A child process with its stdin, stdout and stderr on pipes; stderr is read until `ready`
// appears (no sleeping), then drained by a thread so that the child never blocks on it.
class Child {
 public:
  Child(std::vector<std::string> argv, const std::string& ready, bool own_group = false) {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
      return;
    pid_ = fork();
    if (pid_ == 0) {
      if (own_group) setpgid(0, 0);
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      std::vector<char*> c;
      for (auto& a : argv) c.push_back(a.data());
      c.push_back(nullptr);
      execvp(c[0], c.data());
      _exit(127);
    }
    own_group_ = own_group;
    close(in[0]);
    close(out[1]);
    close(err[1]);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
    if (!ready.empty()) {
      char buf[512];
      ssize_t n;
      while (err_text_.find(ready) == std::string::npos && WaitReadable(err_) &&
             (n = read(err_, buf, sizeof buf)) > 0)
        err_text_.append(buf, static_cast<size_t>(n));
      ready_ = err_text_.find(ready) != std::string::npos;
    } else {
      ready_ = pid_ > 0;
    }
    drain_ = std::thread([this] {
      char buf[4096];
      ssize_t n;
      while ((n = read(err_, buf, sizeof buf)) > 0) {
        std::lock_guard lock(mu_);
        err_text_.append(buf, static_cast<size_t>(n));
      }
    });
  }
  ~Child() {
    Kill(SIGTERM);
    Wait();
  }
  bool ready() const { return ready_; }
  pid_t pid() const { return pid_; }
  void Kill(int sig) {
    if (pid_ > 0 && !reaped_) kill(own_group_ ? -pid_ : pid_, sig);
  }
  // Reads stdout up to and including the next newline (at most 60 s): the line, without it.
  std::string ReadLine() {
    std::string line;
    char c;
    while (WaitReadable(out_) && read(out_, &c, 1) == 1 && c != '\n') line += c;
    return line;
  }
  void Write(const std::string& text) {
    ssize_t ignored = write(in_, text.data(), text.size());
    (void)ignored;
  }
  // Closes stdin, reads the rest of stdout and waits for the exit status (-1 after 60 s).
  int Wait() {
    if (reaped_ || pid_ <= 0) return status_;
    if (in_ >= 0) close(in_);
    in_ = -1;
    char buf[4096];
    ssize_t n;
    while (WaitReadable(out_) && (n = read(out_, buf, sizeof buf)) > 0)
      rest_.append(buf, static_cast<size_t>(n));
    int st = 0;
    for (int i = 0; i < 600 && waitpid(pid_, &st, WNOHANG) == 0; ++i) {
      pollfd none{-1, 0, 0};
      poll(&none, 0, 100);  // bounded wait for the exit (the test fails rather than hang)
    }
    if (waitpid(pid_, &st, WNOHANG) == 0) {
      kill(own_group_ ? -pid_ : pid_, SIGKILL);
      waitpid(pid_, &st, 0);
      status_ = -1;
    } else {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    reaped_ = true;
    close(out_);
    if (drain_.joinable()) drain_.join();
    close(err_);
    return status_;
  }
  std::string rest() const { return rest_; }
  std::string err() {
    std::lock_guard lock(mu_);
    return err_text_;
  }

 private:
  static bool WaitReadable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, 60'000) > 0;
  }
  pid_t pid_ = -1;
  bool own_group_ = false, ready_ = false, reaped_ = false;
  int in_ = -1, out_ = -1, err_ = -1, status_ = -1;
  std::string rest_;
  std::mutex mu_;
  std::string err_text_;
  std::thread drain_;
};

bool HaveSocat() { return testing::Run({"sh", "-c", "command -v socat"}).status == 0; }

// `pwnbox proxy serve` on DIR/serve.sock serving DIR/srv, behind socat on DIR/relay.sock.
struct Backend {
  explicit Backend(const std::string& dir)
      : serve({PwnboxBin(), "proxy", "serve", "--listen", "unix:" + dir + "/serve.sock", "--root",
               dir + "/srv"},
              "serving"),
        socat({"socat", "-d", "-d", "UNIX-LISTEN:" + dir + "/relay.sock,fork",
               "UNIX-CONNECT:" + dir + "/serve.sock"},
              "listening on", /*own_group=*/true),
        relayed("unix:" + dir + "/relay.sock"),
        direct("unix:" + dir + "/serve.sock") {}
  bool ready() const { return serve.ready() && socat.ready(); }
  Child serve;
  Child socat;
  std::string relayed, direct;
};

std::string Policy(const std::string& dir, const std::string& backend) {
  const std::string path = dir + "/proxy.toml";
  WriteFile(path, "version = 1\ndefault = \"allow\"\n\n[[rule]]\n"
                  "syscalls = [\"open\", \"openat\", \"newfstatat\", \"statx\"]\n"
                  "paths = [\"" + dir + "/data/**\"]\naction = \"proxy\"\nbackend = \"" +
                      backend + "\"\n");
  return path;
}

std::string Dirs() {
  const std::string dir = TempDir();
  EXPECT_EQ(mkdir((dir + "/srv").c_str(), 0755), 0);
  EXPECT_EQ(mkdir((dir + "/data").c_str(), 0755), 0);  // the rule's directory, empty here
  return dir;
}

class ProxyRelay : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveSocat()) GTEST_SKIP() << "socat is not installed (scripts/setup.sh installs it)";
  }
};

// The stream members of the protocol, as the decoder checks them (no process involved).
TEST(ProxyStreamProtocol, OffersAndAttachesAreCheckedByTheDecoder) {
  const std::string token(32, 'f');
  auto decode = [](const std::string& payload) { return proxy::DecodeMessage(payload); };
  auto ok = decode(R"({"type":"result","id":1,"ret":0,"stream":")" + token +
                   R"(","kind":"read","stream_size":5})");
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  ASSERT_TRUE(ok->response.stream.has_value());
  EXPECT_EQ(ok->response.stream->token, token);
  EXPECT_EQ(ok->response.stream->size, std::optional<uint64_t>(5));
  // Encoding gives the same offer back.
  auto again = decode(proxy::EncodeResponse(ok->response));
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->response.stream->kind, proxy::StreamOffer::Kind::kRead);
  EXPECT_EQ(again->response.stream->size, std::optional<uint64_t>(5));
  const std::vector<std::string> bads = {
      R"({"type":"result","id":1,"errno":5,"stream":")" + token + R"(","kind":"read"})",
      R"({"type":"result","id":1,"ret":0,"stream":"abc","kind":"read"})",
      R"({"type":"result","id":1,"ret":0,"stream":")" + std::string(32, 'G') +
          R"(","kind":"read"})",
      R"({"type":"result","id":1,"ret":0,"stream":")" + token + R"(","kind":"sideways"})",
      R"({"type":"result","id":1,"ret":0,"stream":")" + token +
          R"(","kind":"write","stream_size":1})",
      R"({"type":"result","id":1,"ret":0,"stream":")" + token +
          R"(","kind":"read","stream_size":1073741825})",
      R"({"type":"result","id":1,"ret":0,"kind":"read"})",
      R"({"type":"result","id":1,"ret":0,"data":"QQ==","stream":")" + token +
          R"(","kind":"read"})",
      std::string(R"({"type":"attach","version":1})"),
      std::string(R"({"type":"attach","version":2,"token":"x"})"),
  };
  for (const std::string& bad : bads) EXPECT_FALSE(decode(bad).ok()) << bad;
  // An fd with an offer: refused (either the fd or the stream).
  core::UniqueFd fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  EXPECT_FALSE(proxy::DecodeMessage(R"({"type":"result","id":1,"ret":0,"fd":true,"stream":")" +
                                        token + R"(","kind":"read"})",
                                    std::move(fd))
                   .ok());
  auto attach = decode(proxy::EncodeAttach(token));
  ASSERT_TRUE(attach.ok()) << attach.error().message();
  EXPECT_EQ(attach->type, proxy::Message::Type::kAttach);
  EXPECT_EQ(attach->token, token);
  auto attached = decode(proxy::EncodeAttached());
  ASSERT_TRUE(attached.ok());
  EXPECT_EQ(attached->type, proxy::Message::Type::kAttached);
  // A call's "stream" member.
  proxy::Request req;
  req.id = 3;
  req.name = "openat";
  req.stream = true;
  auto call = decode(*proxy::EncodeRequest(req));
  ASSERT_TRUE(call.ok()) << call.error().message();
  EXPECT_TRUE(call->request.stream);
}

TEST_F(ProxyRelay, TheHelloShowsThatSocatDropsFdPassing) {
  const std::string dir = Dirs();
  Backend b(dir);
  ASSERT_TRUE(b.ready()) << b.serve.err() << b.socat.err();
  auto direct = proxy::ProxyClient::Connect(b.direct);
  ASSERT_TRUE(direct.ok()) << direct.error().message();
  EXPECT_TRUE((*direct)->fd_passing());
  auto relayed = proxy::ProxyClient::Connect(b.relayed);
  ASSERT_TRUE(relayed.ok()) << relayed.error().message();
  EXPECT_FALSE((*relayed)->fd_passing());
  // Without asking for a stream, an open still fails as before: EOPNOTSUPP, not a lost fd.
  WriteFile(dir + "/srv/f", "x");
  proxy::Request req;
  req.name = "openat";
  req.path = "/f";
  req.flags = O_RDONLY;
  auto plain = (*relayed)->Call(req);
  ASSERT_TRUE(plain.ok()) << plain.error().message();
  EXPECT_EQ(plain->err, EOPNOTSUPP);
  req.stream = true;
  auto streamed = (*relayed)->Call(req);
  ASSERT_TRUE(streamed.ok()) << streamed.error().message();
  ASSERT_TRUE(streamed->stream.has_value());
  EXPECT_EQ(streamed->stream->kind, proxy::StreamOffer::Kind::kRead);
  EXPECT_EQ(streamed->stream->size, std::optional<uint64_t>(1));
  // A token is good once.
  auto conn = (*relayed)->AttachStream(streamed->stream->token);
  ASSERT_TRUE(conn.ok()) << conn.error().message();
  char c = 0;
  EXPECT_EQ(read(conn->get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
  auto again = (*relayed)->AttachStream(streamed->stream->token);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().sys_errno(), EPROTO);
  EXPECT_TRUE(Contains(again.error().message(), "unknown or expired stream token"))
      << again.error().message();
}

TEST_F(ProxyRelay, ReadOnlyFilesAreMaterialisedWithTheSameBytes) {
  const std::string dir = Dirs();
  WriteFile(dir + "/srv/small.txt", "a,b\n1,2\n");
  std::string big(6 << 20, '\0');  // 6 MiB of random bytes
  std::mt19937_64 rng(42);
  for (size_t i = 0; i < big.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(&big[i], &v, 8);
  }
  WriteFile(dir + "/srv/big.bin", big);
  WriteFile(dir + "/srv/empty", "");
  Backend b(dir);
  ASSERT_TRUE(b.ready()) << b.serve.err() << b.socat.err();
  const std::string policy = Policy(dir, b.relayed);
  auto small = Pwnbox({"--policy", policy, "--", "cat", dir + "/data/small.txt"});
  EXPECT_EQ(small.status, 0) << small.err;
  EXPECT_EQ(small.out, "a,b\n1,2\n");
  auto large = Pwnbox({"--policy", policy, "--", "cat", dir + "/data/big.bin"});
  EXPECT_EQ(large.status, 0) << large.err;
  EXPECT_TRUE(large.out == big) << "got " << large.out.size() << " bytes";
  auto empty = Pwnbox({"--policy", policy, "--", "cat", dir + "/data/empty"});
  EXPECT_EQ(empty.status, 0) << empty.err;
  EXPECT_EQ(empty.out, "");
  // The fd: the file's size, read-only, sealed (F_SEAL_SEAL|SHRINK|GROW|WRITE = 15), offset 0,
  // seekable; writing fails with EBADF as on a file opened O_RDONLY.
  auto fd = Pwnbox({"--policy", policy, "--", Prog("ps_stream"), "read", dir + "/data/big.bin"});
  EXPECT_EQ(fd.out, "size=6291456 acc=rdonly seals=15 read=6291456 write=EBADF lseek=0 again=4\n")
      << fd.err;
  // Everything went through the relay: the direct socket was never used.
  EXPECT_TRUE(Contains(b.socat.err(), "accepting connection")) << b.socat.err();
}

TEST_F(ProxyRelay, SqliteReadsAProxiedDatabase) {
  if (pwnbox::testing::Run({"sh", "-c", "command -v sqlite3"}).status != 0) GTEST_SKIP() << "no sqlite3";
  const std::string dir = Dirs();
  auto made = pwnbox::testing::Run({"sqlite3", dir + "/srv/db.sqlite",
                   "create table t(x); insert into t values (1),(2),(40);"});
  ASSERT_EQ(made.status, 0) << made.err;
  Backend b(dir);
  ASSERT_TRUE(b.ready()) << b.serve.err() << b.socat.err();
  const std::string policy = Policy(dir, b.relayed);
  auto q = Pwnbox({"--policy", policy, "--", "sqlite3", "-readonly", dir + "/data/db.sqlite",
                   "select sum(x), count(*) from t;"});
  EXPECT_EQ(q.status, 0) << q.err;
  EXPECT_EQ(q.out, "43|3\n");
}

TEST_F(ProxyRelay, SequentialWritesReachTheServersFile) {
  const std::string dir = Dirs();
  Backend b(dir);
  ASSERT_TRUE(b.ready()) << b.serve.err() << b.socat.err();
  const std::string policy = Policy(dir, b.relayed);
  // What the server has written once it is done. pwnbox returns when its relay has seen the
  // backend close the stream, which the server does only after writing every byte; but socat
  // in between closes its ends 0.5 s (its -t) after the first EOF whatever the server does, so
  // on a loaded machine the server may still be writing: wait for its content (bounded).
  auto written = [](const std::string& path, const std::string& want) {
    std::string got = ReadFile(path);
    for (int i = 0; i < 500 && got != want; ++i) {
      usleep(20'000);
      got = ReadFile(path);
    }
    return got;
  };
  auto w = Pwnbox({"--policy", policy, "--", "sh", "-c", "echo hi > " + dir + "/data/out.txt"});
  EXPECT_EQ(w.status, 0) << w.err;
  EXPECT_EQ(written(dir + "/srv/out.txt", "hi\n"), "hi\n");
  // O_APPEND (splice refuses append-mode files: the server copies).
  auto a = Pwnbox({"--policy", policy, "--", "sh", "-c", "echo more >> " + dir + "/data/out.txt"});
  EXPECT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(written(dir + "/srv/out.txt", "hi\nmore\n"), "hi\nmore\n");
  // O_TRUNC again; lseek and pwrite fail with ESPIPE on the relayed fd.
  auto s = Pwnbox({"--policy", policy, "--", Prog("ps_stream"), "write", dir + "/data/out.txt",
                   "hello"});
  EXPECT_EQ(s.out, "write=5 lseek=ESPIPE pwrite=ESPIPE close=0\n") << s.err;
  EXPECT_EQ(written(dir + "/srv/out.txt", "hello"), "hello");
  // 8 MiB through the relay arrive whole.
  auto big = Pwnbox({"--policy", policy, "--", "sh", "-c",
                     "head -c 8388608 /dev/zero > " + dir + "/data/zeros"});
  EXPECT_EQ(big.status, 0) << big.err;
  EXPECT_EQ(written(dir + "/srv/zeros", std::string(8 << 20, '\0')), std::string(8 << 20, '\0'));
}

TEST_F(ProxyRelay, WhatAStreamCannotCarryFailsWithADocumentedErrno) {
  const std::string dir = Dirs();
  WriteFile(dir + "/srv/f", "data");
  ASSERT_EQ(mkdir((dir + "/srv/sub").c_str(), 0755), 0);
  {  // a sparse file above the 1 GiB bound
    int fd = open((dir + "/srv/huge").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, (off_t{1} << 30) + 1), 0);
    close(fd);
  }
  Backend b(dir);
  ASSERT_TRUE(b.ready()) << b.serve.err() << b.socat.err();
  const std::string policy = Policy(dir, b.relayed);
  auto open_with = [&](const std::string& name, const std::string& how) {
    return Pwnbox({"--policy", policy, "--", Prog("ps_stream"), "open", dir + "/data/" + name,
                   how})
        .out;
  };
  EXPECT_EQ(open_with("f", "rdwr"), "open=EOPNOTSUPP\n");
  EXPECT_EQ(open_with("sub", "dir"), "open=EOPNOTSUPP\n");
  // O_PATH: the object opened for reading, as with fd passing (a regular file: a memfd).
  EXPECT_EQ(open_with("f", "path"), "open=ok\n");
  EXPECT_EQ(open_with("huge", "read"), "open=EFBIG\n");
  EXPECT_EQ(open_with("f", "read"), "open=ok\n");
  EXPECT_EQ(open_with("nb", "wrnb"), "open=ok nonblock=1\n");  // the open's O_NONBLOCK kept
  auto ls = Pwnbox({"--policy", policy, "--", "ls", dir + "/data/sub"});
  EXPECT_NE(ls.status, 0);
  EXPECT_TRUE(Contains(ls.err, "Operation not supported")) << ls.err;
  // The server's file is untouched by the refused O_RDWR open.
  EXPECT_EQ(ReadFile(dir + "/srv/f"), "data");
}

// The server killed while the target holds a relayed fd: a reader sees EOF, a writer EPIPE,
// and pwnbox exits with the target (nothing hangs).
TEST_F(ProxyRelay, TheServerKilledMidStreamEndsTheTargetsFd) {
  const std::string dir = Dirs();
  ASSERT_EQ(mkfifo((dir + "/srv/fifo").c_str(), 0644), 0);
  {
    Backend b(dir);
    ASSERT_TRUE(b.ready()) << b.serve.err() << b.socat.err();
    const std::string policy = Policy(dir, b.relayed);
    // The test keeps a writer on the FIFO (so the server's read waits rather than see EOF) and
    // puts 3 bytes in it.
    core::UniqueFd writer(open((dir + "/srv/fifo").c_str(), O_RDWR | O_CLOEXEC));
    ASSERT_TRUE(writer);
    ASSERT_EQ(write(writer.get(), "abc", 3), 3);
    Child reader({PwnboxBin(), "--policy", policy, "--", Prog("ps_stream"), "readwait",
                  dir + "/data/fifo"},
                 "");
    ASSERT_EQ(reader.ReadLine(), "first=3") << reader.err();
    b.serve.Kill(SIGKILL);
    EXPECT_EQ(reader.Wait(), 0) << reader.err();
    EXPECT_EQ(reader.rest(), "read=3 end=eof\n") << reader.err();
  }
  {
    Backend b(dir);
    ASSERT_TRUE(b.ready()) << b.serve.err() << b.socat.err();
    const std::string policy = Policy(dir, b.relayed);
    Child writer({PwnboxBin(), "--policy", policy, "--", Prog("ps_stream"), "writewait",
                  dir + "/data/w.txt"},
                 "");
    ASSERT_EQ(writer.ReadLine(), "opened") << writer.err();
    b.serve.Kill(SIGKILL);
    b.serve.Wait();
    writer.Write("g");
    EXPECT_EQ(writer.Wait(), 0) << writer.err();
    // EPIPE, or ECONNRESET when the relay's end went away with bytes unread in it (which of
    // the two depends on when the writes landed): both say the backend is gone, never a hang.
    EXPECT_TRUE(writer.rest() == "end=EPIPE\n" || writer.rest() == "end=ECONNRESET\n")
        << writer.rest() << writer.err();
  }
}

// At most ProxyRelays::kMaxRelays (64) relays at once: the next open fails with EAGAIN; they
// end with the target, and the next run has them all again.
TEST_F(ProxyRelay, RelaysAreBounded) {
  const std::string dir = Dirs();
  Backend b(dir);
  ASSERT_TRUE(b.ready()) << b.serve.err() << b.socat.err();
  const std::string policy = Policy(dir, b.relayed);
  for (int run = 0; run < 2; ++run) {
    auto r = Pwnbox({"--policy", policy, "--", Prog("ps_stream"), "many", dir + "/data/f", "70"});
    EXPECT_EQ(r.out, "opened=64 first_error=EAGAIN\n") << r.err;
  }
}

// The target closes a relayed fd whose other side stays silent (a FIFO nobody writes to): the
// relay ends at once (it sees the target's end hang up), so does the server's stream (it sees
// the relay's hang up and closes the FIFO), and pwnbox exits with the target, without waiting
// for its 10 s drain.
TEST_F(ProxyRelay, ClosingARelayedFdEndsTheRelayEvenWhenNothingFlows) {
  const std::string dir = Dirs();
  const std::string fifo = dir + "/srv/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
  Backend b(dir);
  ASSERT_TRUE(b.ready()) << b.serve.err() << b.socat.err();
  const std::string policy = Policy(dir, b.relayed);
  core::UniqueFd keep(open(fifo.c_str(), O_RDWR | O_CLOEXEC));  // a writer, and a reader
  ASSERT_TRUE(keep);
  core::UniqueFd w(open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));  // a writer
  ASSERT_TRUE(w);
  ASSERT_EQ(write(w.get(), "abc", 3), 3);
  const auto start = std::chrono::steady_clock::now();
  Child reader({PwnboxBin(), "--policy", policy, "--", "head", "-c", "3", dir + "/data/fifo"},
               "");
  EXPECT_EQ(reader.Wait(), 0) << reader.err();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(reader.rest(), "abc");
  EXPECT_LT(seconds, 5.0) << "pwnbox waited for a relay that could carry nothing";
  // The server closes the FIFO: with the test's reader gone, our writer sees none (POLLERR).
  keep.reset();
  pollfd p{w.get(), 0, 0};
  EXPECT_EQ(poll(&p, 1, 30'000), 1);
  EXPECT_TRUE(p.revents & POLLERR) << p.revents;
}

// A backend of the test's own, past the hello: it offers a read stream of 1000 bytes for every
// open and then breaks the attach the way `mode` says: "short" (10 bytes, then the end),
// "garbage" (no message), "refused" (an error message), "stall" (10 bytes, then silence), or
// the offer itself: "badoffer" (a token that is not 32 hex digits).
class BrokenStreamBackend {
 public:
  BrokenStreamBackend(const std::string& path, std::string mode) : mode_(std::move(mode)) {
    auto l = proxy::Listen("unix:" + path);
    if (!l.ok()) return;
    listen_ = std::move(*l);
    accept_ = std::thread([this] {
      while (true) {
        int fd = accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        std::lock_guard lock(mu_);
        conns_.emplace_back([this, fd] { Serve(fd); });
      }
    });
  }
  ~BrokenStreamBackend() {
    shutdown(listen_.get(), SHUT_RDWR);
    if (accept_.joinable()) accept_.join();
    for (auto& t : conns_) t.join();
  }

 private:
  void Serve(int fd) {
    core::UniqueFd sock(fd);
    while (true) {
      auto frame = proxy::ReceiveMessage(fd, 30'000);
      if (!frame.ok() || !frame->has_value()) return;
      auto m = proxy::DecodeMessage((*frame)->payload, std::move((*frame)->fd));
      if (!m.ok()) return;
      if (m->type == proxy::Message::Type::kHello) {
        proxy::Hello h;
        h.fd_passing = false;  // as behind a relay that drops fds
        (void)proxy::SendMessage(fd, proxy::EncodeHello(h));
      } else if (m->type == proxy::Message::Type::kCall) {
        proxy::Response r;
        r.id = m->request.id;
        r.stream = proxy::StreamOffer{std::string(32, mode_ == "badoffer" ? 'X' : 'a'),
                                      proxy::StreamOffer::Kind::kRead, 1000};
        (void)proxy::SendMessage(fd, proxy::EncodeResponse(r));
      } else if (m->type == proxy::Message::Type::kAttach) {
        if (mode_ == "short") {
          (void)proxy::SendMessage(fd, proxy::EncodeAttached());
          (void)write(fd, "0123456789", 10);  // 10 of 1000 bytes, then the end
        } else if (mode_ == "garbage") {
          (void)write(fd, "GARBAGE!GARBAGE!", 16);
        } else if (mode_ == "stall") {
          (void)proxy::SendMessage(fd, proxy::EncodeAttached());
          (void)write(fd, "0123456789", 10);  // and nothing more, the connection left open
          char c;
          (void)read(fd, &c, 1);  // until pwnbox gives up and closes it
        } else {
          (void)proxy::SendMessage(fd, proxy::EncodeError("no such stream"));
        }
        return;
      }
    }
  }
  std::string mode_;
  core::UniqueFd listen_;
  std::thread accept_;
  std::mutex mu_;
  std::vector<std::thread> conns_;
};

TEST_F(ProxyRelay, ABrokenStreamFailsTheOpenWithEioReportedOnce) {
  for (const std::string mode : {"short", "garbage", "refused", "badoffer"}) {
    SCOPED_TRACE(mode);
    const std::string dir = Dirs();
    BrokenStreamBackend backend(dir + "/fake.sock", mode);
    const std::string policy = Policy(dir, "unix:" + dir + "/fake.sock");
    auto r = Pwnbox({"--policy", policy, "--", "sh", "-c",
                     Prog("ps_stream") + " read " + dir + "/data/a; " + Prog("ps_stream") +
                         " read " + dir + "/data/b"});
    EXPECT_EQ(r.out, "open=EIO\nopen=EIO\n") << r.err;
    EXPECT_EQ(Grep(r.err, "pwnbox: proxy backend unix:" + dir + "/fake.sock").size(), 1u)
        << r.err;
  }
}

// A stream that stalls: the open fails with EIO after ProxyCalls::kStreamIdleTimeoutMs (10 s),
// reported once; nothing hangs.
TEST_F(ProxyRelay, AStalledStreamFailsTheOpenWithEio) {
  const std::string dir = Dirs();
  BrokenStreamBackend backend(dir + "/fake.sock", "stall");
  const std::string policy = Policy(dir, "unix:" + dir + "/fake.sock");
  auto r = Pwnbox({"--policy", policy, "--", Prog("ps_stream"), "read", dir + "/data/a"});
  EXPECT_EQ(r.out, "open=EIO\n") << r.err;
  EXPECT_EQ(Grep(r.err, "the stream stalled for 10000 ms").size(), 1u) << r.err;
}

}  // namespace
}  // namespace pwnbox::testing
