// proxy/protocol.h and proxy/client.h: the wire format (base64, encode/decode, framing with fds
// over real socketpairs) and ProxyClient against scripted backends on real unix sockets:
// results out of order, wrong ids, missing fds, timeouts, wrong versions, exec: handlers.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/client.h"
#include "proxy/protocol.h"
#include "proxy/server.h"

namespace pwnbox::proxy {
namespace {

using Type = Message::Type;

std::string Frame(const std::string& payload) {
  uint32_t n = static_cast<uint32_t>(payload.size());
  return std::string(reinterpret_cast<const char*>(&n), 4) + payload;
}

struct Pair {
  Pair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0); }
  ~Pair() {
    for (int fd : fds)
      if (fd >= 0) close(fd);
  }
  void CloseWriter() {
    close(fds[0]);
    fds[0] = -1;
  }
  int fds[2];
};

TEST(ProxyBase64, RoundTripsAndRejectsNonCanonical) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x80", 3)})
    EXPECT_EQ(*Base64Decode(Base64Encode(s)), s);
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  for (std::string bad : {"a", "aGVsbG8", "aGVs bG8=", "aGVsbG9=", "====", "a=bc", "aGVsbG8=aaaa"})
    EXPECT_FALSE(Base64Decode(bad).ok()) << bad;
  EXPECT_FALSE(Base64Decode("aGVsbG8=", 4).ok());  // over the bound
}

TEST(ProxyProtocol, RequestRoundTripsWithNonUtf8Path) {
  Request r;
  r.id = 7;
  r.name = "openat";
  r.nr = 257;
  r.pid = 1234;
  r.args = {0xffffffffffffff9c, 0x7ffd0000, 0x80000, 0, 0, ~uint64_t{0}};
  r.path = std::string("/data/\xff\xfe.csv");
  r.flags = O_RDONLY | O_CLOEXEC;
  r.mode = 0;
  r.data = std::string("\0\1\2", 3);
  auto text = EncodeRequest(r);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("\"path_b64\""), std::string::npos);
  auto m = DecodeMessage(*text);
  ASSERT_TRUE(m.ok()) << m.error().message();
  ASSERT_EQ(m->type, Type::kCall);
  EXPECT_EQ(m->request.id, 7u);
  EXPECT_EQ(m->request.args, r.args);
  EXPECT_EQ(m->request.path, r.path);
  EXPECT_EQ(m->request.flags, r.flags);
  EXPECT_EQ(m->request.data, r.data);
  EXPECT_FALSE(m->request.resolve.has_value());
  EXPECT_FALSE(m->request.path2.has_value());
  // Each path is sent as text or as bytes on its own (rename's second path).
  r.path2 = "/data/plain.csv";
  text = EncodeRequest(r);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("\"path2\":\"/data/plain.csv\""), std::string::npos) << *text;
  m = DecodeMessage(*text);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->request.path, r.path);
  EXPECT_EQ(m->request.path2, r.path2);
  r.path2 = std::string("/\xc3(", 3);
  text = EncodeRequest(r);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("\"path2_b64\""), std::string::npos);
  EXPECT_EQ(DecodeMessage(*text)->request.path2, r.path2);
  EXPECT_FALSE(DecodeMessage(R"({"type":"call","id":1,"name":"rename","path2":"/a","path2_b64":"L2E="})").ok());
  r.path2 = std::string(kMaxPathBytes + 1, 'b');
  EXPECT_FALSE(EncodeRequest(r).ok());
  r.path2.reset();
  r.path = std::string(kMaxPathBytes + 1, 'a');
  EXPECT_EQ(EncodeRequest(r).error().sys_errno(), ENAMETOOLONG);
}

