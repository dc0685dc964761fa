#include "supervisor/path_resolver.h"

#include "core/syscalls.h"
#include "supervisor/path_args.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace pwnbox::supervisor {
namespace {

// A forked child that runs `setup` (chdir, open fds, ...), reports its int result and then
// waits to be killed, so that its /proc entries can be resolved against.
class Child {
 public:
  explicit Child(const std::function<int()>& setup) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(fds[0]);
      int v = setup();
      if (write(fds[1], &v, sizeof v) != sizeof v) _exit(1);
      for (;;) pause();
    }
    close(fds[1]);
    if (read(fds[0], &value_, sizeof value_) != sizeof value_) value_ = -1;
    close(fds[0]);
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  int value() const { return value_; }

 private:
  pid_t pid_ = -1;
  int value_ = -1;
};

class PathResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pwnbox_resolver_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    char real[PATH_MAX];
    ASSERT_NE(realpath(tmpl, real), nullptr);
    dir_ = real;
    // dir_/a/file, dir_/a/sub/, dir_/x/y/, dir_/a/link -> dir_/x/y, dir_/a/rel -> ../x/y
    Mkdir("a");
    Mkdir("a/sub");
    Mkdir("x");
    Mkdir("x/y");
    Touch("a/file");
    Touch("x/y/inner");
    Symlink(P("x/y"), "a/link");
    Symlink("../x/y", "a/rel");
    Symlink("file", "a/filelink");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string P(std::string_view rel) const { return dir_ + "/" + std::string(rel); }
  void Mkdir(std::string_view rel) { ASSERT_EQ(mkdir(P(rel).c_str(), 0755), 0) << rel; }
  void Touch(std::string_view rel) {
    int fd = open(P(rel).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0) << rel;
    close(fd);
  }
  void Symlink(const std::string& target, std::string_view rel) {
    ASSERT_EQ(symlink(target.c_str(), P(rel).c_str()), 0) << rel;
  }

  // Resolves for this process (the kernel is then the oracle for the same spelling).
  static core::Result<PathView> Self(std::string_view raw, bool follow = true,
                                     int dirfd = AT_FDCWD) {
    return ResolveTargetPath(getpid(), dirfd, raw, follow);
  }

  std::string dir_;
};

// The errno of a failed resolution, 0 on success.
template <typename R>
int Errno(const R& r) {
  return r.ok() ? 0 : r.error().sys_errno();
}

TEST_F(PathResolverTest, PlainAbsolutePath) {
  auto r = Self(P("a/file"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, P("a/file"));
  EXPECT_TRUE(r->exists);
  EXPECT_FALSE(r->is_dir);
  EXPECT_FALSE(r->final_is_symlink);
  EXPECT_FALSE(r->detached);
  r = Self("/");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/");
  EXPECT_TRUE(r->is_dir);
}

TEST_F(PathResolverTest, HardToSeeSpellings) {
  auto r = Self("//etc///passwd");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, "/etc/passwd");
  r = Self("/etc/././/");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/etc");
  EXPECT_TRUE(r->trailing_slash);
  r = Self("/../../etc/../etc/passwd");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/etc/passwd");
  r = Self("/" + P("a") + "//./sub/.");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, P("a/sub"));
  // "file/." and "file/": a non-directory cannot be walked into.
  EXPECT_EQ(Errno(Self("//etc///passwd/.")), ENOTDIR);
  EXPECT_EQ(Errno(Self(P("a/file/"))), ENOTDIR);
  EXPECT_EQ(Errno(Self(P("a/file/.."))), ENOTDIR);
  EXPECT_EQ(Errno(Self(P("a/filelink/"))), ENOTDIR);
  EXPECT_EQ(Errno(Self(P("a/file/x"))), ENOTDIR);
  // Bytes after a NUL are not part of the path.
  r = Self(std::string_view("/etc/passwd\0/x", 14));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/etc/passwd");
}

