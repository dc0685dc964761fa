#include "filters/bpf.h"

#include <linux/audit.h>

#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "core/syscalls.h"

namespace pwnbox::filters {

uint32_t RunBpf(const std::vector<sock_filter>& prog, const seccomp_data& data) {
  uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = {};
  const auto* raw = reinterpret_cast<const uint8_t*>(&data);
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& f = prog[pc];
    uint32_t k = f.k;
    switch (BPF_CLASS(f.code)) {
      case BPF_LD:
        if (BPF_MODE(f.code) == BPF_ABS && BPF_SIZE(f.code) == BPF_W) {
          if (k % 4 || k + 4 > sizeof(seccomp_data)) return SECCOMP_RET_KILL_PROCESS;
          std::memcpy(&A, raw + k, 4);
        } else if (BPF_MODE(f.code) == BPF_IMM) {
          A = k;
        } else if (BPF_MODE(f.code) == BPF_MEM) {
          if (k >= BPF_MEMWORDS) return SECCOMP_RET_KILL_PROCESS;
          A = M[k];
        } else if (BPF_MODE(f.code) == BPF_LEN) {
          A = sizeof(seccomp_data);
        } else {
          return SECCOMP_RET_KILL_PROCESS;
        }
        break;
      case BPF_LDX:
        if (BPF_MODE(f.code) == BPF_IMM) X = k;
        else if (BPF_MODE(f.code) == BPF_MEM && k < BPF_MEMWORDS) X = M[k];
        else if (BPF_MODE(f.code) == BPF_LEN) X = sizeof(seccomp_data);
        else return SECCOMP_RET_KILL_PROCESS;
        break;
      case BPF_ST:
        if (k >= BPF_MEMWORDS) return SECCOMP_RET_KILL_PROCESS;
        M[k] = A;
        break;
      case BPF_STX:
        if (k >= BPF_MEMWORDS) return SECCOMP_RET_KILL_PROCESS;
        M[k] = X;
        break;
      case BPF_ALU: {
        uint32_t v = BPF_SRC(f.code) == BPF_X ? X : k;
        switch (BPF_OP(f.code)) {
          case BPF_ADD: A += v; break;
          case BPF_SUB: A -= v; break;
          case BPF_MUL: A *= v; break;
          case BPF_DIV: if (!v) return SECCOMP_RET_KILL_PROCESS; A /= v; break;
          case BPF_MOD: if (!v) return SECCOMP_RET_KILL_PROCESS; A %= v; break;
          case BPF_OR: A |= v; break;
          case BPF_AND: A &= v; break;
          case BPF_XOR: A ^= v; break;
          case BPF_LSH: A = v < 32 ? A << v : 0; break;
          case BPF_RSH: A = v < 32 ? A >> v : 0; break;
          case BPF_NEG: A = -A; break;
          default: return SECCOMP_RET_KILL_PROCESS;
        }
        break;
      }
      case BPF_JMP: {
        if (BPF_OP(f.code) == BPF_JA) {
          pc += k;
          break;
        }
        uint32_t v = BPF_SRC(f.code) == BPF_X ? X : k;
        bool t;
        switch (BPF_OP(f.code)) {
          case BPF_JEQ: t = A == v; break;
          case BPF_JGT: t = A > v; break;
          case BPF_JGE: t = A >= v; break;
          case BPF_JSET: t = (A & v) != 0; break;
          default: return SECCOMP_RET_KILL_PROCESS;
        }
        pc += t ? f.jt : f.jf;
        break;
      }
      case BPF_RET:
        return BPF_RVAL(f.code) == BPF_A ? A : k;
      case BPF_MISC:
        if (BPF_MISCOP(f.code) == BPF_TAX) X = A;
        else A = X;
        break;
    }
  }
  return SECCOMP_RET_KILL_PROCESS;
}

