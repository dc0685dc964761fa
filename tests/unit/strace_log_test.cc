// ReadStraceLog (profile/strace_log.cc): logs written by the real strace (Debian's 6.1) for real
// runs, checked call by call against what the programs did and against the log's own text, and
// hand-written lines for the spellings a short run does not produce.
#include <fcntl.h>
#include <linux/futex.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/syscalls.h"
#include "profile/call.h"

namespace pwnbox::profile {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kAtFdcwd = static_cast<uint64_t>(int64_t{AT_FDCWD});

class StraceLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pwnbox_strace_log_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(Path(name), std::ios::binary) << text;
    return Path(name);
  }

  // Runs `strace OPTIONS -o LOG CMD...` in the temp dir (or with `to_stderr`, strace without -o
  // and its stderr into LOG); the program's stdout goes to /dev/null.
  std::string Strace(const std::string& name, const std::vector<std::string>& options,
                     const std::vector<std::string>& cmd, bool to_stderr = false) const {
    std::string log = Path(name);
    std::vector<std::string> argv = {"strace"};
    argv.insert(argv.end(), options.begin(), options.end());
    if (!to_stderr) {
      argv.push_back("-o");
      argv.push_back(log);
    }
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    pid_t pid = fork();
    if (pid == 0) {
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      if (to_stderr) {
        int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 2);
      }
      if (chdir(dir_.c_str()) != 0) _exit(126);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "strace exited " << status;
    return log;
  }

  std::string dir_;
};

std::vector<Call> ReadAll(const std::string& path) {
  std::vector<Call> calls;
  core::Status st = ReadStraceLog(path, [&](const Call& c) { calls.push_back(c); });
  EXPECT_TRUE(st.ok()) << st.error().message();
  return calls;
}

core::Status ReadStatus(const std::string& path, std::vector<Call>* calls = nullptr) {
  return ReadStraceLog(path, [&](const Call& c) {
    if (calls) calls->push_back(c);
  });
}

std::string FileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<Call> Named(const std::vector<Call>& calls, const std::string& name) {
  std::vector<Call> out;
  for (const Call& c : calls) {
    if (c.name == name) out.push_back(c);
  }
  return out;
}

const Call* FindPath(const std::vector<Call>& calls, const std::string& name,
                     const std::string& path) {
  for (const Call& c : calls) {
    if (c.name == name && !c.paths.empty() && c.paths[0] == path) return &c;
  }
  return nullptr;
}

int Nr(const char* name, core::Abi abi = core::Abi::kX86_64) {
  return core::SyscallNumber(name, abi).value_or(-2);
}

// What the log's own text says each task did, read with nothing but regular expressions: per
// pid, in order, the name of every call and its result text ("?" or "-1 ENOENT ..." or "3").
// Checks the reader's joining of <unfinished ...> and <... resumed> halves independently.
struct Expected {
  std::string name;
  std::string result;  // empty while unfinished
};
struct LogText {
  std::map<int, std::vector<Expected>> per_pid;
  int unfinished_pairs = 0;
};

LogText ReadWithRegex(const std::string& path) {
  LogText out;
  static const std::regex kLine(R"(^(\d+) +(.*)$)");
  static const std::regex kResumed(R"(^<\.\.\. (\w+) resumed>.*\) += (.*)$)");
  static const std::regex kUnfinished(R"(^(\w+)\(.* <unfinished \.\.\.>$)");
  static const std::regex kComplete(R"(^(\w+)\(.*\) += (.*)$)");
  std::istringstream in(FileText(path));
  std::string line;
  std::smatch m, b;
  while (std::getline(in, line)) {
    if (!std::regex_match(line, m, kLine)) continue;
    int pid = std::stoi(m[1]);
    std::string body = m[2];
    if (std::regex_match(body, b, kResumed)) {
      auto& seq = out.per_pid[pid];
      if (!seq.empty() && seq.back().name == b[1].str() && seq.back().result.empty()) {
        seq.back().result = b[2];
        ++out.unfinished_pairs;
      }
    } else if (std::regex_match(body, b, kUnfinished)) {
      out.per_pid[pid].push_back({b[1], ""});
    } else if (std::regex_match(body, b, kComplete)) {
      out.per_pid[pid].push_back({b[1], b[2]});
    }
  }
  return out;
}