TEST_F(PathResolverTest, DotDotFollowsSymlinkedDirectories) {
  // a/link -> DIR/x/y, so a/link/.. is DIR/x, not DIR/a.
  auto r = Self(P("a/link/.."));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, P("x"));
  r = Self(P("a/rel/../y/inner"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, P("x/y/inner"));
  r = Self(P("a/link/../../a/./file"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, P("a/file"));
}

// A walk that reaches a proxy rule's directory (ResolveOptions::remote) leaves the rest to
// the backend: folded by name, looked up nowhere, so the directories need not exist here;
// the way there (a local symlink into it) is resolved as usual.
TEST_F(PathResolverTest, RemoteDirectoriesAreFoldedByName) {
  const std::vector<std::string> remote{P("x/y"), P("gone")};
  ResolveOptions ro;
  ro.remote = &remote;
  auto r = ResolveTargetPath(getpid(), AT_FDCWD, P("gone/a/./b/../c/"), ro);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, P("gone/a/c"));
  EXPECT_TRUE(r->remote);
  EXPECT_FALSE(r->exists);
  EXPECT_TRUE(r->trailing_slash);
  // Through a local symlink into the remote directory; "inner" is not looked at (a file here).
  r = ResolveTargetPath(getpid(), AT_FDCWD, P("a/link/inner/deeper"), ro);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, P("x/y/inner/deeper"));
  EXPECT_TRUE(r->remote);
  // The directory itself is remote; ".." out of it folds back by name.
  r = ResolveTargetPath(getpid(), AT_FDCWD, P("x/y"), ro);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->remote);
  EXPECT_EQ(r->path, P("x/y"));
  r = ResolveTargetPath(getpid(), AT_FDCWD, P("x/y/../../a/file"), ro);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, P("a/file"));
  // A name that only starts like one is local.
  r = ResolveTargetPath(getpid(), AT_FDCWD, P("a/file"), ro);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->remote);
  EXPECT_TRUE(r->exists);
  // Without the option: ENOENT, as the kernel says here.
  EXPECT_EQ(Errno(Self(P("gone/a/c"))), ENOENT);
}

TEST_F(PathResolverTest, SymlinkLoopsAndHopLimit) {
  Symlink("loop2", "loop1");
  Symlink("loop1", "loop2");
  Symlink("self", "self");
  EXPECT_EQ(Errno(Self(P("loop1"))), ELOOP);
  EXPECT_EQ(Errno(Self(P("self/x"))), ELOOP);
  // Not followed: the link itself, no loop.
  auto r = Self(P("loop1"), /*follow=*/false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->final_is_symlink);
  EXPECT_EQ(r->path, P("loop1"));
  // A chain of 40 links resolves, 41 do not (as the kernel counts).
  Mkdir("chain");
  Touch("chain/end");
  Symlink("end", "chain/l41");
  for (int i = 40; i >= 1; --i) {
    Symlink("l" + std::to_string(i + 1), "chain/l" + std::to_string(i));
  }
  r = Self(P("chain/l2"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, P("chain/end"));
  EXPECT_EQ(Errno(Self(P("chain/l1"))), ELOOP);
  // The kernel agrees.
  EXPECT_EQ(access(P("chain/l2").c_str(), F_OK), 0);
  EXPECT_NE(access(P("chain/l1").c_str(), F_OK), 0);
  EXPECT_EQ(errno, ELOOP);
}

TEST_F(PathResolverTest, DanglingSymlinks) {
  Symlink(P("x/nothere"), "dangle");
  Symlink("nodir/file", "dangle2");
  auto r = Self(P("dangle"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->exists);
  EXPECT_EQ(r->path, P("x/nothere"));
  r = Self(P("dangle"), /*follow=*/false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->exists);
  EXPECT_TRUE(r->final_is_symlink);
  EXPECT_EQ(r->path, P("dangle"));
  EXPECT_EQ(Errno(Self(P("dangle2"))), ENOENT);
  // Outside procfs, a link text that looks like an object is an ordinary relative name.
  Symlink("pipe:[1]", "fakepipe");
  r = Self(P("fakepipe"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->exists);
  EXPECT_FALSE(r->detached);
  EXPECT_EQ(r->path, P("pipe:[1]"));
  // A trailing slash follows the final link even when the call does not.
  r = Self(P("a/link/"), /*follow=*/false);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->final_is_symlink);
  EXPECT_EQ(r->path, P("x/y"));
}

TEST_F(PathResolverTest, MissingComponents) {
  auto r = Self(P("a/newfile"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->exists);
  EXPECT_EQ(r->path, P("a/newfile"));
  r = Self(P("a/link/newdir/"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->exists);
  EXPECT_TRUE(r->trailing_slash);
  EXPECT_EQ(r->path, P("x/y/newdir"));
  EXPECT_EQ(Errno(Self(P("a/nodir/file"))), ENOENT);
  EXPECT_EQ(Errno(Self(P("a/nodir/.."))), ENOENT);
  EXPECT_EQ(Errno(Self("")), ENOENT);
}

TEST_F(PathResolverTest, NameTooLong) {
  EXPECT_EQ(Errno(Self(std::string(PATH_MAX, 'a'))), ENAMETOOLONG);
  EXPECT_EQ(Errno(Self(P(std::string(NAME_MAX + 1, 'a')))), ENAMETOOLONG);
  auto r = Self(P(std::string(NAME_MAX, 'a')));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->exists);
}

// The kernel's own answer for this process: open(O_PATH) and read back its path.
TEST_F(PathResolverTest, AgreesWithKernel) {
  Symlink("../a/./sub/..", "x/up");
  Symlink("/etc", "x/etc");
  Symlink(P("a"), "x/abs");
  const std::string spellings[] = {
      P("x/up"),           P("x/up/"),         P("x/up/file"),    P("x/up/../x/y/.."),
      P("x/etc/passwd"),   P("x/etc/../"),     P("x/abs/link/.."), P("x/abs/rel/inner"),
      P("x/abs/filelink"), P("x/abs/nothere"), P("a/link/../y"),  "/proc/self/cwd/..",
      "/proc/mounts",      "/proc/self/root/etc/passwd",          "/proc/thread-self/..",
  };
  for (const std::string& s : spellings) {
    for (bool follow : {true, false}) {
      SCOPED_TRACE(s + (follow ? " (follow)" : " (nofollow)"));
      auto r = Self(s, follow);
      int fd = open(s.c_str(), O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
      if (fd < 0) {
        int err = errno;
        if (err == ENOENT && r.ok()) {
          EXPECT_FALSE(r->exists);
        } else {
          EXPECT_EQ(Errno(r), err);
        }
        continue;
      }
      char buf[PATH_MAX];
      ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof buf);
      close(fd);
      ASSERT_GT(n, 0);
      ASSERT_TRUE(r.ok()) << r.error().message();
      EXPECT_TRUE(r->exists);
      EXPECT_EQ(r->path, std::string(buf, static_cast<size_t>(n)));
    }
  }
}

TEST_F(PathResolverTest, RelativeToTargetCwd) {
  const std::string cwd = P("a");
  Child child([&] { return chdir(cwd.c_str()) == 0 ? 0 : -errno; });
  ASSERT_EQ(child.value(), 0);
  auto r = ResolveTargetPath(child.pid(), AT_FDCWD, "file", true);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, P("a/file"));
  r = ResolveTargetPath(child.pid(), AT_FDCWD, "../x/./y//inner", true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, P("x/y/inner"));
  r = ResolveTargetPath(child.pid(), AT_FDCWD, "link/..", true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, P("x"));
  r = ResolveTargetPath(child.pid(), AT_FDCWD, ".", true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, P("a"));
  r = ResolveTargetPath(child.pid(), AT_FDCWD, "/proc/self/cwd/file", true);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, P("a/file"));
  r = ResolveTargetPath(child.pid(), AT_FDCWD, "/proc/thread-self/cwd/sub/..", true);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, P("a"));
  // The empty path names the cwd only with AT_EMPTY_PATH.
  EXPECT_EQ(Errno(ResolveTargetPath(child.pid(), AT_FDCWD, "", true)), ENOENT);
  ResolveOptions empty;
  empty.empty_path = true;
  r = ResolveTargetPath(child.pid(), AT_FDCWD, "", empty);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, P("a"));
  EXPECT_TRUE(r->is_dir);
}

