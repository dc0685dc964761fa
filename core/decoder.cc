#include "core/decoder.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstddef>

#include <mutex>
#include <vector>

#include "core/decode_util.h"

namespace pwnbox::core {

using decode::ArgResult;
using decode::CallHooks;
using decode::Ctx;

namespace {

constexpr int kX32Bit = 0x40000000;

struct CallInfo {
  std::string_view name;
  const SyscallSig* sig = nullptr;
  const CallHooks* hooks = nullptr;
  ArgSpec::CType ctypes[6] = {};  // DeclaredCType of each argument
};

struct AbiInfo {
  std::vector<CallInfo> by_nr;  // indexed by number without the x32 bit
};

const AbiInfo& Infos(Abi abi) {
  static AbiInfo* const infos = [] {
    auto* all = new AbiInfo[3];
    for (Abi a : {Abi::kX86_64, Abi::kI386, Abi::kX32}) {
      AbiInfo& info = all[static_cast<int>(a)];
      for (int nr : AllSyscalls(a)) {
        int idx = nr & ~kX32Bit;
        if (idx < 0) continue;
        if (static_cast<size_t>(idx) >= info.by_nr.size()) info.by_nr.resize(idx + 1);
        CallInfo& ci = info.by_nr[idx];
        ci.name = SyscallName(nr, a);
        ci.sig = &Signature(ci.name);
        ci.hooks = decode::FindCallHooks(ci.name);
        for (int i = 0; i < 6; ++i) ci.ctypes[i] = DeclaredCType(*ci.sig, i);
      }
    }
    return all;
  }();
  return infos[static_cast<int>(abi)];
}

CallInfo Lookup(const SyscallCall& call, std::string* name) {
  const AbiInfo& info = Infos(call.abi);
  int idx = call.nr < 0 ? -1 : (call.nr & ~kX32Bit);
  if (idx >= 0 && static_cast<size_t>(idx) < info.by_nr.size() && info.by_nr[idx].sig) {
    *name = info.by_nr[idx].name;
    return info.by_nr[idx];
  }
  name->assign("syscall_");
  decode::AppendHex(name, static_cast<uint32_t>(call.nr));
  if (call.nr == 0) name->assign("syscall_0x0");
  CallInfo ci;
  ci.name = *name;
  ci.sig = &Signature("");
  for (ArgSpec::CType& t : ci.ctypes) t = ArgSpec::CType::kU64;
  return ci;
}

bool IsOut(const ArgSpec& spec) { return spec.out || spec.kind == ArgKind::kOutBuf; }

void AppendStrArray(Ctx& c, std::string* out, uint64_t addr) {
  if (addr == 0) {
    out->append("NULL");
    return;
  }
  const size_t word = c.Compat() ? 4 : 8;
  std::string elems;
  elems.push_back('[');
  for (size_t i = 0;; ++i) {
    uint64_t p;
    if (!decode::FetchWord(c, addr + i * word, &p)) {
      if (i == 0) {
        decode::AppendAddr(out, addr);
        return;
      }
      elems.append(", ...");
      break;
    }
    if (p == 0) break;
    if (i != 0) elems.append(", ");
    if (i >= c.Limit()) {
      elems.append("...");
      break;
    }
    decode::AppendCString(c, &elems, p);
  }
  elems.push_back(']');
  out->append(elems);
}

void AppendEnvArray(Ctx& c, std::string* out, uint64_t addr) {
  if (addr == 0) {
    out->append("NULL");
    return;
  }
  // Not abbreviated (-v, -e abbrev=): the variables themselves, as argv.
  if (!c.opt.abbrev.Has(c.name)) {
    AppendStrArray(c, out, addr);
    return;
  }
  const size_t word = c.Compat() ? 4 : 8;
  size_t n = 0;
  for (;; ++n) {
    uint64_t p;
    if (!decode::FetchWord(c, addr + n * word, &p) || p == 0) break;
    if (n > 1 << 20) break;
  }
  decode::AppendAddr(out, addr);
  out->append(" /* ");
  decode::AppendUDec(out, n);
  out->append(n == 1 ? " var */" : " vars */");
}

void FormatStruct(Ctx& c, int idx, const ArgSpec& spec, std::string* out) {
  const uint64_t addr = c.Arg(idx);
  if (addr == 0) {
    out->append("NULL");
    return;
  }
  // A failed call's kernel-written struct is its address, except where strace prints what it
  // knew at entry: socklen_t in/out, an iovec's bases, recvmsg's msg_namelen, a file_handle's
  // handle_bytes.
  const std::string_view table = spec.table != nullptr ? spec.table : "";
  if (IsOut(spec) && c.Failed() && table != "socklen" && table != "iovec" &&
      table != "msghdr" && table != "file_handle") {
    decode::AppendAddr(out, addr);
    return;
  }
  const decode::StructDecoder* d =
      spec.table ? decode::FindStructDecoder(spec.table) : nullptr;
  if (d == nullptr || (c.Compat() && !d->compat_ok)) {
    decode::AppendAddr(out, addr);
    return;
  }
  const size_t mark = out->size();
  if (!d->fn(c, addr, idx, out)) {
    out->resize(mark);
    decode::AppendAddr(out, addr);
  }
}

void FormatArg(Ctx& c, int idx, std::string* out) {
  const ArgSpec& spec = c.sig.args[idx];
  // Integers are printed with the width and signedness of their C type (an int is read from
  // the low 32 bits of the register); pointers and buffers keep the whole register.
  const uint64_t v = c.Arg(idx);
  const uint64_t u = c.UArg(idx);
  const bool is_signed =
      c.CType(idx) == ArgSpec::CType::kS32 || c.CType(idx) == ArgSpec::CType::kS64;
  switch (spec.kind) {
    case ArgKind::kInt:
    case ArgKind::kPid:
    case ArgKind::kUInt:
    case ArgKind::kOffset:
      if (is_signed) {
        decode::AppendDec(out, c.SArg(idx));
      } else {
        decode::AppendUDec(out, u);
      }
      break;
    case ArgKind::kUid:
      // i386's calls without the "32" suffix take 16-bit uids (old_uid_t): (uint16_t)-1 is -1.
      if (c.Compat() && !c.name.ends_with("32")) {
        const uint16_t id = static_cast<uint16_t>(v);
        decode::AppendUid(out, id == 0xffff ? 0xffffffffu : id);
      } else {
        decode::AppendUid(out, static_cast<uint32_t>(v));
      }
      break;
    case ArgKind::kHex:
      decode::AppendHex(out, u);
      break;
    case ArgKind::kPtr:
      decode::AppendAddr(out, v);
      break;
    case ArgKind::kFd:
      decode::AppendFd(c, out, static_cast<int32_t>(v));
      break;
    case ArgKind::kDirFd:
      decode::AppendDirFd(c, out, static_cast<int32_t>(v));
      break;
    case ArgKind::kPath:
      decode::AppendPath(c, out, v);
      break;
    case ArgKind::kString:
      decode::AppendCString(c, out, v);
      break;
    case ArgKind::kInBuf: {
      uint64_t len = spec.len_arg >= 0 ? c.Arg(spec.len_arg) : c.Limit();
      decode::AppendBuffer(c, out, v, len);
      break;
    }
    case ArgKind::kOutBuf: {
      if (c.Failed() || !c.exiting) {
        decode::AppendAddr(out, v);
        break;
      }
      uint64_t len = static_cast<uint64_t>(c.call.ret);
      if (spec.len_arg >= 0 && c.Arg(spec.len_arg) < len) len = c.Arg(spec.len_arg);
      decode::AppendBuffer(c, out, v, len);
      break;
    }
    case ArgKind::kFlags:
      decode::AppendFlags(out, spec.table, u);
      break;
    case ArgKind::kEnum:
      decode::AppendEnum(out, spec.table, u);
      break;
    case ArgKind::kMode:
      // Numeric, as strace's print_numeric_umode_t: only mknod names file types (its hook).
      decode::AppendOct(out, u);
      break;
    case ArgKind::kSignal:
      decode::AppendSignal(out, static_cast<int32_t>(v));
      break;
    case ArgKind::kStruct:
      if (c.opt.verbose.Has(c.name)) FormatStruct(c, idx, spec, out);
      else decode::AppendAddr(out, v);
      break;
    case ArgKind::kStrArray:
      if (c.opt.verbose.Has(c.name)) AppendStrArray(c, out, v);
      else decode::AppendAddr(out, v);
      break;
    case ArgKind::kEnvArray:
      if (c.opt.verbose.Has(c.name)) AppendEnvArray(c, out, v);
      else decode::AppendAddr(out, v);
      break;
  }
}

// Decodes arguments [from, to) into out->args.
void DecodeArgs(Ctx& c, const CallHooks* hooks, int from, int to, DecodedCall* out) {
  for (int i = from; i < to; ++i) {
    std::string text;
    ArgResult r = ArgResult::kGeneric;
    if (hooks != nullptr && hooks->arg != nullptr) r = hooks->arg(c, i, &text);
    if (r == ArgResult::kOmit) continue;
    if (r == ArgResult::kGeneric) {
      text.clear();
      FormatArg(c, i, &text);
    }
    out->args.push_back(std::move(text));
  }
}

int EntrySplit(Ctx& c, const CallHooks* hooks) {
  if (hooks != nullptr && hooks->entry_split != nullptr) {
    int n = hooks->entry_split(c);
    if (n >= 0) return std::min<int>(n, c.sig.nargs);
  }
  for (int i = 0; i < c.sig.nargs; ++i) {
    if (IsOut(c.sig.args[i])) return i;
  }
  return c.sig.nargs;
}

void FormatRet(Ctx& c, const CallHooks* hooks, std::string* ret) {
  const int64_t r = c.call.ret;
  ret->clear();
  if (c.sig.ret == RetKind::kNoReturn) {
    ret->push_back('?');
    return;
  }
  if (c.Failed()) {
    decode::AppendError(ret, static_cast<int>(-r));
    return;
  }
  if (hooks != nullptr && hooks->ret != nullptr && hooks->ret(c, ret)) return;
  switch (c.sig.ret) {
    case RetKind::kHex:
      decode::AppendHex(ret, c.Compat() ? (static_cast<uint64_t>(r) & 0xffffffffu)
                                        : static_cast<uint64_t>(r));
      break;
    case RetKind::kFd:
      decode::AppendFd(c, ret, static_cast<int>(r));
      break;
    default:
      decode::AppendDec(ret, r);
      break;
  }
}

// -e raw=SET: every argument of the call's signature as its register, in hex ("0" for 0), as
// strace's printargs.
void RawArgs(Ctx& c, DecodedCall* out) {
  for (int i = 0; i < c.sig.nargs; ++i) {
    std::string text;
    decode::AppendHex(&text, c.Arg(i));
    out->args.push_back(std::move(text));
  }
}

void Pad(std::string* s, size_t column, size_t align) {
  if (column < align) {
    s->append(align - column, ' ');
  } else {
    s->push_back(' ');
  }
}

void JoinArgs(const std::vector<std::string>& args, size_t from, size_t to, std::string* s) {
  for (size_t i = from; i < to; ++i) {
    if (i != from) s->append(", ");
    s->append(args[i]);
  }
}

}  // namespace

void Decoder::Entry(const SyscallCall& call, TargetMemory& mem, DecodedCall* out) const {
  decode::StyleScope style(options_.xlat);
  out->args.clear();
  out->ret.clear();
  out->error.clear();
  out->has_exit = false;
  out->entry_sep = false;
  out->entry_suffix.clear();
  out->align = options_.column;
  CallInfo ci = Lookup(call, &out->name);
  Ctx c{call, mem, options_, *ci.sig, out->name, false, out, ci.ctypes};
  if (c.sig.ret == RetKind::kNoReturn) out->ret = "?";  // exit_group never reaches Exit()
  if (options_.raw.Has(out->name)) {
    RawArgs(c, out);
    out->entry_args = out->args.size();
    return;
  }
  for (uint64_t& v : out->saved) v = 0;
  for (int i = 0; i < c.sig.nargs; ++i) {
    const ArgSpec& spec = c.sig.args[i];
    if (spec.kind != ArgKind::kStruct || !spec.out || spec.table == nullptr) continue;
    const std::string_view table = spec.table;
    uint32_t v;
    if (table == "socklen" || table == "file_handle") {  // handle_bytes: in, maybe out
      if (decode::Fetch(c, c.Arg(i), &v)) out->saved[i] = v | (uint64_t{1} << 32);
    } else if (table == "msghdr") {  // msg_namelen, which the kernel rewrites
      if (decode::Fetch(c, c.Arg(i) + offsetof(msghdr, msg_namelen), &v)) {
        out->saved[i] = v | (uint64_t{1} << 32);
      }
    }
  }
  if (ci.hooks != nullptr && ci.hooks->layout != nullptr) {
    ci.hooks->layout(c, out);
    out->entry_args = out->args.size();
    return;
  }
  const int split = EntrySplit(c, ci.hooks);
  DecodeArgs(c, ci.hooks, 0, split, out);
  out->entry_args = out->args.size();
  out->entry_sep = split < c.sig.nargs && !out->args.empty();
}

void Decoder::Exit(const SyscallCall& call, TargetMemory& mem, DecodedCall* out) const {
  decode::StyleScope style(options_.xlat);
  if (out->name.empty()) Entry(call, mem, out);
  std::string name;
  CallInfo ci = Lookup(call, &name);
  Ctx c{call, mem, options_, *ci.sig, out->name, true, out, ci.ctypes};
  out->args.resize(out->entry_args);
  out->entry_suffix.clear();
  if (options_.raw.Has(out->name)) {
    // The result too, in hex; a failure keeps its errno ("-1 ENOENT (...)").
    out->ret.clear();
    out->error.clear();
    if (c.sig.ret == RetKind::kNoReturn) out->ret = "?";
    else if (c.Failed()) decode::AppendError(&out->ret, static_cast<int>(-call.ret));
    else decode::AppendHex(&out->ret, static_cast<uint64_t>(call.ret));
    if (c.Failed()) out->error = ErrnoName(static_cast<int>(-call.ret));
    out->has_exit = true;
    return;
  }
  if (ci.hooks != nullptr && ci.hooks->layout != nullptr) {
    ci.hooks->layout(c, out);
  } else {
    const int split = EntrySplit(c, ci.hooks);
    DecodeArgs(c, ci.hooks, split, c.sig.nargs, out);
  }
  FormatRet(c, ci.hooks, &out->ret);
  out->error.clear();
  if (c.Failed()) out->error = ErrnoName(static_cast<int>(-call.ret));
  out->has_exit = true;
}

std::string DecodedCall::Line() const { return Line(0); }

std::string DecodedCall::Line(size_t column) const {
  std::string s;
  s.reserve(64 + name.size() + args.size() * 16 + ret.size());
  s.append(name);
  s.push_back('(');
  const size_t split = std::min(entry_args, args.size());
  JoinArgs(args, 0, split, &s);
  s.append(entry_suffix);
  if (split != 0 && split < args.size()) s.append(", ");
  JoinArgs(args, split, args.size(), &s);
  s.push_back(')');
  Pad(&s, column + s.size(), align);
  s.append("= ");
  s.append(ret);
  return s;
}

std::string DecodedCall::EntryText() const {
  std::string s;
  s.append(name);
  s.push_back('(');
  JoinArgs(args, 0, std::min(entry_args, args.size()), &s);
  if (entry_sep) s.append(", ");
  return s;
}

std::string DecodedCall::ResumedText() const { return ResumedText(0); }

std::string DecodedCall::ResumedText(size_t column) const {
  std::string s;
  const size_t from = std::min(entry_args, args.size());
  s.append(entry_suffix);
  if (from < args.size() && from != 0 && !entry_sep) s.append(", ");
  JoinArgs(args, from, args.size(), &s);
  s.push_back(')');
  Pad(&s, column + s.size(), align);
  s.append("= ");
  s.append(ret);
  return s;
}

bool SyscallNameSet::Has(std::string_view name) const {
  return all || std::binary_search(names.begin(), names.end(), name);
}

std::string QuoteString(std::string_view data, size_t limit, bool truncated_by_caller) {
  std::string out;
  const bool cut = data.size() > limit;
  decode::AppendQuoted(&out, cut ? data.substr(0, limit) : data);
  if (cut || truncated_by_caller) out.append("...");
  return out;
}

}  // namespace pwnbox::core
