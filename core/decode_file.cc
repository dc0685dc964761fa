#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/stat.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include <algorithm>
#include <cerrno>

#include "core/decode_util.h"

namespace pwnbox::core::decode {

namespace {

void AppendMakedev(std::string* out, uint64_t dev) {
  out->append("makedev(");
  AppendHex(out, major(dev));
  out->append(", ");
  AppendHex(out, minor(dev));
  out->push_back(')');
}

bool DecodeStat(Ctx& c, uint64_t addr, int, std::string* out) {
  struct stat st;
  if (!Fetch(c, addr, &st)) return false;
  out->append("{st_mode=");
  AppendMode(out, st.st_mode);
  const uint32_t type = st.st_mode & S_IFMT;
  if (type == S_IFCHR || type == S_IFBLK) {
    out->append(", st_rdev=");
    AppendMakedev(out, st.st_rdev);
  } else {
    out->append(", st_size=");
    AppendDec(out, st.st_size);
  }
  out->append(", ...}");
  return true;
}

struct Bit {
  uint64_t value;
  const char* name;
};
#define X(x) {x, #x}
constexpr Bit kStatxAttrs[] = {
    X(STATX_ATTR_COMPRESSED), X(STATX_ATTR_IMMUTABLE), X(STATX_ATTR_APPEND),
    X(STATX_ATTR_NODUMP),     X(STATX_ATTR_ENCRYPTED), X(STATX_ATTR_AUTOMOUNT),
    X(STATX_ATTR_MOUNT_ROOT), X(STATX_ATTR_VERITY),    X(STATX_ATTR_DAX),
};
constexpr Bit kStatfsFlags[] = {
    X(ST_RDONLY), X(ST_NOSUID), X(ST_NODEV), X(ST_NOEXEC), X(ST_SYNCHRONOUS), {0x20, "ST_VALID"},
    X(ST_MANDLOCK), X(ST_WRITE), X(ST_APPEND), X(ST_IMMUTABLE), X(ST_NOATIME),
    X(ST_NODIRATIME), X(ST_RELATIME), {0x2000, "ST_NOSYMFOLLOW"},
};
constexpr Bit kFsMagics[] = {
    X(EXT2_SUPER_MAGIC), X(TMPFS_MAGIC), X(PROC_SUPER_MAGIC), X(SYSFS_MAGIC),
    X(OVERLAYFS_SUPER_MAGIC), X(BTRFS_SUPER_MAGIC), X(XFS_SUPER_MAGIC), X(CGROUP2_SUPER_MAGIC),
    X(CGROUP_SUPER_MAGIC), X(DEVPTS_SUPER_MAGIC), X(NSFS_MAGIC), X(SQUASHFS_MAGIC),
    X(NFS_SUPER_MAGIC), X(FUSE_SUPER_MAGIC), X(HUGETLBFS_MAGIC), X(DEBUGFS_MAGIC),
    X(SECURITYFS_MAGIC), X(BPF_FS_MAGIC), X(MSDOS_SUPER_MAGIC), X(ANON_INODE_FS_MAGIC),
    X(PIPEFS_MAGIC), X(SOCKFS_MAGIC), X(RAMFS_MAGIC), X(TRACEFS_MAGIC), X(EFIVARFS_MAGIC),
};
#undef X

// A table this file keeps itself (values the shared xlat tables do not name), or the shared one.
template <size_t N>
void AppendLocalFlags(std::string* out, const char* table, const Bit (&bits)[N], uint64_t v) {
  if (CachedXlat(table) != nullptr) {
    AppendFlags(out, table, v);
    return;
  }
  if (v == 0) {
    out->push_back('0');
    return;
  }
  const size_t mark = out->size();
  for (const Bit& b : bits) {
    if ((v & b.value) != b.value) continue;
    if (out->size() != mark) out->push_back('|');
    out->append(b.name);
    v &= ~b.value;
  }
  if (v != 0) {
    if (out->size() != mark) out->push_back('|');
    AppendHex(out, v);
  }
}

bool DecodeStatx(Ctx& c, uint64_t addr, int, std::string* out) {
  struct statx sx;
  if (!Fetch(c, addr, &sx)) return false;
  out->append("{stx_mask=");
  AppendFlags(out, "statx_mask", sx.stx_mask);
  out->append(", stx_attributes=");
  AppendLocalFlags(out, "statx_attributes", kStatxAttrs, sx.stx_attributes);
  out->append(", stx_mode=");
  AppendMode(out, sx.stx_mode);
  out->append(", stx_size=");
  AppendUDec(out, sx.stx_size);
  out->append(", ...}");
  return true;
}

bool DecodeStatfs(Ctx& c, uint64_t addr, int, std::string* out) {
  struct statfs sf;
  if (!Fetch(c, addr, &sf)) return false;
  out->append("{f_type=");
  const uint64_t type = static_cast<uint64_t>(sf.f_type);
  const char* magic = nullptr;
  for (const Bit& b : kFsMagics) {
    if (b.value == type) magic = b.name;
  }
  if (magic != nullptr) {
    out->append(magic);
  } else {
    AppendEnumOr(out, "fs_magic", type, nullptr);
  }
  out->append(", f_bsize=");
  AppendDec(out, sf.f_bsize);
  out->append(", f_blocks=");
  AppendUDec(out, sf.f_blocks);
  out->append(", f_bfree=");
  AppendUDec(out, sf.f_bfree);
  out->append(", f_bavail=");
  AppendUDec(out, sf.f_bavail);
  out->append(", f_files=");
  AppendUDec(out, sf.f_files);
  out->append(", f_ffree=");
  AppendUDec(out, sf.f_ffree);
  out->append(", f_fsid={val=[");
  int fsid[2];
  memcpy(fsid, &sf.f_fsid, sizeof(fsid));
  AppendHex(out, static_cast<uint32_t>(fsid[0]));
  out->append(", ");
  AppendHex(out, static_cast<uint32_t>(fsid[1]));
  out->append("]}, f_namelen=");
  AppendDec(out, sf.f_namelen);
  out->append(", f_frsize=");
  AppendDec(out, sf.f_frsize);
  out->append(", f_flags=");
  AppendLocalFlags(out, "statfs_flags", kStatfsFlags, static_cast<uint64_t>(sf.f_flags));
  out->push_back('}');
  return true;
}

// getdents/getdents64: strace's abbreviated form, the number of records the kernel wrote.
bool DecodeDirents(Ctx& c, uint64_t addr, int, std::string* out) {
  const uint64_t size = c.call.ret > 0 ? static_cast<uint64_t>(c.call.ret) : 0;
  std::string buf(std::min<uint64_t>(size, 1 << 20), '\0');
  if (!buf.empty() && !ReadAll(c.mem, addr, buf.data(), buf.size())) return false;
  uint64_t count = 0;
  for (size_t off = 0; off + 18 <= buf.size();) {
    uint16_t reclen;
    memcpy(&reclen, buf.data() + off + 16, 2);
    if (reclen == 0) break;
    ++count;
    off += reclen;
  }
  AppendHex(out, addr);
  out->append(" /* ");
  AppendUDec(out, count);
  out->append(" entries */");
  return true;
}

bool DecodeOpenHow(Ctx& c, uint64_t addr, int idx, std::string* out) {
  // A size below OPEN_HOW_SIZE_VER0 (24): the kernel reads nothing; strace prints the address.
  const ArgSpec& spec = c.sig.args[idx];
  if (spec.len_arg >= 0 && c.Arg(spec.len_arg) < sizeof(open_how)) return false;
  open_how how;
  if (!Fetch(c, addr, &how)) return false;
  out->append("{flags=");
  AppendFlags(out, "open_flags", how.flags);
  if ((how.flags & O_CREAT) || (how.flags & O_TMPFILE) == O_TMPFILE || how.mode != 0) {
    out->append(", mode=");
    AppendOct(out, how.mode);
  }
  out->append(", resolve=");
  AppendFlags(out, "resolve_flags", how.resolve);
  if (spec.len_arg >= 0) AppendNonzeroTail(c, addr, sizeof(how), c.Arg(spec.len_arg), out);
  out->push_back('}');
  return true;
}

bool DecodePipefds(Ctx& c, uint64_t addr, int, std::string* out) {
  int fds[2];
  if (!Fetch(c, addr, &fds)) return false;
  out->push_back('[');
  AppendFd(c, out, fds[0]);
  out->append(", ");
  AppendFd(c, out, fds[1]);
  out->push_back(']');
  return true;
}

bool DecodeInt(Ctx& c, uint64_t addr, int, std::string* out) {
  int32_t v;
  if (!Fetch(c, addr, &v)) return false;
  out->push_back('[');
  AppendDec(out, v);
  out->push_back(']');
  return true;
}

bool DecodeUint64(Ctx& c, uint64_t addr, int, std::string* out) {
  uint64_t v;
  if (!Fetch(c, addr, &v)) return false;
  out->push_back('[');
  AppendUDec(out, v);
  out->push_back(']');
  return true;
}

bool DecodeIovecArg(Ctx& c, uint64_t addr, int idx, std::string* out) {
  const ArgSpec& spec = c.sig.args[idx];
  const uint64_t count = spec.len_arg >= 0 ? c.Arg(spec.len_arg) : 1;
  const uint64_t data = spec.out ? static_cast<uint64_t>(c.call.ret) : UINT64_MAX;
  return AppendIovec(c, addr, count, data, out, spec.out && c.Failed());
}

// ", f_handle=\"\x01\x02...\"" (strace's QUOTE_FORCE_HEX), at most MAX_HANDLE_SZ bytes.
void AppendFHandle(Ctx& c, uint64_t addr, uint32_t bytes, std::string* out) {
  out->append(", f_handle=");
  uint8_t data[128];
  const size_t n = std::min<size_t>(bytes, sizeof(data));
  if (n != 0 && !ReadAll(c.mem, addr + 8, data, n)) {
    AppendAddr(out, addr + 8);
    return;
  }
  AppendQuoted(out, std::string_view(reinterpret_cast<const char*>(data), n), /*hex=*/true);
}

// name_to_handle_at's struct file_handle: "{handle_bytes=0 => 8, handle_type=1,
// f_handle="\x..."}" (handle_bytes as given at entry, and what the kernel made of it).
bool DecodeFileHandle(Ctx& c, uint64_t addr, int idx, std::string* out) {
  const uint64_t saved = c.dc != nullptr ? c.dc->saved[idx] : 0;
  if ((saved >> 32) == 0) return false;
  const uint32_t in = static_cast<uint32_t>(saved);
  out->append("{handle_bytes=");
  AppendUDec(out, in);
  struct {
    uint32_t bytes;
    int32_t type;
  } h;
  if ((!c.Failed() || c.call.ret == -EOVERFLOW) && Fetch(c, addr, &h)) {
    if (h.bytes != in) {
      out->append(" => ");
      AppendUDec(out, h.bytes);
    }
    if (!c.Failed()) {
      out->append(", handle_type=");
      AppendDec(out, h.type);
      AppendFHandle(c, addr, h.bytes, out);
    }
  }
  out->push_back('}');
  return true;
}

// open_by_handle_at's handle: "{handle_bytes=8, handle_type=1, f_handle="\x..."}".
bool DecodeFileHandleIn(Ctx& c, uint64_t addr, int, std::string* out) {
  struct {
    uint32_t bytes;
    int32_t type;
  } h;
  if (!Fetch(c, addr, &h)) return false;
  out->append("{handle_bytes=");
  AppendUDec(out, h.bytes);
  out->append(", handle_type=");
  AppendDec(out, h.type);
  AppendFHandle(c, addr, h.bytes, out);
  out->push_back('}');
  return true;
}

// ---- ioctl ----

struct KernelTermios {
  uint32_t iflag, oflag, cflag, lflag;
  uint8_t line;
  uint8_t cc[19];
};

struct Baud {
  uint32_t value;
  const char* name;
};
#define B(x) {x, #x}
constexpr Baud kBauds[] = {
    B(B0),      B(B50),      B(B75),      B(B110),     B(B134),     B(B150),     B(B200),
    B(B300),    B(B600),     B(B1200),    B(B1800),    B(B2400),    B(B4800),    B(B9600),
    B(B19200),  B(B38400),   B(B57600),   B(B115200),  B(B230400),  B(B460800),  B(B500000),
    B(B576000), B(B921600),  B(B1000000), B(B1152000), B(B1500000), B(B2000000), B(B2500000),
    B(B3000000), B(B3500000), B(B4000000),
};
#undef B

#define X(x) {x, #x}
constexpr Bit kIflags[] = {
    X(IGNBRK), X(BRKINT), X(IGNPAR), X(PARMRK), X(INPCK), X(ISTRIP), X(INLCR), X(IGNCR),
    X(ICRNL), X(IUCLC), X(IXON), X(IXANY), X(IXOFF), X(IMAXBEL), X(IUTF8),
};
constexpr Bit kOflags[] = {
    X(OPOST), X(OLCUC), X(ONLCR), X(OCRNL), X(ONOCR), X(ONLRET), X(OFILL), X(OFDEL),
};
constexpr Bit kCflags[] = {
    X(CSTOPB), X(CREAD), X(PARENB), X(PARODD), X(HUPCL), X(CLOCAL), X(CMSPAR), X(CRTSCTS),
};
constexpr Bit kLflags[] = {
    X(ISIG), X(ICANON), X(XCASE), X(ECHO), X(ECHOE), X(ECHOK), X(ECHONL), X(NOFLSH),
    X(IEXTEN), X(ECHOCTL), X(ECHOPRT), X(ECHOKE), X(FLUSHO), X(PENDIN), X(TOSTOP), X(EXTPROC),
};
constexpr Bit kNl[] = {X(NL0), X(NL1)};
constexpr Bit kCr[] = {X(CR0), X(CR1), X(CR2), X(CR3)};
constexpr Bit kTab[] = {X(TAB0), X(TAB1), X(TAB2), X(TAB3)};
constexpr Bit kBs[] = {X(BS0), X(BS1)};
constexpr Bit kVt[] = {X(VT0), X(VT1)};
constexpr Bit kFf[] = {X(FF0), X(FF1)};
constexpr Bit kCsize[] = {X(CS5), X(CS6), X(CS7), X(CS8)};
#undef X

// Appends "A|B|0x40" for the bits of `v` named in `bits`, after a '|' when `joined`. strace
// prints nothing at all for a zero termios flag word ("c_iflag=, ").
template <size_t N>
void AppendBits(std::string* out, const Bit (&bits)[N], uint32_t v, bool joined) {
  for (const Bit& b : bits) {
    if (b.value == 0 || (v & b.value) != b.value) continue;
    if (joined) out->push_back('|');
    out->append(b.name);
    joined = true;
    v &= ~static_cast<uint32_t>(b.value);
  }
  if (v != 0) {
    if (joined) out->push_back('|');
    AppendHex(out, v);
  }
}

template <size_t N>
void AppendField(std::string* out, const Bit (&values)[N], uint32_t v, bool joined) {
  if (joined) out->push_back('|');
  for (const Bit& b : values) {
    if (b.value == v) {
      out->append(b.name);
      return;
    }
  }
  AppendHex(out, v);
}

const char* BaudName(uint32_t v) {
  for (const Baud& b : kBauds) {
    if (b.value == v) return b.name;
  }
  return nullptr;
}

// strace's abbreviated termios: the four flag words, then "...".
void AppendTermios(const KernelTermios& t, std::string* out) {
  out->append("{c_iflag=");
  AppendBits(out, kIflags, t.iflag, false);
  out->append(", c_oflag=");
  AppendField(out, kNl, t.oflag & NLDLY, false);
  AppendField(out, kCr, t.oflag & CRDLY, true);
  AppendField(out, kTab, t.oflag & TABDLY, true);
  AppendField(out, kBs, t.oflag & BSDLY, true);
  AppendField(out, kVt, t.oflag & VTDLY, true);
  AppendField(out, kFf, t.oflag & FFDLY, true);
  const uint32_t oflags = t.oflag & ~(NLDLY | CRDLY | TABDLY | BSDLY | VTDLY | FFDLY);
  if (oflags != 0) AppendBits(out, kOflags, oflags, true);
  out->append(", c_cflag=");
  if (const char* baud = BaudName(t.cflag & CBAUD)) {
    out->append(baud);
  } else {
    AppendHex(out, t.cflag & CBAUD);
  }
  constexpr int kIbShift = 16;  // IBSHIFT of <asm/termbits.h>
  const uint32_t ibaud = (t.cflag & CIBAUD) >> kIbShift;
  if (ibaud != 0) {
    out->push_back('|');
    if (const char* baud = BaudName(ibaud)) {
      out->append(baud);
    } else {
      AppendHex(out, ibaud);
    }
    out->append("<<IBSHIFT");
  }
  AppendField(out, kCsize, t.cflag & CSIZE, true);
  const uint32_t cflags = t.cflag & ~(CBAUD | CIBAUD | CSIZE);
  if (cflags != 0) AppendBits(out, kCflags, cflags, true);
  out->append(", c_lflag=");
  AppendBits(out, kLflags, t.lflag, false);
  out->append(", ...}");
}

enum class IoctlArg { kAddr, kNone, kInt, kIntPtr, kTermios, kWinsize };
struct IoctlInfo {
  IoctlArg kind;
  bool out;  // written by the kernel: printed at exit
};

IoctlInfo Classify(uint32_t req) {
  switch (req) {
    case TCGETS: return {IoctlArg::kTermios, true};
    case TCSETS:
    case TCSETSW:
    case TCSETSF: return {IoctlArg::kTermios, false};
    case TIOCGWINSZ: return {IoctlArg::kWinsize, true};
    case TIOCSWINSZ: return {IoctlArg::kWinsize, false};
    case FIONREAD:
    case TIOCGPGRP:
    case TIOCGPTN:
    case TIOCGSID: return {IoctlArg::kIntPtr, true};
    case FIONBIO:
    case FIOASYNC:
    case TIOCSPGRP:
    case TIOCSPTLCK: return {IoctlArg::kIntPtr, false};
    case FIOCLEX:
    case FIONCLEX:
    case TIOCNOTTY:
    case TIOCEXCL:
    case TIOCNXCL: return {IoctlArg::kNone, false};
    case TIOCSCTTY:
    case TCSBRK:
    case TCXONC:
    case TCFLSH: return {IoctlArg::kInt, false};
    default: return {IoctlArg::kAddr, ((req >> _IOC_DIRSHIFT) & _IOC_READ) != 0};
  }
}

bool AppendIoctlArg(Ctx& c, uint32_t req, uint64_t arg, std::string* out) {
  const IoctlInfo info = Classify(req);
  if (info.kind == IoctlArg::kInt) {
    AppendDec(out, static_cast<int32_t>(arg));
    return true;
  }
  if (info.kind == IoctlArg::kAddr) {  // unknown request: the raw argument
    AppendHex(out, arg);
    return true;
  }
  if (arg == 0 || (info.out && c.Failed())) {
    AppendAddr(out, arg);
    return true;
  }
  switch (info.kind) {
    case IoctlArg::kTermios: {
      KernelTermios t;
      if (!Fetch(c, arg, &t)) return false;
      AppendTermios(t, out);
      return true;
    }
    case IoctlArg::kWinsize: {
      winsize ws;
      if (!Fetch(c, arg, &ws)) return false;
      out->append("{ws_row=");
      AppendUDec(out, ws.ws_row);
      out->append(", ws_col=");
      AppendUDec(out, ws.ws_col);
      out->append(", ws_xpixel=");
      AppendUDec(out, ws.ws_xpixel);
      out->append(", ws_ypixel=");
      AppendUDec(out, ws.ws_ypixel);
      out->push_back('}');
      return true;
    }
    case IoctlArg::kIntPtr:
      return DecodeInt(c, arg, 2, out);
    default:
      AppendAddr(out, arg);
      return true;
  }
}

void AppendIoctlRequest(uint32_t req, std::string* out) {
  // Numbers two drivers share: strace names both.
  switch (req) {
    case TCSETS: out->append("SNDCTL_TMR_START or TCSETS"); return;
    case TCSETSW: out->append("SNDCTL_TMR_STOP or TCSETSW"); return;
    case TCSETSF: out->append("SNDCTL_TMR_CONTINUE or TCSETSF"); return;
    default: break;
  }
  if (AppendEnumOr(out, "ioctl_request", req, "")) return;
  const uint32_t dir = (req >> _IOC_DIRSHIFT) & _IOC_DIRMASK;
  out->append("_IOC(");
  switch (dir) {
    case _IOC_NONE: out->append("_IOC_NONE"); break;
    case _IOC_READ: out->append("_IOC_READ"); break;
    case _IOC_WRITE: out->append("_IOC_WRITE"); break;
    default: out->append("_IOC_READ|_IOC_WRITE"); break;
  }
  out->append(", ");
  AppendHex(out, (req >> _IOC_TYPESHIFT) & _IOC_TYPEMASK);
  out->append(", ");
  AppendHex(out, (req >> _IOC_NRSHIFT) & _IOC_NRMASK);
  out->append(", ");
  AppendHex(out, (req >> _IOC_SIZESHIFT) & _IOC_SIZEMASK);
  out->push_back(')');
}

bool DecodeIoctlArg(Ctx& c, uint64_t addr, int, std::string* out) {
  return AppendIoctlArg(c, static_cast<uint32_t>(c.Arg(1)), addr, out);
}

int IoctlSplit(Ctx& c) {
  const IoctlInfo info = Classify(static_cast<uint32_t>(c.Arg(1)));
  return info.out ? 2 : 3;
}

ArgResult IoctlArgHook(Ctx& c, int idx, std::string* out) {
  const uint32_t req = static_cast<uint32_t>(c.Arg(1));
  if (idx == 1) {
    AppendIoctlRequest(req, out);
    return ArgResult::kHandled;
  }
  if (idx == 2) {
    if (Classify(req).kind == IoctlArg::kNone) return ArgResult::kOmit;
    if (!AppendIoctlArg(c, req, c.Arg(2), out)) AppendAddr(out, c.Arg(2));
    return ArgResult::kHandled;
  }
  return ArgResult::kGeneric;
}

// ---- open, fcntl, getcwd, mknod ----

ArgResult OpenModeArg(Ctx& c, int idx, int flags_idx) {
  if (idx != flags_idx + 1) return ArgResult::kGeneric;
  const uint64_t flags = c.Arg(flags_idx);
  const bool has_mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
  return has_mode ? ArgResult::kGeneric : ArgResult::kOmit;
}
ArgResult OpenArg(Ctx& c, int idx, std::string*) { return OpenModeArg(c, idx, 1); }
ArgResult MqOpenArg(Ctx& c, int idx, std::string*) {
  if (idx < 2) return ArgResult::kGeneric;
  return (c.Arg(1) & O_CREAT) ? ArgResult::kGeneric : ArgResult::kOmit;
}
// preadv2/pwritev2: x86-64 passes the offset whole; strace prints no pos_h.
ArgResult Rwv2Arg(Ctx& c, int idx, std::string*) {
  return idx == 4 && !c.Compat() ? ArgResult::kOmit : ArgResult::kGeneric;
}
ArgResult OpenatArg(Ctx& c, int idx, std::string*) { return OpenModeArg(c, idx, 2); }

// mknod is the one call whose mode strace prints with file-type names; the device (an unsigned
// int in the kernel) only for character and block devices.
ArgResult MknodDev(Ctx& c, int idx, int mode_idx, std::string* out) {
  if (idx == mode_idx) {
    AppendMode(out, static_cast<uint32_t>(c.UArg(idx)));
    return ArgResult::kHandled;
  }
  if (idx != mode_idx + 1) return ArgResult::kGeneric;
  const uint32_t type = c.UArg(mode_idx) & S_IFMT;
  if (type != S_IFCHR && type != S_IFBLK) return ArgResult::kOmit;
  AppendMakedev(out, c.UArg(idx));
  return ArgResult::kHandled;
}

// memfd_create's flags: the MFD_HUGE_* page size (6 bits at MFD_HUGE_SHIFT) last.
ArgResult MemfdArg(Ctx& c, int idx, std::string* out) {
  if (idx != 1) return ArgResult::kGeneric;
  constexpr int kHugeShift = 26;  // MFD_HUGE_SHIFT
  const uint32_t flags = static_cast<uint32_t>(c.Arg(1));
  const uint32_t huge = flags >> kHugeShift;
  AppendFlags(out, "memfd_flags", flags & ((1u << kHugeShift) - 1));
  if (huge != 0) {
    out->push_back('|');
    AppendUDec(out, huge);
    out->append("<<MFD_HUGE_SHIFT");
  }
  return ArgResult::kHandled;
}

// swapon's flags: the SWAP_FLAG_* bits, then the priority in decimal.
ArgResult SwaponArg(Ctx& c, int idx, std::string* out) {
  if (idx != 1) return ArgResult::kGeneric;
  constexpr uint32_t kPrioMask = 0x7fff;  // SWAP_FLAG_PRIO_MASK
  const uint32_t v = static_cast<uint32_t>(c.Arg(1));
  const uint32_t prio = v & kPrioMask;
  if ((v & ~kPrioMask) == 0) {
    AppendUDec(out, prio);
    return ArgResult::kHandled;
  }
  AppendFlags(out, "swap_flags", v & ~kPrioMask);
  if (prio != 0) {
    out->push_back('|');
    AppendUDec(out, prio);
  }
  return ArgResult::kHandled;
}

// fanotify_mark's dirfd: FAN_NOFD (-1) by name.
ArgResult FanotifyMarkArg(Ctx& c, int idx, std::string* out) {
  if (idx != 3 || static_cast<int32_t>(c.Arg(3)) != -1) return ArgResult::kGeneric;
  out->append("FAN_NOFD");
  return ArgResult::kHandled;
}

// ustat's device: makedev(major, minor).
ArgResult UstatArg(Ctx& c, int idx, std::string* out) {
  if (idx != 0) return ArgResult::kGeneric;
  AppendMakedev(out, static_cast<uint32_t>(c.Arg(0)));
  return ArgResult::kHandled;
}

// Retired calls strace prints raw: every argument in hex, fds included.
ArgResult RawArg(Ctx& c, int idx, std::string* out) {
  AppendHex(out, c.Arg(idx));
  return ArgResult::kHandled;
}

// umask's result is the old mask, in octal.
bool UmaskRet(Ctx& c, std::string* out) {
  AppendOct(out, static_cast<uint64_t>(c.call.ret));
  return true;
}

// strace prints truncate's and ftruncate's length unsigned (PRINT_VAL_U), off_t or not.
ArgResult TruncateArg(Ctx& c, int idx, std::string* out) {
  if (idx != 1) return ArgResult::kGeneric;
  AppendUDec(out, c.Arg(idx));
  return ArgResult::kHandled;
}
ArgResult MknodArg(Ctx& c, int idx, std::string* out) { return MknodDev(c, idx, 1, out); }
ArgResult MknodatArg(Ctx& c, int idx, std::string* out) { return MknodDev(c, idx, 2, out); }

bool IsGetlk(int cmd) { return cmd == F_GETLK || cmd == F_OFD_GETLK; }

bool AppendFlock(Ctx& c, uint64_t addr, std::string* out) {
  struct flock fl;
  if (!Fetch(c, addr, &fl)) return false;
  out->append("{l_type=");
  switch (fl.l_type) {
    case F_RDLCK: out->append("F_RDLCK"); break;
    case F_WRLCK: out->append("F_WRLCK"); break;
    case F_UNLCK: out->append("F_UNLCK"); break;
    default: AppendDec(out, fl.l_type); break;
  }
  out->append(", l_whence=");
  AppendEnum(out, "lseek_whence", static_cast<uint16_t>(fl.l_whence));
  out->append(", l_start=");
  AppendDec(out, fl.l_start);
  out->append(", l_len=");
  AppendDec(out, fl.l_len);
  if (IsGetlk(static_cast<int>(c.Arg(1))) && c.exiting) {
    out->append(", l_pid=");
    AppendDec(out, fl.l_pid);
  }
  out->push_back('}');
  return true;
}

int FcntlSplit(Ctx& c) { return IsGetlk(static_cast<int>(c.Arg(1))) ? 2 : 3; }

ArgResult FcntlArg(Ctx& c, int idx, std::string* out) {
  if (idx != 2) return ArgResult::kGeneric;
  const int cmd = static_cast<int>(c.Arg(1));
  const uint64_t arg = c.Arg(2);
  switch (cmd) {
    case F_GETFD:
    case F_GETFL:
    case F_GETOWN:
    case F_GETSIG:
    case F_GETLEASE:
    case F_GETPIPE_SZ:
    case F_GET_SEALS:
      return ArgResult::kOmit;
    case F_SETFD:
      AppendFlags(out, "fd_flags", static_cast<uint32_t>(arg));
      return ArgResult::kHandled;
    case F_SETFL:
      AppendFlags(out, "open_flags", static_cast<uint32_t>(arg));
      return ArgResult::kHandled;
    case F_SETSIG:
      AppendSignal(out, static_cast<int>(arg));
      return ArgResult::kHandled;
    case F_SETLEASE:
      out->append(arg == F_RDLCK ? "F_RDLCK" : arg == F_WRLCK ? "F_WRLCK"
                  : arg == F_UNLCK ? "F_UNLCK" : "");
      if (arg > 2) AppendDec(out, static_cast<int32_t>(arg));
      return ArgResult::kHandled;
    case F_ADD_SEALS:
      AppendFlags(out, "seals", static_cast<uint32_t>(arg));
      return ArgResult::kHandled;
    case F_SETLK:
    case F_SETLKW:
    case F_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
    case F_OFD_GETLK:
      if (arg == 0 || (c.exiting && c.Failed()) || !AppendFlock(c, arg, out)) {
        out->clear();
        AppendAddr(out, arg);
      }
      return ArgResult::kHandled;
    default:
      AppendDec(out, static_cast<int32_t>(arg));
      return ArgResult::kHandled;
  }
}

bool FcntlRet(Ctx& c, std::string* out) {
  const int cmd = static_cast<int>(c.Arg(1));
  const uint64_t r = static_cast<uint64_t>(c.call.ret);
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      AppendFd(c, out, static_cast<int>(r));
      return true;
    case F_GETFD:
      if (r == 0) return false;
      AppendHex(out, r);
      out->append(" (flags ");
      AppendFlags(out, "fd_flags", r);
      out->push_back(')');
      return true;
    case F_GETFL:
      AppendHex(out, r);
      out->append(" (flags ");
      AppendFlags(out, "open_flags", r);
      out->push_back(')');
      return true;
    case F_GET_SEALS:
      AppendHex(out, r);
      out->append(" (seals ");
      AppendFlags(out, "seals", r);
      out->push_back(')');
      return true;
    default:
      return false;
  }
}

ArgResult GetcwdArg(Ctx& c, int idx, std::string* out) {
  if (idx != 0 || !c.exiting || c.Failed() || c.call.ret <= 0) return ArgResult::kGeneric;
  const uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(c.call.ret), 4096);
  std::string buf(n, '\0');
  if (!ReadAll(c.mem, c.Arg(0), buf.data(), n)) return ArgResult::kGeneric;
  if (!buf.empty() && buf.back() == '\0') buf.pop_back();
  AppendQuoted(out, buf);
  return ArgResult::kHandled;
}