// How many calls of each name a log of `strace -f -tt` to stderr starts, counted on the text
// alone: a line's optional "[pid N] " and timestamp, then "name(". strace's messages that cut a
// line ("...}strace: Process 12 attached") come after the call's start, and "<... name resumed>"
// is the second half of a call already counted.
std::map<std::string, int> CallStartsInStderrLog(const std::string& path) {
  static const std::regex kStart(R"(^(?:\[pid +\d+\] )?(?:[\d:.]+ )?(\w+)\(.*$)");
  std::map<std::string, int> out;
  std::istringstream in(FileText(path));
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, kStart)) ++out[m[1]];
  }
  return out;
}

// The reader's calls, per pid, agree with the log's text: same names in the same order, and
// each result as printed.
void ExpectMatchesText(const std::vector<Call>& calls, const LogText& text) {
  std::map<int, std::vector<const Call*>> per_pid;
  for (const Call& c : calls) per_pid[c.pid].push_back(&c);
  ASSERT_EQ(per_pid.size(), text.per_pid.size());
  for (const auto& [pid, want] : text.per_pid) {
    const auto& got = per_pid[pid];
    ASSERT_EQ(got.size(), want.size()) << "pid " << pid;
    for (size_t i = 0; i < want.size(); ++i) {
      const Call& c = *got[i];
      SCOPED_TRACE("pid " + std::to_string(pid) + " call " + std::to_string(i) + " " + c.name +
                   " = " + want[i].result);
      EXPECT_EQ(c.name, want[i].name);
      EXPECT_EQ(c.nr, Nr(want[i].name.c_str()));
      if (want[i].result.empty() || want[i].result[0] == '?') {
        EXPECT_FALSE(c.returned);
      } else if (want[i].result.starts_with("-1 E")) {
        ASSERT_TRUE(c.returned);
        EXPECT_LT(c.ret, -1);  // -errno, not -1
        std::string ename = want[i].result.substr(3, want[i].result.find(' ', 3) - 3);
        EXPECT_EQ(c.ret, -core::ErrnoFromName(ename).value_or(0));
      } else {
        ASSERT_TRUE(c.returned);
        EXPECT_EQ(c.ret, static_cast<int64_t>(std::stoull(want[i].result, nullptr, 0)));
      }
    }
  }
}

// ---- Logs of real runs ------------------------------------------------------------------------

TEST_F(StraceLogTest, ShellRunningLsAndCat) {
  std::string log = Strace("sh.log", {"-f"},
                           {"sh", "-c", "ls / >/dev/null; cat /etc/hostname >/dev/null"});
  std::vector<Call> calls = ReadAll(log);
  ASSERT_FALSE(calls.empty());
  ExpectMatchesText(calls, ReadWithRegex(log));

  std::set<int> pids;
  for (const Call& c : calls) {
    pids.insert(c.pid);
    EXPECT_EQ(c.abi, core::Abi::kX86_64);
    EXPECT_GE(c.nr, 0) << c.name;
  }
  EXPECT_GE(pids.size(), 3u);  // sh, ls, cat

  // cat's open of /etc/hostname: dirfd and flags known, the path kept, in cat's pid.
  const Call* open = FindPath(calls, "openat", "/etc/hostname");
  ASSERT_NE(open, nullptr);
  EXPECT_EQ(open->nr, Nr("openat"));
  EXPECT_TRUE(open->Known(0));
  EXPECT_EQ(open->args[0], kAtFdcwd);
  EXPECT_FALSE(open->Known(1));  // a pointer to the path
  EXPECT_TRUE(open->Known(2));
  EXPECT_EQ(open->args[2] & O_ACCMODE, uint64_t{O_RDONLY});
  EXPECT_TRUE(open->returned);
  EXPECT_GE(open->ret, 0);
  EXPECT_NE(open->pid, calls.front().pid);

  const Call* cache = FindPath(calls, "openat", "/etc/ld.so.cache");
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->args[2], uint64_t{O_RDONLY | O_CLOEXEC});

  // The dynamic loader maps libc's text executable.
  bool exec_map = false;
  for (const Call& c : Named(calls, "mmap")) {
    ASSERT_TRUE(c.Known(1) && c.Known(2) && c.Known(3) && c.Known(4) && c.Known(5));
    if (c.args[2] == (PROT_READ | PROT_EXEC)) {
      exec_map = true;
      EXPECT_TRUE(c.args[3] & MAP_PRIVATE);
      EXPECT_NE(c.args[0], 0u);
    }
  }
  EXPECT_TRUE(exec_map);

  // ld.so's probe for /etc/ld.so.preload fails with ENOENT.
  const Call* preload = FindPath(calls, "access", "/etc/ld.so.preload");
  ASSERT_NE(preload, nullptr);
  EXPECT_TRUE(preload->returned);
  EXPECT_EQ(preload->ret, -ENOENT);
  EXPECT_EQ(preload->args[1], uint64_t{R_OK});
  EXPECT_TRUE(preload->Known(1));

  // Each child the shell started shows up with its own pid, which its fork returned.
  std::set<int> children;
  for (const Call& c : calls) {
    if ((c.name == "vfork" || c.name == "clone" || c.name == "fork") && c.returned) {
      children.insert(static_cast<int>(c.ret));
    }
  }
  EXPECT_EQ(children.size(), 2u);
  for (int child : children) EXPECT_TRUE(pids.count(child)) << child;

  // exit_group never returns.
  std::vector<Call> exits = Named(calls, "exit_group");
  ASSERT_EQ(exits.size(), 3u);
  for (const Call& c : exits) {
    EXPECT_FALSE(c.returned);
    EXPECT_TRUE(c.Known(0));
    EXPECT_EQ(c.args[0], 0u);
  }
}

