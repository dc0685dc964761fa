// Tests for the .pwnr recording format: round trips, seeking, and every kind of bad file.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/decoder.h"
#include "core/syscalls.h"
#include "recorder/event.h"
#include "recorder/format.h"
#include "recorder/reader.h"
#include "recorder/recorded_memory.h"
#include "recorder/writer.h"

namespace pwnbox::recorder {
namespace {

namespace fs = std::filesystem;

class RecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pwnr_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
};

Header TestHeader() {
  Header h;
  h.command_line = "/bin/cat /etc/hostname";
  h.metadata = {{"policy", "policies/default.toml"}, {"pwnbox", "0.1.0"}};
  return h;
}

// Deterministic events of every kind; syscalls carry entry and exit memory.
std::vector<Event> MakeEvents(size_t n, uint64_t first_seq = 0) {
  std::mt19937_64 rng(42 + n);
  std::vector<Event> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Event e;
    e.seq = first_seq + i * (1 + rng() % 3);
    if (!out.empty() && e.seq <= out.back().seq) e.seq = out.back().seq + 1;
    e.pid = 1000 + static_cast<int32_t>(rng() % 4);
    e.tgid = 1000;
    e.time_ns = 1700000000000000000LL + static_cast<int64_t>(i) * 1500 +
                static_cast<int64_t>(rng() % 700);
    switch (i % 10) {
      case 7: {
        e.kind = Event::Kind::kSignal;
        e.data.assign(128, '\0');
        for (auto& c : e.data) c = static_cast<char>(rng());
        break;
      }
      case 8:
        e.kind = i % 20 == 8 ? Event::Kind::kExec : Event::Kind::kNewTask;
        e.args[0] = 999;
        break;
      case 9:
        e.kind = i % 30 == 9 ? Event::Kind::kExit : Event::Kind::kSyscall;
        e.ret = 0x100;
        break;
      default: {
        e.kind = Event::Kind::kSyscall;
        e.abi = static_cast<uint8_t>(i % 3);
        e.nr = static_cast<int32_t>(rng() % 450);
        for (auto& a : e.args) a = rng() >> (rng() % 64);
        e.ret = static_cast<int64_t>(rng() % 2 ? rng() % 4096 : -(rng() % 133));
        e.returned = rng() % 5 != 0;
        e.dur_ns = static_cast<int64_t>(rng() % 100000);
        const size_t blobs = rng() % 3;
        for (size_t b = 0; b < blobs; ++b) {
          MemoryBlob blob{0x7ffc00000000ULL + rng() % 0x100000, std::string(rng() % 300, '\0')};
          for (auto& c : blob.bytes) c = static_cast<char>('a' + rng() % 6);
          (b % 2 ? e.exit_mem : e.entry_mem).push_back(std::move(blob));
        }
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

void WriteRecording(const std::string& path, const std::vector<Event>& events) {
  auto w = Writer::Create(path, TestHeader());
  ASSERT_TRUE(w.ok()) << w.error().message();
  for (const Event& e : events) (*w)->Append(e);
  core::Status s = (*w)->Finish();
  ASSERT_TRUE(s.ok()) << s.error().message();
}

struct ReadResult {
  std::vector<Event> events;
  bool clean_end = false;
  std::string error;
};

ReadResult ReadAll(Reader& r) {
  ReadResult out;
  for (;;) {
    Event e;
    auto more = r.Next(&e);
    if (!more.ok()) {
      out.error = more.error().message();
      return out;
    }
    if (!*more) {
      out.clean_end = true;
      return out;
    }
    out.events.push_back(std::move(e));
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST_F(RecorderTest, RoundTripManyEventsAcrossChunks) {
  const auto events = MakeEvents(20000);
  WriteRecording(Path("a.pwnr"), events);
  auto r = Reader::Open(Path("a.pwnr"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->complete());
  EXPECT_EQ(r->header().version, 2);
  EXPECT_EQ(r->header().command_line, TestHeader().command_line);
  EXPECT_EQ(r->header().metadata, TestHeader().metadata);
  EXPECT_GT(r->header().created_ns, 0);
  EXPECT_EQ(r->total_events(), events.size());
  EXPECT_GT(r->index().size(), 3u);
  ReadResult res = ReadAll(*r);
  EXPECT_TRUE(res.clean_end) << res.error;
  ASSERT_EQ(res.events.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(res.events[i], events[i]) << "event " << i;
  // LZ4 must actually shrink the repetitive data.
  size_t raw = 0;
  for (const auto& e : events) {
    raw += 64;
    for (const auto& b : e.entry_mem) raw += b.bytes.size();
    for (const auto& b : e.exit_mem) raw += b.bytes.size();
  }
  EXPECT_LT(fs::file_size(Path("a.pwnr")), raw);
}

TEST_F(RecorderTest, EmptyRecordingAndLargeBlob) {
  WriteRecording(Path("empty.pwnr"), {});
  auto r = Reader::Open(Path("empty.pwnr"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->complete());
  ReadResult res = ReadAll(*r);
  EXPECT_TRUE(res.clean_end);
  EXPECT_TRUE(res.events.empty());

  Event big;
  big.seq = 7;
  big.entry_mem.push_back({0x1000, std::string(3 << 20, 'x')});
  big.exit_mem.push_back({0x2000, "tail"});
  WriteRecording(Path("big.pwnr"), {big});
  auto r2 = Reader::Open(Path("big.pwnr"));
  ASSERT_TRUE(r2.ok()) << r2.error().message();
  res = ReadAll(*r2);
  ASSERT_EQ(res.events.size(), 1u);
  EXPECT_EQ(res.events[0], big);
}

TEST_F(RecorderTest, SeekWithAndWithoutIndex) {
  const auto events = MakeEvents(15000, 100);
  WriteRecording(Path("s.pwnr"), events);
  // The same file without its trailer: Seek walks the chunk headers.
  std::string bytes = ReadFile(Path("s.pwnr"));
  auto full = Reader::Open(Path("s.pwnr"));
  ASSERT_TRUE(full.ok());
  const uint64_t index_at = full->index().empty() ? 0 : bytes.size() - 24 - 8 - 20 * full->index().size();
  WriteFile(Path("noidx.pwnr"), bytes.substr(0, index_at));

  for (const std::string name : {"s.pwnr", "noidx.pwnr"}) {
    auto r = Reader::Open(Path(name));
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->complete(), name == "s.pwnr");
    for (size_t target : {size_t{0}, size_t{1}, size_t{4321}, size_t{9000}, events.size() - 1}) {
      ASSERT_TRUE(r->Seek(events[target].seq).ok());
      Event e;
      auto more = r->Next(&e);
      ASSERT_TRUE(more.ok() && *more) << name << " " << target;
      EXPECT_EQ(e, events[target]) << name << " " << target;
      // A seq between two events lands on the next one.
      if (target + 1 < events.size() && events[target + 1].seq > events[target].seq + 1) {
        ASSERT_TRUE(r->Seek(events[target].seq + 1).ok());
        ASSERT_TRUE(*r->Next(&e));
        EXPECT_EQ(e.seq, events[target + 1].seq);
      }
    }
    ASSERT_TRUE(r->Seek(events.back().seq + 1).ok());
    Event e;
    auto more = r->Next(&e);
    ASSERT_TRUE(more.ok());
    EXPECT_FALSE(*more);
    // Seeking back to the start reads everything again.
    ASSERT_TRUE(r->Seek(0).ok());
    ReadResult res = ReadAll(*r);
    EXPECT_TRUE(res.clean_end) << res.error;
    EXPECT_EQ(res.events.size(), events.size());
  }
}

TEST_F(RecorderTest, TruncatedFilesKeepWholeChunks) {
  const auto events = MakeEvents(12000);
  WriteRecording(Path("t.pwnr"), events);
  const std::string bytes = ReadFile(Path("t.pwnr"));
  auto full = Reader::Open(Path("t.pwnr"));
  ASSERT_TRUE(full.ok());
  const auto index = full->index();
  ASSERT_GE(index.size(), 3u);
  const uint64_t index_at = bytes.size() - 24 - 8 - 20 * index.size();

  struct Cut {
    uint64_t at;
    size_t whole_chunks;  // chunks entirely before the cut
    bool clean;           // the cut falls on a chunk boundary
  };
  std::vector<Cut> cuts = {
      {index[1].offset, 1, true},            // boundary
      {index[1].offset + 10, 1, false},      // inside a chunk header
      {index[2].offset - 1000, 1, false},    // mid-chunk
      {index[2].offset + 28, 2, false},      // header whole, no data
      {index_at, index.size(), true},        // all chunks, no index
      {index_at + 30, index.size(), true},   // half the index
      {bytes.size() - 3, index.size(), true},  // trailer cut
  };
  for (const Cut& cut : cuts) {
    SCOPED_TRACE("cut at " + std::to_string(cut.at));
    WriteFile(Path("cut.pwnr"), bytes.substr(0, cut.at));
    auto r = Reader::Open(Path("cut.pwnr"));
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_FALSE(r->complete());
    ReadResult res = ReadAll(*r);
    size_t expect = 0;
    for (size_t i = 0; i < cut.whole_chunks; ++i) expect += index[i].count;
    ASSERT_EQ(res.events.size(), expect);
    for (size_t i = 0; i < expect; ++i) ASSERT_EQ(res.events[i], events[i]);
    if (cut.clean) {
      EXPECT_TRUE(res.clean_end) << res.error;
    } else {
      EXPECT_EQ(res.error, Path("cut.pwnr") + " is truncated: chunk at byte " +
                               std::to_string(index[cut.whole_chunks].offset) +
                               " is incomplete; " + std::to_string(expect) +
                               " events before it are readable");
    }
  }
  // Cut inside the file header.
  WriteFile(Path("cut.pwnr"), bytes.substr(0, 10));
  auto r = Reader::Open(Path("cut.pwnr"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), Path("cut.pwnr") + " is truncated (incomplete header)");
}

TEST_F(RecorderTest, FlippedByteGivesChecksumError) {
  const auto events = MakeEvents(8000);
  WriteRecording(Path("f.pwnr"), events);
  std::string bytes = ReadFile(Path("f.pwnr"));
  auto full = Reader::Open(Path("f.pwnr"));
  ASSERT_TRUE(full.ok());
  const auto index = full->index();
  ASSERT_GE(index.size(), 3u);
  // Inside chunk 2's compressed data, and inside its header's first_seq.
  for (uint64_t pos : {index[2].offset + 500, index[2].offset + 14}) {
    std::string bad = bytes;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x20);
    WriteFile(Path("bad.pwnr"), bad);
    auto r = Reader::Open(Path("bad.pwnr"));
    ASSERT_TRUE(r.ok()) << r.error().message();
    ReadResult res = ReadAll(*r);
    const size_t before = index[0].count + index[1].count;
    EXPECT_EQ(res.events.size(), before);
    EXPECT_EQ(res.error, Path("bad.pwnr") + ": chunk at byte " + std::to_string(index[2].offset) +
                             " is corrupt (checksum mismatch); " + std::to_string(before) +
                             " events before it are readable");
    // Next() keeps failing the same way.
    Event e;
    EXPECT_FALSE(r->Next(&e).ok());
  }
  // A flipped byte in the header body.
  std::string bad = bytes;
  bad[20] = static_cast<char>(bad[20] ^ 1);
  WriteFile(Path("bad.pwnr"), bad);
  auto r = Reader::Open(Path("bad.pwnr"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), Path("bad.pwnr") + ": header is corrupt (checksum mismatch)");
  // A flipped byte in the trailer: the index is ignored, every chunk still reads.
  bad = bytes;
  bad[bad.size() - 10] = static_cast<char>(bad[bad.size() - 10] ^ 1);
  WriteFile(Path("bad.pwnr"), bad);
  auto r2 = Reader::Open(Path("bad.pwnr"));
  ASSERT_TRUE(r2.ok());
  EXPECT_FALSE(r2->complete());
  ReadResult res = ReadAll(*r2);
  EXPECT_TRUE(res.clean_end) << res.error;
  EXPECT_EQ(res.events.size(), events.size());
}

TEST_F(RecorderTest, WrongVersion) {
  WriteRecording(Path("v.pwnr"), MakeEvents(10));
  std::string bytes = ReadFile(Path("v.pwnr"));
  bytes[4] = 7;
  bytes[5] = 0;
  WriteFile(Path("v.pwnr"), bytes);
  auto r = Reader::Open(Path("v.pwnr"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            Path("v.pwnr") + " was written by format version 7; this pwnbox reads version 2");
}

TEST_F(RecorderTest, NotARecordingEmptyOrMissing) {
  WriteFile(Path("text"), "openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY) = 3\n");
  auto r = Reader::Open(Path("text"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), Path("text") + " is not a pwnbox recording (bad magic)");

  WriteFile(Path("short"), "PW");
  r = Reader::Open(Path("short"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), Path("short") + " is truncated (incomplete header)");

  WriteFile(Path("empty"), "");
  r = Reader::Open(Path("empty"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), Path("empty") + " is not a pwnbox recording (empty file)");

  r = Reader::Open(Path("missing"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno(), ENOENT);

  r = Reader::Open(dir_);
  ASSERT_FALSE(r.ok());
}

TEST_F(RecorderTest, WriterErrors) {
  auto w = Writer::Create(Path("no/such/dir.pwnr"), TestHeader());
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().sys_errno(), ENOENT);
  // /dev/full fails every write.
  w = Writer::Create("/dev/full", TestHeader());
  EXPECT_FALSE(w.ok());
}

TEST_F(RecorderTest, WriterKilledMidRunLeavesChunksReadable) {
  const std::string path = Path("killed.pwnr");
  const auto events = MakeEvents(4000);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto w = Writer::Create(path, TestHeader());
    if (!w.ok()) _exit(1);
    for (uint64_t round = 0;; ++round) {
      for (Event e : events) {
        e.seq += round * 1000000;
        (*w)->Append(e);
      }
    }
  }
  // Wait until several chunks are on disk, then kill the writer mid-run.
  bool grown = false;
  for (int i = 0; i < 3000 && !grown; ++i) {
    struct stat st;
    grown = stat(path.c_str(), &st) == 0 && st.st_size > (4 << 20);
    if (!grown) usleep(10000);
  }
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_TRUE(grown);

  auto r = Reader::Open(path);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->complete());
  ReadResult res = ReadAll(*r);
  if (!res.clean_end) {
    EXPECT_NE(res.error.find(" is truncated: chunk at byte "), std::string::npos) << res.error;
  }
  ASSERT_GT(res.events.size(), events.size());
  for (size_t i = 0; i < res.events.size(); ++i) {
    Event expect = events[i % events.size()];
    expect.seq += (i / events.size()) * 1000000;
    ASSERT_EQ(res.events[i], expect) << "event " << i;
  }
}

// The documented encodings (docs/trace-format.md).
TEST(FormatTest, Crc32AndVarints) {
  EXPECT_EQ(format::Crc32("123456789", 9), 0xCBF43926u);
  std::string out;
  format::PutVarint(&out, 300);
  format::PutZigzag(&out, -3);
  format::PutU32(&out, 0x11223344);
  EXPECT_EQ(out, std::string("\xac\x02\x05\x44\x33\x22\x11", 7));
  format::Cursor c(out);
  uint64_t v;
  int64_t z;
  ASSERT_TRUE(c.Varint(&v));
  ASSERT_TRUE(c.Zigzag(&z));
  EXPECT_EQ(v, 300u);
  EXPECT_EQ(z, -3);
  // An 11-byte varint is rejected.
  const std::string eleven(11, '\x80');
  format::Cursor bad(eleven);
  EXPECT_FALSE(bad.Varint(&v));
}

// A stream shaped like a real one (entry/exit pairs of the same call, repeated stat results,
// neighbouring structs, paths, interleaved tasks) exercises every coding shortcut of the
// chunk-relative format; each event must come back exactly, and a reference never crosses a
// chunk (the second half is read after a Seek into it).
TEST_F(RecorderTest, CodecShortcutsRoundTrip) {
  std::vector<Event> events;
  uint64_t seq = 1;
  int64_t t = 1700000000123456000LL;
  std::string stat(144, '\0');
  for (int i = 0; i < 30000; ++i) {
    const int32_t pid = i % 7 == 0 ? 4243 : 4242;
    Event entry;
    entry.seq = seq++;
    entry.pid = pid;
    entry.tgid = 4242;
    entry.time_ns = t += 1000 * (1 + i % 5) + (i % 11 == 0 ? 7 : 0);  // sometimes not whole us
    entry.nr = i % 3 == 0 ? 257 : 262;  // openat, newfstatat
    entry.args[0] = static_cast<uint64_t>(-100);
    entry.args[1] = 0x7ffd1000 + static_cast<uint64_t>(i % 50) * 64;
    entry.args[2] = 0x7ffd2000;
    entry.args[3] = static_cast<uint64_t>(i % 2) << 8;
    entry.args[4] = static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ULL;  // register garbage
    entry.entry_mem.push_back({entry.args[1], "dir/file" + std::to_string(i / 2) + '\0'});
    Event exit = entry;
    exit.seq = seq++;
    exit.returned = true;
    exit.ret = i % 13 == 0 ? -2 : 0;
    if (i % 17 == 5) exit.ret = 0, exit.ret_unknown = true;  // went on in the kernel: `= ?`
    exit.dur_ns = 3000 + (i % 4) * 1000;
    exit.entry_mem.clear();
    if (i % 2 == 0) stat[8] = static_cast<char>(i), stat[48] = static_cast<char>(i * 7);
    if (entry.nr == 262) exit.exit_mem.push_back({entry.args[2], stat});
    if (i % 1000 == 0) exit.args[2] ^= 1;  // an exit that does not match its entry
    events.push_back(entry);
    if (i % 9 == 0) {  // another task's event between the entry and its exit
      Event sig;
      sig.kind = Event::Kind::kSignal;
      sig.seq = seq += 3;
      sig.pid = sig.tgid = 5000;
      sig.time_ns = t;
      sig.data = std::string(128, 's');
      events.push_back(sig);
      exit.seq = ++seq;  // event numbers strictly increase: the reader checks
      ++seq;
    }
    events.push_back(exit);
  }
  WriteRecording(Path("c.pwnr"), events);
  auto r = Reader::Open(Path("c.pwnr"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_GT(r->index().size(), 1u);
  ReadResult res = ReadAll(*r);
  EXPECT_TRUE(res.clean_end) << res.error;
  ASSERT_EQ(res.events.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(res.events[i], events[i]) << "event " << i;
  const uint64_t mid = events[events.size() / 2].seq;
  ASSERT_TRUE(r->Seek(mid).ok());
  Event e;
  auto more = r->Next(&e);
  ASSERT_TRUE(more.ok() && *more);
  EXPECT_EQ(e, events[events.size() / 2]);
  // The shortcuts are what make such a stream small: well under 10 bytes an event here.
  EXPECT_LT(fs::file_size(Path("c.pwnr")), events.size() * 10);
}

// Events past the caps are cut as documented, identically for the encoder's own state and the
// decoder's: the event after a cut one still decodes exactly.
TEST_F(RecorderTest, CappedEventKeepsCodecInStep) {
  Event big;
  big.seq = 1;
  big.nr = 0;
  big.returned = true;
  for (size_t i = 0; i < format::kMaxBlobs + 5; ++i) big.exit_mem.push_back({i * 16, "0123456789abcdef"});
  Event next = big;
  next.seq = 2;
  next.exit_mem.resize(3);
  next.exit_mem[1].bytes = "0123456789abcdeF";
  WriteRecording(Path("cap.pwnr"), {big, next});
  auto r = Reader::Open(Path("cap.pwnr"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  ReadResult res = ReadAll(*r);
  ASSERT_EQ(res.events.size(), 2u) << res.error;
  EXPECT_EQ(res.events[0].exit_mem.size(), format::kMaxBlobs);
  big.exit_mem.resize(format::kMaxBlobs);
  EXPECT_EQ(res.events[0], big);
  EXPECT_EQ(res.events[1], next);
}

// Crafted files: every field a writer cannot produce is refused by the reader, with the field
// named, so that `show`, `diff`, `replay` and `profile` can use the values as indexes.
struct CraftedCase {
  const char* name;
  void (*craft)(std::vector<Event>*);
  const char* why;
};

Event SyscallEvent(uint64_t seq) {
  Event e;
  e.seq = seq;
  e.pid = e.tgid = 4242;
  e.nr = 39;  // getpid
  return e;
}

const CraftedCase kCrafted[] = {
    // core::Abi has three values; the decoder's per-ABI tables had three entries: ABI byte 7
    // read past them (show and diff crashed).
    {"BadAbiByte", [](std::vector<Event>* v) { (*v)[1].abi = 7; }, "ABI byte 7 out of range"},
    {"AbiByte255", [](std::vector<Event>* v) { (*v)[1].abi = 255; }, "ABI byte 255 out of range"},
    {"SeqGoesBack",
     [](std::vector<Event>* v) { (*v)[2].seq = (*v)[1].seq; },
     "event numbers do not increase"},
    {"NegativePid", [](std::vector<Event>* v) { (*v)[1].pid = -5; }, "task id out of range"},
    {"NegativeTgid",
     [](std::vector<Event>* v) { (*v)[1].tgid = -1; },
     "thread group id out of range"},
};

class CraftedRecording : public RecorderTest, public ::testing::WithParamInterface<CraftedCase> {};

TEST_P(CraftedRecording, IsRefusedWithTheFieldNamed) {
  std::vector<Event> events = {SyscallEvent(1), SyscallEvent(2), SyscallEvent(3)};
  GetParam().craft(&events);
  WriteRecording(Path("crafted.pwnr"), events);
  auto r = Reader::Open(Path("crafted.pwnr"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  ReadResult res = ReadAll(*r);
  EXPECT_FALSE(res.clean_end);
  EXPECT_EQ(res.error, Path("crafted.pwnr") + ": chunk at byte " +
                           std::to_string(r->index()[0].offset) + " is corrupt (" +
                           GetParam().why + "); 0 events before it are readable");
}

INSTANTIATE_TEST_SUITE_P(All, CraftedRecording, ::testing::ValuesIn(kCrafted),
                         [](const auto& info) { return std::string(info.param.name); });

// Seqs must increase across chunks too (each chunk's codec starts afresh from its header's
// first_seq): a chunk that starts again at 2 after one that ended at 4 is refused.
TEST_F(RecorderTest, SeqGoingBackAcrossChunksIsRefused) {
  std::vector<Event> events = {SyscallEvent(1), SyscallEvent(2), SyscallEvent(3), SyscallEvent(4),
                               SyscallEvent(2), SyscallEvent(3)};
  // The writer hands a chunk off once it holds 256 KiB: event 4 ends the first chunk.
  events[3].entry_mem.push_back({0x1000, std::string(300 << 10, 'x')});
  WriteRecording(Path("back.pwnr"), events);
  auto r = Reader::Open(Path("back.pwnr"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->index().size(), 2u);
  ReadResult res = ReadAll(*r);
  EXPECT_FALSE(res.clean_end);
  EXPECT_EQ(res.events.size(), 4u);
  EXPECT_EQ(res.error, Path("back.pwnr") + ": chunk at byte " +
                           std::to_string(r->index()[1].offset) +
                           " is corrupt (event numbers do not increase); 4 events before it are "
                           "readable");
}

TEST(RecordedMemoryTest, ReadsLikeProcessMemory) {
  std::vector<MemoryBlob> blobs = {{0x1000, "abcdef"}, {0x1006, "ghij"}, {0x2000, "xyz"}};
  RecordedMemory mem(blobs);
  char buf[32] = {};
  EXPECT_EQ(mem.Read(0x1002, buf, 4), 4);
  EXPECT_EQ(std::string(buf, 4), "cdef");
  // Across two adjacent blobs, then cut at the end of the covered range.
  EXPECT_EQ(mem.Read(0x1004, buf, 20), 6);
  EXPECT_EQ(std::string(buf, 6), "efghij");
  EXPECT_EQ(mem.Read(0x2001, buf, 2), 2);
  EXPECT_EQ(std::string(buf, 2), "yz");
  EXPECT_EQ(mem.Read(0x100a, buf, 1), -1);
  EXPECT_EQ(mem.Read(0xfff, buf, 4), -1);
  EXPECT_EQ(mem.Read(0x3000, buf, 4), -1);
  std::vector<MemoryBlob> none;
  RecordedMemory empty(none);
  EXPECT_EQ(empty.Read(0x1000, buf, 1), -1);
}

// The decoder decodes a recorded call exactly as it decoded the live one.
TEST(RecordedMemoryTest, DecoderSeesTheSameCall) {
  static const char kPath[] = "/etc/hostname";
  struct stat st{};
  core::SyscallCall call;
  call.pid = getpid();
  call.nr = *core::SyscallNumber("newfstatat");
  call.args[0] = static_cast<uint64_t>(AT_FDCWD);
  call.args[1] = reinterpret_cast<uint64_t>(kPath);
  call.args[2] = reinterpret_cast<uint64_t>(&st);
  call.args[3] = 0;
  core::Decoder decoder(core::DecodeOptions{});
  core::ProcessMemory live(getpid());

  std::vector<MemoryBlob> entry_mem, exit_mem;
  core::DecodedCall live_call;
  CapturingMemory entry_cap(live, &entry_mem);
  decoder.Entry(call, entry_cap, &live_call);
  ASSERT_EQ(fstatat(AT_FDCWD, kPath, &st, 0), 0);
  call.ret = 0;
  CapturingMemory exit_cap(live, &exit_mem);
  decoder.Exit(call, exit_cap, &live_call);
  EXPECT_FALSE(entry_mem.empty());
  EXPECT_FALSE(exit_mem.empty());
  EXPECT_NE(live_call.Line().find("\"/etc/hostname\""), std::string::npos) << live_call.Line();

  // Record, read back, decode from the recording.
  const std::string path = "/tmp/pwnr_decode_" + std::to_string(getpid()) + ".pwnr";
  {
    Event e;
    e.seq = 1;
    e.nr = call.nr;
    std::copy(std::begin(call.args), std::end(call.args), e.args);
    e.ret = call.ret;
    e.returned = true;
    e.entry_mem = entry_mem;
    e.exit_mem = exit_mem;
    auto w = Writer::Create(path, Header{});
    ASSERT_TRUE(w.ok());
    (*w)->Append(e);
    ASSERT_TRUE((*w)->Finish().ok());
  }
  auto r = Reader::Open(path);
  ASSERT_TRUE(r.ok());
  Event e;
  ASSERT_TRUE(*r->Next(&e));
  unlink(path.c_str());
  std::memset(&st, 0, sizeof st);  // the recording, not this process, must supply the bytes
  core::SyscallCall replayed = call;
  std::copy(std::begin(e.args), std::end(e.args), replayed.args);
  replayed.ret = e.ret;
  core::DecodedCall shown;
  RecordedMemory entry_rec(e.entry_mem), exit_rec(e.exit_mem);
  decoder.Entry(replayed, entry_rec, &shown);
  decoder.Exit(replayed, exit_rec, &shown);
  EXPECT_EQ(shown.Line(), live_call.Line());
}

}  // namespace
}  // namespace pwnbox::recorder
