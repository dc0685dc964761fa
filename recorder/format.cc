#include "recorder/format.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace pwnbox::recorder::format {
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

bool GetBlobs(Cursor* c, std::vector<MemoryBlob>* blobs) {
  uint64_t n;
  if (!c->Varint(&n) || n > kMaxBlobs || n > c->remaining() / 2) return false;
  blobs->clear();
  for (uint64_t i = 0; i < n; ++i) {
    MemoryBlob& b = blobs->emplace_back();
    if (!c->Varint(&b.addr) || !c->String(&b.bytes)) return false;
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

void EncodeEvent(const Event& e, uint64_t prev_seq, int64_t prev_time, std::string* out) {
  out->push_back(static_cast<char>(e.kind));
  PutVarint(out, e.seq - prev_seq);
  PutZigzag(out, e.pid);
  PutZigzag(out, e.tgid);
  PutZigzag(out, static_cast<int64_t>(static_cast<uint64_t>(e.time_ns) -
                                      static_cast<uint64_t>(prev_time)));
  out->push_back(static_cast<char>(e.abi));
  PutZigzag(out, e.nr);
  for (uint64_t a : e.args) PutVarint(out, a);
  PutZigzag(out, e.ret);
  out->push_back(e.returned ? 1 : 0);
  PutZigzag(out, e.dur_ns);
  // Memory kept per event is capped (kMaxEventMemory in all, kMaxString per blob): a blob past
  // the budget is cut, later ones dropped.
  size_t budget = kMaxEventMemory;
  for (const auto* blobs : {&e.entry_mem, &e.exit_mem}) {
    size_t n = 0;
    size_t b2 = budget;
    for (const auto& b : *blobs) {
      if (b2 == 0 || n == kMaxBlobs) break;
      ++n;
      b2 -= std::min(b2, std::min(b.bytes.size(), kMaxString));
    }
    PutVarint(out, n);
    for (size_t i = 0; i < n; ++i) {
      const auto& b = (*blobs)[i];
      size_t len = std::min({b.bytes.size(), kMaxString, budget});
      budget -= len;
      PutVarint(out, b.addr);
      PutString(out, std::string_view(b.bytes).substr(0, len));
    }
  }
  PutString(out, std::string_view(e.data).substr(0, kMaxString));
}

bool DecodeEvent(Cursor* c, uint64_t prev_seq, int64_t prev_time, Event* e) {
  uint8_t kind, abi, returned;
  uint64_t dseq;
  int64_t pid, tgid, dtime, nr;
  if (!c->Byte(&kind) || kind > Event::kLastKind || !c->Varint(&dseq) || !c->Zigzag(&pid) ||
      !c->Zigzag(&tgid) || !c->Zigzag(&dtime) || !c->Byte(&abi) || !c->Zigzag(&nr)) {
    return false;
  }
  e->kind = static_cast<Event::Kind>(kind);
  e->seq = prev_seq + dseq;
  e->pid = static_cast<int32_t>(pid);
  e->tgid = static_cast<int32_t>(tgid);
  e->time_ns = static_cast<int64_t>(static_cast<uint64_t>(prev_time) + static_cast<uint64_t>(dtime));
  e->abi = abi;
  e->nr = static_cast<int32_t>(nr);
  for (uint64_t& a : e->args) {
    if (!c->Varint(&a)) return false;
  }
  if (!c->Zigzag(&e->ret) || !c->Byte(&returned) || returned > 1 || !c->Zigzag(&e->dur_ns)) {
    return false;
  }
  e->returned = returned != 0;
  return GetBlobs(c, &e->entry_mem) && GetBlobs(c, &e->exit_mem) && c->String(&e->data);
}

}  // namespace pwnbox::recorder::format
