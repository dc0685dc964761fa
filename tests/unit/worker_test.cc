// supervisor::WorkerPool and credentials: a worker takes credentials for itself only, a blocking
// emulated open is cancelled (EINTR), the pool refuses beyond its bound, and the quick
// credential read agrees with /proc.
#include "supervisor/worker.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "supervisor/credentials.h"

namespace pwnbox::supervisor {
namespace {

std::string TempDir() {
  std::string t = std::string(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") + "/worker-XXXXXX";
  EXPECT_NE(mkdtemp(t.data()), nullptr);
  return t;
}

EmulatedCall OpenCall(const std::string& path, uint64_t flags) {
  EmulatedCall e;
  e.op = EmulatedCall::Op::kOpen;
  ResolvedPath p;
  p.view.path = path;
  e.paths.push_back(p);
  e.flags = flags;
  return e;
}

// Waits for a finished job, cancelling `token` between waits (a cancel signal may land before
// the worker blocks).
std::vector<WorkerPool::Done> WaitDone(WorkerPool& pool, std::vector<uint64_t> cancel) {
  for (int i = 0; i < 3000; ++i) {
    for (uint64_t t : cancel) pool.Cancel(t);
    pollfd pfd{pool.event_fd(), POLLIN, 0};
    if (poll(&pfd, 1, 10) == 1) {
      auto done = pool.TakeDone();
      if (!done.empty()) return done;
    }
  }
  return {};
}

TEST(Credentials, ReadTaskStatusAndQuickCredentialsAgree) {
  auto own = OwnCredentials();
  ASSERT_TRUE(own.ok()) << own.error().message();
  auto st = ReadTaskStatus(static_cast<pid_t>(syscall(SYS_gettid)));
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(st->creds == *own);
  EXPECT_EQ(st->tgid, getpid());
  EXPECT_EQ(st->creds.euid, geteuid());
  auto q = ReadQuickCredentials(static_cast<pid_t>(syscall(SYS_gettid)));
  ASSERT_TRUE(q.ok()) << q.error().message();
  EXPECT_TRUE(q->Matches(*own));
  EXPECT_FALSE(ReadTaskStatus(0x3fffffff).ok());
}

TEST(Credentials, TakenByTheCallingThreadOnly) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  Credentials nobody;
  nobody.ruid = nobody.euid = nobody.suid = nobody.fsuid = 65534;
  nobody.rgid = nobody.egid = nobody.sgid = nobody.fsgid = 65534;
  nobody.groups = {100};
  std::string err;
  Credentials seen;
  std::thread t([&] {
    auto s = TakeCredentials(nobody);
    if (!s.ok()) err = s.error().message();
    auto c = OwnCredentials();
    if (c.ok()) seen = *c;
  });
  t.join();
  EXPECT_EQ(err, "");
  EXPECT_TRUE(seen == nobody);
  auto own = OwnCredentials();
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->euid, 0u) << "the process's other threads kept their credentials";
  EXPECT_NE(own->cap_eff, 0u);
}

TEST(WorkerPool, ABlockingOpenIsCancelled) {
  const std::string fifo = TempDir() + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto own = OwnCredentials();
  ASSERT_TRUE(own.ok());
  WorkerPool pool(4, nullptr);
  ASSERT_TRUE(pool.Submit(7, *own, false, 022, OpenCall(fifo, O_RDONLY)));
  EXPECT_EQ(pool.in_flight(), 1u);
  auto done = WaitDone(pool, {7});
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].token, 7u);
  EXPECT_EQ(done[0].result.ret, -EINTR);
  EXPECT_FALSE(done[0].result.fd);
  EXPECT_EQ(pool.in_flight(), 0u);
}

TEST(WorkerPool, RefusesBeyondItsBoundAndReusesIdleWorkers) {
  const std::string dir = TempDir();
  const std::string fifo = dir + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto own = OwnCredentials();
  ASSERT_TRUE(own.ok());
  WorkerPool pool(2, nullptr);
  ASSERT_TRUE(pool.Submit(1, *own, false, 022, OpenCall(fifo, O_RDONLY)));
  ASSERT_TRUE(pool.Submit(2, *own, false, 022, OpenCall(fifo, O_RDONLY)));
  EXPECT_FALSE(pool.Submit(3, *own, false, 022, OpenCall(fifo, O_RDONLY)));
  size_t finished = 0;
  while (finished < 2) {
    auto done = WaitDone(pool, {1, 2});
    ASSERT_FALSE(done.empty());
    finished += done.size();
  }
  // Both threads idle now (kIdlePerIdentity): a new job takes one, no new thread.
  EXPECT_EQ(pool.threads(), 2u);
  ASSERT_TRUE(pool.Submit(4, *own, false, 022, OpenCall(dir, O_RDONLY | O_DIRECTORY)));
  auto done = WaitDone(pool, {});
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].result.ret, 0);
  EXPECT_TRUE(done[0].result.fd);
  EXPECT_EQ(pool.threads(), 2u);
}

}  // namespace
}  // namespace pwnbox::supervisor
