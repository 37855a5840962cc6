// The addon's own threads. Every build, load, serialize and search runs here, on a fixed
// number of std::threads fed from one queue, and never on libuv's thread pool: libuv's
// four threads also carry node:fs, so long builds and a stream of searches made each WAL
// fsync wait behind them (insert p50 6.5 ms -> 37.5 ms under search load, bench §7).
//
// One pool per process, started once with its size (the JS side passes nativeThreads
// before the first task; the size cannot change afterwards). Nothing here knows about
// N-API: a task is run() on a worker and then finish()ed there, and its owner (channel.h)
// takes it back to the JS thread.
//
// Two kinds of task share the threads: builds (seconds to minutes) and everything else
// (searches, scans, loads, serializing: milliseconds). A free thread takes the oldest
// short task first, and builds may hold at most threads - 1 threads (one if the pool has
// one), so a search never waits for a build to end while the pool has two threads or more.
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
 * The pool's threads run at this nice value unless started with another (the setting
 * nativeNice; Linux, elsewhere at the process's): when the
 * CPU is short, the event loop and libuv's threads, which carry every request and the
 * log's fsyncs, run first and searches and builds take what is left. At nice 0, 16
 * searching clients on 2 cores raised the engine's insert time p50 4-8x (an fsync's
 * thread, woken when the disk is done, waited for a core); at 10 and at 19 1.0-1.9x
 * (bench/README.md §7). With cores to spare it changes nothing.
 */
constexpr int pool_thread_nice_default = 10;
/** Nice values a pool may be started with (raising a thread's nice needs no privilege). */
constexpr int pool_thread_nice_min = 0;
constexpr int pool_thread_nice_max = 19;
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
  /** A build: long, and never on the last thread that short tasks have. */
  bool long_running = false;
};

struct PoolStats {
  std::size_t threads = 0;
  /** The nice value the threads were started at (they may run higher: a process started nicer). */
  int nice = pool_thread_nice_default;
  /** Tasks in run() now, and the most at once since the last reset. */
  std::size_t running = 0;
  std::size_t running_max = 0;
  /** Builds running now, and the most at once since the last reset. */
  std::size_t running_long = 0;
  std::size_t running_long_max = 0;
  std::size_t queued = 0;
  std::uint64_t finished = 0;
};

class Pool {
 public:
  /** The process's pool (created on first use and never destroyed; see at_exit in pool.cc). */
  static Pool& instance();

  /** Every core but one (left to the event loop), at least two: the default when nobody chose. */
  static std::size_t default_threads();

  /**
   * Starts the workers with `threads` (in [1, pool_threads_max]) at nice value `nice`.
   * Once started both are fixed: the same again is accepted, others throw InvalidArgument.
   */
  std::size_t start(std::size_t threads, int nice);

  /** The pool's size, starting it with `threads` at `nice` if nobody did. */
  std::size_t start_or_join(std::size_t threads, int nice);

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
  void start_locked(std::size_t threads, int nice);
  /** The task a free thread should take now, or null. */
  PoolTask* next_locked();
  void work();
  static void at_exit();

  std::mutex mutex_;
  std::condition_variable ready_;
  /** Set before the threads start, read by each as it starts. */
  int nice_ = pool_thread_nice_default;
  std::deque<PoolTask*> short_, long_;
  std::vector<std::thread> workers_;
  /** Threads builds may hold at once. */
  std::size_t long_slots_ = 1;
  bool stopping_ = false;
  std::size_t running_ = 0, running_max_ = 0, running_long_ = 0, running_long_max_ = 0;
  std::uint64_t finished_ = 0;
};

}  // namespace elanus
