#include "recorder/format.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>

#include "core/syscalls.h"

namespace pwnbox::recorder::format {

static_assert(EventCodec::kMaxAbi == static_cast<uint8_t>(core::Abi::kX32));

namespace {

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

uint64_t Zig(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t Unzig(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

// True when `e` is within the caps on stored memory (kMaxBlobs, kMaxString, kMaxEventMemory).
bool WithinCaps(const Event& e) {
  size_t total = 0;
  for (const auto* blobs : {&e.entry_mem, &e.exit_mem}) {
    if (blobs->size() > kMaxBlobs) return false;
    for (const auto& b : *blobs) {
      if (b.bytes.size() > kMaxString) return false;
      total += b.bytes.size();
    }
  }
  return total <= kMaxEventMemory && e.data.size() <= kMaxString;
}

// `e` cut to the caps: a blob past the budget is cut, later ones dropped.
Event Capped(const Event& e) {
  Event out = e;
  size_t budget = kMaxEventMemory;
  for (auto* blobs : {&out.entry_mem, &out.exit_mem}) {
    size_t n = 0;
    for (auto& b : *blobs) {
      if (budget == 0 || n == kMaxBlobs) break;
      b.bytes.resize(std::min({b.bytes.size(), kMaxString, budget}));
      budget -= b.bytes.size();
      ++n;
    }
    blobs->resize(n);
  }
  if (out.data.size() > kMaxString) out.data.resize(kMaxString);
  return out;
}

// Flags of an event's first byte (after the 3-bit kind).
constexpr uint8_t kSeqNext = 1 << 3;     // seq is the previous seq + 1
constexpr uint8_t kSamePid = 1 << 4;     // pid is the previous event's
constexpr uint8_t kTgidIsPid = 1 << 5;   // tgid == pid
constexpr uint8_t kMicros = 1 << 6;      // time delta and duration are whole microseconds, stored / 1000
constexpr uint8_t kSameCall = 1 << 7;    // a syscall exit of the task's last entry (abi, nr, args)
// Flags of the second byte.
constexpr uint8_t kReturned = 1 << 0;
constexpr uint8_t kHasRet = 1 << 1;
constexpr uint8_t kHasDur = 1 << 2;
constexpr uint8_t kRetUnknown = 1 << 3;  // with kReturned and without kHasRet
// Blob modes.
constexpr uint8_t kBlobRaw = 0;
constexpr uint8_t kBlobSame = 1;   // the bytes of the reference blob
constexpr uint8_t kBlobWords = 2;  // per 8-byte word, zigzag(word - reference word)

uint64_t Word(const std::string& s, size_t at) {
  uint64_t w;
  std::memcpy(&w, s.data() + at, 8);
  return w;
}

// Same-sized structs (stat, statx, timespec, rlimit...) of one syscall differ in a few fields:
// appends mode kBlobWords and the word deltas of `bytes` against `ref` when that takes at most
// half the raw size (data buffers, whose deltas are noise, stay raw). Returns whether it did.
bool PutWordDeltas(const std::string& bytes, const std::string& ref, std::string* out) {
  const size_t start = out->size();
  out->push_back(static_cast<char>(kBlobWords));
  for (size_t at = 0; at < bytes.size(); at += 8) {
    PutZigzag(out, static_cast<int64_t>(Word(bytes, at) - Word(ref, at)));
    if (out->size() - start > bytes.size() / 2) {
      out->resize(start);
      return false;
    }
  }
  return true;
}

}  // namespace

uint32_t Crc32(const void* data, size_t len, uint32_t crc) {
  const auto* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < len; ++i) crc = kCrcTable[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

void PutU16(std::string* out, uint16_t v) {
  for (int i = 0; i < 2; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint16_t GetU16(const void* p) {
  const auto* b = static_cast<const uint8_t*>(p);
  return static_cast<uint16_t>(b[0] | (b[1] << 8));
}
uint32_t GetU32(const void* p) {
  const auto* b = static_cast<const uint8_t*>(p);
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}
uint64_t GetU64(const void* p) {
  const auto* b = static_cast<const uint8_t*>(p);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}
void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void PutZigzag(std::string* out, int64_t v) { PutVarint(out, Zig(v)); }

bool Cursor::Varint(uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= data_.size()) return false;
    uint8_t b = static_cast<uint8_t>(data_[pos_++]);
    r |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = r;
      return true;
    }
  }
  return false;  // more than 10 bytes
}
bool Cursor::Zigzag(int64_t* v) {
  uint64_t u;
  if (!Varint(&u)) return false;
  *v = Unzig(u);
  return true;
}
bool Cursor::Byte(uint8_t* v) {
  if (pos_ >= data_.size()) return false;
  *v = static_cast<uint8_t>(data_[pos_++]);
  return true;
}
bool Cursor::Fixed64(uint64_t* v) {
  if (remaining() < 8) return false;
  *v = GetU64(data_.data() + pos_);
  pos_ += 8;
  return true;
}
bool Cursor::String(std::string* s, size_t max) {
  uint64_t n;
  if (!Varint(&n) || n > max || n > remaining()) return false;
  s->assign(data_.substr(pos_, n));
  pos_ += n;
  return true;
}

std::string EncodeHeaderBody(const Header& h) {
  std::string out;
  PutU64(&out, static_cast<uint64_t>(h.created_ns));
  PutString(&out, h.command_line);
  PutVarint(&out, h.metadata.size());
  for (const auto& [k, v] : h.metadata) {
    PutString(&out, k);
    PutString(&out, v);
  }
  return out;
}

bool DecodeHeaderBody(std::string_view body, Header* h) {
  Cursor c(body);
  uint64_t created, n;
  if (!c.Fixed64(&created) || !c.String(&h->command_line) || !c.Varint(&n)) return false;
  h->created_ns = static_cast<int64_t>(created);
  if (n > c.remaining() / 2) return false;
  h->metadata.clear();
  for (uint64_t i = 0; i < n; ++i) {
    std::string k, v;
    if (!c.String(&k) || !c.String(&v)) return false;
    h->metadata[std::move(k)] = std::move(v);
  }
  return c.remaining() == 0;
}

void EventCodec::Reset(uint64_t first_seq) {
  first_ = true;
  prev_seq_ = first_seq;
  prev_time_ = 0;
  prev_pid_ = 0;
  entries_.clear();
  calls_.clear();
  blobs_.clear();
}

uint64_t EventCodec::Key(const Event& e) {
  return (uint64_t{static_cast<uint32_t>(e.nr)} << 32) | (uint64_t{e.abi} << 24) |
         (uint64_t{static_cast<uint8_t>(e.kind)} << 16);
}

uint64_t EventCodec::BlobKey(uint64_t key, int list, size_t index) {
  // Key() leaves the low 16 bits clear: the list and the blob's index go there.
  return key | (static_cast<uint64_t>(list) << 15) | std::min<uint64_t>(index, 0x7fff);
}

void EventCodec::Remember(const Event& e) {
  first_ = false;
  prev_seq_ = e.seq;
  prev_time_ = e.time_ns;
  prev_pid_ = e.pid;
  Call call{e.abi, e.nr, {}};
  std::memcpy(call.args, e.args, sizeof call.args);
  const uint64_t key = Key(e);
  calls_[key] = call;
  if (e.kind == Event::Kind::kSyscall && !e.returned) entries_[e.pid] = call;
  int list = 0;
  for (const auto* blobs : {&e.entry_mem, &e.exit_mem}) {
    for (size_t i = 0; i < blobs->size(); ++i) {
      const MemoryBlob& b = (*blobs)[i];
      const uint64_t bk = BlobKey(key, list, i);
      if (b.bytes.size() <= kMaxReferenceBlob) {
        blobs_[bk] = b;
      } else {
        blobs_.erase(bk);
      }
    }
    ++list;
  }
}

void EventCodec::Encode(const Event& event, std::string* out) {
  if (!WithinCaps(event)) {
    Encode(Capped(event), out);
    return;
  }
  const Event& e = event;
  const int64_t dtime = static_cast<int64_t>(static_cast<uint64_t>(e.time_ns) -
                                             static_cast<uint64_t>(prev_time_));
  const bool micros = dtime % 1000 == 0 && e.dur_ns % 1000 == 0;
  bool same_call = false;
  if (e.kind == Event::Kind::kSyscall && e.returned) {
    auto it = entries_.find(e.pid);
    same_call = it != entries_.end() && it->second.abi == e.abi && it->second.nr == e.nr &&
                std::memcmp(it->second.args, e.args, sizeof e.args) == 0;
  }
  uint8_t flags = static_cast<uint8_t>(e.kind);
  if (e.seq == prev_seq_ + 1) flags |= kSeqNext;
  if (e.pid == prev_pid_) flags |= kSamePid;
  if (e.tgid == e.pid) flags |= kTgidIsPid;
  if (micros) flags |= kMicros;
  if (same_call) flags |= kSameCall;
  out->push_back(static_cast<char>(flags));
  if (!(flags & kSeqNext)) PutVarint(out, e.seq - prev_seq_);
  if (!(flags & kSamePid)) PutZigzag(out, e.pid);
  if (!(flags & kTgidIsPid)) PutZigzag(out, e.tgid);
  PutZigzag(out, micros ? dtime / 1000 : dtime);
  const uint64_t key = Key(e);
  if (!same_call) {
    out->push_back(static_cast<char>(e.abi));
    PutZigzag(out, e.nr);
    auto it = calls_.find(key);
    const uint64_t* ref = it != calls_.end() ? it->second.args : nullptr;
    uint8_t mask = 0;
    for (int i = 0; i < 6; ++i) {
      if (e.args[i] != (ref ? ref[i] : 0)) mask |= static_cast<uint8_t>(1 << i);
    }
    out->push_back(static_cast<char>(mask));
    for (int i = 0; i < 6; ++i) {
      if (mask & (1 << i)) PutZigzag(out, static_cast<int64_t>(e.args[i] - (ref ? ref[i] : 0)));
    }
  }
  uint8_t result = 0;
  if (e.returned) result |= kReturned;
  if (e.ret != 0) result |= kHasRet;
  if (e.dur_ns != 0) result |= kHasDur;
  if (e.returned && e.ret_unknown && e.ret == 0) result |= kRetUnknown;
  out->push_back(static_cast<char>(result));
  if (result & kHasRet) PutZigzag(out, e.ret);
  if (result & kHasDur) PutZigzag(out, micros ? e.dur_ns / 1000 : e.dur_ns);
  int list = 0;
  for (const auto* blobs : {&e.entry_mem, &e.exit_mem}) {
    PutVarint(out, blobs->size());
    for (size_t i = 0; i < blobs->size(); ++i) {
      const MemoryBlob& b = (*blobs)[i];
      auto it = blobs_.find(BlobKey(key, list, i));
      const MemoryBlob* ref = it != blobs_.end() ? &it->second : nullptr;
      const bool words = ref && ref->bytes.size() == b.bytes.size() && b.bytes.size() % 8 == 0;
      if (ref && ref->bytes == b.bytes) {
        out->push_back(static_cast<char>(kBlobSame));
      } else if (!words || !PutWordDeltas(b.bytes, ref->bytes, out)) {
        out->push_back(static_cast<char>(kBlobRaw));
        PutString(out, b.bytes);
      }
      PutZigzag(out, static_cast<int64_t>(b.addr - (ref ? ref->addr : 0)));
    }
    ++list;
  }
  PutString(out, e.data);
  Remember(e);
}

bool EventCodec::Decode(Cursor* c, Event* e) {
  invalid_ = false;
  uint8_t flags;
  if (!c->Byte(&flags)) return false;
  if ((flags & 7) > Event::kLastKind) return Invalid("event kind out of range");
  *e = Event{};
  e->kind = static_cast<Event::Kind>(flags & 7);
  uint64_t dseq = 1;
  if (!(flags & kSeqNext) && !c->Varint(&dseq)) return false;
  // Event numbers strictly increase (readers key maps and seeks on them).
  // (A chunk's first event may wrap: Reset(first_seq - 1) with first_seq 0.)
  if (dseq == 0 || (!first_ && prev_seq_ + dseq < prev_seq_))
    return Invalid("event numbers do not increase");
  e->seq = prev_seq_ + dseq;
  int64_t v;
  // Task ids are non-negative 32-bit numbers, as the kernel's are.
  auto task_id = [](int64_t id) { return id >= 0 && id <= INT32_MAX; };
  if (flags & kSamePid) {
    e->pid = prev_pid_;
  } else {
    if (!c->Zigzag(&v)) return false;
    if (!task_id(v)) return Invalid("task id out of range");
    e->pid = static_cast<int32_t>(v);
  }
  if (flags & kTgidIsPid) {
    e->tgid = e->pid;
  } else {
    if (!c->Zigzag(&v)) return false;
    if (!task_id(v)) return Invalid("thread group id out of range");
    e->tgid = static_cast<int32_t>(v);
  }
  const bool micros = flags & kMicros;
  int64_t dtime;
  if (!c->Zigzag(&dtime)) return false;
  if (micros) dtime = static_cast<int64_t>(static_cast<uint64_t>(dtime) * 1000);
  e->time_ns = static_cast<int64_t>(static_cast<uint64_t>(prev_time_) + static_cast<uint64_t>(dtime));
  if (flags & kSameCall) {
    auto it = entries_.find(e->pid);
    if (e->kind != Event::Kind::kSyscall || it == entries_.end()) return false;
    e->abi = it->second.abi;
    e->nr = it->second.nr;
    std::memcpy(e->args, it->second.args, sizeof e->args);
  } else {
    uint8_t mask;
    if (!c->Byte(&e->abi) || !c->Zigzag(&v) || !c->Byte(&mask)) return false;
    // The ABI byte indexes per-ABI syscall tables: anything but core::Abi's three values would
    // read past them.
    if (e->abi > kMaxAbi) return Invalid("ABI byte " + std::to_string(e->abi) + " out of range");
    if (v < INT32_MIN || v > INT32_MAX) return Invalid("syscall number out of range");
    if (mask > 0x3f) return false;
    e->nr = static_cast<int32_t>(v);
    auto it = calls_.find(Key(*e));
    for (int i = 0; i < 6; ++i) {
      const uint64_t ref = it != calls_.end() ? it->second.args[i] : 0;
      int64_t d = 0;
      if ((mask & (1 << i)) && !c->Zigzag(&d)) return false;
      e->args[i] = ref + static_cast<uint64_t>(d);
    }
  }
  uint8_t result;
  if (!c->Byte(&result) || result > 15) return false;
  // An unknown result is one of a call that returned, with no value.
  if ((result & kRetUnknown) && (!(result & kReturned) || (result & kHasRet))) return false;
  e->returned = result & kReturned;
  e->ret_unknown = result & kRetUnknown;
  if ((result & kHasRet) && !c->Zigzag(&e->ret)) return false;
  if (result & kHasDur) {
    if (!c->Zigzag(&e->dur_ns)) return false;
    if (micros) e->dur_ns = static_cast<int64_t>(static_cast<uint64_t>(e->dur_ns) * 1000);
  }
  const uint64_t key = Key(*e);
  size_t budget = kMaxEventMemory;
  int list = 0;
  for (auto* blobs : {&e->entry_mem, &e->exit_mem}) {
    uint64_t n;
    if (!c->Varint(&n) || n > kMaxBlobs || n > c->remaining() / 2) return false;
    blobs->resize(n);
    for (size_t i = 0; i < n; ++i) {
      MemoryBlob& b = (*blobs)[i];
      auto it = blobs_.find(BlobKey(key, list, i));
      const MemoryBlob* ref = it != blobs_.end() ? &it->second : nullptr;
      uint8_t mode;
      if (!c->Byte(&mode)) return false;
      switch (mode) {
        case kBlobRaw:
          if (!c->String(&b.bytes)) return false;
          break;
        case kBlobSame:
          if (!ref) return false;
          b.bytes = ref->bytes;
          break;
        case kBlobWords:
          if (!ref || ref->bytes.size() % 8 != 0) return false;
          b.bytes.resize(ref->bytes.size());
          for (size_t at = 0; at < b.bytes.size(); at += 8) {
            int64_t d;
            if (!c->Zigzag(&d)) return false;
            const uint64_t w = Word(ref->bytes, at) + static_cast<uint64_t>(d);
            std::memcpy(b.bytes.data() + at, &w, 8);
          }
          break;
        default:
          return false;
      }
      if (b.bytes.size() > budget) return false;
      budget -= b.bytes.size();
      int64_t daddr;
      if (!c->Zigzag(&daddr)) return false;
      b.addr = (ref ? ref->addr : 0) + static_cast<uint64_t>(daddr);
    }
    ++list;
  }
  if (!c->String(&e->data)) return false;
  Remember(*e);
  return true;
}

bool EventCodec::Invalid(std::string why) {
  why_ = std::move(why);
  invalid_ = true;
  return false;
}

}  // namespace pwnbox::recorder::format
