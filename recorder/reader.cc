#include "recorder/reader.h"

#include <fcntl.h>
#include <lz4.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "recorder/format.h"

namespace pwnbox::recorder {
namespace {

constexpr uint64_t kMaxIndexBytes = 64u << 20;

}  // namespace

core::Result<Reader> Reader::Open(const std::string& path) {
  Reader r;
  r.path_ = path;
  r.fd_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!r.fd_) return core::ErrnoError(errno, "cannot open " + path);
  struct stat st;
  if (fstat(r.fd_.get(), &st) != 0) return core::ErrnoError(errno, "cannot stat " + path);
  if (!S_ISREG(st.st_mode)) return core::Error(path + " is not a regular file");
  r.file_size_ = static_cast<uint64_t>(st.st_size);
  if (r.file_size_ == 0) return core::Error(path + " is not a pwnbox recording (empty file)");

  std::string pre;
  PWNBOX_RETURN_IF_ERROR(
      r.ReadAt(0, std::min<uint64_t>(r.file_size_, format::kFilePreambleSize), &pre));
  if (std::memcmp(pre.data(), format::kFileMagic, std::min<size_t>(pre.size(), 4)) != 0) {
    return core::Error(path + " is not a pwnbox recording (bad magic)");
  }
  if (pre.size() < format::kFilePreambleSize) {
    return core::Error(path + " is truncated (incomplete header)");
  }
  const uint16_t version = format::GetU16(pre.data() + 4);
  if (version != format::kVersion) {
    return core::Error(path + " was written by format version " + std::to_string(version) +
                       "; this pwnbox reads version " + std::to_string(format::kVersion));
  }
  const uint32_t body_size = format::GetU32(pre.data() + 8);
  const uint32_t body_crc = format::GetU32(pre.data() + 12);
  if (body_size > format::kMaxHeaderBody) {
    return core::Error(path + ": header is corrupt (size " + std::to_string(body_size) + ")");
  }
  if (format::kFilePreambleSize + body_size > r.file_size_) {
    return core::Error(path + " is truncated (incomplete header)");
  }
  std::string body;
  PWNBOX_RETURN_IF_ERROR(r.ReadAt(format::kFilePreambleSize, body_size, &body));
  if (format::Crc32(body.data(), body.size()) != body_crc) {
    return core::Error(path + ": header is corrupt (checksum mismatch)");
  }
  if (!format::DecodeHeaderBody(body, &r.header_)) {
    return core::Error(path + ": header is corrupt (bad encoding)");
  }
  r.header_.version = version;
  r.header_.flags = format::GetU16(pre.data() + 6);
  r.data_start_ = format::kFilePreambleSize + body_size;
  r.data_end_ = r.file_size_;
  r.LoadIndex();
  r.next_chunk_ = r.data_start_;
  return r;
}

core::Status Reader::ReadAt(uint64_t offset, size_t len, std::string* out) const {
  out->resize(len);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd_.get(), out->data() + done, len - done,
                        static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return core::ErrnoError(errno, "cannot read " + path_);
    if (n == 0) return core::Error("cannot read " + path_ + ": file shrank while reading");
    done += static_cast<size_t>(n);
  }
  return core::Status();
}

