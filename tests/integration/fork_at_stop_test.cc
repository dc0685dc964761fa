// The fork-at-a-stop engine (explore/fork_at_stop.h) and call outcomes (explore/outcomes.h) on
// real processes: tests/progs/fk_branch.c is traced (explore::Tracee, the monitor's ptrace
// options, a SECCOMP_RET_TRACE filter or plain syscall stops), stopped at its open (or read),
// forked there, and each copy given an outcome.
//
// Output: both copies write to the same pipe (they share fd 1, as fork shares it); each line
// carries the writer's pid and is one write(2), so the test checks that the line printed before
// the branch point appears exactly once and that each copy's result appears exactly once,
// under its own pid. Both copies are this test's children (CLONE_PARENT makes the copy a
// sibling of the original, whose parent is the test), so the test reaps both and checks their
// exit statuses, and that neither survives.
#include "explore/fork_at_stop.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "config/policy.h"
#include "core/fd.h"
#include "explore/outcomes.h"
#include "explore/tracee.h"
#include "filters/filters.h"
#include "supervisor/launcher.h"
#include "supervisor/ptrace_monitor.h"
#include "tests/integration/harness.h"

namespace pwnbox {
namespace {

using explore::CallOutcome;
using explore::EntryKind;
using explore::EntryStop;
using testing::Prog;
using testing::TempDir;
using testing::WriteFile;

constexpr int kI386Open = 5;

std::string ReadPath(pid_t pid, uint64_t addr) {
  char buf[4096];
  iovec local{buf, sizeof buf};
  iovec remote{reinterpret_cast<void*>(addr), sizeof buf};
  ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (n <= 0) {  // the page after the string may be unmapped: read less
    remote.iov_len = local.iov_len = 256;
    n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  }
  if (n <= 0) return "";
  return std::string(buf, strnlen(buf, static_cast<size_t>(n)));
}

CallOutcome Outcome(const std::string& word) {
  auto o = explore::ParseOutcome(word);
  EXPECT_TRUE(o.ok()) << o.error().message();
  return o.ok() ? *o : CallOutcome{};
}

// One traced fk_* program with its stdout on a pipe; kills what is left at the end.
class Target {
 public:
  Target(const std::vector<std::string>& argv, std::vector<sock_filter> filter,
         std::vector<std::vector<sock_filter>> first_filters = {}) {
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
    out_r_.reset(p[0]);
    core::UniqueFd out_w(p[1]);
    explore::SpawnOptions opts;
    opts.filter = std::move(filter);
    opts.first_filters = std::move(first_filters);
    opts.stdout_fd = out_w.get();
    auto pid = explore::SpawnTraced(argv, opts);
    EXPECT_TRUE(pid.ok()) << pid.error().message();
    if (pid.ok()) pids_.push_back(main_ = *pid);
  }
  ~Target() {
    for (pid_t pid : pids_) explore::KillTracee(pid);
    for (pid_t pid : pids_) EXPECT_NE(kill(pid, 0), 0) << "process " << pid << " survived";
  }
  pid_t pid() const { return main_; }
  void Adopt(pid_t copy) { pids_.push_back(copy); }
  // The exit status of `pid` run to its end.
  int Finish(pid_t pid) {
    auto st = explore::RunToEnd(pid);
    EXPECT_TRUE(st.ok()) << st.error().message();
    if (!st.ok()) return -1;
    EXPECT_TRUE(WIFEXITED(*st)) << "status " << *st;
    std::erase(pids_, pid);
    return WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
  }
  // Everything written to the pipe (once every writer is gone).
  std::string Output() {
    std::string all;
    char buf[4096];
    ssize_t n;
    while ((n = read(out_r_.get(), buf, sizeof buf)) > 0) all.append(buf, static_cast<size_t>(n));
    return all;
  }

 private:
  core::UniqueFd out_r_;
  pid_t main_ = -1;
  std::vector<pid_t> pids_;  // not yet ended
};

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::vector<sock_filter> TraceFilter(std::vector<explore::FilterRule> extra = {}) {
  std::vector<explore::FilterRule> rules = {{core::Abi::kX86_64, SYS_openat, SECCOMP_RET_TRACE},
                                            {core::Abi::kX86_64, SYS_read, SECCOMP_RET_TRACE}};
  rules.insert(rules.begin(), extra.begin(), extra.end());
  return explore::RuleFilter(rules);
}

struct Files {
  std::string dir = TempDir();
  std::string file = dir + "/data";
  Files() { WriteFile(file, "0123456789abcdef"); }
};

// The entry of fk_branch's open of `path`.
core::Result<EntryStop> ToOpen(pid_t pid, EntryKind kind, const std::string& path) {
  return explore::RunToEntry(pid, kind, [&](const EntryStop& s) {
    return s.abi == core::Abi::kX86_64 && s.nr == SYS_openat && ReadPath(pid, s.args[1]) == path;
  });
}
// The entry of its read of the file (count 8: the loader reads 832).
core::Result<EntryStop> ToRead(pid_t pid, EntryKind kind) {
  return explore::RunToEntry(pid, kind, [](const EntryStop& s) {
    return s.nr == SYS_read && s.args[0] >= 3 && s.args[2] == 8;
  });
}

class ForkAtOpen : public ::testing::TestWithParam<EntryKind> {};

// The original gets `ok`, the copy ENOENT: each prints its own result once, the start line once.
TEST_P(ForkAtOpen, OkAndEnoent) {
  Files f;
  const EntryKind kind = GetParam();
  Target t({Prog("fk_branch"), f.file, "8"},
           kind == EntryKind::kSeccomp ? TraceFilter() : std::vector<sock_filter>{});
  auto stop = ToOpen(t.pid(), kind, f.file);
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  auto copy = explore::ForkAtStop(*stop);
  ASSERT_TRUE(copy.ok()) << copy.error().message();
  t.Adopt(*copy);
  ASSERT_NE(*copy, t.pid());

  // The copy stands at the same call with the same registers.
  auto copy_stop = explore::ReadEntry(*copy);
  ASSERT_TRUE(copy_stop.ok()) << copy_stop.error().message();
  EXPECT_EQ(copy_stop->nr, SYS_openat);
  EXPECT_EQ(copy_stop->kind, kind);
  EXPECT_EQ(ReadPath(*copy, copy_stop->args[1]), f.file);
  EXPECT_EQ(copy_stop->regs.rip, stop->regs.rip);
  EXPECT_EQ(copy_stop->regs.rsp, stop->regs.rsp);
  EXPECT_EQ(copy_stop->regs.rsi, stop->regs.rsi);
  auto again = explore::ReadEntry(t.pid());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->regs.rip, stop->regs.rip);
  EXPECT_EQ(again->regs.orig_rax, stop->regs.orig_rax);

