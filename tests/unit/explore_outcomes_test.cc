// explore::ParseOutcome (the words `--outcomes` takes) and core's default-outcomes table
// (core/syscall_outcomes.h): every entry names a real syscall and real errnos, and every default
// outcome parses.
#include <errno.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <set>
#include <string>

#include "core/syscall_outcomes.h"
#include "core/syscalls.h"
#include "explore/outcomes.h"

namespace pwnbox {
namespace {

using explore::CallOutcome;
using explore::ParseOutcome;

TEST(ParseOutcome, Words) {
  auto ok = ParseOutcome("ok");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->kind, CallOutcome::Kind::kOk);
  auto enoent = ParseOutcome("ENOENT");
  ASSERT_TRUE(enoent.ok());
  EXPECT_EQ(enoent->kind, CallOutcome::Kind::kErrno);
  EXPECT_EQ(enoent->err, ENOENT);
  EXPECT_EQ(ParseOutcome("EACCES")->err, EACCES);
  EXPECT_EQ(ParseOutcome("short")->kind, CallOutcome::Kind::kShort);
  EXPECT_EQ(ParseOutcome("eof")->kind, CallOutcome::Kind::kEof);
  auto eintr = ParseOutcome("eintr");
  ASSERT_TRUE(eintr.ok());
  EXPECT_EQ(eintr->kind, CallOutcome::Kind::kEintr);
  EXPECT_EQ(eintr->signal, 0);
  auto usr1 = ParseOutcome("eintr:SIGUSR1");
  ASSERT_TRUE(usr1.ok()) << usr1.error().message();
  EXPECT_EQ(usr1->signal, SIGUSR1);
}

TEST(ParseOutcome, RoundTrips) {
  for (const char* w : {"ok", "ENOENT", "ENOSPC", "short", "eof", "eintr", "eintr:SIGALRM"}) {
    auto o = ParseOutcome(w);
    ASSERT_TRUE(o.ok()) << w;
    EXPECT_EQ(o->ToString(), w);
  }
}

TEST(ParseOutcome, ErrorsAreOneLineWithAHint) {
  auto typo = ParseOutcome("ENOENTT");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().message(),
            "unknown outcome \"ENOENTT\" (did you mean ENOENT?): expected ok, short, eof, eintr "
            "or an errno name (ENOENT, EACCES, ...)");
  auto word = ParseOutcome("shrot");
  ASSERT_FALSE(word.ok());
  EXPECT_NE(word.error().message().find("did you mean short?"), std::string::npos)
      << word.error().message();
  for (const char* bad : {"", "Ok", "enoent", "eintr:", "eintr:SIGKILL", "eintr:SIGFOO",
                          "eintr:EPERM", "ERESTARTSYS", "EFOOBAR", "ok,ENOENT"}) {
    auto r = ParseOutcome(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().message().find('\n'), std::string::npos) << bad;
    }
  }
  EXPECT_NE(ParseOutcome("ERESTARTSYS").error().message().find("kernel-internal"),
            std::string::npos);
}

TEST(DefaultOutcomes, EveryEntryIsARealSyscallWithRealErrnos) {
  ASSERT_GT(core::AllSyscallOutcomes().size(), 50u);
  for (const core::SyscallOutcomes& e : core::AllSyscallOutcomes()) {
    SCOPED_TRACE(e.syscall);
    EXPECT_TRUE(core::SyscallNumber(e.syscall, core::Abi::kX86_64).has_value())
        << "not an x86-64 syscall";
    const std::vector<std::string> outcomes = core::DefaultOutcomes(e.syscall);
    EXPECT_FALSE(outcomes.empty());
    std::set<std::string> seen;
    for (const std::string& o : outcomes) {
      EXPECT_TRUE(seen.insert(o).second) << "listed twice: " << o;
      auto parsed = ParseOutcome(o);
      ASSERT_TRUE(parsed.ok()) << parsed.error().message();
      EXPECT_NE(parsed->kind, CallOutcome::Kind::kOk);
      if (parsed->kind == CallOutcome::Kind::kErrno) {
        // Run-time errors only: never what a programming error causes, never a bare EINTR.
        EXPECT_NE(parsed->err, EFAULT);
        EXPECT_NE(parsed->err, EBADF);
        EXPECT_NE(parsed->err, EINTR) << "EINTR is the eintr outcome (a real signal)";
      }
    }
  }
}

TEST(DefaultOutcomes, CommonCalls) {
  const std::vector<std::string> openat = core::DefaultOutcomes("openat");
  for (const char* e : {"ENOENT", "EACCES", "EMFILE", "ENOSPC", "eintr"})
    EXPECT_NE(std::find(openat.begin(), openat.end(), e), openat.end()) << e;
  const std::vector<std::string> read = core::DefaultOutcomes("read");
  for (const char* e : {"EIO", "short", "eof", "eintr"})
    EXPECT_NE(std::find(read.begin(), read.end(), e), read.end()) << e;
  const std::vector<std::string> write = core::DefaultOutcomes("write");
  EXPECT_NE(std::find(write.begin(), write.end(), "ENOSPC"), write.end());
  EXPECT_EQ(std::find(write.begin(), write.end(), "eof"), write.end());  // eof is for reads
  for (const char* name : {"open",     "openat", "read", "write", "close",    "stat",  "newfstatat",
                           "connect",  "accept", "mmap", "brk",   "socket",   "bind",  "listen",
                           "recvfrom", "sendto", "fork", "clone", "execve",   "mkdir", "unlink",
                           "rename",   "pipe",   "dup",  "ioctl", "getrandom"})
    EXPECT_NE(core::FindSyscallOutcomes(name), nullptr) << name;
  EXPECT_EQ(core::FindSyscallOutcomes("getpid"), nullptr);  // cannot fail
  EXPECT_TRUE(core::DefaultOutcomes("getpid").empty());
}

// `short` and `eof` in the table are exactly the calls the engine can apply them to.
TEST(DefaultOutcomes, ShortAndEofOnlyWhereTheEngineAppliesThem) {
  const std::set<std::string> short_calls = {"read",     "write",    "pread64",
                                             "pwrite64", "recvfrom", "sendto"};
  const std::set<std::string> eof_calls = {"read",    "pread64",  "readv",  "preadv",
                                           "preadv2", "recvfrom", "recvmsg"};
  for (const core::SyscallOutcomes& e : core::AllSyscallOutcomes()) {
    EXPECT_TRUE(!e.short_io || short_calls.count(e.syscall)) << e.syscall;
    EXPECT_TRUE(!e.eof || eof_calls.count(e.syscall)) << e.syscall;
  }
}

}  // namespace
}  // namespace pwnbox