// In a removed cwd, "." is still the directory (stat(".") works in the kernel); other names are
// ENOENT (a dead directory has no entries).
TEST_F(PathResolverTest, DotInARemovedCwdIsTheDirectory) {
  const std::string cwd = P("gone");
  ASSERT_EQ(mkdir(cwd.c_str(), 0755), 0);
  Child child([&] { return chdir(cwd.c_str()) == 0 ? 0 : -errno; });
  ASSERT_EQ(child.value(), 0);
  ASSERT_EQ(rmdir(cwd.c_str()), 0);
  for (const char* dot : {".", "./", "./.", ".//./"}) {
    auto r = ResolveTargetPath(child.pid(), AT_FDCWD, dot, true);
    ASSERT_TRUE(r.ok()) << dot << ": " << r.error().message();
    EXPECT_TRUE(r->detached) << dot;
    EXPECT_TRUE(r->is_dir) << dot;
    EXPECT_EQ(r->path, cwd + " (deleted)") << dot;
    EXPECT_EQ(r->reopen, "/proc/" + std::to_string(child.pid()) + "/cwd") << dot;
  }
  EXPECT_EQ(Errno(ResolveTargetPath(child.pid(), AT_FDCWD, "file", true)), ENOENT);
  EXPECT_EQ(Errno(ResolveTargetPath(child.pid(), AT_FDCWD, "./file", true)), ENOENT);
  // ".." is where it was: chdir("..") leaves a removed directory.
  const std::string top = P("a").substr(0, P("a").size() - 2);
  for (const char* up : {"..", "./..", "../", "../a/file"}) {
    auto r = ResolveTargetPath(child.pid(), AT_FDCWD, up, true);
    ASSERT_TRUE(r.ok()) << up << ": " << r.error().message();
    EXPECT_FALSE(r->detached) << up;
    EXPECT_EQ(r->path, std::string(up) == "../a/file" ? P("a/file") : top) << up;
  }
  EXPECT_EQ(Errno(ResolveTargetPath(child.pid(), AT_FDCWD, "../missing/x", true)), ENOENT);
}