std::string RetName(uint32_t ret) {
  uint32_t data = ret & SECCOMP_RET_DATA;
  char buf[64];
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS: return "KILL_PROCESS";
    case SECCOMP_RET_KILL_THREAD: return "KILL";
    case SECCOMP_RET_TRAP: return "TRAP";
    case SECCOMP_RET_ERRNO: {
      std::string_view n = core::ErrnoName(static_cast<int>(data));
      if (!n.empty()) return "ERRNO(" + std::string(n) + ")";
      std::snprintf(buf, sizeof(buf), "ERRNO(%u)", data);
      return buf;
    }
    case SECCOMP_RET_USER_NOTIF: return "USER_NOTIF";
    case SECCOMP_RET_TRACE:
      std::snprintf(buf, sizeof(buf), "TRACE(%u)", data);
      return buf;
    case SECCOMP_RET_LOG: return "LOG";
    case SECCOMP_RET_ALLOW: return "ALLOW";
  }
  std::snprintf(buf, sizeof(buf), "0x%08x", ret);
  return buf;
}

namespace {

// What the accumulator holds at an instruction.
struct State {
  enum Kind : int8_t { kUnknown, kNr, kArch, kOther } a = kUnknown;
  uint32_t arch = 0;  // 0 = unknown
  bool reached = false;
};

void Merge(State& into, const State& from) {
  if (!into.reached) {
    into = from;
    into.reached = true;
    return;
  }
  if (into.a != from.a) into.a = State::kUnknown;
  if (into.arch != from.arch) into.arch = 0;
}

std::string ArchName(uint32_t k) {
  switch (k) {
    case AUDIT_ARCH_X86_64: return "ARCH_X86_64";
    case AUDIT_ARCH_I386: return "ARCH_I386";
    case AUDIT_ARCH_AARCH64: return "ARCH_AARCH64";
    default: {
      char buf[16];
      std::snprintf(buf, sizeof(buf), "0x%x", k);
      return buf;
    }
  }
}

std::string Operand(const State& s, uint32_t k) {
  char buf[32];
  if (s.a == State::kArch) return ArchName(k);
  if (s.a == State::kNr) {
    core::Abi abi = s.arch == AUDIT_ARCH_I386 ? core::Abi::kI386 : core::Abi::kX86_64;
    if (abi == core::Abi::kX86_64 && (k & 0x40000000u)) abi = core::Abi::kX32;
    std::string_view n = core::SyscallName(static_cast<int>(k), abi);
    if (!n.empty()) return std::string(n);
  }
  std::snprintf(buf, sizeof(buf), "0x%x", k);
  return buf;
}

std::string LoadName(uint32_t k) {
  if (k == offsetof(seccomp_data, nr)) return "sys_number";
  if (k == offsetof(seccomp_data, arch)) return "arch";
  if (k == offsetof(seccomp_data, instruction_pointer)) return "instruction_pointer";
  if (k == offsetof(seccomp_data, instruction_pointer) + 4) return "instruction_pointer >> 32";
  if (k >= offsetof(seccomp_data, args) && k < sizeof(seccomp_data)) {
    uint32_t off = k - offsetof(seccomp_data, args);
    std::string s = "args[" + std::to_string(off / 8) + "]";
    return off % 8 ? s + " >> 32" : s;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "data[0x%x]", k);
  return buf;
}

}  // namespace

