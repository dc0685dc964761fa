#include "supervisor/worker.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include "core/fd.h"

namespace pwnbox::supervisor {

struct WorkerPool::Worker {
  pthread_t thread{};
  Credentials creds;
  bool take_creds = false;
  std::condition_variable cv;
  std::optional<EmulatedCall> job;  // guarded by State::mu
  uint64_t token = 0;
  mode_t umask = 022;
  std::shared_ptr<State> state;
};

struct WorkerPool::State {
  size_t max_in_flight = 0;
  Outcome* outcome = nullptr;
  core::UniqueFd event;
  mutable std::mutex mu;
  std::condition_variable gone;  // a worker exited
  bool stopping = false;
  size_t in_flight = 0;
  size_t threads = 0;
  size_t idle_total = 0;
  std::map<std::pair<Credentials, bool>, std::vector<Worker*>> idle;
  std::map<uint64_t, Worker*> running;
  std::deque<Done> done;
};

namespace {

void OnCancel(int) {}

void InstallCancelHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = OnCancel;  // no SA_RESTART: the interrupted syscall returns EINTR
    sigemptyset(&sa.sa_mask);
    sigaction(WorkerPool::CancelSignal(), &sa, nullptr);
  });
}

}  // namespace

int WorkerPool::CancelSignal() { return SIGRTMIN + 3; }

WorkerPool::WorkerPool(size_t max_in_flight, Outcome* outcome)
    : state_(std::make_shared<State>()) {
  InstallCancelHandler();
  state_->max_in_flight = max_in_flight;
  state_->outcome = outcome;
  state_->event.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!state_->event && outcome) outcome->KernelError("eventfd", errno);
}

WorkerPool::~WorkerPool() {
  std::unique_lock<std::mutex> lock(state_->mu);
  state_->stopping = true;
  for (auto& [key, workers] : state_->idle)
    for (Worker* w : workers) w->cv.notify_one();
  state_->idle.clear();
  state_->idle_total = 0;
  for (int round = 0; round < 100 && state_->threads > 0; ++round) {
    for (auto& [token, w] : state_->running) pthread_kill(w->thread, CancelSignal());
    state_->gone.wait_for(lock, std::chrono::milliseconds(10));
  }
}

bool WorkerPool::Submit(uint64_t token, const Credentials& creds, bool take_creds, mode_t umask,
                        EmulatedCall call) {
  std::unique_lock<std::mutex> lock(state_->mu);
  if (state_->in_flight >= state_->max_in_flight) return false;
  Worker* w = nullptr;
  auto it = state_->idle.find({creds, take_creds});
  if (it != state_->idle.end() && !it->second.empty()) {
    w = it->second.back();
    it->second.pop_back();
    --state_->idle_total;
  } else {
    w = new Worker;
    w->creds = creds;
    w->take_creds = take_creds;
    w->state = state_;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    // The new thread starts with every signal blocked but the cancel signal.
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, CancelSignal());
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&w->thread, &attr, &WorkerPool::Main, w);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    pthread_attr_destroy(&attr);
    if (err != 0) {
      delete w;
      if (state_->outcome) state_->outcome->KernelError("pthread_create", err);
      return false;
    }
    ++state_->threads;
  }
  w->token = token;
  w->umask = umask;
  w->job = std::move(call);
  state_->running[token] = w;
  ++state_->in_flight;
  w->cv.notify_one();
  return true;
}

void* WorkerPool::Main(void* arg) {
  Worker* w = static_cast<Worker*>(arg);
  std::shared_ptr<State> st = w->state;
  // Its own fs struct: umask() applies to this thread only.
  int broken = 0;
  if (unshare(CLONE_FS) != 0) {
    broken = errno;
    if (st->outcome) st->outcome->KernelError("unshare(CLONE_FS)", errno);
  }
  if (!broken && w->take_creds) {
    core::Status s = TakeCredentials(w->creds);
    if (!s.ok()) {
      broken = s.error().sys_errno() ? s.error().sys_errno() : EPERM;
      if (st->outcome) st->outcome->KernelError("taking the target's credentials", broken);
    }
  }
  std::unique_lock<std::mutex> lock(st->mu);
  for (;;) {
    w->cv.wait(lock, [&] { return w->job.has_value() || st->stopping; });
    if (!w->job) break;
    EmulatedCall job = std::move(*w->job);
    w->job.reset();
    const uint64_t token = w->token;
    lock.unlock();
    Done d;
    d.token = token;
    if (broken) {
      d.result.ret = -EPERM;  // fails closed: this thread could not become the target
    } else {
      umask(w->umask);
      d.result = PerformEmulation(job);
    }
    lock.lock();
    st->running.erase(token);
    --st->in_flight;
    st->done.push_back(std::move(d));
    const uint64_t one = 1;
    if (write(st->event.get(), &one, sizeof one) < 0 && st->outcome)
      st->outcome->KernelError("write(eventfd)", errno);
    auto& idle = st->idle[{w->creds, w->take_creds}];
    if (st->stopping || broken || idle.size() >= kIdlePerIdentity ||
        st->idle_total >= kIdleTotal)
      break;
    idle.push_back(w);
    ++st->idle_total;
  }
  --st->threads;
  st->gone.notify_all();
  lock.unlock();
  delete w;
  return nullptr;
}

void WorkerPool::Cancel(uint64_t token) {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->running.find(token);
  if (it != state_->running.end()) pthread_kill(it->second->thread, CancelSignal());
}

std::vector<WorkerPool::Done> WorkerPool::TakeDone() {
  uint64_t n;
  while (read(state_->event.get(), &n, sizeof n) == sizeof n) {
  }
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<Done> out(std::make_move_iterator(state_->done.begin()),
                        std::make_move_iterator(state_->done.end()));
  state_->done.clear();
  return out;
}

int WorkerPool::event_fd() const { return state_->event.get(); }

size_t WorkerPool::in_flight() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->in_flight;
}

size_t WorkerPool::threads() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->threads;
}

}  // namespace pwnbox::supervisor