TEST_F(PathResolverTest, RelativeToTargetDirfd) {
  constexpr int kDirFd = 77, kFileFd = 78, kPipeFd = 79, kDeletedFd = 80;
  const std::string x = P("x"), file = P("a/file"), del = P("deleted");
  Child child([&] {
    int d = open(x.c_str(), O_DIRECTORY | O_RDONLY);
    int f = open(file.c_str(), O_RDONLY);
    int p[2];
    int g = open(del.c_str(), O_CREAT | O_RDWR, 0600);
    if (d < 0 || f < 0 || g < 0 || pipe(p) != 0 || unlink(del.c_str()) != 0) return -1;
    dup2(d, kDirFd);
    dup2(f, kFileFd);
    dup2(p[0], kPipeFd);
    dup2(g, kDeletedFd);
    return 0;
  });
  ASSERT_EQ(child.value(), 0);
  const pid_t pid = child.pid();
  auto r = ResolveTargetPath(pid, kDirFd, "y/inner", true);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, P("x/y/inner"));
  r = ResolveTargetPath(pid, kDirFd, "../a/file", true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, P("a/file"));
  // The dirfd is ignored for absolute paths, even a bad one.
  r = ResolveTargetPath(pid, 12345, "/etc/passwd", true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/etc/passwd");
  EXPECT_EQ(Errno(ResolveTargetPath(pid, 12345, "y", true)), EBADF);
  EXPECT_EQ(Errno(ResolveTargetPath(pid, -5, "y", true)), EBADF);
  EXPECT_EQ(Errno(ResolveTargetPath(pid, kFileFd, "y", true)), ENOTDIR);
  ResolveOptions empty;
  empty.empty_path = true;
  r = ResolveTargetPath(pid, kFileFd, "", empty);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, P("a/file"));
  EXPECT_FALSE(r->is_dir);

  // /proc/self/fd/N is the target's fd, and jumps to its object.
  const std::string fd_dir = "/proc/self/fd/" + std::to_string(kDirFd);
  r = ResolveTargetPath(pid, AT_FDCWD, fd_dir + "/..", true);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, dir_);
  r = ResolveTargetPath(pid, AT_FDCWD, fd_dir + "/y/../../a/link/inner", true);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, P("x/y/inner"));
  r = ResolveTargetPath(pid, AT_FDCWD, "/proc/self/fd/" + std::to_string(kFileFd), true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, P("a/file"));
  EXPECT_EQ(Errno(ResolveTargetPath(pid, AT_FDCWD,
                                    "/proc/self/fd/" + std::to_string(kFileFd) + "/", true)),
            ENOTDIR);
  r = ResolveTargetPath(pid, AT_FDCWD, "/proc/self/fd/" + std::to_string(kFileFd), false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->final_is_symlink);
  EXPECT_EQ(r->path, "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(kFileFd));
  // /dev/fd -> /proc/self/fd, when the system has it.
  char devfd[64];
  ssize_t n = readlink("/dev/fd", devfd, sizeof devfd);
  if (n > 0 && std::string_view(devfd, n) == "/proc/self/fd") {
    r = ResolveTargetPath(pid, AT_FDCWD, "/dev/fd/" + std::to_string(kFileFd), true);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->path, P("a/file"));
  }
  // The same fd number means nothing in pwnbox's own /proc/self.
  r = ResolveTargetPath(pid, AT_FDCWD, "/proc/self/fd/12345", true);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->exists);
  EXPECT_EQ(r->path, "/proc/" + std::to_string(pid) + "/fd/12345");
  EXPECT_EQ(Errno(ResolveTargetPath(pid, AT_FDCWD, "/proc/self/fd/12345/x", true)), ENOENT);

  // Objects without a name.
  r = ResolveTargetPath(pid, AT_FDCWD, "/proc/self/fd/" + std::to_string(kPipeFd), true);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->detached);
  EXPECT_EQ(r->path.rfind("pipe:[", 0), 0u) << r->path;
  EXPECT_EQ(Errno(ResolveTargetPath(
                pid, AT_FDCWD, "/proc/self/fd/" + std::to_string(kPipeFd) + "/x", true)),
            ENOTDIR);
  r = ResolveTargetPath(pid, AT_FDCWD, "/proc/self/fd/" + std::to_string(kDeletedFd), true);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->detached);
  EXPECT_EQ(r->path, del + " (deleted)");
  // A file created under the deleted name is another object.
  Touch("deleted (deleted)");
  r = ResolveTargetPath(pid, AT_FDCWD, "/proc/self/fd/" + std::to_string(kDeletedFd), true);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->detached);
}

