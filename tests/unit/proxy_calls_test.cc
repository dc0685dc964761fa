// supervisor::ProxyPath (how a proxied path is named for its backend) and
// ProxyCalls::Interpret (a backend's answer checked against the call it answers).
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "supervisor/proxy_calls.h"

namespace pwnbox::supervisor {
namespace {

TEST(ProxyPath, TheRulesFixedDirectoryIsTheServersRoot) {
  const std::string glob = "/data/**", one = "/data/*.csv", file = "/etc/hostname",
                    deep = "/srv/a/b/*", none = "/**";
  EXPECT_EQ(ProxyPath("/data/report.csv", &glob), "/report.csv");
  EXPECT_EQ(ProxyPath("/data/sub/x", &glob), "/sub/x");
  EXPECT_EQ(ProxyPath("/data", &glob), "/");
  EXPECT_EQ(ProxyPath("/data/r.csv", &one), "/r.csv");
  EXPECT_EQ(ProxyPath("/etc/hostname", &file), "/hostname");
  EXPECT_EQ(ProxyPath("/srv/a/b/c", &deep), "/c");
  EXPECT_EQ(ProxyPath("/anything", &none), "/anything");
  EXPECT_EQ(ProxyPath("/database/x", &glob), "/database/x");  // not under /data
  EXPECT_EQ(ProxyPath("/x/y", nullptr), "/x/y");              // a rule without paths
}

ProxyCalls::Prepared Data(size_t size, bool exact) {
  ProxyCalls::Prepared p;
  p.request.name = exact ? "newfstatat" : "readlink";
  p.expect = ProxyCalls::Prepared::Expect::kData;
  p.out_size = size;
  p.exact = exact;
  return p;
}

TEST(ProxyCallsInterpret, AnswersThatDoNotFitTheCallAreEio) {
  std::string why;
  proxy::Response ok;
  ok.data.assign(144, 'x');
  auto r = ProxyCalls::Interpret(Data(144, true), std::move(ok), &why);
  EXPECT_EQ(r.ret, 0);
  EXPECT_EQ(r.out.size(), 144u);
  EXPECT_EQ(why, "");

  proxy::Response shortr;
  shortr.data.assign(10, 'x');
  r = ProxyCalls::Interpret(Data(144, true), std::move(shortr), &why);
  EXPECT_EQ(r.ret, -EIO);
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(why, "10 bytes for newfstatat's 144-byte buffer");

  proxy::Response link;  // readlink: at most bufsiz, and ret == the length
  link.data = "target";
  link.ret = 6;
  r = ProxyCalls::Interpret(Data(64, false), std::move(link), &why);
  EXPECT_EQ(r.ret, 6);
  proxy::Response liar;
  liar.data = "target";
  liar.ret = 60;
  why.clear();
  r = ProxyCalls::Interpret(Data(64, false), std::move(liar), &why);
  EXPECT_EQ(r.ret, -EIO);
  EXPECT_EQ(why, "readlink returned 60, not 6");

  proxy::Response with_fd;  // an fd where none belongs is closed, not installed
  with_fd.data.assign(144, 'x');
  with_fd.fd.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
  r = ProxyCalls::Interpret(Data(144, true), std::move(with_fd), &why);
  EXPECT_EQ(r.ret, -EIO);
  EXPECT_FALSE(r.fd);

  ProxyCalls::Prepared open_call;
  open_call.request.name = "openat";
  open_call.expect = ProxyCalls::Prepared::Expect::kFd;
  open_call.cloexec = true;
  r = ProxyCalls::Interpret(open_call, proxy::Response{}, &why);  // success without an fd
  EXPECT_EQ(r.ret, -EIO);
  EXPECT_EQ(why, "no fd came with a successful openat");
  proxy::Response fd;
  fd.fd.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
  r = ProxyCalls::Interpret(open_call, std::move(fd), &why);
  EXPECT_EQ(r.ret, 0);
  EXPECT_TRUE(r.fd);
  EXPECT_TRUE(r.cloexec);
  proxy::Response opath;  // cannot be installed (ADDFD): the backend broke the protocol
  opath.fd.reset(open("/", O_PATH | O_CLOEXEC));
  r = ProxyCalls::Interpret(open_call, std::move(opath), &why);
  EXPECT_EQ(r.ret, -EIO);
  EXPECT_FALSE(r.fd);
  EXPECT_EQ(why, "an O_PATH fd came, which cannot be installed in the target");

  proxy::Response denied;  // the backend's errno is the call's
  denied.err = EACCES;
  r = ProxyCalls::Interpret(open_call, std::move(denied), &why);
  EXPECT_EQ(r.ret, -EACCES);
}

}  // namespace
}  // namespace pwnbox::supervisor
