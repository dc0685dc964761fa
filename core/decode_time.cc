#include <cstdio>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

#include "core/decode_util.h"

namespace pwnbox::core::decode {

namespace {

void AppendTs(std::string* out, const timespec& ts) {
  out->append("{tv_sec=");
  AppendDec(out, ts.tv_sec);
  out->append(", tv_nsec=");
  AppendDec(out, ts.tv_nsec);
  out->push_back('}');
}

// strace's sprinttime_ex as a comment, for the times a call sets on a file (utimensat, utimes,
// futimesat, utime): " /* 2023-11-14T22:13:20.000000005+0000 */" in local time, the fraction
// with `width` digits when not zero. Nothing for the epoch itself, a fraction out of range or a
// time localtime cannot represent.
void AppendTimeComment(std::string* out, int64_t sec, int64_t part, int width) {
  const int64_t max_part = width == 9 ? 999999999 : width == 6 ? 999999 : 0;
  if ((sec == 0 && part == 0) || part < 0 || part > max_part) return;
  const time_t t = static_cast<time_t>(sec);
  struct tm tm;
  if (localtime_r(&t, &tm) == nullptr) return;
  char date[64];
  char zone[16];
  if (strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0) return;
  if (strftime(zone, sizeof(zone), "%z", &tm) == 0) return;
  out->append(" /* ");
  out->append(date);
  if (part != 0) {
    char frac[16];
    snprintf(frac, sizeof(frac), ".%0*lld", width, static_cast<long long>(part));
    out->append(frac);
  }
  out->append(zone);
  out->append(" */");
}

}  // namespace

void AppendTimevalValue(std::string* out, int64_t sec, int64_t usec) {
  out->append("{tv_sec=");
  AppendDec(out, sec);
  out->append(", tv_usec=");
  AppendDec(out, usec);
  out->push_back('}');
}

bool AppendTimespec(Ctx& c, uint64_t addr, std::string* out) {
  timespec ts;
  if (!Fetch(c, addr, &ts)) return false;
  AppendTs(out, ts);
  return true;
}

bool AppendTimeval(Ctx& c, uint64_t addr, std::string* out) {
  timeval tv;
  if (!Fetch(c, addr, &tv)) return false;
  AppendTimevalValue(out, tv.tv_sec, tv.tv_usec);
  return true;
}

namespace {

bool DecodeTimespec(Ctx& c, uint64_t addr, int, std::string* out) {
  // utimensat and futimens take two of them.
  if (c.name == "utimensat" || c.name == "utimensat_time64") {
    timespec ts[2];
    if (!Fetch(c, addr, &ts)) return false;
    out->push_back('[');
    for (int i = 0; i < 2; ++i) {
      if (i) out->append(", ");
      if (ts[i].tv_nsec == UTIME_NOW) {
        out->append("UTIME_NOW");
      } else if (ts[i].tv_nsec == UTIME_OMIT) {
        out->append("UTIME_OMIT");
      } else {
        AppendTs(out, ts[i]);
        AppendTimeComment(out, ts[i].tv_sec, ts[i].tv_nsec, 9);
      }
    }
    out->push_back(']');
    return true;
  }
  return AppendTimespec(c, addr, out);
}

bool DecodeTimeval(Ctx& c, uint64_t addr, int, std::string* out) {
  if (c.name == "utimes" || c.name == "futimesat") {
    timeval tv[2];
    if (!Fetch(c, addr, &tv)) return false;
    out->push_back('[');
    for (int i = 0; i < 2; ++i) {
      if (i) out->append(", ");
      AppendTimevalValue(out, tv[i].tv_sec, tv[i].tv_usec);
      AppendTimeComment(out, tv[i].tv_sec, tv[i].tv_usec, 6);
    }
    out->push_back(']');
    return true;
  }
  return AppendTimeval(c, addr, out);
}

// utime's struct utimbuf: "{actime=0, modtime=5 /* 1970-01-01T00:00:05+0000 */}".
bool DecodeUtimbuf(Ctx& c, uint64_t addr, int, std::string* out) {
  int64_t t[2];
  if (!Fetch(c, addr, &t)) return false;
  out->append("{actime=");
  AppendDec(out, t[0]);
  AppendTimeComment(out, t[0], 0, 0);
  out->append(", modtime=");
  AppendDec(out, t[1]);
  AppendTimeComment(out, t[1], 0, 0);
  out->push_back('}');
  return true;
}

bool DecodeTimezone(Ctx& c, uint64_t addr, int, std::string* out) {
  struct timezone tz;
  if (!Fetch(c, addr, &tz)) return false;
  out->append("{tz_minuteswest=");
  AppendDec(out, tz.tz_minuteswest);
  out->append(", tz_dsttime=");
  AppendDec(out, tz.tz_dsttime);
  out->push_back('}');
  return true;
}

bool DecodeItimerspec(Ctx& c, uint64_t addr, int, std::string* out) {
  itimerspec its;
  if (!Fetch(c, addr, &its)) return false;
  out->append("{it_interval=");
  AppendTs(out, its.it_interval);
  out->append(", it_value=");
  AppendTs(out, its.it_value);
  out->push_back('}');
  return true;
}

bool DecodeItimerval(Ctx& c, uint64_t addr, int, std::string* out) {
  itimerval itv;
  if (!Fetch(c, addr, &itv)) return false;
  out->append("{it_interval=");
  AppendTimevalValue(out, itv.it_interval.tv_sec, itv.it_interval.tv_usec);
  out->append(", it_value=");
  AppendTimevalValue(out, itv.it_value.tv_sec, itv.it_value.tv_usec);
  out->push_back('}');
  return true;
}

bool DecodeTimex(Ctx& c, uint64_t addr, int, std::string* out) {
  struct timex tx;
  if (!Fetch(c, addr, &tx)) return false;
  out->append("{modes=");
  AppendFlags(out, "adjtimex_modes", tx.modes);
  out->append(", offset=");
  AppendDec(out, tx.offset);
  out->append(", freq=");
  AppendDec(out, tx.freq);
  out->append(", maxerror=");
  AppendDec(out, tx.maxerror);
  out->append(", esterror=");
  AppendDec(out, tx.esterror);
  out->append(", status=");
  AppendFlags(out, "adjtimex_status", static_cast<uint32_t>(tx.status));
  out->append(", constant=");
  AppendDec(out, tx.constant);
  out->append(", precision=");
  AppendDec(out, tx.precision);
  out->append(", tolerance=");
  AppendDec(out, tx.tolerance);
  out->append(", time=");
  AppendTimevalValue(out, tx.time.tv_sec, tx.time.tv_usec);
  out->append(", tick=");
  AppendDec(out, tx.tick);
  out->append(", ppsfreq=");
  AppendDec(out, tx.ppsfreq);
  out->append(", jitter=");
  AppendDec(out, tx.jitter);
  out->append(", shift=");
  AppendDec(out, tx.shift);
  out->append(", stabil=");
  AppendDec(out, tx.stabil);
  out->append(", jitcnt=");
  AppendDec(out, tx.jitcnt);
  out->append(", calcnt=");
  AppendDec(out, tx.calcnt);
  out->append(", errcnt=");
  AppendDec(out, tx.errcnt);
  out->append(", stbcnt=");
  AppendDec(out, tx.stbcnt);
  out->append(", tai=");
  AppendDec(out, tx.tai);
  out->push_back('}');
  return true;
}

constexpr StructDecoder kStructs[] = {
    {"timespec", DecodeTimespec, false},   {"timeval", DecodeTimeval, false},
    {"timezone", DecodeTimezone, true},    {"utimbuf", DecodeUtimbuf, false},
    {"itimerspec", DecodeItimerspec, false}, {"itimerval", DecodeItimerval, false},
    {"kernel_timex", DecodeTimex, false},
};

bool IsRestart(int64_t ret) { return ret <= -512 && ret >= -516; }

// The remaining time is written only when a signal interrupted the sleep.
ArgResult RemainArg(Ctx& c, int idx, std::string* out, int rem_idx) {
  if (idx != rem_idx || !c.exiting) return ArgResult::kGeneric;
  const uint64_t addr = c.Arg(idx);
  if (addr != 0 && (IsRestart(c.call.ret) || c.call.ret == -EINTR) &&
      AppendTimespec(c, addr, out)) {
    return ArgResult::kHandled;
  }
  AppendAddr(out, addr);
  return ArgResult::kHandled;
}

ArgResult NanosleepArg(Ctx& c, int idx, std::string* out) { return RemainArg(c, idx, out, 1); }
ArgResult ClockNanosleepArg(Ctx& c, int idx, std::string* out) {
  return RemainArg(c, idx, out, 3);
}

constexpr CallHooks kHooks[] = {
    {.name = "nanosleep", .arg = NanosleepArg},
    {.name = "clock_nanosleep", .arg = ClockNanosleepArg},
};

}  // namespace

std::span<const StructDecoder> TimeStructs() { return kStructs; }
std::span<const CallHooks> TimeHooks() { return kHooks; }

}  // namespace pwnbox::core::decode
