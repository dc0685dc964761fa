// pwnbox::recorder::Reader: reads a .pwnr recording (docs/trace-format.md).
//
// Safe on hostile input: it never crashes, hangs or allocates more than the format's caps
// (64 MiB per chunk, 16 MiB per string). A file with a valid trailer is complete() and seeks
// through its index; a file without one (the recording run was killed) is read chunk by chunk
// from the header, and reading stops at the first truncated or corrupt chunk with an error that
// says how many events before it were readable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/fd.h"
#include "core/status.h"
#include "recorder/event.h"
#include "recorder/format.h"

namespace pwnbox::recorder {

class Reader {
 public:
  struct IndexEntry {
    uint64_t offset = 0;     // byte offset of the chunk header in the file
    uint64_t first_seq = 0;  // seq of the chunk's first event
    uint32_t count = 0;      // events in the chunk
  };

  // Opens `path` and checks its header. Errors: "FILE is not a pwnbox recording (bad magic)",
  // "FILE was written by format version N; this pwnbox reads version 1", truncated or corrupt
  // header, I/O errors.
  static core::Result<Reader> Open(const std::string& path);

  Reader(Reader&&) = default;
  Reader& operator=(Reader&&) = default;

  const Header& header() const { return header_; }
  // True when the file ends with a valid index and trailer (the writer finished).
  bool complete() const { return complete_; }
  // The chunk index; empty when !complete().
  const std::vector<IndexEntry>& index() const { return index_; }
  // Total events as the trailer records it; valid when complete().
  uint64_t total_events() const { return total_events_; }

  // Reads the next event into `*e`. Returns false at the end of the recording (for an
  // incomplete file: at the end of its last whole chunk). Errors: "FILE: chunk at byte OFFSET
  // is corrupt (checksum mismatch); N events before it are readable", "FILE is truncated: chunk
  // at byte OFFSET is incomplete; N events before it are readable". After an error, Next()
  // keeps returning it.
  core::Result<bool> Next(Event* e);

  // Positions the reader so that Next() returns the first event whose seq >= `seq`. Uses the
  // index when complete(), otherwise walks chunk headers from the start. May return the same
  // errors as Next().
  core::Status Seek(uint64_t seq);

  // Events delivered by Next() since Open() or the last Seek().
  uint64_t events_read() const { return events_read_; }

 private:
  Reader() = default;
  core::Status ReadAt(uint64_t offset, size_t len, std::string* out) const;
  void LoadIndex();
  // Reads the chunk header at `offset`. Returns false (no error) at a clean end of the chunks.
  core::Result<bool> ReadChunkHeader(uint64_t offset, IndexEntry* entry, uint32_t* csize,
                                     uint32_t* usize, uint32_t* crc);
  core::Result<bool> LoadChunk(uint64_t offset);
  core::Error Corrupt(uint64_t offset, std::string_view why) const;
  core::Error Truncated(uint64_t offset) const;

  core::UniqueFd fd_;
  std::string path_;
  uint64_t file_size_ = 0;
  uint64_t data_start_ = 0;  // first chunk
  uint64_t data_end_ = 0;    // index offset when complete, else file size
  Header header_;
  bool complete_ = false;
  uint64_t total_events_ = 0;
  std::vector<IndexEntry> index_;

  // Iteration state.
  uint64_t next_chunk_ = 0;      // offset of the chunk after the loaded one
  uint64_t events_done_ = 0;     // events in the chunks before next_chunk_
  uint32_t chunk_count_ = 0;     // events in the loaded chunk
  std::string chunk_;            // decompressed events of the loaded chunk
  size_t chunk_pos_ = 0;
  uint32_t chunk_left_ = 0;      // events not yet decoded in chunk_
  uint64_t chunk_offset_ = 0;
  format::EventCodec codec_;  // the loaded chunk's decoding state
  uint64_t skip_below_ = 0;      // Seek: drop events with seq below this
  bool have_last_seq_ = false;   // last_seq_ is the seq of the last event decoded
  uint64_t last_seq_ = 0;
  uint64_t events_read_ = 0;
  bool failed_ = false;
  core::Error error_;
};

}  // namespace pwnbox::recorder
