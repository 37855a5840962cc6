// The addon's own threads. Every build, load, serialize and search runs here, on a fixed
// number of std::threads fed from one queue, and never on libuv's thread pool: libuv's
// four threads also carry node:fs, so long builds and a stream of searches made each WAL
// fsync wait behind them (insert p50 6.5 ms -> 37.5 ms under search load, bench §7).
//
// One pool per process, started once with its size (the JS side passes nativeThreads
// before the first task; the size cannot change afterwards). Nothing here knows about
// N-API: a task is run() on a worker and then finish()ed there, and its owner (channel.h)
// takes it back to the JS thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace elanus {

/** Threads the pool may be started with. */
constexpr std::size_t pool_threads_max = 256;
/**
 * Tasks waiting for a thread. Requests in flight are bounded upstream (connections and
 * their bytes), so this is a backstop: past it a call is refused with Busy, not queued.
 */
constexpr std::size_t pool_queue_tasks_max = std::size_t{1} << 20;

class PoolTask {
 public:
  virtual ~PoolTask() = default;
  /** On a worker thread. Must not throw (the task keeps its own error). */
  virtual void run() noexcept = 0;
  /** On the worker thread, right after run(): hands the task back to its owner. */
  virtual void finish() noexcept = 0;
  /** Whose task this is, so an owner that goes away can take its queued tasks back. */
  const void* owner = nullptr;
};

struct PoolStats {
  std::size_t threads = 0;
  /** Tasks in run() now, and the most at once since the last reset. */
  std::size_t running = 0;
  std::size_t running_max = 0;
  std::size_t queued = 0;
  std::uint64_t finished = 0;
};

class Pool {
 public:
  /** The process's pool (created on first use and never destroyed; see at_exit in pool.cc). */
  static Pool& instance();

  /** Every core but one, which is left to the event loop: the default when nobody chose. */
  static std::size_t default_threads();

  /**
   * Starts the workers with `threads` (in [1, pool_threads_max]). Once started the size
   * is fixed: the same size again is accepted, another throws InvalidArgument.
   */
  std::size_t start(std::size_t threads);

  /** The pool's size, starting it with `threads` if nobody did. */
  std::size_t start_or_join(std::size_t threads);

  /** The pool's size, starting it with default_threads() if nobody did. */
  std::size_t threads();

  /** Queues a task (starting the pool if needed); throws Busy past pool_queue_tasks_max. */
  void submit(PoolTask* task);

  /** Removes the owner's tasks that have not started and returns them: nobody runs or finishes them. */
  std::vector<PoolTask*> take_queued(const void* owner);

  PoolStats stats();
  /** Starts a new running_max measurement from the tasks running now. */
  void reset_running_max();

 private:
  Pool() = default;
  void start_locked(std::size_t threads);
  void work();
  static void at_exit();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<PoolTask*> queue_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
  std::size_t running_ = 0, running_max_ = 0;
  std::uint64_t finished_ = 0;
};

}  // namespace elanus