TEST_F(PathResolverTest, ProcSelfIsTheTarget) {
  Child child([] { return 0; });
  ASSERT_EQ(child.value(), 0);
  const std::string pid = std::to_string(child.pid());
  auto r = ResolveTargetPath(child.pid(), AT_FDCWD, "/proc/self", true);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, "/proc/" + pid);
  r = ResolveTargetPath(child.pid(), AT_FDCWD, "/proc/self", false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->final_is_symlink);
  EXPECT_EQ(r->path, "/proc/self");
  r = ResolveTargetPath(child.pid(), AT_FDCWD, "/proc/self/", false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/proc/" + pid);
  r = ResolveTargetPath(child.pid(), AT_FDCWD, "//proc/./self/root/etc/passwd", true);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, "/etc/passwd");
  r = ResolveTargetPath(child.pid(), AT_FDCWD, "/proc/mounts", true);  // -> self/mounts
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/proc/" + pid + "/mounts");
  r = ResolveTargetPath(child.pid(), AT_FDCWD, "/proc/self/exe", true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, std::filesystem::read_symlink("/proc/self/exe").string());
  // Through a symlink of our own into /proc.
  Symlink("/proc", "proclink");
  r = ResolveTargetPath(child.pid(), AT_FDCWD, P("proclink/self/cwd"), true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, std::filesystem::current_path().string());
}

TEST_F(PathResolverTest, ThreadSelfAndTgid) {
  static std::atomic<pid_t> tid{0};
  Child child([] {
    std::thread([] {
      tid = gettid();
      for (;;) pause();
    }).detach();
    while (tid == 0) sched_yield();
    return static_cast<int>(tid);
  });
  ASSERT_GT(child.value(), 0);
  const pid_t thread = child.value();
  ASSERT_NE(thread, child.pid());
  const std::string tgid = std::to_string(child.pid());
  auto r = ResolveTargetPath(thread, AT_FDCWD, "/proc/self", true);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, "/proc/" + tgid);
  r = ResolveTargetPath(thread, AT_FDCWD, "/proc/thread-self", true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/proc/" + tgid + "/task/" + std::to_string(thread));
  r = ResolveTargetPath(child.pid(), AT_FDCWD, "/proc/thread-self/..", true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/proc/" + tgid + "/task");
}

TEST_F(PathResolverTest, ChrootedTarget) {
  Mkdir("jail");
  Mkdir("jail/etc");
  Touch("jail/etc/passwd");
  Symlink("/etc/passwd", "jail/abs");
  Symlink("../../../..", "jail/etc/up");
  const std::string jail = P("jail");
  Child child([&] {
    if (chroot(jail.c_str()) != 0) return -errno;
    return chdir("/") == 0 ? 0 : -errno;
  });
  if (child.value() == -EPERM) GTEST_SKIP() << "chroot needs CAP_SYS_CHROOT";
  ASSERT_EQ(child.value(), 0);
  const pid_t pid = child.pid();
  auto r = ResolveTargetPath(pid, AT_FDCWD, "/etc/passwd", true);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, P("jail/etc/passwd"));
  r = ResolveTargetPath(pid, AT_FDCWD, "/../../../etc/passwd", true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, P("jail/etc/passwd"));
  r = ResolveTargetPath(pid, AT_FDCWD, "abs", true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, P("jail/etc/passwd"));
  r = ResolveTargetPath(pid, AT_FDCWD, "etc/up/etc/passwd", true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, P("jail/etc/passwd"));
  // No /proc inside the jail.
  EXPECT_EQ(Errno(ResolveTargetPath(pid, AT_FDCWD, "/proc/self/root", true)), ENOENT);
}

#ifndef RESOLVE_CACHED
#define RESOLVE_CACHED 0x20
#endif

// One openat2 call for the kernel and the resolver to answer.
struct Openat2Case {
  std::string raw;
  uint64_t flags;
  uint64_t resolve;
};

