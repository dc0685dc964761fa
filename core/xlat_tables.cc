// Flag and constant tables. Each entry's name is its macro's name (X), the value the system
// headers' one; the order is the order strace prints bits in (multi-bit entries first).
#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/close_range.h>
#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/landlock.h>
#include <linux/membarrier.h>
#include <linux/memfd.h>
#include <linux/mempolicy.h>
#include <linux/personality.h>
#include <linux/ptrace.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/swap.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cstdint>

#include "core/xlat.h"

namespace pwnbox::core {
namespace {

#define X(name) XlatEntry{static_cast<uint64_t>(name), #name}

// glibc defines these as 0 on x86-64; the kernel's values are what the syscall sees.
constexpr uint64_t kOLargefile = 0100000;

constexpr XlatEntry kOpenFlags[] = {
    X(O_RDONLY), X(O_WRONLY), X(O_RDWR), X(O_ACCMODE),
    X(O_CREAT), X(O_EXCL), X(O_NOCTTY), X(O_TRUNC), X(O_APPEND), X(O_NONBLOCK),
    X(O_SYNC), {04000000, "__O_SYNC"}, X(O_DSYNC), X(O_DIRECT), {kOLargefile, "O_LARGEFILE"},
    X(O_NOFOLLOW), X(O_NOATIME), X(O_CLOEXEC), X(O_PATH), X(O_TMPFILE),
    {__O_TMPFILE, "__O_TMPFILE"}, X(O_DIRECTORY), X(FASYNC), X(O_ASYNC), X(O_NDELAY),
    X(O_RSYNC), X(O_FSYNC),
};

// strace's at_flags (AT_STATX_* are statx's own: not named here).
constexpr XlatEntry kAtFlags[] = {
    X(AT_SYMLINK_NOFOLLOW), X(AT_REMOVEDIR), X(AT_EACCESS), X(AT_SYMLINK_FOLLOW),
    X(AT_NO_AUTOMOUNT), X(AT_EMPTY_PATH), X(AT_RECURSIVE),
};

// statx's flags: AT_STATX_SYNC_TYPE (0x6000) is a field whose 0 is AT_STATX_SYNC_AS_STAT.
constexpr XlatEntry kStatxFlags[] = {
    X(AT_STATX_SYNC_AS_STAT), X(AT_STATX_FORCE_SYNC), X(AT_STATX_DONT_SYNC),
    X(AT_SYMLINK_NOFOLLOW), X(AT_REMOVEDIR), X(AT_SYMLINK_FOLLOW), X(AT_NO_AUTOMOUNT),
    X(AT_EMPTY_PATH), X(AT_RECURSIVE),
};

constexpr XlatEntry kAccessMode[] = {X(F_OK), X(R_OK), X(W_OK), X(X_OK)};

constexpr XlatEntry kProt[] = {
    X(PROT_NONE), X(PROT_READ), X(PROT_WRITE), X(PROT_EXEC), {0x8, "PROT_SEM"},
    X(PROT_GROWSDOWN), X(PROT_GROWSUP),
};

constexpr XlatEntry kMmapFlags[] = {
    X(MAP_SHARED_VALIDATE), X(MAP_SHARED), X(MAP_PRIVATE),
    X(MAP_FIXED), X(MAP_ANONYMOUS), X(MAP_32BIT), X(MAP_NORESERVE), X(MAP_POPULATE),
    X(MAP_NONBLOCK), X(MAP_GROWSDOWN), X(MAP_DENYWRITE), X(MAP_EXECUTABLE), X(MAP_LOCKED),
    X(MAP_STACK), X(MAP_HUGETLB), X(MAP_SYNC), X(MAP_FIXED_NOREPLACE), X(MAP_ANON),
    {0, "MAP_FILE"},  // the mapping type field's 0 (remap_file_pages' flags)
};

constexpr XlatEntry kMremapFlags[] = {X(MREMAP_MAYMOVE), X(MREMAP_FIXED), X(MREMAP_DONTUNMAP)};

constexpr XlatEntry kMadviseAdvice[] = {
    X(MADV_NORMAL), X(MADV_RANDOM), X(MADV_SEQUENTIAL), X(MADV_WILLNEED), X(MADV_DONTNEED),
    X(MADV_FREE), X(MADV_REMOVE), X(MADV_DONTFORK), X(MADV_DOFORK), X(MADV_MERGEABLE),
    X(MADV_UNMERGEABLE), X(MADV_HUGEPAGE), X(MADV_NOHUGEPAGE), X(MADV_DONTDUMP),
    X(MADV_DODUMP), X(MADV_WIPEONFORK), X(MADV_KEEPONFORK), X(MADV_COLD), X(MADV_PAGEOUT),
    X(MADV_POPULATE_READ), X(MADV_POPULATE_WRITE), {25, "MADV_COLLAPSE"}, X(MADV_HWPOISON),
    {101, "MADV_SOFT_OFFLINE"}, {102, "MADV_GUARD_INSTALL"}, {103, "MADV_GUARD_REMOVE"},
};

constexpr XlatEntry kCloneFlags[] = {
    X(CLONE_VM), X(CLONE_FS), X(CLONE_FILES), X(CLONE_SIGHAND), X(CLONE_PIDFD),
    X(CLONE_PTRACE), X(CLONE_VFORK), X(CLONE_PARENT), X(CLONE_THREAD), X(CLONE_NEWNS),
    X(CLONE_SYSVSEM), X(CLONE_SETTLS), X(CLONE_PARENT_SETTID), X(CLONE_CHILD_CLEARTID),
    X(CLONE_DETACHED), X(CLONE_UNTRACED), X(CLONE_CHILD_SETTID), X(CLONE_NEWCGROUP),
    X(CLONE_NEWUTS), X(CLONE_NEWIPC), X(CLONE_NEWUSER), X(CLONE_NEWPID), X(CLONE_NEWNET),
    X(CLONE_IO), X(CLONE_CLEAR_SIGHAND), X(CLONE_INTO_CGROUP), X(CLONE_NEWTIME),
};

constexpr XlatEntry kAddressFamily[] = {
    X(AF_UNSPEC), X(AF_UNIX), X(AF_INET), X(AF_AX25), X(AF_IPX), X(AF_APPLETALK),
    X(AF_NETROM), X(AF_BRIDGE), X(AF_ATMPVC), X(AF_X25), X(AF_INET6), X(AF_ROSE),
    X(AF_DECnet), X(AF_NETBEUI), X(AF_SECURITY), X(AF_KEY), X(AF_NETLINK), X(AF_PACKET),
    X(AF_ASH), X(AF_ECONET), X(AF_ATMSVC), X(AF_RDS), X(AF_SNA), X(AF_IRDA), X(AF_PPPOX),
    X(AF_WANPIPE), X(AF_LLC), X(AF_IB), X(AF_MPLS), X(AF_CAN), X(AF_TIPC), X(AF_BLUETOOTH),
    X(AF_IUCV), X(AF_RXRPC), X(AF_ISDN), X(AF_PHONET), X(AF_IEEE802154), X(AF_CAIF),
    X(AF_ALG), X(AF_NFC), X(AF_VSOCK), X(AF_KCM), X(AF_QIPCRTR), X(AF_SMC), X(AF_XDP),
    X(AF_LOCAL), X(AF_FILE), X(AF_ROUTE),
};

constexpr XlatEntry kSocketType[] = {
    X(SOCK_STREAM), X(SOCK_DGRAM), X(SOCK_RAW), X(SOCK_RDM), X(SOCK_SEQPACKET), X(SOCK_DCCP),
    X(SOCK_PACKET), X(SOCK_CLOEXEC), X(SOCK_NONBLOCK),
};

constexpr XlatEntry kSockFlags[] = {X(SOCK_CLOEXEC), X(SOCK_NONBLOCK)};

constexpr XlatEntry kIpProtocol[] = {
    X(IPPROTO_IP), X(IPPROTO_ICMP), X(IPPROTO_IGMP), X(IPPROTO_IPIP), X(IPPROTO_TCP),
    X(IPPROTO_EGP), X(IPPROTO_PUP), X(IPPROTO_UDP), X(IPPROTO_IDP), X(IPPROTO_TP),
    X(IPPROTO_DCCP), X(IPPROTO_IPV6), X(IPPROTO_RSVP), X(IPPROTO_GRE), X(IPPROTO_ESP),
    X(IPPROTO_AH), X(IPPROTO_ICMPV6), X(IPPROTO_MTP), X(IPPROTO_BEETPH), X(IPPROTO_ENCAP),
    X(IPPROTO_PIM), X(IPPROTO_COMP), X(IPPROTO_SCTP), X(IPPROTO_UDPLITE), X(IPPROTO_MPLS),
    X(IPPROTO_ETHERNET), X(IPPROTO_RAW), X(IPPROTO_MPTCP),
};

constexpr XlatEntry kNetlinkProtocol[] = {
    {0, "NETLINK_ROUTE"}, {1, "NETLINK_UNUSED"}, {2, "NETLINK_USERSOCK"},
    {3, "NETLINK_FIREWALL"}, {4, "NETLINK_SOCK_DIAG"}, {5, "NETLINK_NFLOG"}, {6, "NETLINK_XFRM"},
    {7, "NETLINK_SELINUX"}, {8, "NETLINK_ISCSI"}, {9, "NETLINK_AUDIT"},
    {10, "NETLINK_FIB_LOOKUP"}, {11, "NETLINK_CONNECTOR"}, {12, "NETLINK_NETFILTER"},
    {13, "NETLINK_IP6_FW"}, {14, "NETLINK_DNRTMSG"}, {15, "NETLINK_KOBJECT_UEVENT"},
    {16, "NETLINK_GENERIC"}, {18, "NETLINK_SCSITRANSPORT"}, {19, "NETLINK_ECRYPTFS"},
    {20, "NETLINK_RDMA"}, {21, "NETLINK_CRYPTO"}, {22, "NETLINK_SMC"},
};

// seccomp's filter return actions (SECCOMP_GET_ACTION_AVAIL).
constexpr XlatEntry kSeccompRetAction[] = {
    {0x80000000U, "SECCOMP_RET_KILL_PROCESS"}, {0, "SECCOMP_RET_KILL_THREAD"},
    {0x00030000U, "SECCOMP_RET_TRAP"}, {0x00050000U, "SECCOMP_RET_ERRNO"},
    {0x7fc00000U, "SECCOMP_RET_USER_NOTIF"}, {0x7ff00000U, "SECCOMP_RET_TRACE"},
    {0x7ffc0000U, "SECCOMP_RET_LOG"}, {0x7fff0000U, "SECCOMP_RET_ALLOW"},
};

// prctl(PR_GET_DUMPABLE)'s result.
constexpr XlatEntry kSuidDump[] = {
    {0, "SUID_DUMP_DISABLE"}, {1, "SUID_DUMP_USER"}, {2, "SUID_DUMP_ROOT"},
};

// The special key serial numbers (KEY_SPEC_*), negative ints.
constexpr XlatEntry kKeySpec[] = {
    {0xffffffffU, "KEY_SPEC_THREAD_KEYRING"}, {0xfffffffeU, "KEY_SPEC_PROCESS_KEYRING"},
    {0xfffffffdU, "KEY_SPEC_SESSION_KEYRING"}, {0xfffffffcU, "KEY_SPEC_USER_KEYRING"},
    {0xfffffffbU, "KEY_SPEC_USER_SESSION_KEYRING"}, {0xfffffffaU, "KEY_SPEC_GROUP_KEYRING"},
    {0xfffffff9U, "KEY_SPEC_REQKEY_AUTH_KEY"}, {0xfffffff8U, "KEY_SPEC_REQUESTOR_KEYRING"},
};

constexpr XlatEntry kMemfdSecretFlags[] = {X(O_CLOEXEC)};

// setns's nstype (strace's setns_types).
constexpr XlatEntry kSetnsTypes[] = {
    X(CLONE_NEWTIME), X(CLONE_NEWNS), X(CLONE_NEWCGROUP), X(CLONE_NEWUTS), X(CLONE_NEWIPC),
    X(CLONE_NEWUSER), X(CLONE_NEWPID), X(CLONE_NEWNET),
};

// unshare's flags, in strace's order (unshare_flags).
constexpr XlatEntry kUnshareFlags[] = {
    X(CLONE_NEWTIME), X(CLONE_VM), X(CLONE_FS), X(CLONE_FILES), X(CLONE_SIGHAND),
    X(CLONE_THREAD), X(CLONE_NEWNS), X(CLONE_SYSVSEM), X(CLONE_NEWCGROUP), X(CLONE_NEWUTS),
    X(CLONE_NEWIPC), X(CLONE_NEWUSER), X(CLONE_NEWPID), X(CLONE_NEWNET),
};

// shmget's flags (SHM_HUGETLB shares IPC_NOWAIT's value; the page size is N<<SHM_HUGE_SHIFT).
constexpr XlatEntry kShmgetFlags[] = {
    X(IPC_CREAT), X(IPC_EXCL), X(SHM_HUGETLB), X(SHM_NORESERVE),
};
constexpr XlatEntry kResourceFlags[] = {X(IPC_CREAT), X(IPC_EXCL), X(IPC_NOWAIT)};

constexpr XlatEntry kSocketLevel[] = {
    X(SOL_IP), X(SOL_SOCKET), X(SOL_TCP), {17, "SOL_UDP"}, X(SOL_IPV6), X(SOL_ICMPV6),
    {132, "SOL_SCTP"}, X(SOL_RAW), X(SOL_PACKET), X(SOL_NETLINK), X(SOL_TLS), X(SOL_ALG),
    X(SOL_XDP),
};

constexpr XlatEntry kSocketOption[] = {
    X(SO_DEBUG), X(SO_REUSEADDR), X(SO_TYPE), X(SO_ERROR), X(SO_DONTROUTE), X(SO_BROADCAST),
    X(SO_SNDBUF), X(SO_RCVBUF), X(SO_SNDBUFFORCE), X(SO_RCVBUFFORCE), X(SO_KEEPALIVE),
    X(SO_OOBINLINE), X(SO_NO_CHECK), X(SO_PRIORITY), X(SO_LINGER), X(SO_BSDCOMPAT),
    X(SO_REUSEPORT), X(SO_PASSCRED), X(SO_PEERCRED), X(SO_RCVLOWAT), X(SO_SNDLOWAT),
    X(SO_RCVTIMEO_OLD), X(SO_SNDTIMEO_OLD), X(SO_BINDTODEVICE), X(SO_ATTACH_FILTER),
    X(SO_DETACH_FILTER), X(SO_PEERNAME), X(SO_TIMESTAMP_OLD), X(SO_ACCEPTCONN),
    X(SO_PEERSEC), X(SO_PASSSEC), X(SO_MARK), X(SO_PROTOCOL), X(SO_DOMAIN), X(SO_RXQ_OVFL),
    X(SO_PEEK_OFF), X(SO_BUSY_POLL), X(SO_INCOMING_CPU), X(SO_COOKIE), X(SO_PEERGROUPS),
    X(SO_ZEROCOPY), X(SO_BINDTOIFINDEX), X(SO_TIMESTAMP_NEW), X(SO_RCVTIMEO_NEW),
    X(SO_SNDTIMEO_NEW),
};

constexpr XlatEntry kTcpOption[] = {
    X(TCP_NODELAY), X(TCP_MAXSEG), X(TCP_CORK), X(TCP_KEEPIDLE), X(TCP_KEEPINTVL),
    X(TCP_KEEPCNT), X(TCP_SYNCNT), X(TCP_LINGER2), X(TCP_DEFER_ACCEPT), X(TCP_WINDOW_CLAMP),
    X(TCP_INFO), X(TCP_QUICKACK), X(TCP_CONGESTION), X(TCP_USER_TIMEOUT), X(TCP_FASTOPEN),
};

constexpr XlatEntry kMsgFlags[] = {
    X(MSG_OOB), X(MSG_PEEK), X(MSG_DONTROUTE), X(MSG_CTRUNC), {0x10, "MSG_PROBE"}, X(MSG_TRUNC),
    X(MSG_DONTWAIT), X(MSG_EOR), X(MSG_WAITALL), X(MSG_FIN), X(MSG_SYN), X(MSG_CONFIRM),
    X(MSG_RST), X(MSG_ERRQUEUE), X(MSG_NOSIGNAL), X(MSG_MORE), X(MSG_WAITFORONE),
    {0x20000, "MSG_SENDPAGE_NOTLAST"}, X(MSG_BATCH), {0x80000, "MSG_NO_SHARED_FRAGS"},
    X(MSG_ZEROCOPY), X(MSG_FASTOPEN), X(MSG_CMSG_CLOEXEC), {0x80000000U, "MSG_CMSG_COMPAT"},
    X(MSG_PROXY),  // == MSG_PROBE, kept for policies
};

constexpr XlatEntry kShutdownHow[] = {X(SHUT_RD), X(SHUT_WR), X(SHUT_RDWR)};

constexpr XlatEntry kFcntlCmd[] = {
    X(F_DUPFD), X(F_GETFD), X(F_SETFD), X(F_GETFL), X(F_SETFL), X(F_GETLK), X(F_SETLK),
    X(F_SETLKW), X(F_SETOWN), X(F_GETOWN), X(F_SETSIG), X(F_GETSIG), X(F_SETOWN_EX),
    X(F_GETOWN_EX), X(F_OFD_GETLK), X(F_OFD_SETLK), X(F_OFD_SETLKW), X(F_SETLEASE),
    X(F_GETLEASE), X(F_NOTIFY), X(F_DUPFD_CLOEXEC), X(F_SETPIPE_SZ), X(F_GETPIPE_SZ),
    X(F_ADD_SEALS), X(F_GET_SEALS), X(F_GET_RW_HINT), X(F_SET_RW_HINT),
    X(F_GET_FILE_RW_HINT), X(F_SET_FILE_RW_HINT),
};

constexpr XlatEntry kFdFlags[] = {X(FD_CLOEXEC)};

constexpr XlatEntry kIoctlRequest[] = {
    X(TCGETS), X(TCSETS), X(TCSETSW), X(TCSETSF), X(TCGETA), X(TCSETA), X(TCSETAW),
    X(TCSETAF), X(TCSBRK), X(TCXONC), X(TCFLSH), X(TIOCEXCL), X(TIOCNXCL), X(TIOCSCTTY),
    X(TIOCGPGRP), X(TIOCSPGRP), X(TIOCOUTQ), X(TIOCSTI), X(TIOCGWINSZ), X(TIOCSWINSZ),
    X(TIOCMGET), X(TIOCMBIS), X(TIOCMBIC), X(TIOCMSET), X(TIOCGSOFTCAR), X(TIOCSSOFTCAR),
    X(FIONREAD), X(TIOCLINUX), X(TIOCCONS), X(TIOCGSERIAL), X(TIOCSSERIAL), X(TIOCPKT),
    X(FIONBIO), X(TIOCNOTTY), X(TIOCSETD), X(TIOCGETD), X(TCSBRKP), X(TIOCSBRK), X(TIOCCBRK),
    X(TIOCGSID), {0x802c542a, "TCGETS2"}, {0x402c542b, "TCSETS2"},
    {0x402c542c, "TCSETSW2"}, {0x402c542d, "TCSETSF2"}, X(TIOCGPTN),
    X(TIOCSPTLCK), X(TIOCGDEV), X(TIOCSIG), X(TIOCVHANGUP), X(TIOCGPKT), X(TIOCGPTLCK),
    X(TIOCGEXCL), X(TIOCGPTPEER), X(FIONCLEX), X(FIOCLEX), X(FIOASYNC), X(TIOCSERCONFIG),
    X(TIOCSERGWILD), X(TIOCSERSWILD), X(TIOCGLCKTRMIOS), X(TIOCSLCKTRMIOS),
    X(TIOCSERGSTRUCT), X(TIOCSERGETLSR), X(TIOCSERGETMULTI), X(TIOCSERSETMULTI),
    X(TIOCMIWAIT), X(TIOCGICOUNT), X(FIOQSIZE), X(FIGETBSZ), X(FIBMAP), X(FICLONE),
    X(FICLONERANGE), X(FIDEDUPERANGE), X(FIFREEZE), X(FITHAW), X(FITRIM),
    X(FS_IOC_GETFLAGS), X(FS_IOC_SETFLAGS), X(FS_IOC_GETVERSION), X(FS_IOC_SETVERSION),
    X(FS_IOC_FIEMAP), X(FS_IOC_FSGETXATTR), X(FS_IOC_FSSETXATTR), X(BLKGETSIZE),
    X(BLKGETSIZE64), X(BLKSSZGET), X(BLKBSZGET), X(BLKROGET), X(BLKROSET), X(BLKFLSBUF),
    X(BLKDISCARD), X(SIOCGIFCONF), X(SIOCGIFFLAGS), X(SIOCSIFFLAGS), X(SIOCGIFADDR),
    X(SIOCGIFINDEX), X(SIOCGIFNAME), X(SIOCGIFMTU), X(SIOCGIFHWADDR), X(SIOCATMARK),
    X(SIOCGSTAMP_OLD), X(SIOCGPGRP), X(SIOCSPGRP),
};

constexpr XlatEntry kPrctlOption[] = {
    X(PR_SET_PDEATHSIG), X(PR_GET_PDEATHSIG), X(PR_GET_DUMPABLE), X(PR_SET_DUMPABLE),
    X(PR_GET_UNALIGN), X(PR_SET_UNALIGN), X(PR_GET_KEEPCAPS), X(PR_SET_KEEPCAPS),
    X(PR_GET_FPEMU), X(PR_SET_FPEMU), X(PR_GET_FPEXC), X(PR_SET_FPEXC), X(PR_GET_TIMING),
    X(PR_SET_TIMING), X(PR_SET_NAME), X(PR_GET_NAME), X(PR_GET_ENDIAN), X(PR_SET_ENDIAN),
    X(PR_GET_SECCOMP), X(PR_SET_SECCOMP), X(PR_CAPBSET_READ), X(PR_CAPBSET_DROP),
    X(PR_GET_TSC), X(PR_SET_TSC), X(PR_GET_SECUREBITS), X(PR_SET_SECUREBITS),
    X(PR_SET_TIMERSLACK), X(PR_GET_TIMERSLACK), X(PR_TASK_PERF_EVENTS_DISABLE),
    X(PR_TASK_PERF_EVENTS_ENABLE), X(PR_MCE_KILL), X(PR_MCE_KILL_GET), X(PR_SET_MM),
    X(PR_SET_CHILD_SUBREAPER), X(PR_GET_CHILD_SUBREAPER), X(PR_SET_NO_NEW_PRIVS),
    X(PR_GET_NO_NEW_PRIVS), X(PR_GET_TID_ADDRESS), X(PR_SET_THP_DISABLE),
    X(PR_GET_THP_DISABLE), X(PR_MPX_ENABLE_MANAGEMENT), X(PR_MPX_DISABLE_MANAGEMENT),
    X(PR_SET_FP_MODE), X(PR_GET_FP_MODE), X(PR_CAP_AMBIENT), X(PR_SVE_SET_VL),
    X(PR_SVE_GET_VL), X(PR_GET_SPECULATION_CTRL), X(PR_SET_SPECULATION_CTRL),
    X(PR_PAC_RESET_KEYS), X(PR_SET_TAGGED_ADDR_CTRL), X(PR_GET_TAGGED_ADDR_CTRL),
    X(PR_SET_IO_FLUSHER), X(PR_GET_IO_FLUSHER), X(PR_SET_SYSCALL_USER_DISPATCH),
    X(PR_PAC_SET_ENABLED_KEYS), X(PR_PAC_GET_ENABLED_KEYS), X(PR_SCHED_CORE),
    {65, "PR_SET_MDWE"}, {66, "PR_GET_MDWE"}, X(PR_SET_VMA),
};

constexpr XlatEntry kArchPrctlCode[] = {
    X(ARCH_SET_GS), X(ARCH_SET_FS), X(ARCH_GET_FS), X(ARCH_GET_GS), X(ARCH_GET_CPUID),
    X(ARCH_SET_CPUID), X(ARCH_GET_XCOMP_SUPP), X(ARCH_GET_XCOMP_PERM),
    X(ARCH_REQ_XCOMP_PERM), X(ARCH_GET_XCOMP_GUEST_PERM), X(ARCH_REQ_XCOMP_GUEST_PERM),
    X(ARCH_MAP_VDSO_X32), X(ARCH_MAP_VDSO_32), X(ARCH_MAP_VDSO_64),
};

constexpr XlatEntry kFutexOp[] = {
    X(FUTEX_WAIT), X(FUTEX_WAKE), X(FUTEX_FD), X(FUTEX_REQUEUE), X(FUTEX_CMP_REQUEUE),
    X(FUTEX_WAKE_OP), X(FUTEX_LOCK_PI), X(FUTEX_UNLOCK_PI), X(FUTEX_TRYLOCK_PI),
    X(FUTEX_WAIT_BITSET), X(FUTEX_WAKE_BITSET), X(FUTEX_WAIT_REQUEUE_PI),
    X(FUTEX_CMP_REQUEUE_PI), X(FUTEX_LOCK_PI2),
    X(FUTEX_WAIT_PRIVATE), X(FUTEX_WAKE_PRIVATE), {FUTEX_FD | FUTEX_PRIVATE_FLAG,
    "FUTEX_FD_PRIVATE"}, X(FUTEX_REQUEUE_PRIVATE), X(FUTEX_CMP_REQUEUE_PRIVATE),
    X(FUTEX_WAKE_OP_PRIVATE), X(FUTEX_LOCK_PI_PRIVATE), X(FUTEX_UNLOCK_PI_PRIVATE),
    X(FUTEX_TRYLOCK_PI_PRIVATE), X(FUTEX_WAIT_BITSET_PRIVATE), X(FUTEX_WAKE_BITSET_PRIVATE),
    X(FUTEX_WAIT_REQUEUE_PI_PRIVATE), X(FUTEX_CMP_REQUEUE_PI_PRIVATE),
    X(FUTEX_LOCK_PI2_PRIVATE), X(FUTEX_PRIVATE_FLAG), X(FUTEX_CLOCK_REALTIME),
};

constexpr XlatEntry kSignals[] = {
    X(SIGHUP), X(SIGINT), X(SIGQUIT), X(SIGILL), X(SIGTRAP), X(SIGABRT), X(SIGBUS),
    X(SIGFPE), X(SIGKILL), X(SIGUSR1), X(SIGSEGV), X(SIGUSR2), X(SIGPIPE), X(SIGALRM),
    X(SIGTERM), X(SIGSTKFLT), X(SIGCHLD), X(SIGCONT), X(SIGSTOP), X(SIGTSTP), X(SIGTTIN),
    X(SIGTTOU), X(SIGURG), X(SIGXCPU), X(SIGXFSZ), X(SIGVTALRM), X(SIGPROF), X(SIGWINCH),
    X(SIGIO), X(SIGPWR), X(SIGSYS), {32, "SIGRTMIN"}, X(SIGIOT), X(SIGPOLL), X(SIGCLD),
};

constexpr XlatEntry kSigprocmaskHow[] = {X(SIG_BLOCK), X(SIG_UNBLOCK), X(SIG_SETMASK)};

constexpr XlatEntry kWaitOptions[] = {
    X(WNOHANG), X(WEXITED), X(WSTOPPED), X(WCONTINUED), X(WNOWAIT), X(__WCLONE), X(__WALL),
    X(__WNOTHREAD), X(WUNTRACED),  // == WSTOPPED, kept for policies
};

constexpr XlatEntry kWaitidWhich[] = {X(P_ALL), X(P_PID), X(P_PGID), X(P_PIDFD)};

constexpr XlatEntry kRlimitResource[] = {
    X(RLIMIT_CPU), X(RLIMIT_FSIZE), X(RLIMIT_DATA), X(RLIMIT_STACK), X(RLIMIT_CORE),
    X(RLIMIT_RSS), X(RLIMIT_NPROC), X(RLIMIT_NOFILE), X(RLIMIT_MEMLOCK), X(RLIMIT_AS),
    X(RLIMIT_LOCKS), X(RLIMIT_SIGPENDING), X(RLIMIT_MSGQUEUE), X(RLIMIT_NICE),
    X(RLIMIT_RTPRIO), X(RLIMIT_RTTIME),
};

constexpr XlatEntry kRusageWho[] = {X(RUSAGE_SELF), X(RUSAGE_CHILDREN), X(RUSAGE_THREAD)};

constexpr XlatEntry kPriorityWhich[] = {X(PRIO_PROCESS), X(PRIO_PGRP), X(PRIO_USER)};

constexpr XlatEntry kClockId[] = {
    X(CLOCK_REALTIME), X(CLOCK_MONOTONIC), X(CLOCK_PROCESS_CPUTIME_ID),
    X(CLOCK_THREAD_CPUTIME_ID), X(CLOCK_MONOTONIC_RAW), X(CLOCK_REALTIME_COARSE),
    X(CLOCK_MONOTONIC_COARSE), X(CLOCK_BOOTTIME), X(CLOCK_REALTIME_ALARM),
    X(CLOCK_BOOTTIME_ALARM), X(CLOCK_TAI),
};

constexpr XlatEntry kTimerFlags[] = {X(TIMER_ABSTIME)};

constexpr XlatEntry kPollEvents[] = {
    X(POLLIN), X(POLLPRI), X(POLLOUT), X(POLLERR), X(POLLHUP), X(POLLNVAL), X(POLLRDNORM),
    X(POLLRDBAND), X(POLLWRNORM), X(POLLWRBAND), X(POLLMSG), X(POLLRDHUP),
};

constexpr XlatEntry kEpollCtlOp[] = {X(EPOLL_CTL_ADD), X(EPOLL_CTL_DEL), X(EPOLL_CTL_MOD)};

constexpr XlatEntry kEpollEvents[] = {
    X(EPOLLIN), X(EPOLLPRI), X(EPOLLOUT), X(EPOLLERR), X(EPOLLHUP), {0x20, "EPOLLNVAL"},
    X(EPOLLRDNORM), X(EPOLLRDBAND), X(EPOLLWRNORM), X(EPOLLWRBAND), X(EPOLLMSG),
    X(EPOLLRDHUP), X(EPOLLEXCLUSIVE), X(EPOLLWAKEUP), X(EPOLLONESHOT), X(EPOLLET),
};

constexpr XlatEntry kEpollCreateFlags[] = {X(EPOLL_CLOEXEC)};

constexpr XlatEntry kLseekWhence[] = {
    X(SEEK_SET), X(SEEK_CUR), X(SEEK_END), X(SEEK_DATA), X(SEEK_HOLE),
};

constexpr XlatEntry kSeccompOp[] = {
    X(SECCOMP_SET_MODE_STRICT), X(SECCOMP_SET_MODE_FILTER), X(SECCOMP_GET_ACTION_AVAIL),
    X(SECCOMP_GET_NOTIF_SIZES),
};

constexpr XlatEntry kSeccompFlags[] = {
    X(SECCOMP_FILTER_FLAG_TSYNC), X(SECCOMP_FILTER_FLAG_LOG),
    X(SECCOMP_FILTER_FLAG_SPEC_ALLOW), X(SECCOMP_FILTER_FLAG_NEW_LISTENER),
    X(SECCOMP_FILTER_FLAG_TSYNC_ESRCH), X(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV),
};

constexpr XlatEntry kSeccompMode[] = {
    X(SECCOMP_MODE_DISABLED), X(SECCOMP_MODE_STRICT), X(SECCOMP_MODE_FILTER),
};

constexpr XlatEntry kMountFlags[] = {
    X(MS_RDONLY), X(MS_NOSUID), X(MS_NODEV), X(MS_NOEXEC), X(MS_SYNCHRONOUS), X(MS_REMOUNT),
    X(MS_MANDLOCK), X(MS_DIRSYNC), X(MS_NOSYMFOLLOW), X(MS_NOATIME), X(MS_NODIRATIME),
    X(MS_BIND), X(MS_MOVE), X(MS_REC), X(MS_SILENT), X(MS_POSIXACL), X(MS_UNBINDABLE),
    X(MS_PRIVATE), X(MS_SLAVE), X(MS_SHARED), X(MS_RELATIME), X(MS_KERNMOUNT),
    X(MS_I_VERSION), X(MS_STRICTATIME), X(MS_LAZYTIME), {1U << 26, "MS_SUBMOUNT"},
    {1U << 27, "MS_NOREMOTELOCK"}, {1U << 28, "MS_NOSEC"}, {1U << 29, "MS_BORN"}, X(MS_ACTIVE),
    {1U << 31, "MS_NOUSER"},
    {0xC0ED0000, "MS_MGC_VAL"},
};

constexpr XlatEntry kUmountFlags[] = {
    X(MNT_FORCE), X(MNT_DETACH), X(MNT_EXPIRE), X(UMOUNT_NOFOLLOW),
};

constexpr XlatEntry kRenameFlags[] = {X(RENAME_NOREPLACE), X(RENAME_EXCHANGE), X(RENAME_WHITEOUT)};

constexpr XlatEntry kStatxMask[] = {
    X(STATX_ALL), X(STATX_BASIC_STATS), X(STATX_TYPE), X(STATX_MODE), X(STATX_NLINK), X(STATX_UID),
    X(STATX_GID), X(STATX_ATIME), X(STATX_MTIME), X(STATX_CTIME), X(STATX_INO),
    X(STATX_SIZE), X(STATX_BLOCKS), X(STATX_BTIME), X(STATX_MNT_ID), X(STATX_DIOALIGN),
};

constexpr XlatEntry kGetrandomFlags[] = {X(GRND_NONBLOCK), X(GRND_RANDOM), X(GRND_INSECURE)};

constexpr XlatEntry kMemfdFlags[] = {
    X(MFD_CLOEXEC), X(MFD_ALLOW_SEALING), X(MFD_HUGETLB),
    {0x8, "MFD_NOEXEC_SEAL"}, {0x10, "MFD_EXEC"},
};

constexpr XlatEntry kEventfdFlags[] = {X(EFD_SEMAPHORE), X(EFD_CLOEXEC), X(EFD_NONBLOCK)};

constexpr XlatEntry kTimerfdFlags[] = {
    X(TFD_TIMER_ABSTIME), X(TFD_TIMER_CANCEL_ON_SET), X(TFD_CLOEXEC), X(TFD_NONBLOCK),
};

constexpr XlatEntry kSignalfdFlags[] = {X(SFD_CLOEXEC), X(SFD_NONBLOCK)};

constexpr XlatEntry kInotifyMask[] = {
    X(IN_ACCESS), X(IN_MODIFY), X(IN_ATTRIB), X(IN_CLOSE_WRITE), X(IN_CLOSE_NOWRITE),
    X(IN_OPEN), X(IN_MOVED_FROM), X(IN_MOVED_TO), X(IN_CREATE), X(IN_DELETE),
    X(IN_DELETE_SELF), X(IN_MOVE_SELF), X(IN_UNMOUNT), X(IN_Q_OVERFLOW), X(IN_IGNORED),
    X(IN_ONLYDIR), X(IN_DONT_FOLLOW), X(IN_EXCL_UNLINK), X(IN_MASK_CREATE), X(IN_MASK_ADD),
    X(IN_ISDIR), X(IN_ONESHOT), X(IN_CLOSE), X(IN_MOVE), X(IN_ALL_EVENTS),
};

constexpr XlatEntry kInotifyInitFlags[] = {X(IN_NONBLOCK), X(IN_CLOEXEC)};

// pipe2 and dup3: strace prints them with its open_mode_flags (the open flags without the
// access mode), whatever the call accepts.
constexpr XlatEntry kPipeFlags[] = {
    X(O_CREAT), X(O_EXCL), X(O_NOCTTY), X(O_TRUNC), X(O_APPEND), X(O_NONBLOCK),
    X(O_SYNC), {04000000, "__O_SYNC"}, X(O_DSYNC), X(O_DIRECT), {kOLargefile, "O_LARGEFILE"},
    X(O_NOFOLLOW), X(O_NOATIME), X(O_CLOEXEC), X(O_PATH), X(O_TMPFILE),
    {__O_TMPFILE, "__O_TMPFILE"}, X(O_DIRECTORY), X(FASYNC),
    {O_EXCL, "O_NOTIFICATION_PIPE"},  // == O_EXCL, kept for policies
};

constexpr XlatEntry kSpliceFlags[] = {
    X(SPLICE_F_MOVE), X(SPLICE_F_NONBLOCK), X(SPLICE_F_MORE), X(SPLICE_F_GIFT),
};

constexpr XlatEntry kRwfFlags[] = {
    X(RWF_HIPRI), X(RWF_DSYNC), X(RWF_SYNC), X(RWF_NOWAIT), X(RWF_APPEND),
};

constexpr XlatEntry kSyncFileRangeFlags[] = {
    X(SYNC_FILE_RANGE_WAIT_BEFORE), X(SYNC_FILE_RANGE_WRITE), X(SYNC_FILE_RANGE_WAIT_AFTER),
};

constexpr XlatEntry kItimerWhich[] = {X(ITIMER_REAL), X(ITIMER_VIRTUAL), X(ITIMER_PROF)};

constexpr XlatEntry kSchedPolicy[] = {
    X(SCHED_OTHER), X(SCHED_FIFO), X(SCHED_RR), X(SCHED_BATCH), X(SCHED_ISO), X(SCHED_IDLE),
    X(SCHED_DEADLINE), X(SCHED_RESET_ON_FORK),
};

constexpr XlatEntry kXattrFlags[] = {X(XATTR_CREATE), X(XATTR_REPLACE)};

constexpr XlatEntry kPersonality[] = {
    X(PER_LINUX), X(PER_LINUX_32BIT), X(PER_SVR4), X(PER_SVR3), X(PER_SCOSVR3), X(PER_OSR5),
    X(PER_WYSEV386), X(PER_ISCR4), X(PER_BSD), X(PER_SUNOS), X(PER_XENIX), X(PER_LINUX32),
    X(PER_LINUX32_3GB), X(PER_IRIX32), X(PER_IRIXN32), X(PER_IRIX64), X(PER_RISCOS),
    X(PER_SOLARIS), X(PER_UW7), X(PER_OSF4), X(PER_HPUX),
    X(UNAME26), X(ADDR_NO_RANDOMIZE), X(FDPIC_FUNCPTRS), X(MMAP_PAGE_ZERO),
    X(ADDR_COMPAT_LAYOUT), X(READ_IMPLIES_EXEC), X(ADDR_LIMIT_32BIT), X(SHORT_INODE),
    X(WHOLE_SECONDS), X(STICKY_TIMEOUTS), X(ADDR_LIMIT_3GB),
};

constexpr XlatEntry kFallocateMode[] = {
    X(FALLOC_FL_KEEP_SIZE), X(FALLOC_FL_PUNCH_HOLE), X(FALLOC_FL_NO_HIDE_STALE),
    X(FALLOC_FL_COLLAPSE_RANGE), X(FALLOC_FL_ZERO_RANGE), X(FALLOC_FL_INSERT_RANGE),
    X(FALLOC_FL_UNSHARE_RANGE),
};

constexpr XlatEntry kFadviseAdvice[] = {
    X(POSIX_FADV_NORMAL), X(POSIX_FADV_RANDOM), X(POSIX_FADV_SEQUENTIAL),
    X(POSIX_FADV_WILLNEED), X(POSIX_FADV_DONTNEED), X(POSIX_FADV_NOREUSE),
};

constexpr XlatEntry kLockOp[] = {
    X(LOCK_SH), X(LOCK_EX), X(LOCK_NB), X(LOCK_UN), X(LOCK_MAND), {0xc0, "LOCK_RW"},
    {0x40, "LOCK_READ"}, {0x80, "LOCK_WRITE"},
};

constexpr XlatEntry kMlockFlags[] = {X(MLOCK_ONFAULT)};

constexpr XlatEntry kMlockallFlags[] = {X(MCL_CURRENT), X(MCL_FUTURE), X(MCL_ONFAULT)};

constexpr XlatEntry kMsyncFlags[] = {X(MS_SYNC), X(MS_ASYNC), X(MS_INVALIDATE)};

constexpr XlatEntry kKeyctlCmd[] = {
    X(KEYCTL_GET_KEYRING_ID), X(KEYCTL_JOIN_SESSION_KEYRING), X(KEYCTL_UPDATE),
    X(KEYCTL_REVOKE), X(KEYCTL_CHOWN), X(KEYCTL_SETPERM), X(KEYCTL_DESCRIBE), X(KEYCTL_CLEAR),
    X(KEYCTL_LINK), X(KEYCTL_UNLINK), X(KEYCTL_SEARCH), X(KEYCTL_READ), X(KEYCTL_INSTANTIATE),
    X(KEYCTL_NEGATE), X(KEYCTL_SET_REQKEY_KEYRING), X(KEYCTL_SET_TIMEOUT),
    X(KEYCTL_ASSUME_AUTHORITY), X(KEYCTL_GET_SECURITY), X(KEYCTL_SESSION_TO_PARENT),
    X(KEYCTL_REJECT), X(KEYCTL_INSTANTIATE_IOV), X(KEYCTL_INVALIDATE), X(KEYCTL_GET_PERSISTENT),
    X(KEYCTL_DH_COMPUTE), X(KEYCTL_PKEY_QUERY), X(KEYCTL_PKEY_ENCRYPT), X(KEYCTL_PKEY_DECRYPT),
    X(KEYCTL_PKEY_SIGN), X(KEYCTL_PKEY_VERIFY), X(KEYCTL_RESTRICT_KEYRING), X(KEYCTL_MOVE),
    X(KEYCTL_CAPABILITIES), X(KEYCTL_WATCH_KEY),
};

constexpr XlatEntry kBpfCmd[] = {
    X(BPF_MAP_CREATE), X(BPF_MAP_LOOKUP_ELEM), X(BPF_MAP_UPDATE_ELEM), X(BPF_MAP_DELETE_ELEM),
    X(BPF_MAP_GET_NEXT_KEY), X(BPF_PROG_LOAD), X(BPF_OBJ_PIN), X(BPF_OBJ_GET),
    X(BPF_PROG_ATTACH), X(BPF_PROG_DETACH), X(BPF_PROG_TEST_RUN), X(BPF_PROG_GET_NEXT_ID),
    X(BPF_MAP_GET_NEXT_ID), X(BPF_PROG_GET_FD_BY_ID), X(BPF_MAP_GET_FD_BY_ID),
    X(BPF_OBJ_GET_INFO_BY_FD), X(BPF_PROG_QUERY), X(BPF_RAW_TRACEPOINT_OPEN),
    X(BPF_BTF_LOAD), X(BPF_BTF_GET_FD_BY_ID), X(BPF_TASK_FD_QUERY),
    X(BPF_MAP_LOOKUP_AND_DELETE_ELEM), X(BPF_MAP_FREEZE), X(BPF_BTF_GET_NEXT_ID),
    X(BPF_MAP_LOOKUP_BATCH), X(BPF_MAP_LOOKUP_AND_DELETE_BATCH), X(BPF_MAP_UPDATE_BATCH),
    X(BPF_MAP_DELETE_BATCH), X(BPF_LINK_CREATE), X(BPF_LINK_UPDATE),
    X(BPF_LINK_GET_FD_BY_ID), X(BPF_LINK_GET_NEXT_ID), X(BPF_ENABLE_STATS), X(BPF_ITER_CREATE),
    X(BPF_LINK_DETACH), X(BPF_PROG_BIND_MAP),
};

constexpr XlatEntry kIoUringEnterFlags[] = {
    X(IORING_ENTER_GETEVENTS), X(IORING_ENTER_SQ_WAKEUP), X(IORING_ENTER_SQ_WAIT),
    X(IORING_ENTER_EXT_ARG), X(IORING_ENTER_REGISTERED_RING),
};

constexpr XlatEntry kIoUringRegisterOp[] = {
    X(IORING_REGISTER_BUFFERS), X(IORING_UNREGISTER_BUFFERS), X(IORING_REGISTER_FILES),
    X(IORING_UNREGISTER_FILES), X(IORING_REGISTER_EVENTFD), X(IORING_UNREGISTER_EVENTFD),
    X(IORING_REGISTER_FILES_UPDATE), X(IORING_REGISTER_EVENTFD_ASYNC),
    X(IORING_REGISTER_PROBE), X(IORING_REGISTER_PERSONALITY),
    X(IORING_UNREGISTER_PERSONALITY), X(IORING_REGISTER_RESTRICTIONS),
    X(IORING_REGISTER_ENABLE_RINGS), X(IORING_REGISTER_FILES2),
    X(IORING_REGISTER_FILES_UPDATE2), X(IORING_REGISTER_BUFFERS2),
    X(IORING_REGISTER_BUFFERS_UPDATE), X(IORING_REGISTER_IOWQ_AFF),
    X(IORING_UNREGISTER_IOWQ_AFF), X(IORING_REGISTER_IOWQ_MAX_WORKERS),
    X(IORING_REGISTER_RING_FDS), X(IORING_UNREGISTER_RING_FDS),
    X(IORING_REGISTER_PBUF_RING), X(IORING_UNREGISTER_PBUF_RING),
    X(IORING_REGISTER_SYNC_CANCEL), X(IORING_REGISTER_FILE_ALLOC_RANGE),
};

constexpr XlatEntry kCloseRangeFlags[] = {X(CLOSE_RANGE_UNSHARE), X(CLOSE_RANGE_CLOEXEC)};

constexpr XlatEntry kPidfdFlags[] = {{O_NONBLOCK, "PIDFD_NONBLOCK"}};

constexpr XlatEntry kPtraceRequest[] = {
    X(PTRACE_TRACEME), X(PTRACE_PEEKTEXT), X(PTRACE_PEEKDATA), X(PTRACE_PEEKUSR),
    X(PTRACE_POKETEXT), X(PTRACE_POKEDATA), X(PTRACE_POKEUSR), X(PTRACE_CONT),
    X(PTRACE_KILL), X(PTRACE_SINGLESTEP), X(PTRACE_GETREGS), X(PTRACE_SETREGS),
    X(PTRACE_GETFPREGS), X(PTRACE_SETFPREGS), X(PTRACE_ATTACH), X(PTRACE_DETACH),
    X(PTRACE_GETFPXREGS), X(PTRACE_SETFPXREGS), X(PTRACE_SYSCALL), X(PTRACE_GET_THREAD_AREA),
    X(PTRACE_SET_THREAD_AREA), X(PTRACE_ARCH_PRCTL), X(PTRACE_SYSEMU),
    X(PTRACE_SYSEMU_SINGLESTEP), X(PTRACE_SINGLEBLOCK), X(PTRACE_SETOPTIONS),
    X(PTRACE_GETEVENTMSG), X(PTRACE_GETSIGINFO), X(PTRACE_SETSIGINFO), X(PTRACE_GETREGSET),
    X(PTRACE_SETREGSET), X(PTRACE_SEIZE), X(PTRACE_INTERRUPT), X(PTRACE_LISTEN),
    X(PTRACE_PEEKSIGINFO), X(PTRACE_GETSIGMASK), X(PTRACE_SETSIGMASK),
    X(PTRACE_SECCOMP_GET_FILTER), X(PTRACE_SECCOMP_GET_METADATA), X(PTRACE_GET_SYSCALL_INFO),
    X(PTRACE_GET_RSEQ_CONFIGURATION),
};

constexpr XlatEntry kIpcCmd[] = {
    X(IPC_RMID), X(IPC_SET), X(IPC_STAT), X(IPC_INFO), X(SHM_LOCK), X(SHM_UNLOCK),
    X(SHM_STAT), X(SHM_INFO), X(SHM_STAT_ANY), X(MSG_STAT), X(MSG_INFO), X(MSG_STAT_ANY),
    X(GETPID), X(GETVAL), X(GETALL), X(GETNCNT), X(GETZCNT), X(SETVAL), X(SETALL),
    X(SEM_STAT), X(SEM_INFO), X(SEM_STAT_ANY),
};

constexpr XlatEntry kIpcFlags[] = {
    X(IPC_CREAT), X(IPC_EXCL), X(IPC_NOWAIT), X(SHM_HUGETLB), X(SHM_NORESERVE),
};

constexpr XlatEntry kShmatFlags[] = {X(SHM_RDONLY), X(SHM_RND), X(SHM_REMAP), X(SHM_EXEC)};

constexpr XlatEntry kMsgrcvFlags[] = {X(MSG_NOERROR), X(MSG_EXCEPT), X(MSG_COPY), X(IPC_NOWAIT)};

constexpr XlatEntry kMembarrierCmd[] = {
    X(MEMBARRIER_CMD_QUERY), X(MEMBARRIER_CMD_GLOBAL), X(MEMBARRIER_CMD_GLOBAL_EXPEDITED),
    X(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED), X(MEMBARRIER_CMD_PRIVATE_EXPEDITED),
    X(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED), X(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE),
    X(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE),
    X(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ),
    X(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ),
    {1 << 9, "MEMBARRIER_CMD_GET_REGISTRATIONS"},
};

constexpr XlatEntry kMempolicyMode[] = {
    X(MPOL_DEFAULT), X(MPOL_PREFERRED), X(MPOL_BIND), X(MPOL_INTERLEAVE), X(MPOL_LOCAL),
    X(MPOL_PREFERRED_MANY), {6, "MPOL_WEIGHTED_INTERLEAVE"},
};

constexpr XlatEntry kRebootCmd[] = {
    X(LINUX_REBOOT_CMD_RESTART), X(LINUX_REBOOT_CMD_HALT), X(LINUX_REBOOT_CMD_CAD_ON),
    X(LINUX_REBOOT_CMD_CAD_OFF), X(LINUX_REBOOT_CMD_POWER_OFF), X(LINUX_REBOOT_CMD_RESTART2),
    X(LINUX_REBOOT_CMD_SW_SUSPEND), X(LINUX_REBOOT_CMD_KEXEC),
};

constexpr XlatEntry kRebootMagic[] = {
    X(LINUX_REBOOT_MAGIC1), X(LINUX_REBOOT_MAGIC2), X(LINUX_REBOOT_MAGIC2A),
    X(LINUX_REBOOT_MAGIC2B), X(LINUX_REBOOT_MAGIC2C),
};

// The priority (SWAP_FLAG_PRIO_MASK) is printed in decimal after the flags (swapon's hook).
constexpr XlatEntry kSwapFlags[] = {
    X(SWAP_FLAG_PREFER), X(SWAP_FLAG_DISCARD), {0x20000, "SWAP_FLAG_DISCARD_ONCE"},
    {0x40000, "SWAP_FLAG_DISCARD_PAGES"},
};

constexpr XlatEntry kFsopenFlags[] = {X(FSOPEN_CLOEXEC)};
constexpr XlatEntry kFsmountFlags[] = {X(FSMOUNT_CLOEXEC)};
constexpr XlatEntry kFspickFlags[] = {
    X(FSPICK_CLOEXEC), X(FSPICK_SYMLINK_NOFOLLOW), X(FSPICK_NO_AUTOMOUNT), X(FSPICK_EMPTY_PATH),
};
constexpr XlatEntry kFsconfigCmd[] = {
    X(FSCONFIG_SET_FLAG), X(FSCONFIG_SET_STRING), X(FSCONFIG_SET_BINARY), X(FSCONFIG_SET_PATH),
    X(FSCONFIG_SET_PATH_EMPTY), X(FSCONFIG_SET_FD), X(FSCONFIG_CMD_CREATE),
    X(FSCONFIG_CMD_RECONFIGURE),
};
constexpr XlatEntry kOpenTreeFlags[] = {
    X(OPEN_TREE_CLONE), X(OPEN_TREE_CLOEXEC), X(AT_SYMLINK_NOFOLLOW), X(AT_REMOVEDIR),
    X(AT_SYMLINK_FOLLOW), X(AT_NO_AUTOMOUNT), X(AT_EMPTY_PATH), X(AT_RECURSIVE),
};
constexpr XlatEntry kMoveMountFlags[] = {
    X(MOVE_MOUNT_F_SYMLINKS), X(MOVE_MOUNT_F_AUTOMOUNTS), X(MOVE_MOUNT_F_EMPTY_PATH),
    X(MOVE_MOUNT_T_SYMLINKS), X(MOVE_MOUNT_T_AUTOMOUNTS), X(MOVE_MOUNT_T_EMPTY_PATH),
    X(MOVE_MOUNT_SET_GROUP),
};
constexpr XlatEntry kMountAttrFlags[] = {
    X(MOUNT_ATTR_RDONLY), X(MOUNT_ATTR_NOSUID), X(MOUNT_ATTR_NODEV), X(MOUNT_ATTR_NOEXEC),
    X(MOUNT_ATTR_RELATIME), X(MOUNT_ATTR_NOATIME), X(MOUNT_ATTR_STRICTATIME),
    X(MOUNT_ATTR_NODIRATIME), X(MOUNT_ATTR_IDMAP), X(MOUNT_ATTR_NOSYMFOLLOW),
};

// LANDLOCK_CREATE_RULESET_ERRATA (Linux 6.15) is left out: strace 6.1 prints it as hex, and
// it_decode_fidelity_test's dc_flags compares all bits set with strace 6.1.
constexpr XlatEntry kLandlockCreateFlags[] = {X(LANDLOCK_CREATE_RULESET_VERSION)};
constexpr XlatEntry kLandlockRuleType[] = {X(LANDLOCK_RULE_PATH_BENEATH),
                                           {2, "LANDLOCK_RULE_NET_PORT"}};
// strace's landlock_ruleset_access_fs, _net and landlock_scope_flags (values: Linux 6.18's).
constexpr XlatEntry kLandlockAccessFs[] = {
    {1ULL << 0, "LANDLOCK_ACCESS_FS_EXECUTE"},      {1ULL << 1, "LANDLOCK_ACCESS_FS_WRITE_FILE"},
    {1ULL << 2, "LANDLOCK_ACCESS_FS_READ_FILE"},    {1ULL << 3, "LANDLOCK_ACCESS_FS_READ_DIR"},
    {1ULL << 4, "LANDLOCK_ACCESS_FS_REMOVE_DIR"},   {1ULL << 5, "LANDLOCK_ACCESS_FS_REMOVE_FILE"},
    {1ULL << 6, "LANDLOCK_ACCESS_FS_MAKE_CHAR"},    {1ULL << 7, "LANDLOCK_ACCESS_FS_MAKE_DIR"},
    {1ULL << 8, "LANDLOCK_ACCESS_FS_MAKE_REG"},     {1ULL << 9, "LANDLOCK_ACCESS_FS_MAKE_SOCK"},
    {1ULL << 10, "LANDLOCK_ACCESS_FS_MAKE_FIFO"},   {1ULL << 11, "LANDLOCK_ACCESS_FS_MAKE_BLOCK"},
    {1ULL << 12, "LANDLOCK_ACCESS_FS_MAKE_SYM"},    {1ULL << 13, "LANDLOCK_ACCESS_FS_REFER"},
    {1ULL << 14, "LANDLOCK_ACCESS_FS_TRUNCATE"},    {1ULL << 15, "LANDLOCK_ACCESS_FS_IOCTL_DEV"},
};
constexpr XlatEntry kLandlockAccessNet[] = {
    {1ULL << 0, "LANDLOCK_ACCESS_NET_BIND_TCP"}, {1ULL << 1, "LANDLOCK_ACCESS_NET_CONNECT_TCP"},
};
constexpr XlatEntry kLandlockScope[] = {
    {1ULL << 0, "LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET"}, {1ULL << 1, "LANDLOCK_SCOPE_SIGNAL"},
};
constexpr XlatEntry kSigevNotify[] = {
    {0, "SIGEV_SIGNAL"}, {1, "SIGEV_NONE"}, {2, "SIGEV_THREAD"}, {4, "SIGEV_THREAD_ID"},
};

constexpr XlatEntry kSigaltstackFlags[] = {
    X(SS_ONSTACK), X(SS_DISABLE), {1U << 31, "SS_AUTODISARM"},
};

constexpr XlatEntry kSaFlags[] = {
    X(SA_NOCLDSTOP), X(SA_NOCLDWAIT), X(SA_SIGINFO), {0x04000000, "SA_RESTORER"},
    X(SA_ONSTACK), X(SA_RESTART), X(SA_NODEFER), X(SA_RESETHAND),
};

constexpr XlatEntry kModeType[] = {
    X(S_IFSOCK), X(S_IFLNK), X(S_IFREG), X(S_IFBLK), X(S_IFDIR), X(S_IFCHR), X(S_IFIFO),
    X(S_ISUID), X(S_ISGID), X(S_ISVTX),
};

constexpr XlatEntry kKcmpType[] = {
    {0, "KCMP_FILE"}, {1, "KCMP_VM"}, {2, "KCMP_FILES"}, {3, "KCMP_FS"}, {4, "KCMP_SIGHAND"},
    {5, "KCMP_IO"}, {6, "KCMP_SYSVSEM"}, {7, "KCMP_EPOLL_TFD"},
};

constexpr XlatEntry kSyslogAction[] = {
    {0, "SYSLOG_ACTION_CLOSE"}, {1, "SYSLOG_ACTION_OPEN"}, {2, "SYSLOG_ACTION_READ"},
    {3, "SYSLOG_ACTION_READ_ALL"}, {4, "SYSLOG_ACTION_READ_CLEAR"}, {5, "SYSLOG_ACTION_CLEAR"},
    {6, "SYSLOG_ACTION_CONSOLE_OFF"}, {7, "SYSLOG_ACTION_CONSOLE_ON"},
    {8, "SYSLOG_ACTION_CONSOLE_LEVEL"}, {9, "SYSLOG_ACTION_SIZE_UNREAD"},
    {10, "SYSLOG_ACTION_SIZE_BUFFER"},
};

constexpr XlatEntry kIoprioWhich[] = {
    {1, "IOPRIO_WHO_PROCESS"}, {2, "IOPRIO_WHO_PGRP"}, {3, "IOPRIO_WHO_USER"},
};

constexpr XlatEntry kUffdFlags[] = {{1, "UFFD_USER_MODE_ONLY"}, X(O_NONBLOCK), X(O_CLOEXEC)};

constexpr XlatEntry kPkeyAccess[] = {
    X(PKEY_DISABLE_ACCESS), X(PKEY_DISABLE_WRITE), {0x4, "PKEY_DISABLE_EXECUTE"},
};

constexpr XlatEntry kDeleteModuleFlags[] = {X(O_NONBLOCK), X(O_TRUNC)};

constexpr XlatEntry kExecveatFlags[] = {
    X(AT_SYMLINK_NOFOLLOW), X(AT_REMOVEDIR), X(AT_SYMLINK_FOLLOW), X(AT_NO_AUTOMOUNT),
    X(AT_EMPTY_PATH), X(AT_RECURSIVE), {0x10000, "AT_EXECVE_CHECK"},
};

constexpr XlatEntry kPerfFlags[] = {
    {1UL << 0, "PERF_FLAG_FD_NO_GROUP"}, {1UL << 1, "PERF_FLAG_FD_OUTPUT"},
    {1UL << 2, "PERF_FLAG_PID_CGROUP"}, {1UL << 3, "PERF_FLAG_FD_CLOEXEC"},
};

// The class (FAN_CLASS_*, mask 0xc) is a field printed first, as strace does.
constexpr XlatEntry kFanotifyInitFlags[] = {
    {0x00000000, "FAN_CLASS_NOTIF"}, {0x00000001, "FAN_CLOEXEC"}, {0x00000002, "FAN_NONBLOCK"},
    {0x00000004, "FAN_CLASS_CONTENT"},
    {0x00000008, "FAN_CLASS_PRE_CONTENT"}, {0x00000010, "FAN_UNLIMITED_QUEUE"},
    {0x00000020, "FAN_UNLIMITED_MARKS"}, {0x00000040, "FAN_ENABLE_AUDIT"},
    {0x00000080, "FAN_REPORT_PIDFD"}, {0x00000100, "FAN_REPORT_TID"},
    {0x00000200, "FAN_REPORT_FID"}, {0x00000400, "FAN_REPORT_DIR_FID"},
    {0x00000800, "FAN_REPORT_NAME"}, {0x00001000, "FAN_REPORT_TARGET_FID"},
    {0x00002000, "FAN_REPORT_FD_ERROR"}, {0x00004000, "FAN_REPORT_MNT"},
};

// fanotify_mark's event mask (strace's fan_event_flags).
constexpr XlatEntry kFanotifyMask[] = {
    {0x00000001, "FAN_ACCESS"}, {0x00000002, "FAN_MODIFY"}, {0x00000004, "FAN_ATTRIB"},
    {0x00000008, "FAN_CLOSE_WRITE"}, {0x00000010, "FAN_CLOSE_NOWRITE"}, {0x00000020, "FAN_OPEN"},
    {0x00000040, "FAN_MOVED_FROM"}, {0x00000080, "FAN_MOVED_TO"}, {0x00000100, "FAN_CREATE"},
    {0x00000200, "FAN_DELETE"}, {0x00000400, "FAN_DELETE_SELF"}, {0x00000800, "FAN_MOVE_SELF"},
    {0x00001000, "FAN_OPEN_EXEC"}, {0x00004000, "FAN_Q_OVERFLOW"}, {0x00008000, "FAN_FS_ERROR"},
    {0x00010000, "FAN_OPEN_PERM"}, {0x00020000, "FAN_ACCESS_PERM"},
    {0x00040000, "FAN_OPEN_EXEC_PERM"}, {0x00080000, "FAN_DIR_MODIFY"},
    {0x40000000, "FAN_ONDIR"}, {0x08000000, "FAN_EVENT_ON_CHILD"}, {0x10000000, "FAN_RENAME"},
};

constexpr XlatEntry kFanotifyMarkFlags[] = {
    {0x00000001, "FAN_MARK_ADD"}, {0x00000002, "FAN_MARK_REMOVE"},
    {0x00000004, "FAN_MARK_DONT_FOLLOW"}, {0x00000008, "FAN_MARK_ONLYDIR"},
    {0x00000010, "FAN_MARK_MOUNT"}, {0x00000020, "FAN_MARK_IGNORED_MASK"},
    {0x00000040, "FAN_MARK_IGNORED_SURV_MODIFY"}, {0x00000080, "FAN_MARK_FLUSH"},
    {0x00000100, "FAN_MARK_FILESYSTEM"}, {0x00000200, "FAN_MARK_EVICTABLE"},
    {0x00000400, "FAN_MARK_IGNORE"},
};

constexpr XlatEntry kRseqFlags[] = {{1, "RSEQ_FLAG_UNREGISTER"}};

constexpr XlatEntry kKexecFlags[] = {
    {0x00000001, "KEXEC_ON_CRASH"}, {0x00000002, "KEXEC_PRESERVE_CONTEXT"},
    {0x003e0000, "KEXEC_ARCH_X86_64"}, {0x00030000, "KEXEC_ARCH_386"},
};

constexpr XlatEntry kKexecFileFlags[] = {
    {0x00000001, "KEXEC_FILE_UNLOAD"}, {0x00000002, "KEXEC_FILE_ON_CRASH"},
    {0x00000004, "KEXEC_FILE_NO_INITRAMFS"},
};

constexpr XlatEntry kModuleInitFlags[] = {
    {1, "MODULE_INIT_IGNORE_MODVERSIONS"}, {2, "MODULE_INIT_IGNORE_VERMAGIC"},
    {4, "MODULE_INIT_COMPRESSED_FILE"},
};

constexpr XlatEntry kSchedFlags[] = {
    X(SCHED_FLAG_RESET_ON_FORK), X(SCHED_FLAG_RECLAIM), X(SCHED_FLAG_DL_OVERRUN),
    X(SCHED_FLAG_KEEP_POLICY), X(SCHED_FLAG_KEEP_PARAMS), X(SCHED_FLAG_UTIL_CLAMP_MIN),
    X(SCHED_FLAG_UTIL_CLAMP_MAX),
};

constexpr XlatEntry kOpenHowResolve[] = {
    {0x01, "RESOLVE_NO_XDEV"}, {0x02, "RESOLVE_NO_MAGICLINKS"}, {0x04, "RESOLVE_NO_SYMLINKS"},
    {0x08, "RESOLVE_BENEATH"}, {0x10, "RESOLVE_IN_ROOT"}, {0x20, "RESOLVE_CACHED"},
};

constexpr XlatEntry kMqOpenFlags[] = {
    X(O_RDONLY), X(O_WRONLY), X(O_RDWR), X(O_CREAT), X(O_EXCL), X(O_NONBLOCK), X(O_CLOEXEC),
};

#undef X

constexpr Xlat kTables[] = {
    {"open_flags", kOpenFlags, true, "O_???"},
    {"at_flags", kAtFlags, true},
    {"access_mode", kAccessMode, true, "?_OK"},
    {"prot", kProt, true},
    {"mmap_flags", kMmapFlags, true},
    {"mremap_flags", kMremapFlags, true},
    {"madvise_advice", kMadviseAdvice, false},
    {"clone_flags", kCloneFlags, true},
    {"unshare_flags", kUnshareFlags, true},
    {"setns_types", kSetnsTypes, true},
    {"key_spec", kKeySpec, false},
    {"memfd_secret_flags", kMemfdSecretFlags, true, ""},
    {"shmget_flags", kShmgetFlags, true},
    {"resource_flags", kResourceFlags, true},
    {"address_family", kAddressFamily, false},
    {"socket_type", kSocketType, true},
    {"sock_flags", kSockFlags, true},
    {"ip_protocol", kIpProtocol, false},
    {"socket_level", kSocketLevel, false, "SOL_??"},
    {"socket_option", kSocketOption, false},
    {"tcp_option", kTcpOption, false},
    {"netlink_protocol", kNetlinkProtocol, false},
    {"seccomp_ret_action", kSeccompRetAction, false, "SECCOMP_RET_???"},
    {"suid_dump", kSuidDump, false},
    {"msg_flags", kMsgFlags, true},
    {"shutdown_how", kShutdownHow, false},
    {"fcntl_cmd", kFcntlCmd, false},
    {"fd_flags", kFdFlags, true},
    {"ioctl_request", kIoctlRequest, false},
    {"prctl_option", kPrctlOption, false},
    {"arch_prctl_code", kArchPrctlCode, false},
    {"futex_op", kFutexOp, false},
    {"signals", kSignals, false},
    {"sigprocmask_how", kSigprocmaskHow, false},
    {"sa_flags", kSaFlags, true},
    {"sigaltstack_flags", kSigaltstackFlags, true},
    {"wait_options", kWaitOptions, true, "W???"},
    {"waitid_which", kWaitidWhich, false},
    {"rlimit_resource", kRlimitResource, false},
    {"rusage_who", kRusageWho, false},
    {"priority_which", kPriorityWhich, false},
    {"clockid", kClockId, false},
    {"timer_flags", kTimerFlags, true},
    {"poll_events", kPollEvents, true, "POLL???"},
    {"epoll_ctl_op", kEpollCtlOp, false},
    {"epoll_events", kEpollEvents, true, "EPOLL???"},
    {"epoll_create_flags", kEpollCreateFlags, true},
    {"lseek_whence", kLseekWhence, false},
    {"seccomp_op", kSeccompOp, false},
    {"seccomp_flags", kSeccompFlags, true},
    {"seccomp_mode", kSeccompMode, false},
    {"mount_flags", kMountFlags, true},
    {"umount_flags", kUmountFlags, true, "MNT_???"},
    {"rename_flags", kRenameFlags, true},
    {"statx_mask", kStatxMask, true},
    {"statx_flags", kStatxFlags, true},
    {"getrandom_flags", kGetrandomFlags, true},
    {"memfd_flags", kMemfdFlags, true},
    {"eventfd_flags", kEventfdFlags, true},
    {"timerfd_flags", kTimerfdFlags, true},
    {"signalfd_flags", kSignalfdFlags, true},
    {"inotify_mask", kInotifyMask, true},
    {"inotify_init_flags", kInotifyInitFlags, true},
    {"pipe_flags", kPipeFlags, true, "O_???"},
    {"dup3_flags", kPipeFlags, true, "O_???"},
    {"splice_flags", kSpliceFlags, true},
    {"sync_file_range_flags", kSyncFileRangeFlags, true},
    {"rwf_flags", kRwfFlags, true},
    {"itimer_which", kItimerWhich, false},
    {"sched_policy", kSchedPolicy, false},
    {"sched_flags", kSchedFlags, true},
    {"xattr_flags", kXattrFlags, true},
    {"personality", kPersonality, true},
    {"fallocate_mode", kFallocateMode, true},
    {"fadvise_advice", kFadviseAdvice, false},
    {"lock_op", kLockOp, true},
    {"mlock_flags", kMlockFlags, true},
    {"mlockall_flags", kMlockallFlags, true},
    {"msync_flags", kMsyncFlags, true},
    {"keyctl_cmd", kKeyctlCmd, false},
    {"bpf_cmd", kBpfCmd, false},
    {"io_uring_enter_flags", kIoUringEnterFlags, true},
    {"io_uring_register_op", kIoUringRegisterOp, false, "IORING_REGISTER_???"},
    {"close_range_flags", kCloseRangeFlags, true},
    {"pidfd_flags", kPidfdFlags, true},
    {"ptrace_request", kPtraceRequest, false},
    {"ipc_cmd", kIpcCmd, false, "IPC_???"},
    {"ipc_flags", kIpcFlags, true},
    {"shmat_flags", kShmatFlags, true},
    {"msgrcv_flags", kMsgrcvFlags, true, "MSG_???"},
    {"membarrier_cmd", kMembarrierCmd, false},
    {"mempolicy_mode", kMempolicyMode, false},
    {"reboot_cmd", kRebootCmd, false},
    {"reboot_magic", kRebootMagic, false, "LINUX_REBOOT_MAGIC_???"},
    {"swap_flags", kSwapFlags, true},
    {"fsopen_flags", kFsopenFlags, true},
    {"fsmount_flags", kFsmountFlags, true},
    {"fspick_flags", kFspickFlags, true},
    {"fsconfig_cmd", kFsconfigCmd, false},
    {"open_tree_flags", kOpenTreeFlags, true, "OPEN_TREE_???"},
    {"move_mount_flags", kMoveMountFlags, true},
    {"mount_attr_flags", kMountAttrFlags, true},
    {"landlock_create_flags", kLandlockCreateFlags, true},
    {"landlock_access_fs", kLandlockAccessFs, true, "LANDLOCK_ACCESS_FS_???"},
    {"landlock_access_net", kLandlockAccessNet, true, "LANDLOCK_ACCESS_NET_???"},
    {"landlock_scope", kLandlockScope, true, "LANDLOCK_SCOPE_???"},
    {"sigev_notify", kSigevNotify, false, "SIGEV_???"},
    {"landlock_rule_type", kLandlockRuleType, false, "LANDLOCK_RULE_???"},
    {"mode_type", kModeType, true, "S_IF???"},
    {"kcmp_type", kKcmpType, false},
    {"syslog_action", kSyslogAction, false},
    {"ioprio_which", kIoprioWhich, false},
    {"userfaultfd_flags", kUffdFlags, true, "UFFD_???"},
    {"pkey_access", kPkeyAccess, true, "PKEY_???"},
    {"delete_module_flags", kDeleteModuleFlags, true},
    {"execveat_flags", kExecveatFlags, true},
    {"perf_flags", kPerfFlags, true},
    {"fanotify_init_flags", kFanotifyInitFlags, true},
    {"fanotify_mark_flags", kFanotifyMarkFlags, true},
    {"fanotify_mask", kFanotifyMask, true},
    {"rseq_flags", kRseqFlags, true},
    {"kexec_flags", kKexecFlags, true},
    {"kexec_file_flags", kKexecFileFlags, true},
    {"module_init_flags", kModuleInitFlags, true},
    {"resolve_flags", kOpenHowResolve, true},
    {"mq_open_flags", kMqOpenFlags, true, "O_???"},
};

template <size_t N>
constexpr std::array<const Xlat*, N> Pointers(const Xlat (&tables)[N]) {
  std::array<const Xlat*, N> out{};
  for (size_t i = 0; i < N; ++i) out[i] = &tables[i];
  return out;
}

constexpr auto kTablePointers = Pointers(kTables);

}  // namespace

std::span<const Xlat* const> AllXlats() { return kTablePointers; }

}  // namespace pwnbox::core