TEST_F(StraceLogTest, BackgroundJobJoinsUnfinishedAndResumedHalves) {
  std::string log = Strace("bg.log", {"-f"}, {"sh", "-c", "sleep 0.1 & wait"});
  std::vector<Call> calls = ReadAll(log);
  LogText text = ReadWithRegex(log);
  ExpectMatchesText(calls, text);
  EXPECT_GT(text.unfinished_pairs, 0);  // the shell waits while sleep runs

  // sh's clone: strace prints (child_stack, flags, child_tidptr) by name; the raw x86-64 order
  // is flags, stack, parent_tid, child_tid, tls.
  std::vector<Call> clones = Named(calls, "clone");
  ASSERT_EQ(clones.size(), 1u);
  const Call& clone = clones[0];
  EXPECT_EQ(clone.args[0], uint64_t{CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD});
  EXPECT_TRUE(clone.Known(0));
  EXPECT_TRUE(clone.Known(1));
  EXPECT_EQ(clone.args[1], 0u);  // child_stack=NULL
  EXPECT_FALSE(clone.Known(2));
  EXPECT_TRUE(clone.Known(3));  // child_tidptr
  EXPECT_NE(clone.args[3], 0u);
  EXPECT_FALSE(clone.Known(4));
  ASSERT_TRUE(clone.returned);

  // The child runs sleep.
  bool exec_sleep = false;
  for (const Call& c : Named(calls, "execve")) {
    if (c.pid == clone.ret && c.returned && c.ret == 0) {
      ASSERT_EQ(c.paths.size(), 1u);
      EXPECT_TRUE(c.paths[0].ends_with("/sleep")) << c.paths[0];
      exec_sleep = true;
    }
  }
  EXPECT_TRUE(exec_sleep);

  // The shell's rt_sigsuspend is split around sleep's lines and never returns (ERESTARTNOHAND):
  // one call, with the arguments from its first half.
  std::vector<Call> suspends = Named(calls, "rt_sigsuspend");
  ASSERT_FALSE(suspends.empty());
  for (const Call& c : suspends) {
    EXPECT_EQ(c.pid, clone.pid);
    EXPECT_FALSE(c.Known(0));  // a signal set
    EXPECT_TRUE(c.Known(1));
    EXPECT_EQ(c.args[1], 8u);
  }
  EXPECT_NE(FileText(log).find("<... rt_sigsuspend resumed>"), std::string::npos);
}