void Reader::LoadIndex() {
  const uint64_t min_size = data_start_ + format::kIndexHeaderSize + format::kTrailerSize;
  if (file_size_ < min_size) return;
  const uint64_t trailer_at = file_size_ - format::kTrailerSize;
  std::string t;
  if (!ReadAt(trailer_at, format::kTrailerSize, &t).ok()) return;
  if (std::memcmp(t.data() + 20, format::kTrailerMagic, 4) != 0) return;
  const uint64_t index_at = format::GetU64(t.data());
  const uint64_t total = format::GetU64(t.data() + 8);
  const uint32_t crc = format::GetU32(t.data() + 16);
  if (index_at < data_start_ || index_at > trailer_at - format::kIndexHeaderSize) return;
  const uint64_t index_len = trailer_at - index_at;
  if (index_len > kMaxIndexBytes) return;
  std::string idx;
  if (!ReadAt(index_at, index_len, &idx).ok()) return;
  if (std::memcmp(idx.data(), format::kIndexMagic, 4) != 0) return;
  if (format::Crc32(idx.data(), idx.size()) != crc) return;
  const uint64_t n = format::GetU32(idx.data() + 4);
  if (n * format::kIndexEntrySize != index_len - format::kIndexHeaderSize) return;
  std::vector<IndexEntry> entries(n);
  uint64_t sum = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const char* p = idx.data() + format::kIndexHeaderSize + i * format::kIndexEntrySize;
    IndexEntry& e = entries[i];
    e.offset = format::GetU64(p);
    e.first_seq = format::GetU64(p + 8);
    e.count = format::GetU32(p + 16);
    const uint64_t min_offset =
        i == 0 ? data_start_ : entries[i - 1].offset + format::kChunkHeaderSize;
    if ((i == 0 && e.offset != data_start_) || e.offset < min_offset ||
        e.offset + format::kChunkHeaderSize > index_at ||
        (i > 0 && e.first_seq < entries[i - 1].first_seq)) {
      return;
    }
    sum += e.count;
  }
  if (sum != total || (n == 0 && index_at != data_start_)) return;
  index_ = std::move(entries);
  total_events_ = total;
  complete_ = true;
  data_end_ = index_at;
}

core::Error Reader::Corrupt(uint64_t offset, std::string_view why) const {
  return core::Error(path_ + ": chunk at byte " + std::to_string(offset) + " is corrupt (" +
                     std::string(why) + "); " + std::to_string(events_done_) +
                     " events before it are readable");
}

core::Error Reader::Truncated(uint64_t offset) const {
  return core::Error(path_ + " is truncated: chunk at byte " + std::to_string(offset) +
                     " is incomplete; " + std::to_string(events_done_) +
                     " events before it are readable");
}

core::Result<bool> Reader::ReadChunkHeader(uint64_t offset, IndexEntry* entry, uint32_t* csize,
                                           uint32_t* usize, uint32_t* crc) {
  if (offset >= data_end_) return false;
  const uint64_t remaining = data_end_ - offset;
  std::string h;
  PWNBOX_RETURN_IF_ERROR(
      ReadAt(offset, std::min<uint64_t>(remaining, format::kChunkHeaderSize), &h));
  // A killed writer may have left a partial index after its last chunk.
  if (!complete_ && h.size() >= 4 && std::memcmp(h.data(), format::kIndexMagic, 4) == 0) {
    return false;
  }
  if (std::memcmp(h.data(), format::kChunkMagic, std::min<size_t>(h.size(), 4)) != 0) {
    return Corrupt(offset, "bad chunk magic");
  }
  if (h.size() < format::kChunkHeaderSize) {
    if (complete_) return Corrupt(offset, "chunk header overlaps the index");
    return Truncated(offset);
  }
  *csize = format::GetU32(h.data() + 4);
  *usize = format::GetU32(h.data() + 8);
  entry->offset = offset;
  entry->first_seq = format::GetU64(h.data() + 12);
  entry->count = format::GetU32(h.data() + 20);
  *crc = format::GetU32(h.data() + 24);
  if (*csize > static_cast<uint32_t>(LZ4_compressBound(format::kMaxChunkUncompressed))) {
    return Corrupt(offset, "compressed size " + std::to_string(*csize) + " out of range");
  }
  if (format::kChunkHeaderSize + uint64_t{*csize} > remaining) {
    if (complete_) return Corrupt(offset, "chunk overlaps the index");
    return Truncated(offset);
  }
  return true;
}

