// Internal to pwnbox::recorder: the byte layout of .pwnr files (docs/trace-format.md), shared
// by Writer and Reader (whose headers hold its codec state). Not for use outside recorder/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "recorder/event.h"

namespace pwnbox::recorder::format {

inline constexpr uint16_t kVersion = 2;
inline constexpr char kFileMagic[4] = {'P', 'W', 'N', 'R'};
inline constexpr char kChunkMagic[4] = {'C', 'H', 'N', 'K'};
inline constexpr char kIndexMagic[4] = {'I', 'N', 'D', 'X'};
inline constexpr char kTrailerMagic[4] = {'P', 'W', 'N', 'E'};

inline constexpr size_t kFilePreambleSize = 16;  // magic, version, flags, body size, body crc
inline constexpr size_t kChunkHeaderSize = 28;
inline constexpr size_t kIndexEntrySize = 20;
inline constexpr size_t kIndexHeaderSize = 8;   // magic, entry count
inline constexpr size_t kTrailerSize = 24;      // index offset, total events, index crc, magic

inline constexpr size_t kChunkTarget = 256 * 1024;           // writer hands off at this size
inline constexpr uint32_t kMaxChunkUncompressed = 64u << 20;  // readers refuse more
inline constexpr uint32_t kMaxHeaderBody = 64u << 20;
inline constexpr size_t kMaxString = 16u << 20;
inline constexpr size_t kMaxEventMemory = 32u << 20;  // blob bytes kept per event
inline constexpr size_t kMaxBlobs = 4096;             // blobs kept per list per event

uint32_t Crc32(const void* data, size_t len, uint32_t crc = 0);

void PutU16(std::string* out, uint16_t v);
void PutU32(std::string* out, uint32_t v);
void PutU64(std::string* out, uint64_t v);
uint16_t GetU16(const void* p);
uint32_t GetU32(const void* p);
uint64_t GetU64(const void* p);
void PutVarint(std::string* out, uint64_t v);
void PutZigzag(std::string* out, int64_t v);

// Bounds-checked cursor over untrusted bytes; every getter returns false at the end.
class Cursor {
 public:
  explicit Cursor(std::string_view data) : data_(data) {}
  bool Varint(uint64_t* v);
  bool Zigzag(int64_t* v);
  bool Byte(uint8_t* v);
  bool Fixed64(uint64_t* v);
  bool String(std::string* s, size_t max = kMaxString);
  size_t remaining() const { return data_.size() - pos_; }
  size_t pos() const { return pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// The header body (after the 16-byte preamble).
std::string EncodeHeaderBody(const Header& h);
bool DecodeHeaderBody(std::string_view body, Header* h);

// Events are coded against earlier events of the same chunk (docs/trace-format.md "Events"):
// an exit event names its entry instead of repeating the call, arguments are deltas from the
// previous call of the same syscall, and small memory blobs (stat structs, paths) are "same as"
// or word-wise deltas of the blob at the same place in that call. The state is reset at every
// chunk, so each chunk still decodes on its own. Encoder and decoder update it identically
// (Remember), which is what keeps them in step.
class EventCodec {
 public:
  // Starts a chunk whose first event has seq `first_seq`.
  void Reset(uint64_t first_seq);
  // Appends `e` to `out`.
  void Encode(const Event& e, std::string* out);
  // Decodes the next event; false on malformed or truncated input (never reads out of bounds).
  // Every field is checked against what a writer can produce (kind, ABI byte, increasing seq,
  // positive 32-bit task ids, 32-bit syscall numbers, the caps on memory), so readers can use
  // the values as indexes. why() says what was wrong.
  bool Decode(Cursor* c, Event* e);
  // Why the last Decode() failed: "bad event encoding" or the field that was out of range.
  std::string why() const { return invalid_ ? why_ : "bad event encoding"; }

  // The highest ABI byte (core::Abi::kX32); recorder does not depend on core's syscall tables.
  static constexpr uint8_t kMaxAbi = 2;

  // Blobs up to this size may serve as references for later ones.
  static constexpr size_t kMaxReferenceBlob = 4096;

 private:
  struct Call {
    uint8_t abi = 0;
    int32_t nr = 0;
    uint64_t args[6] = {};
  };
  static uint64_t Key(const Event& e);
  static uint64_t BlobKey(uint64_t key, int list, size_t index);
  void Remember(const Event& e);
  bool Invalid(std::string why);

  std::string why_;       // set by Invalid()
  bool invalid_ = false;  // the last Decode() failed a field check (why_ says which)
  bool first_ = true;  // no event decoded since Reset()
  uint64_t prev_seq_ = 0;
  int64_t prev_time_ = 0;
  int32_t prev_pid_ = 0;
  std::unordered_map<int32_t, Call> entries_;   // task -> its last syscall entry
  std::unordered_map<uint64_t, Call> calls_;     // (kind, nr) -> the last such event
  std::unordered_map<uint64_t, MemoryBlob> blobs_;  // (kind, nr, list, index) -> last blob
};

}  // namespace pwnbox::recorder::format
