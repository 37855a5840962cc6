// How a task gets from the JS thread to the pool (pool.h) and its result back. Each JS
// environment that loads the addon (the main thread, each worker thread) has one Channel:
// a thread-safe function (N-API's uv_async with a queue) on which workers hand finished
// tasks back, so the promise settles on the JS thread inside a callback scope (microtasks
// run after it, as after an AsyncWorker). While tasks are out the channel holds the event
// loop open, as libuv's queue did; when none are, it does not.
//
// Teardown: when the environment goes away (a worker thread ends, or the main thread's
// environment is freed), whichever comes first of our cleanup hook and the thread-safe
// function's finalizer marks the channel gone (running builds stop at their next check),
// takes back its queued tasks, waits for the running ones, and drops them all without
// settling (nobody is left to see a promise). After that no worker touches the
// thread-safe function, as N-API requires once its finalizer has returned; the channel
// is freed by the second of the two. At process exit the pool's own handler stops and
// joins the threads (pool.cc).
#pragma once

#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "common.h"
#include "pool.h"

namespace elanus {

class Task;

class Channel {
 public:
  /** Creates the thread-safe function and registers the cleanup hook. JS thread. */
  explicit Channel(Napi::Env env);
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  /** Queues the task on the pool. JS thread. Throws Busy (the task is then not queued). */
  void submit(Task* task);

  /** Set when the environment goes away; running tasks of this channel stop at their next check. */
  std::atomic<bool> gone{false};

 private:
  friend class Task;
  /** A worker finished the task: on to the JS thread (or kept for the cleanup hook when closing). */
  void handed_back(Task* task) noexcept;
  static void call_js(napi_env env, napi_value, void* context, void* data);
  static void cleanup(void* arg);
  static void finalize(napi_env, void* data, void*);
  /** Gone, queued tasks taken back, running ones waited for, all dropped. Idempotent; JS thread. */
  void shut_down();
  /** One of the two holders (cleanup hook, finalizer) is done; the second frees the channel. */
  void release();

  napi_env env_;
  napi_threadsafe_function tsfn_ = nullptr;
  /** Tasks submitted and not yet settled; the loop is held open while nonzero. JS thread only. */
  std::size_t outstanding_ = 0;

  std::mutex mutex_;
  std::condition_variable idle_;
  /** Tasks in the pool (queued or running) and not yet handed back. */
  std::size_t in_pool_ = 0;
  /** Tasks the thread-safe function refused (it was closing): the cleanup hook drops them. */
  std::vector<Task*> orphans_;
  int holders_ = 2;
};

/**
 * One call's work: Run() on a worker thread, then Result() on the JS thread settles the
 * promise. It holds references to the JS values it reads (Keep) until then, so the
 * buffers under its raw pointers cannot be collected while it runs.
 */
class Task : public PoolTask {
 public:
  explicit Task(Napi::Env env) : deferred_(Napi::Promise::Deferred::New(env)) {}
  ~Task() override = default;

  /** Queues the task on the channel and returns its promise; on a throw the task is deleted. JS thread. */
  Napi::Promise Start(Channel& channel);
  void Keep(Napi::Value v) {
    if (v.IsObject()) kept_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }

  void run() noexcept override;
  void finish() noexcept override { channel_->handed_back(this); }

  /** Resolves or rejects the promise, then deletes the task. JS thread. */
  void settle(Napi::Env env);
  /** Deletes the task without settling or touching JS (its environment is being torn down). */
  void abandon();

 protected:
  virtual void Run() = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;
  /** What a long task checks between steps (set once the task is started). */
  StopWords stop_words(const std::int32_t* cancel = nullptr) const { return StopWords{cancel, &channel_->gone}; }

 private:
  Channel* channel_ = nullptr;
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::ObjectReference> kept_;
  const char* kind_ = nullptr;
  std::string error_;
};

/** Builds a JS Error whose `kind` says whose fault it is. */
Napi::Error make_error(Napi::Env env, const std::string& message, const char* kind);

}  // namespace elanus