TEST(ProxyProtocol, RejectsMalformedMessages) {
  for (const std::string& bad : std::vector<std::string>{
           "", "{", "[]", "1", "null", "{}", R"({"type":7})", R"({"type":"nope"})",
           R"({"type":"hello"})", R"({"type":"hello","version":"1"})",
           R"({"type":"call","name":"uname"})", R"({"type":"call","id":0,"name":"uname"})",
           R"({"type":"call","id":9007199254740992,"name":"uname"})",
           R"({"type":"call","id":1.5,"name":"uname"})", R"({"type":"call","id":1})",
           R"({"type":"call","id":1,"name":"uname","abi":"arm"})",
           R"({"type":"call","id":1,"name":"uname","args":[1,2,3]})",
           R"({"type":"call","id":1,"name":"uname","args":[1,2,3,4,5,-6]})",
           R"({"type":"call","id":1,"name":"open","path":"/a\u0000b"})",
           R"({"type":"call","id":1,"name":"open","path":"/a","path_b64":"L2E="})",
           R"({"type":"call","id":1,"name":"open","data":"!!!!"})",
           R"({"type":"result","id":1})", R"({"type":"result","id":1,"ret":0,"errno":2})",
           R"({"type":"result","id":1,"errno":0})", R"({"type":"result","id":1,"errno":4096})",
           R"({"type":"result","id":1,"errno":2,"fd":true})",
           R"({"type":"result","id":1,"ret":0,"fd":true})",  // announced, none came
           "{\"type\":\"call\",\"id\":1,\"name\":\"\xff\"}",   // not UTF-8
           std::string(20, '[') + std::string(20, ']')}) {
    auto m = DecodeMessage(bad);
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.error().sys_errno(), EPROTO) << bad;
  }
  // An fd nobody announced is an error (and closed).
  core::UniqueFd fd(memfd_create("x", MFD_CLOEXEC));
  EXPECT_FALSE(DecodeMessage(R"({"type":"result","id":1,"ret":0})", std::move(fd)).ok());
}

TEST(ProxyFraming, MessagesAndFdsCrossASocket) {
  Pair p;
  core::UniqueFd memfd(memfd_create("payload", MFD_CLOEXEC));
  ASSERT_EQ(write(memfd.get(), "xyz", 3), 3);
  ASSERT_TRUE(SendMessage(p.fds[0], R"({"type":"result","id":3,"ret":0,"fd":true})", memfd.get()).ok());
  ASSERT_TRUE(SendMessage(p.fds[0], EncodeError("bye")).ok());
  auto f = ReceiveMessage(p.fds[1], 1000);
  ASSERT_TRUE(f.ok() && f->has_value());
  auto m = DecodeMessage((*f)->payload, std::move((*f)->fd));
  ASSERT_TRUE(m.ok()) << m.error().message();
  ASSERT_TRUE(m->response.fd);
  EXPECT_TRUE(fcntl(m->response.fd.get(), F_GETFD) & FD_CLOEXEC);
  char buf[4] = {};
  EXPECT_EQ(pread(m->response.fd.get(), buf, 3, 0), 3);
  EXPECT_STREQ(buf, "xyz");
  f = ReceiveMessage(p.fds[1], 1000);
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ(DecodeMessage((*f)->payload)->error, "bye");
  p.CloseWriter();
  f = ReceiveMessage(p.fds[1], 1000);
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->has_value());  // a clean end between messages
}

TEST(ProxyFraming, BadFramesAreErrors) {
  {  // a length above the bound, and zero
    Pair p;
    std::string s = std::string("\x01\x00\x10\x00", 4);
    ASSERT_EQ(write(p.fds[0], s.data(), 4), 4);
    EXPECT_EQ(ReceiveMessage(p.fds[1], 1000).error().sys_errno(), EMSGSIZE);
    EXPECT_FALSE(SendMessage(p.fds[0], std::string(kMaxMessageBytes + 1, ' ')).ok());
  }
  {  // the peer leaves in the middle
    Pair p;
    std::string s = Frame("{\"type\":\"error\"}").substr(0, 8);
    ASSERT_EQ(write(p.fds[0], s.data(), s.size()), static_cast<ssize_t>(s.size()));
    p.CloseWriter();
    EXPECT_EQ(ReceiveMessage(p.fds[1], 1000).error().sys_errno(), ECONNRESET);
  }
  {  // nothing comes in time
    Pair p;
    EXPECT_EQ(ReceiveMessage(p.fds[1], 50).error().sys_errno(), ETIMEDOUT);
  }
  {  // two fds on one message
    Pair p;
    std::string s = Frame(R"({"type":"error","message":"x"})");
    int two[2] = {memfd_create("a", MFD_CLOEXEC), memfd_create("b", MFD_CLOEXEC)};
    iovec iov{s.data(), s.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof two)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof two);
    std::memcpy(CMSG_DATA(c), two, sizeof two);
    ASSERT_EQ(sendmsg(p.fds[0], &msg, 0), static_cast<ssize_t>(s.size()));
    close(two[0]);
    close(two[1]);
    EXPECT_EQ(ReceiveMessage(p.fds[1], 1000).error().sys_errno(), EPROTO);
  }
}

