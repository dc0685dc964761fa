// proxy/net.h (what `proxy serve --allow-connect` allows and does for connect, bind, sendto), the
// protocol's network members, and ProxyCalls' checks of a passed socket (FinishNet), on real
// sockets of this process (127.0.0.1 in the test's own namespace).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "proxy/net.h"
#include "proxy/protocol.h"
#include "supervisor/proxy_calls.h"

namespace pwnbox::proxy {
namespace {

std::string In4(const char* ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip, &a.sin_addr);
  return std::string(reinterpret_cast<const char*>(&a), sizeof a);
}

std::string In6(const char* ip, int port) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET6, ip, &a.sin6_addr);
  return std::string(reinterpret_cast<const char*>(&a), sizeof a);
}

std::string Unix(const std::string& path, bool abstract = false) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path + (abstract ? 1 : 0), path.data(), path.size());
  return std::string(reinterpret_cast<const char*>(&a),
                     offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 1 : 0));
}

int IntegerSocketType(int fd) {
  int type = -1;
  socklen_t len = sizeof type;
  getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
  return type;
}

NetAllowList List(std::vector<std::string> entries) {
  auto l = NetAllowList::Parse(entries);
  EXPECT_TRUE(l.ok()) << l.error().message();
  return l.ok() ? std::move(*l) : NetAllowList{};
}

TEST(NetAllowList, EntriesAndWhatTheyMatch) {
  auto l = List({"127.0.0.1:8080", "[::1]:53", "10.0.0.1:*", "unix:/run/app.sock"});
  EXPECT_TRUE(l.Allows(In4("127.0.0.1", 8080)));
  EXPECT_FALSE(l.Allows(In4("127.0.0.1", 8081)));
  EXPECT_FALSE(l.Allows(In4("127.0.0.2", 8080)));
  EXPECT_TRUE(l.Allows(In6("::ffff:127.0.0.1", 8080)));  // v4-mapped on an AF_INET6 socket
  EXPECT_TRUE(l.Allows(In6("::1", 53)));
  EXPECT_FALSE(l.Allows(In4("127.0.0.1", 53)));
  EXPECT_TRUE(l.Allows(In4("10.0.0.1", 1)));
  EXPECT_TRUE(l.Allows(In4("10.0.0.1", 0)));
  EXPECT_TRUE(l.Allows(Unix("/run/app.sock")));
  EXPECT_FALSE(l.Allows(Unix("/run/app.sock", /*abstract=*/true)));
  EXPECT_FALSE(l.Allows(Unix("run/app.sock")));
  EXPECT_FALSE(l.Allows(Unix("")));                       // unnamed
  EXPECT_FALSE(l.Allows(In4("127.0.0.1", 8080).substr(0, 8)));  // short
  EXPECT_FALSE(l.Allows(""));
  EXPECT_TRUE(List({}).empty());
  EXPECT_TRUE(List({"localhost:80"}).Allows(In4("127.0.0.1", 80)));
  for (const char* bad : {"127.0.0.1", ":80", "127.0.0.1:65536", "127.0.0.1:x", "::1:80",
                          "[::1:80", "[nope]:80", "unix:", "unix:rel", "unix:@abstract"}) {
    auto r = NetAllowList::Parse({bad});
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().message().find(bad), std::string::npos);
    }
  }
}

Request Net(const std::string& name, int domain, int type, std::string sockaddr) {
  Request r;
  r.id = 1;
  r.name = name;
  r.domain = domain;
  r.sock_type = type;
  r.protocol = 0;
  r.data = std::move(sockaddr);
  return r;
}

