#include "pool.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "common.h"

namespace elanus {

Pool& Pool::instance() {
  // Never destroyed: a static Pool would be destroyed by exit() while its threads may
  // still be joinable (std::terminate) or running. at_exit() stops them instead.
  static Pool* pool = new Pool();
  return *pool;
}

std::size_t Pool::default_threads() {
  std::size_t hw = std::thread::hardware_concurrency();
  return std::clamp<std::size_t>(hw > 1 ? hw - 1 : 1, 1, pool_threads_max);
}

std::size_t Pool::start(std::size_t threads) {
  if (threads < 1 || threads > pool_threads_max)
    throw InvalidArgument("native threads must be an integer in [1, " + std::to_string(pool_threads_max) + "], got " + std::to_string(threads));
  std::lock_guard<std::mutex> lock(mutex_);
  if (!workers_.empty() && workers_.size() != threads)
    throw InvalidArgument("the native pool already runs " + std::to_string(workers_.size()) +
                          " threads; its size is fixed for the life of the process (asked for " + std::to_string(threads) + ")");
  start_locked(threads);
  return workers_.size();
}

std::size_t Pool::start_or_join(std::size_t threads) {
  if (threads < 1 || threads > pool_threads_max)
    throw InvalidArgument("native threads must be an integer in [1, " + std::to_string(pool_threads_max) + "], got " + std::to_string(threads));
  std::lock_guard<std::mutex> lock(mutex_);
  start_locked(threads);
  return workers_.size();
}

std::size_t Pool::threads() {
  std::lock_guard<std::mutex> lock(mutex_);
  start_locked(default_threads());
  return workers_.size();
}

void Pool::start_locked(std::size_t threads) {
  if (!workers_.empty() || stopping_) return;
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; i++) workers_.emplace_back([this] { work(); });
  // Registered after the threads exist, so it runs before the static destructors of
  // anything constructed earlier (exit() runs handlers and destructors in reverse order).
  std::atexit(at_exit);
}

void Pool::submit(PoolTask* task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() >= pool_queue_tasks_max)
      throw Busy("the native task queue is full (" + std::to_string(pool_queue_tasks_max) + " tasks waiting)");
    start_locked(default_threads());
    queue_.push_back(task);
  }
  ready_.notify_one();
}

std::vector<PoolTask*> Pool::take_queued(const void* owner) {
  std::vector<PoolTask*> out;
  std::lock_guard<std::mutex> lock(mutex_);
  auto keep = std::stable_partition(queue_.begin(), queue_.end(), [owner](PoolTask* t) { return t->owner != owner; });
  out.assign(keep, queue_.end());
  queue_.erase(keep, queue_.end());
  return out;
}

PoolStats Pool::stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  PoolStats s;
  s.threads = workers_.size();
  s.running = running_;
  s.running_max = running_max_;
  s.queued = queue_.size();
  s.finished = finished_;
  return s;
}

void Pool::reset_running_max() {
  std::lock_guard<std::mutex> lock(mutex_);
  running_max_ = running_;
}

void Pool::work() {
  for (;;) {
    PoolTask* task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = queue_.front();
      queue_.pop_front();
      running_max_ = std::max(running_max_, ++running_);
    }
    task->run();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_--;
      finished_++;
    }
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
