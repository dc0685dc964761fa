#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "core/decode_util.h"

namespace pwnbox::core::decode {

uint64_t Ctx::Arg(int i) const {
  uint64_t v = call.args[i];
  return Compat() ? (v & 0xffffffffu) : v;
}

int64_t Ctx::SArg(int i) const {
  const uint64_t v = Arg(i);
  switch (CType(i)) {
    case ArgSpec::CType::kS32: return static_cast<int32_t>(v);
    case ArgSpec::CType::kU32: return static_cast<uint32_t>(v);
    case ArgSpec::CType::kU16: return static_cast<uint16_t>(v);
    // i386's long (off_t, ...) is 32 bits.
    case ArgSpec::CType::kS64: return Compat() ? static_cast<int32_t>(v) : static_cast<int64_t>(v);
    default: return static_cast<int64_t>(v);
  }
}

uint64_t Ctx::UArg(int i) const {
  const uint64_t v = Arg(i);
  switch (CType(i)) {
    case ArgSpec::CType::kS32:
    case ArgSpec::CType::kU32: return static_cast<uint32_t>(v);
    case ArgSpec::CType::kU16: return static_cast<uint16_t>(v);
    default: return v;
  }
}

bool ReadAll(TargetMemory& mem, uint64_t addr, void* buf, size_t len) {
  if (addr == 0) return false;
  return mem.Read(addr, buf, len) == static_cast<ssize_t>(len);
}

bool FetchWord(Ctx& c, uint64_t addr, uint64_t* v) {
  if (c.Compat()) {
    uint32_t w;
    if (!ReadAll(c.mem, addr, &w, 4)) return false;
    *v = w;
    return true;
  }
  return ReadAll(c.mem, addr, v, 8);
}

bool ReadCString(TargetMemory& mem, uint64_t addr, size_t max, std::string* out,
                 bool* terminated) {
  out->clear();
  *terminated = false;
  if (addr == 0) return false;
  char buf[256];
  size_t done = 0;
  while (done < max) {
    // Stay within the page so that a string ending just before unmapped memory still reads.
    uint64_t a = addr + done;
    size_t chunk = std::min<size_t>(sizeof(buf), max - done);
    chunk = std::min<size_t>(chunk, 4096 - (a & 4095));
    ssize_t n = mem.ReadStringBytes(a, buf, chunk);
    // Unreadable memory before the terminator and before `max` bytes: strace's umovestr fails
    // and the caller prints the address.
    if (n <= 0) return false;
    const void* nul = memchr(buf, 0, n);
    if (nul != nullptr) {
      out->append(buf, static_cast<const char*>(nul) - buf);
      *terminated = true;
      return true;
    }
    out->append(buf, n);
    done += n;
    if (static_cast<size_t>(n) < chunk) return false;
  }
  return true;
}

void AppendDec(std::string* out, int64_t v) {
  char buf[24];
  char* p = buf + sizeof(buf);
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  do {
    *--p = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0) *--p = '-';
  out->append(p, buf + sizeof(buf) - p);
}

void AppendUDec(std::string* out, uint64_t v) {
  char buf[24];
  char* p = buf + sizeof(buf);
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out->append(p, buf + sizeof(buf) - p);
}

void AppendHex(std::string* out, uint64_t v) {
  if (v == 0) {
    out->push_back('0');
    return;
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  char buf[20];
  char* p = buf + sizeof(buf);
  while (v != 0) {
    *--p = kDigits[v & 15];
    v >>= 4;
  }
  *--p = 'x';
  *--p = '0';
  out->append(p, buf + sizeof(buf) - p);
}

void AppendAddr(std::string* out, uint64_t v) {
  if (v == 0) {
    out->append("NULL");
  } else {
    AppendHex(out, v);
  }
}

void AppendOct(std::string* out, uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%#03llo", static_cast<unsigned long long>(v));
  out->append(buf);
}

void AppendUid(std::string* out, uint32_t uid) {
  if (uid == 0xffffffffu) {
    out->append("-1");
  } else {
    AppendUDec(out, uid);
  }
}

void AppendQuoted(std::string* out, std::string_view data, bool hex) {
  out->reserve(out->size() + data.size() * 2 + 2);
  out->push_back('"');
  AppendEscaped(out, data, hex);
  out->push_back('"');
}

void AppendEscaped(std::string* out, std::string_view data, bool hex, std::string_view extra) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  const size_t n = data.size();
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(data[i]);
    if (hex) {
      out->push_back('\\');
      out->push_back('x');
      out->push_back(kHexDigits[c >> 4]);
      out->push_back(kHexDigits[c & 15]);
      continue;
    }
    switch (c) {
      case '"':
      case '\\':
        out->push_back('\\');
        out->push_back(static_cast<char>(c));
        continue;
      case '\f':
        out->append("\\f");
        continue;
      case '\n':
        out->append("\\n");
        continue;
      case '\r':
        out->append("\\r");
        continue;
      case '\t':
        out->append("\\t");
        continue;
      case '\v':
        out->append("\\v");
        continue;
      default:
        break;
    }
    if (c >= ' ' && c < 0x7f && extra.find(static_cast<char>(c)) == std::string_view::npos) {
      out->push_back(static_cast<char>(c));
      continue;
    }
    out->push_back('\\');
    // A following octal digit forces the three-digit form.
    if (i + 1 < n && data[i + 1] >= '0' && data[i + 1] <= '7') {
      out->push_back(static_cast<char>('0' + (c >> 6)));
      out->push_back(static_cast<char>('0' + ((c >> 3) & 7)));
    } else if ((c >> 3) != 0) {
      if ((c >> 6) != 0) out->push_back(static_cast<char>('0' + (c >> 6)));
      out->push_back(static_cast<char>('0' + ((c >> 3) & 7)));
    }
    out->push_back(static_cast<char>('0' + (c & 7)));
  }
}