// A child that opens `dir` as fd kDirfd (or uses its cwd `dir` with AT_FDCWD), makes every
// openat2 call of `cases` relative to it and keeps the fds open; `results` gets each call's fd
// or -errno. The parent then resolves the same calls for the child and compares.
class Openat2Child {
 public:
  static constexpr int kDirfd = 100;
  Openat2Child(const std::string& dir, bool use_cwd, const std::vector<Openat2Case>& cases) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(fds[0]);
      int d = open(dir.c_str(), O_PATH | O_DIRECTORY);
      if (d < 0 || dup2(d, kDirfd) < 0 || (use_cwd && chdir(dir.c_str()) != 0)) _exit(1);
      close(d);
      std::vector<int> out;
      for (const auto& c : cases) {
        open_how how{};
        how.flags = c.flags;
        how.resolve = c.resolve;
        long rc = syscall(SYS_openat2, use_cwd ? AT_FDCWD : kDirfd, c.raw.c_str(), &how,
                          sizeof how);
        out.push_back(rc < 0 ? -errno : static_cast<int>(rc));
      }
      const size_t len = out.size() * sizeof(int);
      if (write(fds[1], out.data(), len) != static_cast<ssize_t>(len)) _exit(1);
      for (;;) pause();
    }
    close(fds[1]);
    results_.resize(cases.size());
    const size_t len = results_.size() * sizeof(int);
    size_t got = 0;
    while (got < len) {
      ssize_t n = read(fds[0], reinterpret_cast<char*>(results_.data()) + got, len - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (got != len) results_.clear();
    close(fds[0]);
  }
  ~Openat2Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  const std::vector<int>& results() const { return results_; }

 private:
  pid_t pid_ = -1;
  std::vector<int> results_;
};

// Every RESOLVE_* flag (and the combinations that matter) on paths that cross mounts, climb
// with "..", go through absolute, relative and magic links, from several dirfds: the
// resolver's answer must be the kernel's own (errno, or the path of the fd it opened).
TEST_F(PathResolverTest, Openat2ResolveFlagsAgreeWithKernel) {
  Mkdir("etc");
  Touch("etc/passwd");  // what RESOLVE_IN_ROOT makes of "/etc/passwd" under DIR
  Symlink("/etc/passwd", "a/abs_passwd");
  Symlink("/proc/self/fd/100", "a/to_dirfd");   // an ordinary link to a magic link
  Symlink("../../etc/passwd", "a/sub/up2");
  Symlink("../../../../../../etc", "a/sub/climb");
  Symlink("/dev", "a/dev");
  const std::vector<std::string> raws = {
      "a/file", "a/link/inner", "a/rel/inner", "a/filelink", "a/abs_passwd", "/etc/passwd",
      "etc/passwd", "..", "../..", "a/../a/file", "a/link/../../a/file", "a/sub/up2",
      "a/sub/climb/passwd", "x/y/../../../etc/passwd", "a/to_dirfd", "a/to_dirfd/file",
      "/proc/self/fd/100", "/proc/self/fd/100/a/file", "/proc/self/status", "proc/self/status",
      "self/fd/100", "self", "thread-self/..", "dev/null", "dev/shm/..", "a/dev/null",
      "shm/..", "/dev/shm/../null", "nothere", "a/nothere/x", "a/file/", "",
      "/proc/self/cwd/a/file", "/",
  };
  const uint64_t resolves[] = {
      0,
      RESOLVE_NO_XDEV,
      RESOLVE_NO_MAGICLINKS,
      RESOLVE_NO_SYMLINKS,
      RESOLVE_BENEATH,
      RESOLVE_IN_ROOT,
      RESOLVE_CACHED,
      RESOLVE_NO_XDEV | RESOLVE_IN_ROOT,
      RESOLVE_NO_XDEV | RESOLVE_BENEATH,
      RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
      RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS,
  };
  const uint64_t flags[] = {O_PATH, O_PATH | O_NOFOLLOW, O_RDONLY};
  std::vector<Openat2Case> cases;
  for (const auto& raw : raws)
    for (uint64_t r : resolves)
      for (uint64_t f : flags) cases.push_back({raw, f | O_CLOEXEC, r});

  struct Start {
    std::string dir;
    bool cwd;
  };
  const Start starts[] = {{dir_, false}, {dir_, true}, {"/", false}, {"/proc", false},
                          {"/dev", false}, {P("a/sub"), false}};
  int compared = 0, errors = 0;
  for (const Start& start : starts) {
    Openat2Child child(start.dir, start.cwd, cases);
    ASSERT_EQ(child.results().size(), cases.size());
    for (size_t i = 0; i < cases.size(); ++i) {
      const Openat2Case& c = cases[i];
      SCOPED_TRACE("dirfd " + start.dir + (start.cwd ? " (cwd)" : "") + ", \"" + c.raw +
                   "\", flags " + std::to_string(c.flags) + ", resolve " +
                   std::to_string(c.resolve));
      ResolveOptions ro;
      ro.follow_final = !(c.flags & O_NOFOLLOW);
      ro.resolve = c.resolve;
      auto r = ResolveTargetPath(child.pid(), start.cwd ? AT_FDCWD : Openat2Child::kDirfd, c.raw,
                                 ro);
      const int rc = child.results()[i];
      ++compared;
      if (rc < 0) {
        ++errors;
        const int err = -rc;
        if (err == EAGAIN && (c.resolve & RESOLVE_CACHED)) {
          // Not all in the dentry cache (or a procfs lookup, which cannot be done in an RCU
          // walk): the kernel may refuse, a full walk is valid.
        } else if (r.ok() && err == ENOENT) {
          EXPECT_FALSE(r->exists);
        } else if (r.ok() && err == ELOOP && !(c.flags & O_PATH)) {
          // O_NOFOLLOW without O_PATH on a final symlink: the open itself fails, not the walk.
          EXPECT_TRUE(r->final_is_symlink);
        } else {
          EXPECT_EQ(Errno(r), err) << (r.ok() ? r->path : r.error().message());
        }
        continue;
      }
      char buf[PATH_MAX];
      ssize_t n = readlink(("/proc/" + std::to_string(child.pid()) + "/fd/" + std::to_string(rc))
                               .c_str(),
                           buf, sizeof buf);
      ASSERT_GT(n, 0);
      ASSERT_TRUE(r.ok()) << r.error().message();
      EXPECT_TRUE(r->exists);
      EXPECT_EQ(r->path, std::string(buf, static_cast<size_t>(n)));
    }
  }
  // The cases must exercise both outcomes.
  EXPECT_GT(errors, compared / 10);
  EXPECT_LT(errors, compared * 9 / 10);
}