TEST_F(StraceLogTest, SocketWithTimestampsDurationsAndFdPaths) {
  std::string log = Strace(
      "sock.log", {"-tt", "-T", "-y"},
      {"/usr/bin/python3", "-c",
       "import socket\n"
       "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
       "try: open('/nonexistent-pwnbox-test')\n"
       "except OSError: pass\n"});
  std::string text = FileText(log);
  ASSERT_NE(text.find("socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = "),
            std::string::npos);
  std::vector<Call> calls = ReadAll(log);
  for (const Call& c : calls) EXPECT_EQ(c.pid, 0);  // no -f: the log does not say

  std::vector<Call> sockets = Named(calls, "socket");
  ASSERT_EQ(sockets.size(), 1u);
  const Call& s = sockets[0];
  EXPECT_EQ(s.nr, Nr("socket"));
  EXPECT_EQ(s.known_args, 0b111);
  EXPECT_EQ(s.args[0], uint64_t{AF_INET});
  EXPECT_EQ(s.args[1], uint64_t{SOCK_DGRAM | SOCK_CLOEXEC});
  EXPECT_EQ(s.args[1], 0x80002u);
  EXPECT_EQ(s.args[2], 0u);
  EXPECT_TRUE(s.returned);
  EXPECT_GE(s.ret, 3);  // "3<UDP:[...]> <0.000040>"

  // -y prints AT_FDCWD</tmp/...>; the value is still AT_FDCWD, the -T time is not the result.
  const Call* missing = FindPath(calls, "openat", "/nonexistent-pwnbox-test");
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(missing->args[0], kAtFdcwd);
  EXPECT_EQ(missing->ret, -ENOENT);
  const Call* cache = FindPath(calls, "openat", "/etc/ld.so.cache");
  ASSERT_NE(cache, nullptr);
  EXPECT_GE(cache->ret, 3);
  for (const Call& c : Named(calls, "close")) {
    EXPECT_TRUE(c.Known(0));  // "3</etc/ld.so.cache>" is fd 3
    EXPECT_LT(c.args[0], 100u);
  }
}

// Four threads, each failing to stat a missing file 20 times, joined with pthread_join. Python's
// Thread.join() would not do: it returns once the thread's Python code is over, before the thread
// makes its exit(0) call, so the main thread's exit_group could kill a thread before that call
// (under load it did: a log with three `exit(0)` lines and a fourth thread that only has
// "+++ exited with 0 +++"). pthread_join returns only after the kernel cleared the thread's tid,
// which it does inside exit(0): every thread's exit call is in the log whatever the schedule.
constexpr const char* kThreads =
       "import ctypes, os\n"
       "libc = ctypes.CDLL(None)\n"
       "@ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)\n"
       "def work(_):\n"
       "    for _ in range(20):\n"
       "        try: os.stat('/nonexistent-pwnbox-thread')\n"
       "        except FileNotFoundError: pass\n"
       "ts = [ctypes.c_ulong() for _ in range(4)]\n"
       "for t in ts: assert libc.pthread_create(ctypes.byref(t), None, work, None) == 0\n"
       "for t in ts: assert libc.pthread_join(t, None) == 0\n";

// The threads the clone3 calls created are the tasks that stat the missing file.
void ExpectFourThreads(const std::vector<Call>& calls) {

  // The threads the clone3 calls created are the tasks that stat the missing file.
  std::set<int> threads;
  for (const Call& c : calls) {
    if (c.name == "clone3" && c.returned && c.ret > 0) {
      threads.insert(static_cast<int>(c.ret));
      EXPECT_FALSE(c.Known(0));  // struct clone_args
      EXPECT_TRUE(c.Known(1));
      EXPECT_EQ(c.args[1], 88u);  // sizeof(struct clone_args)
    }
  }
  ASSERT_EQ(threads.size(), 4u);
  std::map<int, int> stats;
  for (const Call& c : calls) {
    if (c.paths.size() == 1 && c.paths[0] == "/nonexistent-pwnbox-thread") {
      EXPECT_EQ(c.name, "newfstatat");
      EXPECT_EQ(c.args[0], kAtFdcwd);
      EXPECT_TRUE(c.Known(3));
      EXPECT_EQ(c.ret, -ENOENT);
      ++stats[c.pid];
    }
  }
  ASSERT_EQ(stats.size(), 4u);
  for (const auto& [pid, n] : stats) {
    EXPECT_TRUE(threads.count(pid)) << pid;
    EXPECT_EQ(n, 20);
  }
}

TEST_F(StraceLogTest, ThreadsFromClone3) {
  std::string log = Strace("threads.log", {"-f"}, {"/usr/bin/python3", "-c", kThreads});
  std::vector<Call> calls = ReadAll(log);
  ExpectMatchesText(calls, ReadWithRegex(log));
  ExpectFourThreads(calls);
}