void AppendBuffer(Ctx& c, std::string* out, uint64_t addr, uint64_t len, bool hex) {
  if (addr == 0) {
    out->append("NULL");
    return;
  }
  const size_t limit = c.Limit();
  const size_t size = len > limit ? limit : static_cast<size_t>(len);
  char small[256];
  std::string big;
  char* buf = small;
  if (size > sizeof(small)) {
    big.resize(size);
    buf = big.data();
  }
  if (size != 0 && !ReadAll(c.mem, addr, buf, size)) {
    AppendAddr(out, addr);
    return;
  }
  AppendQuoted(out, std::string_view(buf, size), hex);
  if (len > limit) out->append("...");
}

void AppendCString(Ctx& c, std::string* out, uint64_t addr) {
  if (addr == 0) {
    out->append("NULL");
    return;
  }
  std::string s;
  bool terminated = false;
  const size_t limit = c.Limit();
  if (!ReadCString(c.mem, addr, limit + 1, &s, &terminated)) {
    AppendAddr(out, addr);
    return;
  }
  bool cut = s.size() > limit;
  if (cut) s.resize(limit);
  AppendQuoted(out, s);
  if (cut || !terminated) out->append("...");
}

void AppendPath(Ctx& c, std::string* out, uint64_t addr) {
  if (addr == 0) {
    out->append("NULL");
    return;
  }
  std::string s;
  bool terminated = false;
  if (!ReadCString(c.mem, addr, PATH_MAX, &s, &terminated)) {
    AppendAddr(out, addr);
    return;
  }
  // strace's printpath: PATH_MAX - 1 bytes, "..." when no NUL came within PATH_MAX.
  if (!terminated && s.size() > PATH_MAX - 1) s.resize(PATH_MAX - 1);
  AppendQuoted(out, s);
  if (!terminated) out->append("...");
}

namespace {
thread_local XlatStyle tls_style = XlatStyle::kAbbrev;

// Appends `named` (the constant's name) as -X asks: itself, `raw`, or "raw /* named */".
void AppendStyled(std::string* out, std::string_view raw, std::string_view named) {
  switch (tls_style) {
    case XlatStyle::kAbbrev: out->append(named); break;
    case XlatStyle::kRaw: out->append(raw); break;
    case XlatStyle::kVerbose:
      out->append(raw);
      if (named != raw) {
        out->append(" /* ");
        out->append(named);
        out->append(" */");
      }
      break;
  }
}

std::string Hex(uint64_t v) {
  std::string s;
  AppendHex(&s, v);
  return s;
}
}  // namespace

