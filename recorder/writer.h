// pwnbox::recorder::Writer: writes a .pwnr recording (docs/trace-format.md).
//
// Append() is the tracer's hot path: it only serialises the event into an in-memory buffer.
// Every ~256 KiB the buffer goes to a background thread that LZ4-compresses it and writes it as
// one chunk with a single write(), so a run killed at any point (SIGKILL included) leaves every
// chunk written before it whole and readable. Events do not wait longer than kMaxChunkAge for
// their chunk: the background thread takes a younger, smaller chunk then (a slow program killed
// after minutes loses about a second, not everything since its last 256 KiB). Finish() writes
// the last chunk, the index and the trailer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/fd.h"
#include "core/status.h"
#include "recorder/event.h"
#include "recorder/format.h"

namespace pwnbox::recorder {

class Writer {
 public:
  // Creates (truncates) `path` and writes the header. `header.version` is ignored (the file
  // gets format version 1); `header.created_ns` of 0 means now.
  static core::Result<std::unique_ptr<Writer>> Create(const std::string& path,
                                                      const Header& header);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  // Calls Finish() if it was not called; its error is then lost.
  ~Writer();

  // Appends one event. Precondition: `e.seq` is greater than every seq appended before, and
  // Finish() was not called. Memory blobs are capped (16 MiB per blob, 4096 blobs per list,
  // 32 MiB per event; the excess is dropped). Blocks only when the background thread is
  // several chunks behind. Never fails: a write error is reported by Finish().
  void Append(const Event& e);

  // Writes the last chunk, the index and the trailer, joins the thread and closes the file.
  // Returns the first error met since Create(). Idempotent.
  core::Status Finish();

  uint64_t events_appended() const { return events_; }

  // How long an appended event may wait before its chunk is written.
  static constexpr std::chrono::milliseconds kMaxChunkAge{1000};

 private:
  struct Pending {
    std::string data;
    uint64_t first_seq = 0;
    uint32_t count = 0;
    std::chrono::steady_clock::time_point started{};  // when its first event was appended
  };
  struct IndexEntry {
    uint64_t offset, first_seq;
    uint32_t count;
  };

  Writer(core::UniqueFd fd, std::string path, uint64_t offset);
  void HandOff();
  // Moves current_ to the queue. Precondition: mu_ held.
  void QueueCurrent();
  void Run();
  core::Status WriteAll(const std::string& bytes);
  core::Status WriteChunk(const Pending& p, std::string* scratch);

  core::UniqueFd fd_;
  std::string path_;
  uint64_t events_ = 0;
  bool finished_ = false;
  // Shared with the background thread, under mu_ (it takes current_ when it is too old).
  Pending current_;
  format::EventCodec codec_;  // the current chunk's coding state
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  std::vector<std::string> free_;  // spent buffers, reused by Append
  bool stop_ = false;
  core::Status error_;

  // Background thread only (until joined).
  uint64_t offset_;
  std::vector<IndexEntry> index_;
  std::thread thread_;
};

}  // namespace pwnbox::recorder