// strace -f without -o: "[pid N]" prefixes only while several tasks run, and strace's own
// "Process N attached" messages in the middle of call lines.
TEST_F(StraceLogTest, ThreadsLoggedToStderr) {
  std::string log =
      Strace("stderr.log", {"-f", "-tt"}, {"/usr/bin/python3", "-c", kThreads}, true);
  ASSERT_NE(FileText(log).find("[pid "), std::string::npos);
  std::vector<Call> calls = ReadAll(log);
  ExpectFourThreads(calls);
  EXPECT_EQ(Named(calls, "execve").size(), 1u);
  std::vector<Call> exits = Named(calls, "exit");
  EXPECT_EQ(exits.size(), 4u);
  for (const Call& c : exits) EXPECT_FALSE(c.returned);
  // No call lost where strace's messages cut a line or a prefix came or went: as many calls of
  // each name as the log's text starts.
  std::map<std::string, int> read;
  for (const Call& c : calls) ++read[c.name];
  EXPECT_EQ(read, CallStartsInStderrLog(log));
}

// -Y prints "PID<comm>", -r a relative timestamp.
TEST_F(StraceLogTest, CommNamesAndRelativeTimestamps) {
  std::string log = Strace("comm.log", {"-f", "-Y", "-r"}, {"sh", "-c", "cat /etc/hostname"});
  ASSERT_NE(FileText(log).find("<cat>"), std::string::npos);
  std::vector<Call> calls = ReadAll(log);
  std::vector<Call> forks = Named(calls, "vfork");
  if (forks.empty()) forks = Named(calls, "clone");
  ASSERT_EQ(forks.size(), 1u);
  const Call* open = FindPath(calls, "openat", "/etc/hostname");
  ASSERT_NE(open, nullptr);
  EXPECT_EQ(open->pid, forks[0].ret);
  for (const Call& c : calls) EXPECT_TRUE(c.pid == forks[0].pid || c.pid == forks[0].ret);
}

// ---- Hand-written lines -----------------------------------------------------------------------