namespace {
void AppendFdPath(Ctx& c, std::string* out, int fd) {
  if (c.opt.fd_socket && fd >= 0) {
    if (std::optional<std::string> s = c.opt.fd_socket(c.call.pid, fd)) {
      out->push_back('<');
      out->append(*s);
      out->push_back('>');
      return;
    }
  }
  if (!c.opt.fd_paths || !c.opt.fd_path) return;
  std::optional<std::string> p = c.opt.fd_path(c.call.pid, fd);
  if (!p) return;
  // The path is the file's name, which whoever made the file chose: escaped as strace -y does
  // (print_quoted_string_ex with "<>" escaped too), so that a name holding "\n+++ exited with
  // 0 +++" or terminal escapes cannot forge lines or reach the terminal.
  out->push_back('<');
  AppendEscaped(out, *p, /*hex=*/false, "<>");
  out->push_back('>');
}
}  // namespace

void AppendFd(Ctx& c, std::string* out, int fd) {
  AppendDec(out, fd);
  if (fd >= 0) AppendFdPath(c, out, fd);
}

void AppendDirFd(Ctx& c, std::string* out, int fd) {
  if (fd == AT_FDCWD) {
    AppendStyled(out, "-100", "AT_FDCWD");
    AppendFdPath(c, out, fd);
    return;
  }
  AppendFd(c, out, fd);
}

const Xlat* CachedXlat(const char* table) {
  if (table == nullptr) return nullptr;
  static std::mutex mu;
  static auto* cache = new std::unordered_map<const char*, const Xlat*>;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache->find(table);
  if (it != cache->end()) return it->second;
  const Xlat* x = FindXlat(table);
  cache->emplace(table, x);
  return x;
}

void AppendNamed(std::string* out, std::string_view raw, std::string_view name) {
  AppendStyled(out, raw, name);
}

StyleScope::StyleScope(XlatStyle style) : saved_(tls_style) { tls_style = style; }
StyleScope::~StyleScope() { tls_style = saved_; }

void AppendFlags(std::string* out, const char* table, uint64_t v) {
  if (const Xlat* x = CachedXlat(table)) {
    AppendStyled(out, Hex(v), x->is_flags ? FormatFlags(*x, v) : FormatEnum(*x, v));
  } else {
    AppendHex(out, v);
  }
}

void AppendEnum(std::string* out, const char* table, uint64_t v) {
  if (const Xlat* x = CachedXlat(table)) {
    AppendStyled(out, Hex(v), x->is_flags ? FormatFlags(*x, v) : FormatEnum(*x, v));
  } else {
    AppendDec(out, static_cast<int64_t>(v));
  }
}

bool AppendEnumOr(std::string* out, const char* table, uint64_t v, const char* dflt) {
  if (const Xlat* x = CachedXlat(table)) {
    for (const XlatEntry& e : x->entries) {
      if (e.value == v) {
        AppendStyled(out, Hex(v), e.name);
        return true;
      }
    }
  }
  if (dflt != nullptr) {
    out->append(dflt);
  } else {
    AppendHex(out, v);
  }
  return false;
}

void AppendMode(std::string* out, uint32_t mode) {
  if (tls_style != XlatStyle::kAbbrev) {
    std::string raw, named;
    AppendOct(&raw, mode);
    const XlatStyle style = std::exchange(tls_style, XlatStyle::kAbbrev);
    AppendMode(&named, mode);
    tls_style = style;
    AppendStyled(out, raw, named);
    return;
  }
  const char* type = nullptr;
  switch (mode & S_IFMT) {
    case 0: break;
    case S_IFREG: type = "S_IFREG"; break;
    case S_IFDIR: type = "S_IFDIR"; break;
    case S_IFCHR: type = "S_IFCHR"; break;
    case S_IFBLK: type = "S_IFBLK"; break;
    case S_IFIFO: type = "S_IFIFO"; break;
    case S_IFLNK: type = "S_IFLNK"; break;
    case S_IFSOCK: type = "S_IFSOCK"; break;
    default:  // no name for this file type: strace prints the whole mode in octal
      AppendOct(out, mode);
      return;
  }
  if (type != nullptr) {
    out->append(type);
    out->push_back('|');
  }
  if (mode & S_ISUID) out->append("S_ISUID|");
  if (mode & S_ISGID) out->append("S_ISGID|");
  if (mode & S_ISVTX) out->append("S_ISVTX|");
  AppendOct(out, mode & ~static_cast<uint32_t>(S_IFMT | S_ISUID | S_ISGID | S_ISVTX));
}

