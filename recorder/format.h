// Internal to pwnbox::recorder: the byte layout of .pwnr files (docs/trace-format.md), shared
// by Writer and Reader. Not a public header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "recorder/event.h"

namespace pwnbox::recorder::format {

inline constexpr uint16_t kVersion = 1;
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

// Appends one event; `prev_seq`/`prev_time` are the previous event's in the chunk (0 first).
void EncodeEvent(const Event& e, uint64_t prev_seq, int64_t prev_time, std::string* out);
bool DecodeEvent(Cursor* c, uint64_t prev_seq, int64_t prev_time, Event* e);

}  // namespace pwnbox::recorder::format