TEST_F(StraceLogTest, EscapesCommentsAndPrefixes) {
  std::string log = Write("edge.log",
      "strace: Process 4000 attached\n"
      "4000  openat(AT_FDCWD, \"/tmp/a\\\"b\\\\c\\nd\\te\\x41\\101\\0z\", "
      "O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3\n"
      "4000  execve(\"rel/prog\", [\"prog\", \"a, b) = 4\"...], 0x7ffd2a0 /* 12 vars */) = 0\n"
      "[pid  4001] 12:34:56.789012 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 4 <0.000010>\n"
      "4002  1700000000.123456 ioctl(1</dev/pts/0<char 136:0>>, TCGETS, {c_iflag=ICRNL}) = 0\n"
      "4002  12:00:01 ioctl(3<TCP:[1.2.3.4:5->6.7.8.9:10]>, _IOC(_IOC_READ, 0x54, 0x13, 0x4), "
      "0x7ffc) = -1 ENOTTY (Inappropriate ioctl for device)\n"
      "4002  mmap(NULL, 8192, 0x3 /* PROT_READ|PROT_WRITE */, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */"
      ", -1, 0) = 0x7f0000001000\n"
      "     0.000021 [00007fdf963939e7] access(\"/etc/x\", 0x4 /* R_OK */) = -1 (errno 2)\n"
      "4003  poll([{fd=3, events=POLLIN}], 1, 100) = 0 (Timeout)\n"
      "4003  fcntl(3</a, b (deleted)>, F_GETFL) = 0x8002 (flags O_RDWR|O_LARGEFILE)\n"
      "4003  prctl(PR_SET_NAME, \"worker\") = 0\n"
      "4003  rt_sigaction(SIGCHLD, {sa_handler=0x1, sa_mask=[], sa_flags=SA_RESTORER}, NULL, 8)"
      " = 0\n"
      "4003  futex(0x7f00, FUTEX_WAIT_PRIVATE, 2, NULL <unfinished ...>\n"
      "4004  read(0, \"\\0\\1\"..., 4) = 4\n"
      "4004  --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=9} ---\n"
      "4003  <... futex resumed>) = ?\n"
      "4003  +++ killed by SIGKILL +++\n"
      "4004  wait4(-1,  <unfinished ...>\n"
      "4005  clone(child_stack=0x7f5000, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|"
      "CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, "
      "parent_tid=[4006], tls=0x7f6000, child_tidptr=0x7f7000) = 4006\n"
      "4004  <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], WNOHANG, NULL) = 4005\n"
      "4004  exit_group(0)                     = ?\n"
      "4004  +++ exited with 0 +++\n"
      "4007  nanosleep({tv_sec=1, tv_nsec=0},  <detached ...>\n"
      "4009  read(0,  <unfinished ...>\n"
      "4009  +++ killed by SIGKILL +++\n"
      "4010  getppid() = 1\n"
      "4008  getpid( <unfinished ...>\n");
  std::vector<Call> calls = ReadAll(log);
  ASSERT_EQ(calls.size(), 20u);

  const Call& open = calls[0];
  EXPECT_EQ(open.pid, 4000);
  EXPECT_EQ(open.name, "openat");
  ASSERT_EQ(open.paths.size(), 1u);
  EXPECT_EQ(open.paths[0], std::string("/tmp/a\"b\\c\nd\teAA\0z", 18));
  EXPECT_EQ(open.known_args, 0b1101);
  EXPECT_EQ(open.args[2], uint64_t{O_WRONLY | O_CREAT | O_TRUNC});
  EXPECT_EQ(open.args[3], 0644u);
  EXPECT_EQ(open.ret, 3);

  const Call& exec = calls[1];  // a relative path stays relative
  ASSERT_EQ(exec.paths.size(), 1u);
  EXPECT_EQ(exec.paths[0], "rel/prog");
  EXPECT_EQ(exec.known_args, 0b100);  // envp's address, its comment dropped
  EXPECT_EQ(exec.args[2], 0x7ffd2a0u);
  EXPECT_EQ(exec.ret, 0);

  const Call& sock = calls[2];
  EXPECT_EQ(sock.pid, 4001);
  EXPECT_EQ(sock.args[0], uint64_t{AF_UNIX});
  EXPECT_EQ(sock.args[1], uint64_t{SOCK_STREAM | SOCK_CLOEXEC});
  EXPECT_EQ(sock.known_args, 0b111);
  EXPECT_EQ(sock.ret, 4);

  EXPECT_EQ(calls[3].args[0], 1u);
  EXPECT_EQ(calls[3].args[1], uint64_t{TCGETS});
  EXPECT_EQ(calls[3].known_args, 0b11);
  EXPECT_EQ(calls[4].args[0], 3u);
  EXPECT_EQ(calls[4].args[1], 0x80045413u);  // _IOR('T', 0x13, int)
  EXPECT_EQ(calls[4].known_args, 0b111);
  EXPECT_EQ(calls[4].ret, -ENOTTY);

  const Call& mmap = calls[5];  // -X verbose
  EXPECT_EQ(mmap.known_args, 0b111111);
  EXPECT_EQ(mmap.args[2], uint64_t{PROT_READ | PROT_WRITE});
  EXPECT_EQ(mmap.args[3], uint64_t{MAP_PRIVATE | MAP_ANONYMOUS});
  EXPECT_EQ(mmap.args[4], ~uint64_t{0});
  EXPECT_EQ(mmap.ret, 0x7f0000001000);

  const Call& access = calls[6];  // -r and -i leaders, -e raw's errno spelling
  EXPECT_EQ(access.pid, 0);
  EXPECT_EQ(access.args[1], uint64_t{R_OK});
  EXPECT_EQ(access.ret, -ENOENT);

  EXPECT_EQ(calls[7].name, "poll");
  EXPECT_EQ(calls[7].known_args, 0b110);
  EXPECT_EQ(calls[7].ret, 0);
  EXPECT_EQ(calls[8].args[0], 3u);
  EXPECT_EQ(calls[8].args[1], uint64_t{F_GETFL});
  EXPECT_EQ(calls[8].ret, 0x8002);
  EXPECT_EQ(calls[9].args[0], uint64_t{PR_SET_NAME});
  EXPECT_EQ(calls[9].known_args, 0b1);
  EXPECT_EQ(calls[10].args[0], uint64_t{SIGCHLD});
  EXPECT_EQ(calls[10].known_args, 0b1101);

  const Call& read = calls[11];  // printed before the futex resumed
  EXPECT_EQ(read.name, "read");
  EXPECT_EQ(read.pid, 4004);
  const Call& futex = calls[12];
  EXPECT_EQ(futex.name, "futex");
  EXPECT_EQ(futex.pid, 4003);
  EXPECT_EQ(futex.args[1], uint64_t{FUTEX_WAIT_PRIVATE});
  EXPECT_EQ(futex.known_args, 0b1111);
  EXPECT_FALSE(futex.returned);

  const Call& clone = calls[13];
  EXPECT_EQ(clone.name, "clone");
  EXPECT_EQ(clone.args[0], uint64_t{CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                                    CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |
                                    CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID});
  EXPECT_EQ(clone.args[1], 0x7f5000u);
  EXPECT_EQ(clone.args[3], 0x7f7000u);
  EXPECT_EQ(clone.args[4], 0x7f6000u);
  EXPECT_EQ(clone.known_args, 0b11011);  // parent_tid is shown as what it points to
  EXPECT_EQ(clone.ret, 4006);

  const Call& wait = calls[14];  // one call from two halves
  EXPECT_EQ(wait.name, "wait4");
  EXPECT_EQ(wait.args[0], ~uint64_t{0});
  EXPECT_EQ(wait.args[2], uint64_t{WNOHANG});
  EXPECT_EQ(wait.known_args, 0b1101);
  EXPECT_EQ(wait.ret, 4005);

  EXPECT_EQ(calls[15].name, "exit_group");
  EXPECT_FALSE(calls[15].returned);
  EXPECT_EQ(calls[16].name, "nanosleep");  // detached mid-call
  EXPECT_FALSE(calls[16].returned);
  const Call& killed = calls[17];  // its task died in the call
  EXPECT_EQ(killed.name, "read");
  EXPECT_EQ(killed.pid, 4009);
  EXPECT_EQ(killed.known_args, 0b1);
  EXPECT_FALSE(killed.returned);
  EXPECT_EQ(calls[18].name, "getppid");
  EXPECT_EQ(calls[19].name, "getpid");  // the log ends before it returns
  EXPECT_FALSE(calls[19].returned);
  EXPECT_EQ(calls[19].pid, 4008);
}