void AppendSignal(std::string* out, int sig) {
  std::string_view n = SignalName(sig);
  if (n.empty()) {
    AppendDec(out, sig);
  } else {
    AppendStyled(out, std::to_string(sig), n);
  }
}

void AppendSigmask(std::string* out, const uint8_t* mask, size_t bytes) {
  const int nsig = static_cast<int>(std::min<size_t>(bytes, 8) * 8);
  int count = 0;
  for (int i = 0; i < nsig; ++i) count += (mask[i / 8] >> (i % 8)) & 1;
  const bool invert = count * 2 > nsig;
  if (invert) out->push_back('~');
  out->push_back('[');
  bool first = true;
  for (int i = 0; i < nsig; ++i) {
    bool set = (mask[i / 8] >> (i % 8)) & 1;
    if (set == invert) continue;
    if (!first) out->push_back(' ');
    first = false;
    std::string_view n = SignalName(i + 1);
    if (n.starts_with("SIG")) {
      AppendStyled(out, std::to_string(i + 1), n.substr(3));
    } else {
      AppendDec(out, i + 1);
    }
  }
  out->push_back(']');
}

void AppendNonzeroTail(Ctx& c, uint64_t addr, uint64_t start, uint64_t size, std::string* out) {
  if (size <= start) return;
  const uint64_t len = std::min<uint64_t>(size - start, 4096);
  std::string bytes(len, '\0');
  if (!ReadAll(c.mem, addr + start, bytes.data(), len)) return;
  if (bytes.find_first_not_of('\0') == std::string::npos) return;
  out->append(", /* bytes ");
  AppendUDec(out, start);
  out->append("..");
  AppendUDec(out, size - 1);
  out->append(" */ ");
  AppendQuoted(out, bytes, /*hex=*/true);
}

void AppendError(std::string* out, int err) {
  std::string_view name = ErrnoName(err);
  std::string_view text = ErrnoText(err);
  const bool restart = err == 512 || err == 513 || err == 514 || err == 516;
  out->append(restart ? "? " : "-1 ");
  if (name.empty()) {
    out->append("E??? (errno ");
    AppendDec(out, err);
    out->push_back(')');
    return;
  }
  out->append(name);
  out->append(" (");
  out->append(text);
  out->push_back(')');
}

namespace {

template <typename T>
struct Registry {
  std::unordered_map<std::string_view, const T*> map;
  void Add(std::span<const T> items) {
    for (const T& t : items) map.emplace(t.name, &t);
  }
  const T* Find(std::string_view name) const {
    auto it = map.find(name);
    return it == map.end() ? nullptr : it->second;
  }
};

}  // namespace

const StructDecoder* FindStructDecoder(std::string_view name) {
  static const Registry<StructDecoder>* const reg = [] {
    auto* r = new Registry<StructDecoder>;
    r->Add(FileStructs());
    r->Add(NetStructs());
    r->Add(SignalStructs());
    r->Add(ProcessStructs());
    r->Add(TimeStructs());
    r->Add(PollStructs());
    r->Add(IpcStructs());
    return r;
  }();
  return reg->Find(name);
}

const CallHooks* FindCallHooks(std::string_view name) {
  static const Registry<CallHooks>* const reg = [] {
    auto* r = new Registry<CallHooks>;
    r->Add(FileHooks());
    r->Add(NetHooks());
    r->Add(SignalHooks());
    r->Add(ProcessHooks());
    r->Add(MemoryHooks());
    r->Add(PollHooks());
    r->Add(TimeHooks());
    r->Add(IpcHooks());
    return r;
  }();
  return reg->Find(name);
}

}  // namespace pwnbox::core::decode
