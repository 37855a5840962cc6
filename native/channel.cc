#include "channel.h"

namespace elanus {

Napi::Error make_error(Napi::Env env, const std::string& message, const char* kind) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Value().Set("kind", Napi::String::New(env, kind));
  return e;
}

namespace {

void check(napi_env env, napi_status status, const char* what) {
  if (status != napi_ok) throw make_error(Napi::Env(env), std::string("cannot ") + what, "internal");
}

}  // namespace

Channel::Channel(Napi::Env env) : env_(env) {
  napi_value name;
  check(env, napi_create_string_utf8(env, "elanus:vector", NAPI_AUTO_LENGTH, &name), "name the task channel");
  // No JS function: call_js settles the task's own promise. No queue limit: the pool's
  // queue is the bounded one, and a worker must never block handing a task back.
  check(env, napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, this, finalize, this, call_js, &tsfn_),
        "create the task channel");
  // An idle addon does not keep the process alive; submit() holds the loop while tasks are out.
  check(env, napi_unref_threadsafe_function(env, tsfn_), "unref the task channel");
  // Added after the thread-safe function, so it runs before the function's own hook
  // (hooks run in reverse order); finalize() covers the other order anyway.
  check(env, napi_add_env_cleanup_hook(env, cleanup, this), "add the cleanup hook");
}

void Channel::submit(Task* task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    in_pool_++;
  }
  try {
    Pool::instance().submit(task);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    in_pool_--;
    throw;
  }
  if (outstanding_++ == 0) napi_ref_threadsafe_function(env_, tsfn_);
}

void Channel::handed_back(Task* task) noexcept {
  // Called before in_pool_ drops, so shut_down() cannot return while a worker may still
  // call the thread-safe function.
  napi_status status = napi_call_threadsafe_function(tsfn_, task, napi_tsfn_nonblocking);
  std::lock_guard<std::mutex> lock(mutex_);
  if (status != napi_ok) orphans_.push_back(task);
  if (--in_pool_ == 0) idle_.notify_all();
}

void Channel::call_js(napi_env env, napi_value, void* context, void* data) {
  auto* task = static_cast<Task*>(data);
  // No env: the thread-safe function is emptying its queue while it is destroyed.
  if (env == nullptr) {
    task->abandon();
    return;
  }
  auto* channel = static_cast<Channel*>(context);
  if (channel->gone.load()) {
    task->abandon();
    return;
  }
  if (--channel->outstanding_ == 0) napi_unref_threadsafe_function(env, channel->tsfn_);
  task->settle(Napi::Env(env));
}

void Channel::shut_down() {
  if (gone.exchange(true)) return;
  std::vector<PoolTask*> queued = Pool::instance().take_queued(this);
  for (PoolTask* t : queued) static_cast<Task*>(t)->abandon();
  std::vector<Task*> orphans;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    in_pool_ -= queued.size();
    idle_.wait(lock, [this] { return in_pool_ == 0; });
    orphans.swap(orphans_);
  }
  for (Task* t : orphans) t->abandon();
}

void Channel::release() {
  if (--holders_ == 0) delete this;
}

void Channel::cleanup(void* arg) {
  auto* channel = static_cast<Channel*>(arg);
  channel->shut_down();
  channel->release();
}

void Channel::finalize(napi_env, void* data, void*) {
  auto* channel = static_cast<Channel*>(data);
  channel->shut_down();
  // Tasks still in the function's queue come to call_js with no env after this returns;
  // it does not touch the channel then.
  channel->release();
}

// ---- Task ------------------------------------------------------------------------------

Napi::Promise Task::Start(Channel& channel) {
  Napi::Env env = deferred_.Env();
  channel_ = &channel;
  owner = &channel;
  Napi::Promise promise = deferred_.Promise();
  try {
    channel.submit(this);
  } catch (const Busy& e) {
    deferred_.Reject(make_error(env, e.what(), "busy").Value());
    delete this;
  } catch (...) {
    delete this;
    throw;
  }
  return promise;
}

void Task::run() noexcept {
  try {
    Run();
  } catch (const Cancelled& e) {
    kind_ = "cancelled", error_ = e.what();
  } catch (const InvalidArgument& e) {
    kind_ = "invalid", error_ = e.what();
  } catch (const Corrupt& e) {
    kind_ = "corrupt", error_ = e.what();
  } catch (const Incompatible& e) {
    kind_ = "incompatible", error_ = e.what();
  } catch (const std::bad_alloc&) {
    kind_ = "internal", error_ = "out of memory";
  } catch (const std::exception& e) {
    kind_ = "internal", error_ = e.what();
  } catch (...) {
    kind_ = "internal", error_ = "unknown native error";
  }
}

// Nothing may escape from here: an exception would be thrown into the event loop.
void Task::settle(Napi::Env env) {
  try {
    if (kind_) {
      deferred_.Reject(make_error(env, error_, kind_).Value());
    } else {
      try {
        deferred_.Resolve(Result(env));
      } catch (const Napi::Error& e) {
        deferred_.Reject(e.Value());
      } catch (const std::bad_alloc&) {
        deferred_.Reject(make_error(env, "out of memory", "internal").Value());
      } catch (const std::exception& e) {
        deferred_.Reject(make_error(env, e.what(), "internal").Value());
      }
    }
  } catch (...) {
    // Rejecting failed too (the environment is stopping): nothing left to tell.
  }
  delete this;
}

void Task::abandon() {
  // The environment is being torn down: it frees the references itself, and calling
  // into it now is not allowed.
  for (auto& r : kept_) r.SuppressDestruct();
  delete this;
}

}  // namespace elanus