// faccessat2's flags share values with other AT_* flags (AT_EACCESS == AT_REMOVEDIR).
ArgResult Faccessat2Arg(Ctx& c, int idx, std::string* out) {
  if (idx != 3) return ArgResult::kGeneric;
  uint32_t v = static_cast<uint32_t>(c.Arg(3));
  if (v == 0) {
    out->push_back('0');
    return ArgResult::kHandled;
  }
  static constexpr std::pair<uint32_t, const char*> kFlags[] = {
      {AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"},
      {AT_EACCESS, "AT_EACCESS"},
      {AT_EMPTY_PATH, "AT_EMPTY_PATH"},
  };
  std::string s;
  for (const auto& [bit, name] : kFlags) {
    if (!(v & bit)) continue;
    if (!s.empty()) s.push_back('|');
    s.append(name);
    v &= ~bit;
  }
  if (v != 0) {
    if (!s.empty()) s.push_back('|');
    AppendHex(&s, v);
  }
  out->append(s);
  return ArgResult::kHandled;
}

constexpr StructDecoder kStructs[] = {
    {"stat", DecodeStat, false},
    {"statx", DecodeStatx, true},
    {"statfs", DecodeStatfs, false},
    {"linux_dirent64", DecodeDirents, true},
    {"linux_dirent", DecodeDirents, false},
    {"open_how", DecodeOpenHow, true},
    {"pipefds", DecodePipefds, true},
    {"int", DecodeInt, true},
    {"uint64", DecodeUint64, true},
    {"iovec", DecodeIovecArg, false},
    {"file_handle", DecodeFileHandle, true},
    {"file_handle_in", DecodeFileHandleIn, true},
    {"winsize_or_ioctl_arg", DecodeIoctlArg, false},
};

// sendfile's offset is read and written back: strace prints "[0] => [100]" (the value at entry,
// and at exit the value the kernel stored), and only "[0]" when the call failed. Entry prints
// the two fds and saves the offset (64 bits in saved[2], validity in saved[3]); Exit prints it.
// sendfile on i386 takes a 32-bit off_t, sendfile64 a loff_t.
size_t SendfileOffsetSize(Ctx& c) { return c.Compat() && c.name == "sendfile" ? 4 : 8; }

bool FetchSendfileOffset(Ctx& c, uint64_t* v) {
  *v = 0;
  return ReadAll(c.mem, c.Arg(2), v, SendfileOffsetSize(c));
}

int SendfileSplit(Ctx& c) {
  uint64_t v;
  if (!c.exiting && c.dc != nullptr && c.Arg(2) != 0 && FetchSendfileOffset(c, &v)) {
    c.dc->saved[2] = v;
    c.dc->saved[3] = 1;
  }
  return 2;
}

ArgResult SendfileArg(Ctx& c, int idx, std::string* out) {
  if (idx != 2 || c.Arg(2) == 0) return ArgResult::kGeneric;
  if (c.dc == nullptr || c.dc->saved[3] == 0) {
    AppendAddr(out, c.Arg(2));
    return ArgResult::kHandled;
  }
  out->push_back('[');
  AppendUDec(out, c.dc->saved[2]);
  out->push_back(']');
  uint64_t v;
  if (c.exiting && !c.Failed() && FetchSendfileOffset(c, &v)) {
    out->append(" => [");
    AppendUDec(out, v);
    out->push_back(']');
  }
  return ArgResult::kHandled;
}

// quotactl's cmd as strace 6.1 prints it, "QCMD(Q_GETQUOTA, USRQUOTA)" (unknown parts in hex
// with a comment), and the arguments each command takes: none after the device for Q_SYNC,
// Q_QUOTAOFF and Q_XQUOTASYNC; a format (QFMT_*) and a path for Q_QUOTAON; id and addr for the
// per-id commands and unknown ones; addr alone for the rest (Q_GETFMT, Q_GETINFO, Q_X*...).
// (strace decodes what a successful Q_GET* wrote; here the address.)
constexpr uint32_t kQSync = 0x800001, kQQuotaOn = 0x800002, kQQuotaOff = 0x800003,
                   kQGetQuota = 0x800007, kQSetQuota = 0x800008, kQGetNextQuota = 0x800009,
                   kQXGetQuota = 0x5803, kQXSetQlim = 0x5804, kQXQuotaSync = 0x5807,
                   kQXGetNextQuota = 0x5809;

ArgResult QuotactlArg(Ctx& c, int idx, std::string* out) {
  const uint32_t cmd = static_cast<uint32_t>(c.Arg(0));
  const uint32_t sub = cmd >> 8, type = cmd & 0xff;
  if (idx == 0) {
    out->append("QCMD(");
    AppendEnum(out, "quotactl_cmd", sub);
    out->append(", ");
    AppendEnum(out, "quota_type", type);
    out->push_back(')');
    return ArgResult::kHandled;
  }
  if (idx < 2) return ArgResult::kGeneric;
  if (sub == kQSync || sub == kQQuotaOff || sub == kQXQuotaSync) return ArgResult::kOmit;
  if (sub == kQQuotaOn) {
    if (idx == 2) {
      AppendEnum(out, "quota_format", static_cast<uint32_t>(c.Arg(2)));
    } else {
      AppendPath(c, out, c.Arg(3));
    }
    return ArgResult::kHandled;
  }
  const bool per_id = sub == kQGetQuota || sub == kQSetQuota || sub == kQGetNextQuota ||
                      sub == kQXGetQuota || sub == kQXSetQlim || sub == kQXGetNextQuota;
  bool known = false;
  if (const Xlat* cmds = CachedXlat("quotactl_cmd"); cmds != nullptr) {
    for (const XlatEntry& e : cmds->entries) known = known || e.value == sub;
  }
  if (idx == 2 && known && !per_id) return ArgResult::kOmit;
  return ArgResult::kGeneric;
}

constexpr CallHooks kHooks[] = {
    {.name = "open", .arg = OpenArg},
    {.name = "quotactl", .arg = QuotactlArg},
    {.name = "sendfile", .entry_split = SendfileSplit, .arg = SendfileArg},
    {.name = "sendfile64", .entry_split = SendfileSplit, .arg = SendfileArg},
    {.name = "openat", .arg = OpenatArg},
    {.name = "mknod", .arg = MknodArg},
    {.name = "mknodat", .arg = MknodatArg},
    {.name = "fcntl", .entry_split = FcntlSplit, .arg = FcntlArg, .ret = FcntlRet},
    {.name = "fcntl64", .entry_split = FcntlSplit, .arg = FcntlArg, .ret = FcntlRet},
    {.name = "ioctl", .entry_split = IoctlSplit, .arg = IoctlArgHook},
    {.name = "getcwd", .arg = GetcwdArg},
    {.name = "faccessat2", .arg = Faccessat2Arg},
    {.name = "umask", .ret = UmaskRet},
    {.name = "getpmsg", .arg = RawArg},
    {.name = "putpmsg", .arg = RawArg},
    {.name = "epoll_ctl_old", .arg = RawArg},
    {.name = "epoll_wait_old", .arg = RawArg},
    {.name = "ustat", .arg = UstatArg},
    {.name = "memfd_create", .arg = MemfdArg},
    {.name = "swapon", .arg = SwaponArg},
    {.name = "fanotify_mark", .arg = FanotifyMarkArg},
    {.name = "mq_open", .arg = MqOpenArg},
    {.name = "preadv2", .arg = Rwv2Arg},
    {.name = "pwritev2", .arg = Rwv2Arg},
    {.name = "truncate", .arg = TruncateArg},
    {.name = "ftruncate", .arg = TruncateArg},
};

}  // namespace

bool AppendIovec(Ctx& c, uint64_t addr, uint64_t count, uint64_t data_limit, std::string* out,
                 bool addr_only) {
  struct Iov {
    uint64_t base;
    uint64_t len;
  };
  Iov first;
  if (count != 0 && !Fetch(c, addr, &first)) return false;
  uint64_t remaining = data_limit;
  AppendArray(c, out, addr, count, sizeof(Iov), [&](uint64_t a) {
    Iov iov;
    if (!Fetch(c, a, &iov)) return false;
    const uint64_t n = std::min(iov.len, remaining);
    remaining -= n;
    out->append("{iov_base=");
    if (addr_only) {
      AppendAddr(out, iov.base);
    } else {
      AppendBuffer(c, out, iov.base, n);
    }
    out->append(", iov_len=");
    AppendUDec(out, iov.len);
    out->push_back('}');
    return true;
  });
  return true;
}

std::span<const StructDecoder> FileStructs() { return kStructs; }
std::span<const CallHooks> FileHooks() { return kHooks; }

}  // namespace pwnbox::core::decode