TEST(NetCall, ConnectsBindsAndRefuses) {
  // A listener on 127.0.0.1 here, and a port where nothing listens.
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  std::string any = In4("127.0.0.1", 0);
  ASSERT_EQ(bind(l, reinterpret_cast<const sockaddr*>(any.data()), any.size()), 0);
  ASSERT_EQ(listen(l, 8), 0);
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  getsockname(l, reinterpret_cast<sockaddr*>(&bound), &len);
  const int port = ntohs(bound.sin_port);
  int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(bind(c, reinterpret_cast<const sockaddr*>(any.data()), any.size()), 0);
  getsockname(c, reinterpret_cast<sockaddr*>(&bound), &len);
  const int closed = ntohs(bound.sin_port);  // bound, not listening: refused

  auto allow = List({"127.0.0.1:*"});
  NetOptions o;
  // A non-blocking target socket may get the socket still connecting (EINPROGRESS), never
  // without it.
  Response nb = NetCall(Net("connect", AF_INET, SOCK_STREAM | SOCK_NONBLOCK,
                            In4("127.0.0.1", port)), allow, o);
  EXPECT_TRUE(nb.err == 0 || nb.err == EINPROGRESS) << nb.err;
  EXPECT_TRUE(nb.fd);
  Response ok = NetCall(Net("connect", AF_INET, SOCK_STREAM, In4("127.0.0.1", port)), allow, o);
  ASSERT_EQ(ok.err, 0);
  ASSERT_TRUE(ok.fd);
  sockaddr_in peer{};
  len = sizeof peer;
  EXPECT_EQ(getpeername(ok.fd.get(), reinterpret_cast<sockaddr*>(&peer), &len), 0);
  EXPECT_EQ(ntohs(peer.sin_port), port);
  EXPECT_EQ(fcntl(ok.fd.get(), F_GETFL) & O_NONBLOCK, 0);  // the supervisor sets the target's
  EXPECT_EQ(NetCall(Net("connect", AF_INET, SOCK_STREAM, In4("127.0.0.1", closed)), allow, o).err,
            ECONNREFUSED);
  Response b = NetCall(Net("bind", AF_INET, SOCK_STREAM, In4("127.0.0.1", 0)), allow, o);
  ASSERT_TRUE(b.fd);
  len = sizeof bound;
  getsockname(b.fd.get(), reinterpret_cast<sockaddr*>(&bound), &len);
  EXPECT_NE(ntohs(bound.sin_port), 0);
  Response s = NetCall(Net("sendto", AF_INET, SOCK_DGRAM, In4("127.0.0.1", 9)), allow, o);
  ASSERT_TRUE(s.fd);
  EXPECT_EQ(IntegerSocketType(s.fd.get()), SOCK_DGRAM);

  // Refusals.
  EXPECT_EQ(NetCall(Net("connect", AF_INET, SOCK_STREAM, In4("127.0.0.1", port)), List({}), o).err,
            EACCES);  // no --allow-connect
  EXPECT_EQ(NetCall(Net("connect", AF_INET, SOCK_STREAM, In4("127.0.0.2", port)), allow, o).err,
            EACCES);
  EXPECT_EQ(NetCall(Net("connect", AF_INET, SOCK_RAW, In4("127.0.0.1", port)), allow, o).err,
            EACCES);
  EXPECT_EQ(NetCall(Net("connect", AF_NETLINK, SOCK_DGRAM, In4("127.0.0.1", port)), allow, o).err,
            EACCES);
  EXPECT_EQ(NetCall(Net("connect", AF_INET6, SOCK_STREAM, In4("127.0.0.1", port)), allow, o).err,
            EAFNOSUPPORT);
  EXPECT_EQ(NetCall(Net("connect", AF_INET, SOCK_STREAM, In4("127.0.0.1", port).substr(0, 8)),
                    allow, o).err,
            EINVAL);
  EXPECT_EQ(NetCall(Net("connect", AF_UNIX, SOCK_STREAM, Unix("x", true)), List({"unix:/x"}), o)
                .err,
            EACCES);
  Request no_socket = Net("connect", AF_INET, SOCK_STREAM, In4("127.0.0.1", port));
  no_socket.domain.reset();
  EXPECT_EQ(NetCall(no_socket, allow, o).err, EINVAL);
  close(l);
  close(c);
}

TEST(NetProtocol, SocketMembersRoundTripWithinBounds) {
  Request r = Net("connect", AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  In6("::1", 80));
  r.protocol = IPPROTO_TCP;
  auto text = EncodeRequest(r);
  ASSERT_TRUE(text.ok());
  auto m = DecodeMessage(*text);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->request.domain, AF_INET6);
  EXPECT_EQ(m->request.sock_type, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
  EXPECT_EQ(m->request.protocol, IPPROTO_TCP);
  EXPECT_EQ(m->request.data, In6("::1", 80));
  for (const char* bad :
       {R"({"type":"call","id":1,"name":"connect","domain":256})",
        R"({"type":"call","id":1,"name":"connect","sock_type":-1})",
        R"({"type":"call","id":1,"name":"connect","sock_type":2147483648})",
        R"({"type":"call","id":1,"name":"connect","protocol":65536})",
        R"({"type":"call","id":1,"name":"connect","domain":"2"})"})
    EXPECT_FALSE(DecodeMessage(bad).ok()) << bad;
  r.domain = 300;
  EXPECT_FALSE(EncodeRequest(r).ok());
  // An fd comes with an errno only for EINPROGRESS (a connect still in progress).
  auto with_fd = [](int err) {
    core::UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    return DecodeMessage(R"({"type":"result","id":1,"errno":)" + std::to_string(err) +
                             R"(,"fd":true})",
                         std::move(fd));
  };
  auto in_progress = with_fd(EINPROGRESS);
  ASSERT_TRUE(in_progress.ok()) << in_progress.error().message();
  EXPECT_EQ(in_progress->response.err, EINPROGRESS);
  EXPECT_TRUE(in_progress->response.fd);
  EXPECT_FALSE(with_fd(ECONNREFUSED).ok());
}

}  // namespace
}  // namespace pwnbox::proxy

namespace pwnbox::supervisor {
namespace {

// FinishNet: the passed fd must be a socket of the target's kind; it gets the target's
// O_NONBLOCK.
TEST(ProxyCallsFinishNet, ThePassedSocketIsCheckedAndGetsTheTargetsFlags) {
  ProxyCalls::Prepared p;
  p.request.name = "connect";
  p.request.domain = AF_INET;
  p.request.sock_type = SOCK_STREAM | SOCK_NONBLOCK;
  p.expect = ProxyCalls::Prepared::Expect::kSocket;
  p.target_sock.reset(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  p.nonblock = true;
  p.install_at = 3;
  std::string why;
  EmulationResult r;
  r.fd.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  r.install_at = 3;
  ProxyCalls::FinishNet(p, &r, &why);
  EXPECT_EQ(why, "");
  ASSERT_TRUE(r.fd);
  EXPECT_NE(fcntl(r.fd.get(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_EQ(r.install_at, 3);

  EmulationResult file;
  file.fd.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
  ProxyCalls::FinishNet(p, &file, &why);
  EXPECT_EQ(file.ret, -EIO);
  EXPECT_FALSE(file.fd);
  EXPECT_EQ(why, "the fd for connect is not a socket of the target's kind");

  EmulationResult udp;  // another type
  why.clear();
  udp.fd.reset(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ProxyCalls::FinishNet(p, &udp, &why);
  EXPECT_EQ(udp.ret, -EIO);
}

}  // namespace
}  // namespace pwnbox::supervisor
