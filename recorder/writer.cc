#include "recorder/writer.h"

#include <pthread.h>
#include <signal.h>

#include <fcntl.h>
#include <lz4.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "recorder/format.h"

namespace pwnbox::recorder {
namespace {

constexpr size_t kMaxQueued = 8;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

core::Result<std::unique_ptr<Writer>> Writer::Create(const std::string& path,
                                                     const Header& header) {
  core::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return core::ErrnoError(errno, "cannot create " + path);
  Header h = header;
  if (h.created_ns == 0) h.created_ns = NowNs();
  std::string body = format::EncodeHeaderBody(h);
  if (body.size() > format::kMaxHeaderBody) {
    return core::Error("cannot create " + path + ": recording header too large");
  }
  std::string out(format::kFileMagic, 4);
  format::PutU16(&out, format::kVersion);
  format::PutU16(&out, 0);
  format::PutU32(&out, static_cast<uint32_t>(body.size()));
  format::PutU32(&out, format::Crc32(body.data(), body.size()));
  out += body;
  std::unique_ptr<Writer> w(new Writer(std::move(fd), path, out.size()));
  core::Status s = w->WriteAll(out);
  if (!s.ok()) {
    w->finished_ = true;  // nothing to finish: the destructor must not write an index
    return s.error();
  }
  // The writer thread only writes: it takes no process signal (SIGCHLD must stay pending for
  // the supervisor's signalfd, SIGINT/SIGTERM for its handlers).
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  w->thread_ = std::thread([p = w.get()] { p->Run(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return w;
}

Writer::Writer(core::UniqueFd fd, std::string path, uint64_t offset)
    : fd_(std::move(fd)), path_(std::move(path)), offset_(offset) {
  current_.data.reserve(format::kChunkTarget + 4096);
}

Writer::~Writer() {
  if (!finished_) (void)Finish();
}

void Writer::Append(const Event& e) {
  std::unique_lock lock(mu_);
  const bool first = current_.count == 0;
  if (first) {
    current_.first_seq = e.seq;
    current_.started = std::chrono::steady_clock::now();
    codec_.Reset(e.seq - 1);
  }
  codec_.Encode(e, &current_.data);
  ++current_.count;
  ++events_;
  if (current_.data.size() < format::kChunkTarget) {
    if (first) {  // the background thread starts timing this chunk
      lock.unlock();
      cv_.notify_all();
    }
    return;
  }
  cv_.wait(lock, [this] { return queue_.size() < kMaxQueued; });
  QueueCurrent();
  lock.unlock();
  cv_.notify_all();
}

void Writer::QueueCurrent() {
  if (current_.count == 0) return;
  queue_.push_back(std::move(current_));
  current_ = Pending();
  if (!free_.empty()) {
    current_.data = std::move(free_.back());
    free_.pop_back();
    current_.data.clear();
  }
}

void Writer::HandOff() {
  std::unique_lock lock(mu_);
  if (current_.count == 0) return;
  cv_.wait(lock, [this] { return queue_.size() < kMaxQueued; });
  QueueCurrent();
  lock.unlock();
  cv_.notify_all();
}

void Writer::Run() {
  std::string scratch;
  for (;;) {
    std::unique_lock lock(mu_);
    // Wakes for a full chunk, for Finish(), or when the current chunk's first event has waited
    // kMaxChunkAge: that chunk is then written as it is.
    for (;;) {
      if (stop_ || !queue_.empty()) break;
      if (current_.count > 0) {
        const auto due = current_.started + kMaxChunkAge;
        if (std::chrono::steady_clock::now() >= due) {
          QueueCurrent();
          break;
        }
        cv_.wait_until(lock, due);
      } else {
        cv_.wait(lock);
      }
    }
    if (queue_.empty()) return;  // stop_ and drained
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    bool failed = !error_.ok();
    lock.unlock();
    cv_.notify_all();
    core::Status s = failed ? core::Status() : WriteChunk(p, &scratch);
    lock.lock();
    if (!s.ok() && error_.ok()) error_ = s;
    if (free_.size() < 2) free_.push_back(std::move(p.data));
  }
}

core::Status Writer::WriteChunk(const Pending& p, std::string* scratch) {
  const int bound = LZ4_compressBound(static_cast<int>(p.data.size()));
  scratch->resize(format::kChunkHeaderSize + bound);
  char* dst = scratch->data() + format::kChunkHeaderSize;
  const int csize = LZ4_compress_default(p.data.data(), dst, static_cast<int>(p.data.size()), bound);
  if (csize <= 0) return core::Error("cannot write " + path_ + ": LZ4 compression failed");
  std::string hdr(format::kChunkMagic, 4);
  format::PutU32(&hdr, static_cast<uint32_t>(csize));
  format::PutU32(&hdr, static_cast<uint32_t>(p.data.size()));
  format::PutU64(&hdr, p.first_seq);
  format::PutU32(&hdr, p.count);
  uint32_t crc = format::Crc32(hdr.data() + 4, hdr.size() - 4);
  crc = format::Crc32(dst, static_cast<size_t>(csize), crc);
  format::PutU32(&hdr, crc);
  std::memcpy(scratch->data(), hdr.data(), hdr.size());
  scratch->resize(format::kChunkHeaderSize + static_cast<size_t>(csize));
  PWNBOX_RETURN_IF_ERROR(WriteAll(*scratch));
  index_.push_back({offset_, p.first_seq, p.count});
  offset_ += scratch->size();
  return core::Status();
}

core::Status Writer::WriteAll(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return core::ErrnoError(errno, "cannot write " + path_);
    done += static_cast<size_t>(n);
  }
  return core::Status();
}

core::Status Writer::Finish() {
  if (finished_) return error_;
  finished_ = true;
  HandOff();
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (error_.ok()) {
    std::string out(format::kIndexMagic, 4);
    format::PutU32(&out, static_cast<uint32_t>(index_.size()));
    for (const auto& e : index_) {
      format::PutU64(&out, e.offset);
      format::PutU64(&out, e.first_seq);
      format::PutU32(&out, e.count);
    }
    const uint32_t crc = format::Crc32(out.data(), out.size());
    format::PutU64(&out, offset_);
    format::PutU64(&out, events_);
    format::PutU32(&out, crc);
    out.append(format::kTrailerMagic, 4);
    error_ = WriteAll(out);
  }
  if (::close(fd_.release()) != 0 && error_.ok()) {
    error_ = core::ErrnoError(errno, "cannot write " + path_);
  }
  return error_;
}

}  // namespace pwnbox::recorder