core::Result<bool> Reader::LoadChunk(uint64_t offset) {
  IndexEntry entry;
  uint32_t csize = 0, usize = 0, crc = 0;
  PWNBOX_ASSIGN_OR_RETURN(bool found, ReadChunkHeader(offset, &entry, &csize, &usize, &crc));
  if (!found) return false;
  std::string hdr, compressed;
  PWNBOX_RETURN_IF_ERROR(ReadAt(offset + 4, format::kChunkHeaderSize - 8, &hdr));
  PWNBOX_RETURN_IF_ERROR(ReadAt(offset + format::kChunkHeaderSize, csize, &compressed));
  uint32_t actual = format::Crc32(hdr.data(), hdr.size());
  actual = format::Crc32(compressed.data(), compressed.size(), actual);
  if (actual != crc) return Corrupt(offset, "checksum mismatch");
  if (usize > format::kMaxChunkUncompressed) {
    return Corrupt(offset, "uncompressed size " + std::to_string(usize) + " out of range");
  }
  if (entry.count > usize) return Corrupt(offset, "event count out of range");
  chunk_.resize(usize);
  const int n = LZ4_decompress_safe(compressed.data(), chunk_.data(), static_cast<int>(csize),
                                    static_cast<int>(usize));
  if (n < 0 || static_cast<uint32_t>(n) != usize) return Corrupt(offset, "bad LZ4 data");
  chunk_pos_ = 0;
  chunk_left_ = entry.count;
  chunk_count_ = entry.count;
  chunk_offset_ = offset;
  codec_.Reset(entry.first_seq - 1);
  next_chunk_ = offset + format::kChunkHeaderSize + csize;
  events_done_ += entry.count;
  return true;
}

core::Result<bool> Reader::Next(Event* e) {
  for (;;) {
    if (failed_) return error_;
    if (chunk_left_ == 0) {
      if (chunk_pos_ != chunk_.size()) {
        events_done_ -= chunk_count_;
        error_ = Corrupt(chunk_offset_, "bytes after the last event");
        failed_ = true;
        continue;
      }
      auto loaded = LoadChunk(next_chunk_);
      if (!loaded.ok()) {
        error_ = loaded.error();
        failed_ = true;
        continue;
      }
      if (!*loaded) return false;
      continue;
    }
    format::Cursor c(std::string_view(chunk_).substr(chunk_pos_));
    if (!codec_.Decode(&c, e)) {
      events_done_ -= chunk_count_;
      error_ = Corrupt(chunk_offset_, codec_.why());
      failed_ = true;
      continue;
    }
    // Across chunks too, event numbers strictly increase.
    if (have_last_seq_ && e->seq <= last_seq_) {
      events_done_ -= chunk_count_;
      error_ = Corrupt(chunk_offset_, "event numbers do not increase");
      failed_ = true;
      continue;
    }
    have_last_seq_ = true;
    last_seq_ = e->seq;
    chunk_pos_ += c.pos();
    --chunk_left_;
    if (e->seq < skip_below_) continue;
    ++events_read_;
    return true;
  }
}

core::Status Reader::Seek(uint64_t seq) {
  chunk_.clear();
  chunk_pos_ = 0;
  chunk_left_ = 0;
  chunk_count_ = 0;
  failed_ = false;
  events_read_ = 0;
  have_last_seq_ = false;
  skip_below_ = seq;
  events_done_ = 0;
  if (complete_) {
    next_chunk_ = data_end_;
    if (index_.empty()) return core::Status();
    size_t chosen = 0;
    for (size_t k = 1; k < index_.size() && index_[k].first_seq <= seq; ++k) chosen = k;
    next_chunk_ = index_[chosen].offset;
    for (size_t k = 0; k < chosen; ++k) events_done_ += index_[k].count;
    return core::Status();
  }
  uint64_t offset = data_start_;
  uint64_t chosen = data_start_, chosen_before = 0, before = 0;
  for (;;) {
    IndexEntry entry;
    uint32_t csize = 0, usize = 0, crc = 0;
    auto found = ReadChunkHeader(offset, &entry, &csize, &usize, &crc);
    if (!found.ok() || !*found || entry.first_seq > seq) break;
    chosen = offset;
    chosen_before = before;
    before += entry.count;
    offset += format::kChunkHeaderSize + csize;
  }
  next_chunk_ = chosen;
  events_done_ = chosen_before;
  return core::Status();
}

}  // namespace pwnbox::recorder