// A scripted backend: accepts one client on a fresh socket, answers its hello (proving fd
// passing, with `version`), then runs `script` on the connection.
class FakeBackend {
 public:
  explicit FakeBackend(std::function<void(int)> script, int version = kProtocolVersion) {
    char dir[] = "/tmp/px_unitXXXXXX";
    EXPECT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/s";
    auto l = Listen("unix:" + path_);
    EXPECT_TRUE(l.ok());
    listener_ = std::move(*l);
    thread_ = std::thread([this, script = std::move(script), version] {
      core::UniqueFd s(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      auto f = ReceiveMessage(s.get(), 5000);
      if (!f.ok() || !f->has_value()) return;
      Hello h;
      h.version = version;
      h.fd = static_cast<bool>((*f)->fd);
      h.fd_passing = h.fd;
      (void)SendMessage(s.get(), EncodeHello(h), (*f)->fd.get());
      script(s.get());
    });
  }
  ~FakeBackend() {
    thread_.join();
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  std::string backend() const { return "unix:" + path_; }

 private:
  std::string dir_, path_;
  core::UniqueFd listener_;
  std::thread thread_;
};

Request Uname() {
  Request r;
  r.name = "uname";
  return r;
}

// Reads one call from `s`.
Request ReadCall(int s) {
  auto f = ReceiveMessage(s, 5000);
  EXPECT_TRUE(f.ok() && f->has_value());
  if (!f.ok() || !f->has_value()) return {};
  auto m = DecodeMessage((*f)->payload);
  EXPECT_TRUE(m.ok() && m->type == Type::kCall);
  return m.ok() ? m->request : Request{};
}

void Answer(int s, uint64_t id, int64_t ret, int fd = -1) {
  Response r;
  r.id = id;
  r.ret = ret;
  r.data = "answer " + std::to_string(ret);
  std::string text = EncodeResponse(r);
  if (fd >= 0) text.insert(text.size() - 1, ",\"fd\":true");
  ASSERT_TRUE(SendMessage(s, text, fd).ok());
}

TEST(ProxyClient, ResultsOutOfOrderReachTheirCallers) {
  FakeBackend backend([](int s) {
    Request a = ReadCall(s), b = ReadCall(s);
    Answer(s, b.id, b.nr);  // the later call first
    Answer(s, a.id, a.nr);
  });
  auto client = ProxyClient::Connect(backend.backend());
  ASSERT_TRUE(client.ok()) << client.error().message();
  EXPECT_TRUE((*client)->fd_passing());
  int64_t got[2] = {0, 0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 2; ++i) {
    callers.emplace_back([&, i] {
      Request r = Uname();
      r.nr = 100 + i;
      auto res = (*client)->Call(r);
      ASSERT_TRUE(res.ok()) << res.error().message();
      EXPECT_EQ(res->data, "answer " + std::to_string(100 + i));
      got[i] = res->ret;
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(got[0], 100);
  EXPECT_EQ(got[1], 101);
}

TEST(ProxyClient, PassedFdArrives) {
  FakeBackend backend([](int s) {
    Request a = ReadCall(s);
    core::UniqueFd f(memfd_create("file", MFD_CLOEXEC));
    (void)!write(f.get(), "content", 7);
    Answer(s, a.id, 0, f.get());
  });
  auto client = ProxyClient::Connect(backend.backend());
  ASSERT_TRUE(client.ok());
  auto res = (*client)->Call(Uname());
  ASSERT_TRUE(res.ok()) << res.error().message();
  ASSERT_TRUE(res->fd);
  char buf[8] = {};
  EXPECT_EQ(pread(res->fd.get(), buf, 7, 0), 7);
  EXPECT_STREQ(buf, "content");
}

TEST(ProxyClient, WrongIdBreaksTheConnection) {
  FakeBackend backend([](int s) {
    Request a = ReadCall(s);
    Answer(s, a.id + 41, 0);
    ReceiveMessage(s, 5000).ok();  // until the client closes
  });
  auto client = ProxyClient::Connect(backend.backend());
  ASSERT_TRUE(client.ok());
  auto res = (*client)->Call(Uname());
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().sys_errno(), EPROTO);
  EXPECT_NE(res.error().message().find("not in flight"), std::string::npos) << res.error().message();
  EXPECT_EQ((*client)->Call(Uname()).error().sys_errno(), EPROTO);  // broken for good
}

TEST(ProxyClient, AnnouncedFdThatDoesNotArriveIsAnError) {
  FakeBackend backend([](int s) {
    Request a = ReadCall(s);
    (void)SendMessage(s, R"({"type":"result","id":)" + std::to_string(a.id) + R"(,"ret":0,"fd":true})");
  });
  auto client = ProxyClient::Connect(backend.backend());
  ASSERT_TRUE(client.ok());
  auto res = (*client)->Call(Uname());
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.error().message().find("did not arrive"), std::string::npos) << res.error().message();
}

TEST(ProxyClient, TimeoutLeavesTheConnectionUsable) {
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  FakeBackend backend([&](int s) {
    Request slow = ReadCall(s);
    char c;
    ASSERT_EQ(read(pipefd[0], &c, 1), 1);  // the client has given up on `slow`
    Answer(s, slow.id, 1);                 // late: dropped
    Request next = ReadCall(s);
    Answer(s, next.id, 2);
  });
  ClientOptions options;
  options.timeout_ms = 100;
  auto client = ProxyClient::Connect(backend.backend(), options);
  ASSERT_TRUE(client.ok());
  auto res = (*client)->Call(Uname());
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().sys_errno(), ETIMEDOUT);
  ASSERT_EQ(write(pipefd[1], "x", 1), 1);
  auto next = (*client)->Call(Uname());
  ASSERT_TRUE(next.ok()) << next.error().message();
  EXPECT_EQ(next->ret, 2);
  close(pipefd[0]);
  close(pipefd[1]);
}

TEST(ProxyClient, WrongVersionAndErrorsAreRefused) {
  {
    FakeBackend backend([](int) {}, /*version=*/2);
    auto client = ProxyClient::Connect(backend.backend());
    ASSERT_FALSE(client.ok());
    EXPECT_EQ(client.error().sys_errno(), EPROTO);
    EXPECT_NE(client.error().message().find("version 2"), std::string::npos);
  }
  {
    FakeBackend backend([](int s) {
      ReadCall(s);
      (void)SendMessage(s, EncodeError("no such thing"));
    });
    auto client = ProxyClient::Connect(backend.backend());
    ASSERT_TRUE(client.ok());
    auto res = (*client)->Call(Uname());
    ASSERT_FALSE(res.ok());
    EXPECT_NE(res.error().message().find("no such thing"), std::string::npos);
  }
  auto none = ProxyClient::Connect("unix:/nonexistent/px.sock");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().sys_errno(), ENOENT);
  EXPECT_EQ(ProxyClient::Connect("tcp:1.2.3.4:5").error().sys_errno(), EINVAL);
}

TEST(ProxyClient, ExecBackendRunsAHandler) {
  const char* src = getenv("PWNBOX_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  auto client = ProxyClient::Connect(std::string("exec:FAKE_HOSTNAME=inside exec python3 ") + src +
                                     "/examples/proxy/handler.py");
  ASSERT_TRUE(client.ok()) << client.error().message();
  EXPECT_TRUE((*client)->fd_passing());
  auto res = (*client)->Call(Uname());
  ASSERT_TRUE(res.ok()) << res.error().message();
  ASSERT_GE(res->data.size(), 130u);
  EXPECT_STREQ(res->data.data() + 65, "inside");
  Request other = Uname();
  other.name = "openat";
  EXPECT_EQ((*client)->Call(other)->err, ENOSYS);
}


// proxy::Server in this process (so that sanitizers see its threads): many clients at once, a
// shared client, and Run's stop that disconnects and joins them all.
TEST(ProxyServer, ServesManyClientsAndStops) {
  char dir[] = "/tmp/px_unitXXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string root = dir, sock = root + "/s";
  ASSERT_EQ(mkdir((root + "/d").c_str(), 0755), 0);
  {
    core::UniqueFd f(open((root + "/d/f").c_str(), O_WRONLY | O_CREAT, 0644));
    ASSERT_EQ(write(f.get(), "ok", 2), 2);
  }
  ServerOptions options;
  options.root = root;
  options.allow = {"d/*"};
  std::vector<std::string> log;
  options.log = [&log](const std::string& line) { log.push_back(line); };
  auto server = Server::Create(options);
  ASSERT_TRUE(server.ok()) << server.error().message();
  auto listener = Listen("unix:" + sock);
  ASSERT_TRUE(listener.ok()) << listener.error().message();
  int stop[2];
  ASSERT_EQ(pipe(stop), 0);
  std::thread run([&] { EXPECT_TRUE((*server)->Run(listener->get(), stop[0]).ok()); });
  auto shared = ProxyClient::Connect("unix:" + sock);
  ASSERT_TRUE(shared.ok());
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      std::unique_ptr<ProxyClient> own;
      ProxyClient* c = shared->get();
      if (i % 2) {
        auto made = ProxyClient::Connect("unix:" + sock);
        if (!made.ok()) return;
        own = std::move(*made);
        c = own.get();
      }
      for (int k = 0; k < 25; ++k) {
        Request r;
        r.name = "openat";
        r.path = k % 5 ? "/d/f" : "/s";  // the socket itself is not allowed
        auto res = c->Call(r);
        if (!res.ok()) return;
        if (k % 5 ? !res->fd : res->err != EACCES) return;
      }
      ++good;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 16);
  // A client that breaks the protocol is logged; a connected one is cut by the stop.
  {
    core::UniqueFd bad(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, sock.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(connect(bad.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(write(bad.get(), "\0\0\0\0", 4), 4);
    auto f = ReceiveMessage(bad.get(), 5000);
    ASSERT_TRUE(f.ok() && f->has_value());
    EXPECT_EQ(DecodeMessage((*f)->payload)->type, Type::kError);
  }
  ASSERT_EQ(write(stop[1], "x", 1), 1);
  run.join();
  EXPECT_FALSE((*shared)->Call(Request{.name = "uname"}).ok());
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("a message of 0 bytes"), std::string::npos) << log[0];
  close(stop[0]);
  close(stop[1]);
  unlink(sock.c_str());
  unlink((root + "/d/f").c_str());
  rmdir((root + "/d").c_str());
  rmdir(dir);
}

TEST(ProxyServer, DisconnectsAClientThatStallsInAMessage) {
  char dir[] = "/tmp/px_unitXXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  ServerOptions options;
  options.root = dir;
  options.message_timeout_ms = 200;
  auto server = Server::Create(options);
  ASSERT_TRUE(server.ok());
  Pair p;
  std::thread serve([&] { (*server)->ServeConnection(p.fds[1]); });
  // Half a hello, then nothing: the server gives up on it with an error.
  std::string half = Frame(R"({"type":"hello","version":1,"fd":false})").substr(0, 10);
  ASSERT_EQ(write(p.fds[0], half.data(), half.size()), static_cast<ssize_t>(half.size()));
  auto f = ReceiveMessage(p.fds[0], 10'000);
  ASSERT_TRUE(f.ok() && f->has_value());
  auto m = DecodeMessage((*f)->payload);
  ASSERT_TRUE(m.ok());
  EXPECT_NE(m->error.find("stalled in the middle of a message"), std::string::npos) << m->error;
  serve.join();
  rmdir(dir);
}

}  // namespace
}  // namespace pwnbox::proxy