  auto r1 = explore::RunOutcome(*again, Outcome("ok"));
  ASSERT_TRUE(r1.ok()) << r1.error().message();
  EXPECT_GE(*r1, 3);
  auto r2 = explore::RunOutcome(*copy_stop, Outcome("ENOENT"));
  ASSERT_TRUE(r2.ok()) << r2.error().message();
  EXPECT_EQ(*r2, -ENOENT);
  EXPECT_EQ(t.Finish(t.pid()), 0);
  EXPECT_EQ(t.Finish(*copy), 3);
  const std::string out = t.Output();
  EXPECT_EQ(Count(out, "start pid=" + std::to_string(t.pid()) + " "), 1) << out;
  EXPECT_EQ(Count(out, "start "), 1) << out;
  // The fd the open returned (3, or more when the test runner left descriptors open).
  EXPECT_EQ(Count(out, "open pid=" + std::to_string(t.pid()) + " fd=" + std::to_string(*r1) + "\n"),
            1)
      << out;
  EXPECT_EQ(Count(out, "read pid=" + std::to_string(t.pid()) + " n=8\n"), 1) << out;
  EXPECT_EQ(Count(out, "open pid=" + std::to_string(*copy) + " errno=ENOENT\n"), 1) << out;
  EXPECT_EQ(Count(out, "open "), 2) << out;
  EXPECT_EQ(Count(out, "read "), 1) << out;
}

INSTANTIATE_TEST_SUITE_P(Stops, ForkAtOpen,
                         ::testing::Values(EntryKind::kSeccomp, EntryKind::kSyscall),
                         [](const auto& info) {
                           return info.param == EntryKind::kSeccomp ? "SeccompStop" : "SyscallStop";
                         });

// Per-branch output: the copy gets a file of its own as stdout (RedirectFd: injected mmap,
// openat, munmap, dup3, close), so the pipe holds the original's lines and the file the copy's.
TEST(ForkAtOpen, CopyGetsItsOwnStdout) {
  Files f;
  Target t({Prog("fk_branch"), f.file, "8"}, TraceFilter());
  auto stop = ToOpen(t.pid(), EntryKind::kSeccomp, f.file);
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  auto copy = explore::ForkAtStop(*stop);
  ASSERT_TRUE(copy.ok()) << copy.error().message();
  t.Adopt(*copy);
  auto cs = explore::ReadEntry(*copy);
  ASSERT_TRUE(cs.ok());
  const std::string out_file = f.dir + "/copy.out";
  core::Status st = explore::RedirectFd(*cs, 1, out_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_TRUE(st.ok()) << st.error().message();
  auto cs2 = explore::ReadEntry(*copy);  // still at its open, registers as before
  ASSERT_TRUE(cs2.ok());
  EXPECT_EQ(cs2->nr, SYS_openat);
  EXPECT_EQ(cs2->regs.rip, cs->regs.rip);
  EXPECT_EQ(cs2->regs.rsp, cs->regs.rsp);
  EXPECT_EQ(cs2->regs.rsi, cs->regs.rsi);
  EXPECT_EQ(cs2->regs.rdx, cs->regs.rdx);
  // A bad path fails cleanly with the open's errno, the copy still at its call.
  core::Status bad =
      explore::RedirectFd(*cs, 2, f.dir + "/no/such/dir/x", O_WRONLY | O_CREAT, 0600);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().sys_errno(), ENOENT) << bad.error().message();

  auto r1 = explore::RunOutcome(*stop, Outcome("ok"));
  ASSERT_TRUE(r1.ok());
  ASSERT_TRUE(explore::RunOutcome(*cs2, Outcome("EACCES")).ok());
  EXPECT_EQ(t.Finish(t.pid()), 0);
  EXPECT_EQ(t.Finish(*copy), 4);
  const std::string out = t.Output();
  const std::string copy_out = testing::ReadFile(out_file);
  EXPECT_EQ(Count(out, "start "), 1) << out;
  EXPECT_EQ(Count(out, "open pid=" + std::to_string(t.pid()) + " fd=" + std::to_string(*r1) + "\n"),
            1)
      << out;
  EXPECT_EQ(Count(out, std::to_string(*copy)), 0) << out;
  EXPECT_EQ(copy_out, "open pid=" + std::to_string(*copy) + " errno=EACCES\n");
}

// Three branches at one read (the copy of a copy included): ok, short, eof.
TEST(ForkAtRead, OkShortEof) {
  Files f;
  Target t({Prog("fk_branch"), f.file, "8"}, TraceFilter());
  auto stop = ToRead(t.pid(), EntryKind::kSeccomp);
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  auto c1 = explore::ForkAtStop(*stop);
  ASSERT_TRUE(c1.ok()) << c1.error().message();
  t.Adopt(*c1);
  auto s1 = explore::ReadEntry(*c1);
  ASSERT_TRUE(s1.ok());
  auto c2 = explore::ForkAtStop(*s1);  // fork the copy
  ASSERT_TRUE(c2.ok()) << c2.error().message();
  t.Adopt(*c2);
  auto s2 = explore::ReadEntry(*c2);
  ASSERT_TRUE(s2.ok());
  s1 = explore::ReadEntry(*c1);
  ASSERT_TRUE(s1.ok());

  auto r0 = explore::RunOutcome(*stop, Outcome("ok"));
  auto r1 = explore::RunOutcome(*s1, Outcome("short"));
  auto r2 = explore::RunOutcome(*s2, Outcome("eof"));
  ASSERT_TRUE(r0.ok() && r1.ok() && r2.ok());
  EXPECT_EQ(*r0, 8);
  EXPECT_EQ(*r1, 4);
  EXPECT_EQ(*r2, 0);
  // The count register is the program's again after the shortened read.
  user_regs_struct regs1{};
  ASSERT_EQ(ptrace(PTRACE_GETREGS, *c1, 0, &regs1), 0);
  EXPECT_EQ(regs1.rdx, 8u);
  EXPECT_EQ(regs1.rax, 4u);
  EXPECT_EQ(t.Finish(t.pid()), 0);
  EXPECT_EQ(t.Finish(*c1), 1);
  EXPECT_EQ(t.Finish(*c2), 1);
  const std::string out = t.Output();
  EXPECT_EQ(Count(out, "start "), 1) << out;
  EXPECT_EQ(Count(out, "open "), 1) << out;  // before the branch point: once
  EXPECT_EQ(Count(out, "read pid=" + std::to_string(t.pid()) + " n=8\n"), 1) << out;
  EXPECT_EQ(Count(out, "read pid=" + std::to_string(*c1) + " n=4\n"), 1) << out;
  EXPECT_EQ(Count(out, "read pid=" + std::to_string(*c2) + " n=0\n"), 1) << out;
}

// eintr: a real SIGALRM interrupts the read; without SA_RESTART the read fails with EINTR after
// the handler ran; with SA_RESTART it is restarted and reads for real; no 512 leaks.
TEST(Outcomes, EintrFollowsSaRestart) {
  Files f;
  for (const std::string mode : {"norestart", "restart"}) {
    SCOPED_TRACE(mode);
    Target t({Prog("fk_branch"), f.file, "8", mode}, TraceFilter());
    auto stop = ToRead(t.pid(), EntryKind::kSeccomp);
    ASSERT_TRUE(stop.ok()) << stop.error().message();
    auto r = explore::RunOutcome(*stop, Outcome("eintr"));
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(*r, -512);  // ERESTARTSYS, in the kernel only: the signal is pending
    const int status = t.Finish(t.pid());
    const std::string out = t.Output();
    EXPECT_EQ(Count(out, "alrm "), 1) << out;
    if (mode == "norestart") {
      EXPECT_EQ(status, 2);
      EXPECT_EQ(Count(out, "read pid=" + std::to_string(t.pid()) + " errno=EINTR\n"), 1) << out;
    } else {
      EXPECT_EQ(status, 0);
      EXPECT_EQ(Count(out, "read pid=" + std::to_string(t.pid()) + " n=8\n"), 1) << out;
    }
    EXPECT_EQ(Count(out, "512"), 0) << out;
  }
}

TEST(Outcomes, EintrRefusedWithoutHandler) {
  Files f;
  Target t({Prog("fk_branch"), f.file, "8"}, TraceFilter());
  auto stop = ToRead(t.pid(), EntryKind::kSeccomp);
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  auto applied = explore::ApplyAtEntry(*stop, Outcome("eintr"));
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.error().message().find("catches no unblocked signal"), std::string::npos)
      << applied.error().message();
  auto named = explore::ApplyAtEntry(*stop, Outcome("eintr:SIGUSR1"));
  ASSERT_FALSE(named.ok());
  EXPECT_NE(named.error().message().find("does not catch SIGUSR1"), std::string::npos)
      << named.error().message();
  // Refusals change nothing: the read runs as it would have.
  auto r = explore::RunOutcome(*stop, Outcome("ok"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, 8);
  EXPECT_EQ(t.Finish(t.pid()), 0);
}

TEST(ForkAtStop, MultiThreadedRefused) {
  Files f;
  Target t({Prog("fk_threads"), f.file},
           explore::RuleFilter({{core::Abi::kX86_64, SYS_openat, SECCOMP_RET_TRACE}}));
  auto stop = ToOpen(t.pid(), EntryKind::kSeccomp, f.file);
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  auto copy = explore::ForkAtStop(*stop);
  ASSERT_FALSE(copy.ok());
  EXPECT_EQ(copy.error().sys_errno(), ENOTSUP);
  EXPECT_NE(copy.error().message().find("has 2 threads"), std::string::npos)
      << copy.error().message();
  // Untouched: the open runs as it would have.
  auto r = explore::RunOutcome(*stop, Outcome("ok"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_GE(*r, 3);
  // Its other thread is parked at its first stop: the destructor kills both.
}

// The sandbox's filter answers clone (and fork, vfork, clone3) with EPERM, unknown to the engine:
// the injected clone fails with EPERM, cleanly; the target is back at its open and goes on.
TEST(ForkAtStop, CloneDeniedByFilterFailsCleanly) {
  Files f;
  const uint32_t eperm = SECCOMP_RET_ERRNO | EPERM;
  Target t({Prog("fk_branch"), f.file, "8"},
           TraceFilter({{core::Abi::kX86_64, SYS_clone, eperm},
                        {core::Abi::kX86_64, SYS_fork, eperm},
                        {core::Abi::kX86_64, SYS_vfork, eperm},
                        {core::Abi::kX86_64, 435 /* clone3 */, eperm}}));
  auto stop = ToOpen(t.pid(), EntryKind::kSeccomp, f.file);
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  explore::ForkOptions opts;
  opts.read_target_filters = false;  // as if it could not read them (not root)
  auto copy = explore::ForkAtStop(*stop, opts);
  ASSERT_FALSE(copy.ok());
  EXPECT_EQ(copy.error().sys_errno(), EPERM) << copy.error().message();
  EXPECT_NE(copy.error().message().find("filter denies clone"), std::string::npos)
      << copy.error().message();
  auto back = explore::ReadEntry(t.pid());
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->nr, SYS_openat);
  EXPECT_EQ(back->regs.rip, stop->regs.rip);
  EXPECT_EQ(back->regs.rsi, stop->regs.rsi);
  auto r = explore::RunOutcome(*back, Outcome("ok"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(t.Finish(t.pid()), 0);
  const std::string out = t.Output();
  EXPECT_EQ(Count(out, "open "), 1) << out;
  EXPECT_EQ(Count(out, "read pid=" + std::to_string(t.pid()) + " n=8\n"), 1) << out;
}

// A filter that kills on clone: checked before anything is injected, from the filter the caller
// knows (the policy's), or as root from the target's own filters; the target is untouched.
TEST(ForkAtStop, CloneKilledByFilterRefusedFirst) {
  Files f;
  const auto filter = TraceFilter({{core::Abi::kX86_64, SYS_clone, SECCOMP_RET_KILL_PROCESS}});
  for (const bool known : {true, false}) {
    SCOPED_TRACE(known ? "known filter" : "target's filter");
    if (!known && geteuid() != 0) {
      GTEST_LOG_(INFO) << "reading the target's filters needs CAP_SYS_ADMIN: skipped";
      continue;
    }
    Target t({Prog("fk_branch"), f.file, "8"}, filter);
    auto stop = ToOpen(t.pid(), EntryKind::kSeccomp, f.file);
    ASSERT_TRUE(stop.ok()) << stop.error().message();
    explore::ForkOptions opts;
    if (known) opts.known_filters.push_back(filter);
    opts.read_target_filters = !known;
    auto copy = explore::ForkAtStop(*stop, opts);
    ASSERT_FALSE(copy.ok());
    EXPECT_EQ(copy.error().sys_errno(), ENOTSUP);
    EXPECT_NE(copy.error().message().find("KILL_PROCESS"), std::string::npos)
        << copy.error().message();
    auto r = explore::RunOutcome(*stop, Outcome("ok"));
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(t.Finish(t.pid()), 0);
  }
}

// pwnbox's own filter (a policy compiled by filters::Compile) installed in the target before the
// trace filter, as the launcher does: a policy that lets clone run lets the branch point
// through; one that kills on clone is refused before anything is injected, from the policy's
// BPF given as a known filter, and the target goes on.
TEST(ForkAtStop, UnderACompiledPolicy) {
  Files f;
  for (const bool kill_clone : {false, true}) {
    SCOPED_TRACE(kill_clone ? "clone killed" : "clone allowed");
    const std::string toml = std::string("default = \"allow\"\n") +
                             "[[rule]]\nsyscalls = [\"clone\", \"fork\", \"vfork\"]\n" +
                             "action = \"" + (kill_clone ? "kill" : "allow") + "\"\n" +
                             "[[rule]]\nsyscalls = [\"unlink\"]\naction = \"errno:EPERM\"\n";
    auto policy = config::LoadPolicyString(toml, "fk.toml");
    ASSERT_TRUE(policy.ok()) << policy.error().message();
    auto program = filters::Compile(*policy);
    ASSERT_TRUE(program.ok()) << program.error().message();
    Target t({Prog("fk_branch"), f.file, "8"}, TraceFilter(), {program->bpf});
    auto stop = ToOpen(t.pid(), EntryKind::kSeccomp, f.file);
    ASSERT_TRUE(stop.ok()) << stop.error().message();
    explore::ForkOptions opts;
    opts.known_filters.push_back(program->bpf);
    opts.read_target_filters = false;
    auto copy = explore::ForkAtStop(*stop, opts);
    if (kill_clone) {
      ASSERT_FALSE(copy.ok());
      EXPECT_EQ(copy.error().sys_errno(), ENOTSUP);
      EXPECT_NE(copy.error().message().find("KILL"), std::string::npos) << copy.error().message();
    } else {
      ASSERT_TRUE(copy.ok()) << copy.error().message();
      t.Adopt(*copy);
      auto cs = explore::ReadEntry(*copy);
      ASSERT_TRUE(cs.ok());
      ASSERT_TRUE(explore::RunOutcome(*cs, Outcome("ENOENT")).ok());
      EXPECT_EQ(t.Finish(*copy), 3);
    }
    ASSERT_TRUE(explore::RunOutcome(*stop, Outcome("ok")).ok());
    EXPECT_EQ(t.Finish(t.pid()), 0);
    const std::string out = t.Output();
    EXPECT_EQ(Count(out, "start "), 1) << out;
    EXPECT_EQ(Count(out, "open "), kill_clone ? 1 : 2) << out;
  }
}

// An i386 open (`int 0x80`): the injected clone is i386's (120), both copies restart the int 0x80.
TEST(ForkAtStop, I386Call) {
  Files f;
  Target t({Prog("fk_int80"), f.file},
           explore::RuleFilter({{core::Abi::kI386, kI386Open, SECCOMP_RET_TRACE}}));
  auto stop = explore::RunToEntry(t.pid(), EntryKind::kSeccomp, [](const EntryStop& s) {
    return s.abi == core::Abi::kI386 && s.nr == kI386Open;
  });
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  auto copy = explore::ForkAtStop(*stop);
  ASSERT_TRUE(copy.ok()) << copy.error().message();
  t.Adopt(*copy);
  auto cs = explore::ReadEntry(*copy);
  ASSERT_TRUE(cs.ok()) << cs.error().message();
  EXPECT_EQ(cs->abi, core::Abi::kI386);
  EXPECT_EQ(cs->nr, kI386Open);
  const std::string out_file = f.dir + "/copy32.out";
  core::Status st = explore::RedirectFd(*cs, 1, out_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_TRUE(st.ok()) << st.error().message();
  auto r1 = explore::RunOutcome(*stop, Outcome("ok"));
  auto r2 = explore::RunOutcome(*cs, Outcome("ENOENT"));
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(*r2, -ENOENT);
  EXPECT_EQ(t.Finish(t.pid()), 0);
  EXPECT_EQ(t.Finish(*copy), 3);
  const std::string out = t.Output();
  EXPECT_EQ(
      Count(out, "open32 pid=" + std::to_string(t.pid()) + " ret=" + std::to_string(*r1) + "\n"), 1)
      << out;
  EXPECT_EQ(Count(out, "open32 "), 1) << out;
  EXPECT_EQ(testing::ReadFile(out_file), "open32 pid=" + std::to_string(*copy) + " ret=-2\n");
}

// A signal pending at the branch point (sent to the stopped original) does not make the
// injected clone fail (signals are blocked meanwhile) and is not copied: it stays the
// original's, handled once.
TEST(ForkAtStop, PendingSignalStaysWithTheOriginal) {
  Files f;
  Target t({Prog("fk_branch"), f.file, "8", "restart"}, TraceFilter());
  auto stop = ToOpen(t.pid(), EntryKind::kSeccomp, f.file);
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  ASSERT_EQ(syscall(SYS_tgkill, t.pid(), t.pid(), SIGALRM), 0);
  auto copy = explore::ForkAtStop(*stop);
  ASSERT_TRUE(copy.ok()) << copy.error().message();
  t.Adopt(*copy);
  auto cs = explore::ReadEntry(*copy);
  ASSERT_TRUE(cs.ok());
  auto back = explore::ReadEntry(t.pid());
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(explore::RunOutcome(*back, Outcome("ok")).ok());
  ASSERT_TRUE(explore::RunOutcome(*cs, Outcome("ok")).ok());
  EXPECT_EQ(t.Finish(t.pid()), 0);
  EXPECT_EQ(t.Finish(*copy), 0);
  const std::string out = t.Output();
  EXPECT_EQ(Count(out, "alrm pid=" + std::to_string(t.pid()) + "\n"), 1) << out;
  EXPECT_EQ(Count(out, "alrm "), 1) << out;
  EXPECT_EQ(Count(out, "read pid=" + std::to_string(*copy) + " n=8\n"), 1) << out;
}

// A process with a child of its own: its copy would have none. Refused unless allowed.
TEST(ForkAtStop, ChildrenRefusedUnlessAllowed) {
  // The target's child outlives the target killed first: it comes back to this test to reap.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  Files f;
  Target t({Prog("fk_branch"), f.file, "8", "child"}, TraceFilter());
  auto stop = ToOpen(t.pid(), EntryKind::kSeccomp, f.file);
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  // Its child (auto-attached, parked at its first stop) is this test's to end.
  const std::string kids = testing::ReadFile("/proc/" + std::to_string(t.pid()) + "/task/" +
                                             std::to_string(t.pid()) + "/children");
  ASSERT_FALSE(kids.empty());
  t.Adopt(std::stoi(kids));
  auto refused = explore::ForkAtStop(*stop);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().sys_errno(), ENOTSUP);
  EXPECT_NE(refused.error().message().find("1 child process(es)"), std::string::npos)
      << refused.error().message();
  explore::ForkOptions opts;
  opts.allow_children = true;
  auto copy = explore::ForkAtStop(*stop, opts);
  ASSERT_TRUE(copy.ok()) << copy.error().message();
  t.Adopt(*copy);
  EXPECT_EQ(testing::ReadFile("/proc/" + std::to_string(*copy) + "/task/" + std::to_string(*copy) +
                              "/children"),
            "");
}

// The engine inside the supervisor's own loop: a target started by supervisor::Launch (seized,
// trace filter), served by supervisor::PtraceMonitor; at the open the observer forks it, hands
// the copy to the monitor (Dispatch with its entry stop's status), gives each branch its own
// stdout (RedirectFd) and an outcome (ApplyAtEntry in OnEntry, FinishAtExit in OnExit).
class BranchObserver : public supervisor::PtraceObserver {
 public:
  BranchObserver(std::string path, std::string dir)
      : path_(std::move(path)), dir_(std::move(dir)) {}
  void set_monitor(supervisor::PtraceMonitor* m) { monitor_ = m; }
  pid_t original = 0, copy = 0;
  std::map<pid_t, int> statuses;
  std::vector<std::string> errors;

  void OnEntry(supervisor::Task& task) override {
    if (task.call.nr != SYS_openat || ReadPath(task.tid, task.call.args[1]) != path_) return;
    auto stop = explore::ReadEntry(task.tid);
    if (!stop.ok()) return Fail(stop.error().message());
    if (original == 0) {  // the branch point
      original = task.tid;
      auto c = explore::ForkAtStop(*stop);
      if (!c.ok()) return Fail(c.error().message());
      copy = *c;
      Branch(*stop, "original", "ok");
      monitor_->Dispatch(copy, explore::EntryStopStatus(stop->kind));  // its OnEntry: below
    } else if (task.tid == copy) {
      Branch(*stop, "copy", "ENOENT");
    }
  }
  void OnExit(supervisor::Task& task) override {
    auto it = applied_.find(task.tid);
    if (it == applied_.end()) return;
    auto ret = explore::FinishAtExit(it->second);
    if (!ret.ok()) Fail(ret.error().message());
    applied_.erase(it);
  }
  void OnSignal(supervisor::Task&, const siginfo_t&) override {}
  void OnTaskExit(supervisor::Task& task, int status) override { statuses[task.tid] = status; }

 private:
  void Fail(const std::string& e) { errors.push_back(e); }
  void Branch(const EntryStop& stop, const std::string& name, const std::string& outcome) {
    core::Status st = explore::RedirectFd(stop, 1, dir_ + "/" + name + ".out",
                                          O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (!st.ok()) return Fail(st.error().message());
    auto applied = explore::ApplyAtEntry(stop, *explore::ParseOutcome(outcome));
    if (!applied.ok()) return Fail(applied.error().message());
    applied_.emplace(stop.tid, *applied);
  }
  std::string path_, dir_;
  supervisor::PtraceMonitor* monitor_ = nullptr;
  std::map<pid_t, explore::AppliedOutcome> applied_;
};

TEST(ForkAtStop, InsideThePtraceMonitor) {
  Files f;
  BranchObserver observer(f.file, f.dir);
  supervisor::PtraceOptions popts;
  popts.pin = false;
  supervisor::PtraceMonitor monitor(observer, popts);
  observer.set_monitor(&monitor);
  const auto trace = explore::RuleFilter({{core::Abi::kX86_64, SYS_openat, SECCOMP_RET_TRACE}});
  supervisor::LaunchSpec spec;
  spec.argv = {Prog("fk_branch"), f.file, "8"};
  spec.trace = &trace;
  spec.ptrace = true;
  spec.ptrace_options = monitor.SeizeOptions();
  auto launched = supervisor::Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.error().message();
  auto status = monitor.RunSpawned(launched->pid);
  ASSERT_TRUE(status.ok()) << status.error().message();
  for (const std::string& e : observer.errors) ADD_FAILURE() << e;
  ASSERT_NE(observer.copy, 0);
  EXPECT_EQ(observer.original, launched->pid);
  ASSERT_EQ(observer.statuses.count(observer.copy), 1u);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
  EXPECT_TRUE(WIFEXITED(observer.statuses[observer.copy]) &&
              WEXITSTATUS(observer.statuses[observer.copy]) == 3)
      << observer.statuses[observer.copy];
  const std::string o = std::to_string(observer.original), c = std::to_string(observer.copy);
  const std::string original_out = testing::ReadFile(f.dir + "/original.out");
  EXPECT_EQ(original_out.rfind("open pid=" + o + " fd=", 0), 0u) << original_out;
  EXPECT_EQ(Count(original_out, "\nread pid=" + o + " n=8\n"), 1) << original_out;
  EXPECT_EQ(Count(original_out, "\n"), 2) << original_out;
  EXPECT_EQ(testing::ReadFile(f.dir + "/copy.out"), "open pid=" + c + " errno=ENOENT\n");
  EXPECT_NE(kill(observer.copy, 0), 0);
  EXPECT_NE(kill(observer.original, 0), 0);
}

// Real programs, each branch with its own stdout and stderr (RedirectFd).
struct Branches {
  std::string dir;
  // Gives the task at `stop` the files DIR/NAME.out and DIR/NAME.err as fds 1 and 2.
  void Own(const EntryStop& stop, const std::string& name) {
    for (int fd : {1, 2}) {
      core::Status st =
          explore::RedirectFd(stop, fd, dir + "/" + name + (fd == 1 ? ".out" : ".err"),
                              O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ASSERT_TRUE(st.ok()) << st.error().message();
    }
  }
  std::string Out(const std::string& name) { return testing::ReadFile(dir + "/" + name + ".out"); }
  std::string Err(const std::string& name) { return testing::ReadFile(dir + "/" + name + ".err"); }
};

// python3 opening a file: the original reads it, the copy gets ENOENT and dies of the
// FileNotFoundError it does not catch; python's start-up ran once.
TEST(RealPrograms, Python3OpenOkAndEnoent) {
  Files f;
  const std::string script = "import sys\nprint(open(sys.argv[1]).read())\n";
  Target t({"/usr/bin/python3", "-S", "-c", script, f.file},
           explore::RuleFilter({{core::Abi::kX86_64, SYS_openat, SECCOMP_RET_TRACE}}));
  auto stop = ToOpen(t.pid(), EntryKind::kSeccomp, f.file);
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  auto copy = explore::ForkAtStop(*stop);
  ASSERT_TRUE(copy.ok()) << copy.error().message();
  t.Adopt(*copy);
  auto cs = explore::ReadEntry(*copy);
  ASSERT_TRUE(cs.ok());
  Branches b{f.dir};
  b.Own(*stop, "original");
  b.Own(*cs, "copy");
  ASSERT_TRUE(explore::RunOutcome(*stop, Outcome("ok")).ok());
  ASSERT_TRUE(explore::RunOutcome(*cs, Outcome("ENOENT")).ok());
  EXPECT_EQ(t.Finish(t.pid()), 0);
  EXPECT_EQ(t.Finish(*copy), 1);
  EXPECT_EQ(b.Out("original"), "0123456789abcdef\n");
  EXPECT_EQ(b.Err("original"), "");
  EXPECT_EQ(b.Out("copy"), "");
  EXPECT_NE(b.Err("copy").find("FileNotFoundError: [Errno 2] No such file or directory"),
            std::string::npos)
      << b.Err("copy");
}

// cat at its read of a 100000-byte file, four branches: a short read (cat asks for 128 KiB, gets
// 64 KiB, reads on: the whole file), EIO (cat reports it and fails), eof (an empty output), and
// ok, run last: the branches share the file's offset (fork shares open file descriptions), which
// the short branch moved to the end, so the ok branch's read finds nothing (docs/explore.md).
TEST(RealPrograms, CatReadOutcomes) {
  Files f;
  std::string content;
  for (int i = 0; content.size() < 100000; ++i) content += std::to_string(i) + "\n";
  content.resize(100000);
  WriteFile(f.file, content);
  Target t({"/bin/cat", f.file},
           explore::RuleFilter({{core::Abi::kX86_64, SYS_openat, SECCOMP_RET_TRACE},
                                {core::Abi::kX86_64, SYS_read, SECCOMP_RET_TRACE}}));
  auto open = ToOpen(t.pid(), EntryKind::kSeccomp, f.file);
  ASSERT_TRUE(open.ok()) << open.error().message();
  auto fd = explore::RunOutcome(*open, Outcome("ok"));
  ASSERT_TRUE(fd.ok() && *fd >= 0);
  auto stop = explore::RunToEntry(t.pid(), EntryKind::kSeccomp, [&](const EntryStop& s) {
    return s.nr == SYS_read && static_cast<int64_t>(s.args[0]) == *fd;
  });
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  ASSERT_GT(stop->args[2], 2 * content.size() / 3) << "cat's buffer is smaller than expected";
  const std::vector<std::string> outcomes = {"short", "EIO", "eof", "ok"};
  std::vector<EntryStop> stops;
  for (size_t i = 0; i + 1 < outcomes.size(); ++i) {
    auto copy = explore::ForkAtStop(*stop);
    ASSERT_TRUE(copy.ok()) << copy.error().message();
    t.Adopt(*copy);
    auto cs = explore::ReadEntry(*copy);
    ASSERT_TRUE(cs.ok());
    stops.push_back(*cs);
  }
  stops.push_back(*stop);  // the original: ok
  Branches b{f.dir};
  std::map<std::string, int> status;
  std::map<std::string, int64_t> first_read;
  for (size_t i = 0; i < stops.size(); ++i) {  // each to its end before the next starts
    b.Own(stops[i], outcomes[i]);
    auto r = explore::RunOutcome(stops[i], Outcome(outcomes[i]));
    ASSERT_TRUE(r.ok()) << outcomes[i] << ": " << r.error().message();
    first_read[outcomes[i]] = *r;
    status[outcomes[i]] = t.Finish(stops[i].tid);
  }
  EXPECT_EQ(first_read["short"], static_cast<int64_t>(stop->args[2] / 2));
  EXPECT_EQ(status["short"], 0);
  EXPECT_EQ(b.Out("short"), content);
  EXPECT_EQ(first_read["EIO"], -EIO);
  EXPECT_EQ(status["EIO"], 1);
  EXPECT_EQ(b.Out("EIO"), "");
  EXPECT_NE(b.Err("EIO").find("Input/output error"), std::string::npos) << b.Err("EIO");
  EXPECT_EQ(first_read["eof"], 0);
  EXPECT_EQ(status["eof"], 0);
  EXPECT_EQ(b.Out("eof"), "");
  EXPECT_EQ(first_read["ok"], 0);  // the shared offset is at the end
  EXPECT_EQ(status["ok"], 0);
  EXPECT_EQ(b.Out("ok"), "");
}

// ReopenFd: the copy gets its own description of the file, at the offset the fd had. cat's first
// read is made short (64 KiB of 100000 bytes), the fork comes at its second read: the copy,
// reopened, reads the rest itself; the original, whose offset the copy no longer moves, too.
TEST(RealPrograms, CatOwnOffsetAfterReopen) {
  Files f;
  std::string content;
  for (int i = 0; content.size() < 100000; ++i) content += std::to_string(i) + "\n";
  content.resize(100000);
  WriteFile(f.file, content);
  Target t({"/bin/cat", f.file},
           explore::RuleFilter({{core::Abi::kX86_64, SYS_openat, SECCOMP_RET_TRACE},
                                {core::Abi::kX86_64, SYS_read, SECCOMP_RET_TRACE}}));
  auto open = ToOpen(t.pid(), EntryKind::kSeccomp, f.file);
  ASSERT_TRUE(open.ok()) << open.error().message();
  Branches b{f.dir};
  b.Own(*open, "original");
  auto fd = explore::RunOutcome(*open, Outcome("ok"));
  ASSERT_TRUE(fd.ok() && *fd >= 0);
  auto is_read = [&](const EntryStop& s) {
    return s.nr == SYS_read && static_cast<int64_t>(s.args[0]) == *fd;
  };
  auto first = explore::RunToEntry(t.pid(), EntryKind::kSeccomp, is_read);
  ASSERT_TRUE(first.ok()) << first.error().message();
  auto got = explore::RunOutcome(*first, Outcome("short"));
  ASSERT_TRUE(got.ok() && *got > 0 && *got < 100000);
  auto second = explore::RunToEntry(t.pid(), EntryKind::kSeccomp, is_read);
  ASSERT_TRUE(second.ok()) << second.error().message();
  auto copy = explore::ForkAtStop(*second);
  ASSERT_TRUE(copy.ok()) << copy.error().message();
  t.Adopt(*copy);
  auto cs = explore::ReadEntry(*copy);
  ASSERT_TRUE(cs.ok());
  b.Own(*cs, "copy");
  core::Status st = explore::ReopenFd(*cs, static_cast<int>(*fd));
  ASSERT_TRUE(st.ok()) << st.error().message();
  const std::string info =
      testing::ReadFile("/proc/" + std::to_string(*copy) + "/fdinfo/" + std::to_string(*fd));
  EXPECT_NE(info.find("pos:\t" + std::to_string(*got) + "\n"), std::string::npos) << info;
  ASSERT_TRUE(explore::RunOutcome(*cs, Outcome("ok")).ok());
  EXPECT_EQ(t.Finish(*copy), 0);
  ASSERT_TRUE(explore::RunOutcome(*second, Outcome("ok")).ok());
  EXPECT_EQ(t.Finish(t.pid()), 0);
  EXPECT_EQ(b.Out("copy"), content.substr(static_cast<size_t>(*got)));
  EXPECT_EQ(b.Out("original"), content);
}

TEST(ForkAtStop, ReopenFdRefusesAPipe) {
  Files f;
  Target t({Prog("fk_branch"), f.file, "8"}, TraceFilter());  // fd 1: the test's pipe
  auto stop = ToOpen(t.pid(), EntryKind::kSeccomp, f.file);
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  core::Status st = explore::ReopenFd(*stop, 1);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().sys_errno(), ENOTSUP);
  EXPECT_NE(st.error().message().find("not a regular file"), std::string::npos)
      << st.error().message();
  ASSERT_TRUE(explore::RunOutcome(*stop, Outcome("ok")).ok());
  EXPECT_EQ(t.Finish(t.pid()), 0);
  EXPECT_EQ(Count(t.Output(), "read pid=" + std::to_string(t.pid()) + " n=8\n"), 1);
}

// Killing the original does not take the copy with it (a sibling), and the test's cleanup ends
// both: nothing survives (checked by Target's destructor).
TEST(ForkAtStop, CopyIsASiblingNotAChild) {
  Files f;
  Target t({Prog("fk_branch"), f.file, "8"}, TraceFilter());
  auto stop = ToOpen(t.pid(), EntryKind::kSeccomp, f.file);
  ASSERT_TRUE(stop.ok()) << stop.error().message();
  auto copy = explore::ForkAtStop(*stop);
  ASSERT_TRUE(copy.ok()) << copy.error().message();
  t.Adopt(*copy);
  std::string status = testing::ReadFile("/proc/" + std::to_string(*copy) + "/status");
  EXPECT_NE(status.find("PPid:\t" + std::to_string(getpid()) + "\n"), std::string::npos) << status;
  EXPECT_NE(status.find("TracerPid:\t" + std::to_string(getpid()) + "\n"), std::string::npos)
      << status;
}

}  // namespace
}  // namespace pwnbox