TEST_F(StraceLogTest, StderrPrefixesComeAndGo) {
  std::string log = Write("stderr.log",
      "futex(0x1, FUTEX_WAIT_PRIVATE, 0, NULLstrace: Process 7001 attached\n"
      " <unfinished ...>\n"
      "[pid  7001] getpid() = 7001\n"
      "[pid  7000] <... futex resumed>) = 0\n"
      "[pid  7001] pipe2([3, 4], O_CLOEXEC <unfinished ...>\n"
      "[pid  7000] exit(0) = ?\n"
      "[pid  7000] +++ exited with 0 +++\n"
      "<... pipe2 resumed>) = 0\n"
      "write(1, \"strace: Process 1 attached\", 26) = 26\n");
  std::vector<Call> calls = ReadAll(log);
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls[0].name, "getpid");
  EXPECT_EQ(calls[1].name, "futex");
  EXPECT_EQ(calls[1].pid, 7000);
  EXPECT_EQ(calls[1].known_args, 0b1111);
  EXPECT_EQ(calls[1].ret, 0);
  EXPECT_EQ(calls[2].name, "exit");
  EXPECT_EQ(calls[3].name, "pipe2");
  EXPECT_EQ(calls[3].pid, 7001);
  EXPECT_EQ(calls[3].known_args, 0b10);
  EXPECT_EQ(calls[3].args[1], uint64_t{O_CLOEXEC});
  EXPECT_TRUE(calls[3].returned);
  EXPECT_EQ(calls[4].name, "write");
  EXPECT_EQ(calls[4].ret, 26);
}

TEST_F(StraceLogTest, I386ModeSwitchAndUnknownNumbers) {
  std::string log = Write("i386.log",
      "5000  execve(\"./a32\", [\"./a32\"], 0x7ffc /* 3 vars */) = 0\n"
      "strace: [ Process PID=5000 runs in 32 bit mode. ]\n"
      "5000  mmap2(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)"
      " = 0xf7f00000\n"
      "5000  syscall_0x1b4(0x1, 0x2) = -1 ENOSYS (Function not implemented)\n"
      "5000  clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|CLONE_SETTLS|"
      "SIGCHLD, tls=0x1000, child_tidptr=0x2000) = 5001\n"
      "5001  getpid() = 5001\n"
      "[ Process PID=5000 runs in 64 bit mode. ]\n"
      "5000  syscall_0xfff(0x1) = -1 ENOSYS (Function not implemented)\n"
      "5000  getpid() = 5000\n");
  std::vector<Call> calls = ReadAll(log);
  ASSERT_EQ(calls.size(), 7u);
  EXPECT_EQ(calls[0].abi, core::Abi::kX86_64);
  EXPECT_EQ(calls[0].nr, Nr("execve"));

  const Call& mmap2 = calls[1];
  EXPECT_EQ(mmap2.abi, core::Abi::kI386);
  EXPECT_EQ(mmap2.nr, Nr("mmap2", core::Abi::kI386));
  EXPECT_GT(mmap2.nr, 0);
  EXPECT_EQ(mmap2.args[4], 0xffffffffu);  // -1 in a 32-bit register

  const Call& unknown = calls[2];
  EXPECT_EQ(unknown.abi, core::Abi::kI386);
  EXPECT_EQ(unknown.nr, 0x1b4);
  std::string_view seccomp_name = core::SyscallName(0x1b4, core::Abi::kI386);
  EXPECT_EQ(unknown.name, seccomp_name.empty() ? "syscall_0x1b4" : std::string(seccomp_name));
  EXPECT_EQ(unknown.known_args, 0b11);
  EXPECT_EQ(unknown.ret, -ENOSYS);

  const Call& clone = calls[3];  // i386 passes tls before child_tid
  EXPECT_EQ(clone.nr, Nr("clone", core::Abi::kI386));
  EXPECT_EQ(clone.args[3], 0x1000u);
  EXPECT_EQ(clone.args[4], 0x2000u);
  EXPECT_EQ(calls[4].abi, core::Abi::kI386);  // the child runs in its parent's mode
  EXPECT_EQ(calls[4].nr, Nr("getpid", core::Abi::kI386));

  EXPECT_EQ(calls[5].abi, core::Abi::kX86_64);
  EXPECT_EQ(calls[5].nr, 0xfff);
  EXPECT_EQ(calls[5].name, "syscall_0xfff");
  EXPECT_EQ(calls[6].nr, Nr("getpid"));
}