// Every i386 syscall whose signature takes a path has its path arguments listed, and the i386
// spellings of the file calls are known (the Decider resolves int 0x80 calls by these names).
TEST(PathArgsTest, I386PathCallsAreCovered) {
  for (int nr : core::AllSyscalls(core::Abi::kI386)) {
    const std::string_view name = core::SyscallName(nr, core::Abi::kI386);
    const core::SyscallSig& sig = core::Signature(name);
    int paths = 0;
    for (int i = 0; i < sig.nargs; ++i) paths += sig.args[i].kind == core::ArgKind::kPath;
    if (paths > 0) {
      EXPECT_FALSE(PathArgsOf(name).empty()) << name;
    }
  }
  for (const char* name :
       {"open", "openat", "creat", "stat64", "lstat64", "fstatat64", "statx", "access",
        "faccessat", "faccessat2", "readlink", "readlinkat", "unlink", "unlinkat", "rmdir",
        "mkdir", "mkdirat", "mknod", "mknodat", "rename", "renameat", "renameat2", "link",
        "linkat", "symlink", "symlinkat", "chmod", "fchmodat", "chown", "chown32", "lchown",
        "lchown32", "fchownat", "truncate", "truncate64", "utime", "utimes", "utimensat",
        "utimensat_time64", "execve", "execveat", "openat2"}) {
    EXPECT_TRUE(core::SyscallNumber(name, core::Abi::kI386).has_value()) << name;
    EXPECT_FALSE(PathArgsOf(name).empty()) << name;
  }
  const uint64_t none[6] = {};
  EXPECT_FALSE(FollowsFinal(PathArgsOf("lstat64")[0], none));
  EXPECT_FALSE(FollowsFinal(PathArgsOf("lchown32")[0], none));
  EXPECT_TRUE(FollowsFinal(PathArgsOf("chown32")[0], none));
  EXPECT_TRUE(FollowsFinal(PathArgsOf("stat64")[0], none));
  const uint64_t nofollow[6] = {0, 0, 0, AT_SYMLINK_NOFOLLOW, 0, 0};
  EXPECT_FALSE(FollowsFinal(PathArgsOf("fstatat64")[0], nofollow));
  EXPECT_FALSE(FollowsFinal(PathArgsOf("utimensat_time64")[0], nofollow));
}

