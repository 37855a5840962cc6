#include "pool.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#ifdef __linux__
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "common.h"

namespace elanus {

Pool& Pool::instance() {
  // Never destroyed: a static Pool would be destroyed by exit() while its threads may
  // still be joinable (std::terminate) or running. at_exit() stops them instead.
  static Pool* pool = new Pool();
  return *pool;
}

std::size_t Pool::default_threads() {
  // hardware_concurrency() reads /sys/devices/system/cpu/online (glibc's get_nprocs):
  // an open, a read and a close. Asked once, not on every submit.
  static const std::size_t threads = [] {
    std::size_t hw = std::thread::hardware_concurrency();
    return std::clamp<std::size_t>(hw > 1 ? hw - 1 : 1, 2, pool_threads_max);
  }();
  return threads;
}

namespace {
void check_start(std::size_t threads, int nice) {
  if (threads < 1 || threads > pool_threads_max)
    throw InvalidArgument("native threads must be an integer in [1, " + std::to_string(pool_threads_max) + "], got " + std::to_string(threads));
  if (nice < pool_thread_nice_min || nice > pool_thread_nice_max)
    throw InvalidArgument("the native pool's nice value must be an integer in [" + std::to_string(pool_thread_nice_min) + ", " +
                          std::to_string(pool_thread_nice_max) + "], got " + std::to_string(nice));
}
}  // namespace

std::size_t Pool::start(std::size_t threads, int nice) {
  check_start(threads, nice);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!workers_.empty() && workers_.size() != threads)
    throw InvalidArgument("the native pool already runs " + std::to_string(workers_.size()) +
                          " threads; its size is fixed for the life of the process (asked for " + std::to_string(threads) + ")");
  if (!workers_.empty() && nice_ != nice)
    throw InvalidArgument("the native pool already runs at nice " + std::to_string(nice_) +
                          "; its nice value is fixed for the life of the process (asked for " + std::to_string(nice) + ")");
  start_locked(threads, nice);
  return workers_.size();
}

std::size_t Pool::start_or_join(std::size_t threads, int nice) {
  check_start(threads, nice);
  std::lock_guard<std::mutex> lock(mutex_);
  start_locked(threads, nice);
  return workers_.size();
}

std::size_t Pool::threads() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (workers_.empty()) start_locked(default_threads(), pool_thread_nice_default);
  return workers_.size();
}

void Pool::start_locked(std::size_t threads, int nice) {
  if (!workers_.empty() || stopping_) return;
  nice_ = nice;
  long_slots_ = threads > 1 ? threads - 1 : 1;
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; i++) workers_.emplace_back([this] { work(); });
  // Registered after the threads exist, so it runs before the static destructors of
  // anything constructed earlier (exit() runs handlers and destructors in reverse order).
  std::atexit(at_exit);
}

void Pool::submit(PoolTask* task) {
  // Read before the task is queued: a worker may run and free it as soon as it is.
  const bool long_running = task->long_running;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (short_.size() + long_.size() >= pool_queue_tasks_max)
      throw Busy("the native task queue is full (" + std::to_string(pool_queue_tasks_max) + " tasks waiting)");
    if (workers_.empty()) start_locked(default_threads(), pool_thread_nice_default);
    (long_running ? long_ : short_).push_back(task);
  }
  // A short task can be taken by any free thread, so waking one is enough (waking them
  // all made every search wake each idle thread, only for all but one to sleep again on
  // the mutex). A build: every waiting thread rechecks, since the one woken by
  // notify_one might not be allowed to take it while another could.
  if (long_running) ready_.notify_all();
  else ready_.notify_one();
}

std::vector<PoolTask*> Pool::take_queued(const void* owner) {
  std::vector<PoolTask*> out;
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto* q : {&short_, &long_}) {
    auto keep = std::stable_partition(q->begin(), q->end(), [owner](PoolTask* t) { return t->owner != owner; });
    out.insert(out.end(), keep, q->end());
    q->erase(keep, q->end());
  }
  return out;
}

PoolTask* Pool::next_locked() {
  std::deque<PoolTask*>* q = !short_.empty() ? &short_ : !long_.empty() && running_long_ < long_slots_ ? &long_ : nullptr;
  if (q == nullptr) return nullptr;
  PoolTask* task = q->front();
  q->pop_front();
  running_max_ = std::max(running_max_, ++running_);
  if (task->long_running) running_long_max_ = std::max(running_long_max_, ++running_long_);
  return task;
}

PoolStats Pool::stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  PoolStats s;
  s.threads = workers_.size();
  s.nice = nice_;
  s.running = running_;
  s.running_max = running_max_;
  s.running_long = running_long_;
  s.running_long_max = running_long_max_;
  s.queued = short_.size() + long_.size();
  s.finished = finished_;
  return s;
}

void Pool::reset_running_max() {
  std::lock_guard<std::mutex> lock(mutex_);
  running_max_ = running_;
  running_long_max_ = running_long_;
}

void Pool::work() {
#ifdef __linux__
  // Named for top -H and the tests (15 characters at most).
  pthread_setname_np(pthread_self(), "elanus-native");
  // Linux keeps a nice value per thread (and threads a build starts inherit it). Raising
  // it needs no privilege; if it fails the thread just runs at the process's priority.
  int nice;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    nice = nice_;
  }
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), nice);
#endif
  for (;;) {
    PoolTask* task = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || (task = next_locked()) != nullptr; });
      // The predicate takes a task only while not stopping, so none is lost here.
      if (stopping_) return;
    }
    const bool was_long = task->long_running;
    task->run();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_--;
      finished_++;
      if (was_long) running_long_--;
    }
    // A build slot may have freed for a thread waiting with only builds queued.
    if (was_long) ready_.notify_all();
    task->finish();
  }
}

// At exit (process.exit() or the end of main): tasks running stop at their next check
// (builds between rows and phases; a search or a load runs to its end), tasks still
// queued are left where they are (their JS side is going away with the process), and
// the threads are joined, so none runs while exit() destroys what they might use.
void Pool::at_exit() {
  process_exiting.store(true);
  Pool& p = instance();
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(p.mutex_);
    p.stopping_ = true;
    workers.swap(p.workers_);
  }
  p.ready_.notify_all();
  for (auto& t : workers)
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
}

}  // namespace elanus