// ---- Errors -----------------------------------------------------------------------------------

TEST_F(StraceLogTest, NotAnStraceLog) {
  for (const auto& [name, content] : std::vector<std::pair<std::string, std::string>>{
           {"text.txt", "hello world\nthis is not a log\n"},
           {"binary.bin", std::string("\x7f" "ELF\2\1\1\0\0\0\0\0", 12)},
           {"exits.log", "+++ exited with 0 +++\n"},
           {"rec.pwnr", std::string("PWNR\1\0\0\0", 8)}}) {
    std::string path = Write(name, content);
    core::Status st = ReadStatus(path);
    ASSERT_FALSE(st.ok()) << name;
    EXPECT_EQ(st.error().message().rfind(path + ": not an strace log", 0), 0u)
        << st.error().message();
    EXPECT_NE(st.error().message().find("strace -f -o FILE"), std::string::npos);
  }
  std::string empty = Write("empty.log", "");
  core::Status st = ReadStatus(empty);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), empty + ": empty file; give a .pwnr recording or `strace -f -o "
                                          "FILE` output");
  st = ReadStatus(Path("missing.log"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(),
            "cannot open " + Path("missing.log") + ": No such file or directory");
  EXPECT_EQ(st.error().sys_errno(), ENOENT);
  st = ReadStatus(dir_);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("directory"), std::string::npos);
}

TEST_F(StraceLogTest, BadLineSaysFileAndLine) {
  const std::string good = "100  getpid() = 100\n100  close(3) = 0\n";
  struct Case {
    std::string line;
    std::string why;
  };
  for (const Case& c : std::vector<Case>{
           {"garbage in the middle", "not a system call, signal or exit line"},
           {"100  openat(AT_FDCWD, \"/x, O_RDONLY) = 3", "a quoted string is not closed"},
           {"100  close(3)", "no '= RESULT' after the arguments of close()"},
           {"100  close(3) = banana", "the result 'banana' is not a number"},
           {"100  read(3, {a, b], 4) = 4", "unbalanced ']'"},
           {"100  <... close resumed) = 0", "'<...' without 'resumed>'"}}) {
    std::string path = Write("bad.log", good + c.line + "\n100  getpid() = 100\n");
    std::vector<Call> calls;
    core::Status st = ReadStatus(path, &calls);
    ASSERT_FALSE(st.ok()) << c.line;
    EXPECT_EQ(st.error().message().rfind(path + ":3: cannot parse strace line: " + c.why, 0), 0u)
        << st.error().message();
    EXPECT_EQ(calls.size(), 2u);  // the calls before it were read
  }
}

// Found by tests/fuzz/strace_log_fuzz.cc: an error that quotes the log escapes its control
// characters (a log holding terminal escapes cannot reach the terminal through the message).
TEST_F(StraceLogTest, BadLineErrorEscapesControlCharacters) {
  std::string path = Write("esc.log", "100  close(3) = \033]0;pwned\007\n");
  core::Status st = ReadStatus(path);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(),
            path + ":1: cannot parse strace line: the result '\\33]0;pwned\\7' is not a number");
}

}  // namespace
}  // namespace pwnbox::profile