// Calls with flag-dependent following, AT_EMPTY_PATH bits of their own, two paths, or a path
// only for some flags.
TEST(PathArgsTest, FlagDependentAndTwoPathCalls) {
  uint64_t a[6] = {};
  // move_mount(from_dfd, from, to_dfd, to, flags): follows only with MOVE_MOUNT_[FT]_SYMLINKS.
  auto mm = PathArgsOf("move_mount");
  ASSERT_EQ(mm.size(), 2u);
  EXPECT_EQ(mm[0].dirfd, 0);
  EXPECT_EQ(mm[1].dirfd, 2);
  EXPECT_FALSE(FollowsFinal(mm[0], a));
  a[4] = 0x01 | 0x40;  // MOVE_MOUNT_F_SYMLINKS | MOVE_MOUNT_T_EMPTY_PATH
  EXPECT_TRUE(FollowsFinal(mm[0], a));
  EXPECT_FALSE(FollowsFinal(mm[1], a));
  EXPECT_FALSE(EmptyPathAllowed(mm[0], a));
  EXPECT_TRUE(EmptyPathAllowed(mm[1], a));
  // mount: the source is a path for MS_BIND and MS_MOVE only (not a remount).
  auto m = PathArgsOf("mount");
  ASSERT_EQ(m.size(), 2u);
  uint64_t b[6] = {};
  EXPECT_FALSE(IsPathInCall(m[0], b));
  EXPECT_TRUE(IsPathInCall(m[1], b));
  b[3] = MS_BIND;
  EXPECT_TRUE(IsPathInCall(m[0], b));
  b[3] = MS_BIND | MS_REMOUNT;
  EXPECT_FALSE(IsPathInCall(m[0], b));
  // The *xattrat calls (dfd, path, at_flags, ...) and file_getattr (dfd, path, attr, size,
  // at_flags).
  for (const char* name : {"setxattrat", "getxattrat", "listxattrat", "removexattrat"}) {
    auto x = PathArgsOf(name);
    ASSERT_EQ(x.size(), 1u) << name;
    EXPECT_EQ(x[0].path, 1);
    EXPECT_EQ(x[0].dirfd, 0);
    uint64_t f[6] = {0, 0, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, 0, 0, 0};
    EXPECT_FALSE(FollowsFinal(x[0], f)) << name;
    EXPECT_TRUE(EmptyPathAllowed(x[0], f)) << name;
  }
  for (const char* name : {"file_getattr", "file_setattr"}) {
    auto x = PathArgsOf(name);
    ASSERT_EQ(x.size(), 1u) << name;
    uint64_t f[6] = {0, 0, 0, 0, AT_SYMLINK_NOFOLLOW, 0};
    EXPECT_FALSE(FollowsFinal(x[0], f)) << name;
  }
  // i386 passes fanotify_mark's 64-bit mask in two registers: dirfd and path move along.
  EXPECT_EQ(PathArgsOf("fanotify_mark")[0].path, 4);
  EXPECT_EQ(PathArgsOf("fanotify_mark", core::Abi::kI386)[0].path, 5);
  EXPECT_EQ(PathArgsOf("fanotify_mark", core::Abi::kI386)[0].dirfd, 4);
  EXPECT_TRUE(PathArgsOf("statmount").empty());
  EXPECT_TRUE(PathArgsOf("listmount").empty());
  // Two paths: both listed; symlink's target text is not one.
  EXPECT_EQ(PathArgsOf("renameat2").size(), 2u);
  EXPECT_EQ(PathArgsOf("linkat").size(), 2u);
  ASSERT_EQ(PathArgsOf("symlinkat").size(), 1u);
  EXPECT_EQ(PathArgsOf("symlinkat")[0].path, 2);
}

// fs.protected_symlinks: the emulator opens the canonical path without following symlinks, so
// the resolver must refuse what the kernel would refuse to follow (root only: it needs a link
// owned by another user; and only where the sysctl is on).
TEST_F(PathResolverTest, ProtectedSymlinksAreNotFollowed) {
  std::string on = "0";
  {
    FILE* f = fopen("/proc/sys/fs/protected_symlinks", "r");
    if (f) {
      int c = fgetc(f);
      if (c != EOF) on = std::string(1, static_cast<char>(c));
      fclose(f);
    }
  }
  if (on == "0") GTEST_SKIP() << "fs.protected_symlinks is 0 on this machine";
  if (geteuid() != 0) GTEST_SKIP() << "needs root (a symlink owned by another user)";
  Mkdir("sticky");
  ASSERT_EQ(chmod(P("sticky").c_str(), 01777), 0);
  Symlink(P("a/file"), "sticky/theirs");
  Symlink(P("a/file"), "sticky/mine");
  ASSERT_EQ(lchown(P("sticky/theirs").c_str(), 65534, 65534), 0);
  for (const char* name : {"sticky/theirs", "sticky/mine"}) {
    SCOPED_TRACE(name);
    const std::string path = P(name);
    Child child([&] { return open(path.c_str(), O_RDONLY | O_CLOEXEC) < 0 ? -errno : 0; });
    auto r = ResolveTargetPath(child.pid(), AT_FDCWD, path, true);
    EXPECT_EQ(-Errno(r), child.value());
  }
  // Owned by root: as the kernel, the check compares with the follower's fsuid.
  Child child([&] { return 0; });
  EXPECT_EQ(Errno(ResolveTargetPath(child.pid(), AT_FDCWD, P("sticky/theirs"), true)), EACCES);
  EXPECT_EQ(Errno(ResolveTargetPath(child.pid(), AT_FDCWD, P("sticky/theirs"), false)), 0);
}

TEST_F(PathResolverTest, GoneTask) {
  pid_t pid;
  {
    Child child([] { return 0; });
    pid = child.pid();
  }
  EXPECT_EQ(Errno(ResolveTargetPath(pid, AT_FDCWD, "x", true)), ESRCH);
  EXPECT_EQ(Errno(ResolveTargetPath(pid, AT_FDCWD, "/etc", true)), ESRCH);
}

}  // namespace
}  // namespace pwnbox::supervisor