std::string Disassemble(const std::vector<sock_filter>& prog) {
  std::vector<State> st(prog.size() + 1);
  if (!prog.empty()) st[0].reached = true;
  std::string out = " line  CODE  JT   JF      K\n=================================\n";
  char buf[160];
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& f = prog[pc];
    State s = st[pc];
    std::string text;
    auto go = [&](size_t target, const State& ns) {
      if (target < st.size()) Merge(st[target], ns);
    };
    auto label = [&](size_t target) {
      std::snprintf(buf, sizeof(buf), "%04zu", target);
      return std::string(buf);
    };
    switch (BPF_CLASS(f.code)) {
      case BPF_LD: {
        State ns = s;
        if (BPF_MODE(f.code) == BPF_ABS) {
          text = "A = " + LoadName(f.k);
          ns.a = f.k == offsetof(seccomp_data, nr) ? State::kNr
                 : f.k == offsetof(seccomp_data, arch) ? State::kArch : State::kOther;
        } else if (BPF_MODE(f.code) == BPF_IMM) {
          std::snprintf(buf, sizeof(buf), "A = 0x%x", f.k);
          text = buf;
          ns.a = State::kOther;
        } else if (BPF_MODE(f.code) == BPF_MEM) {
          text = "A = mem[" + std::to_string(f.k) + "]";
          ns.a = State::kOther;
        } else {
          text = "A = len";
          ns.a = State::kOther;
        }
        go(pc + 1, ns);
        break;
      }
      case BPF_LDX:
        text = BPF_MODE(f.code) == BPF_MEM ? "X = mem[" + std::to_string(f.k) + "]" : "X = " + std::to_string(f.k);
        go(pc + 1, s);
        break;
      case BPF_ST: text = "mem[" + std::to_string(f.k) + "] = A"; go(pc + 1, s); break;
      case BPF_STX: text = "mem[" + std::to_string(f.k) + "] = X"; go(pc + 1, s); break;
      case BPF_ALU: {
        static const char* kOps[] = {"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^="};
        uint32_t op = BPF_OP(f.code) >> 4;
        std::string v = BPF_SRC(f.code) == BPF_X ? "X" : Operand(State{}, f.k);
        text = BPF_OP(f.code) == BPF_NEG ? "A = -A" : "A " + std::string(op < 11 ? kOps[op] : "?=") + " " + v;
        State ns = s;
        ns.a = State::kOther;
        go(pc + 1, ns);
        break;
      }
      case BPF_JMP: {
        if (BPF_OP(f.code) == BPF_JA) {
          text = "goto " + label(pc + 1 + f.k);
          go(pc + 1 + f.k, s);
          break;
        }
        // Name syscall numbers in equalities and in range checks below the x32 bit.
        bool named = BPF_OP(f.code) == BPF_JEQ || !(f.k & 0x40000000u);
        std::string v = BPF_SRC(f.code) == BPF_X ? "X" : Operand(named ? s : State{}, f.k);
        const char* op = "?";
        const char* nop = "?";
        switch (BPF_OP(f.code)) {
          case BPF_JEQ: op = "=="; nop = "!="; break;
          case BPF_JGT: op = ">"; nop = "<="; break;
          case BPF_JGE: op = ">="; nop = "<"; break;
          case BPF_JSET: op = "&"; nop = "&"; break;
        }
        size_t t = pc + 1 + f.jt, e = pc + 1 + f.jf;
        State ts = s, es = s;
        if (BPF_OP(f.code) == BPF_JEQ && s.a == State::kArch && BPF_SRC(f.code) == BPF_K) ts.arch = f.k;
        go(t, ts);
        go(e, es);
        if (BPF_OP(f.code) == BPF_JSET) {
          text = "if (A & " + v + ") goto " + label(t) + (f.jf ? " else goto " + label(e) : "");
        } else if (f.jt == 0) {
          text = "if (A " + std::string(nop) + " " + v + ") goto " + label(e);
        } else {
          text = "if (A " + std::string(op) + " " + v + ") goto " + label(t) + (f.jf ? " else goto " + label(e) : "");
        }
        break;
      }
      case BPF_RET:
        text = BPF_RVAL(f.code) == BPF_A ? "return A" : "return " + RetName(f.k);
        break;
      case BPF_MISC:
        text = BPF_MISCOP(f.code) == BPF_TAX ? "X = A" : "A = X";
        {
          State ns = s;
          if (BPF_MISCOP(f.code) != BPF_TAX) ns.a = State::kOther;
          go(pc + 1, ns);
        }
        break;
    }
    std::snprintf(buf, sizeof(buf), " %04zu: 0x%02x 0x%02x 0x%02x 0x%08x  ", pc, f.code, f.jt, f.jf, f.k);
    out += buf + text + "\n";
  }
  return out;
}

}  // namespace pwnbox::filters
