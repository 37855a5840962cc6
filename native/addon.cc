// The N-API surface. Arguments are checked here, on the JS thread, so a bad call throws
// at once; the work then runs as a Task on the addon's own thread pool (pool.h, never
// libuv's) and settles a promise back on the JS thread (channel.h). A task holds
// references to the JS buffers it reads (and a shared_ptr to the index), so neither can
// be collected while it runs. Every error leaves as a JS Error whose `kind` says whose
// fault it is: "invalid" (the caller's arguments), "corrupt" (bytes given to loadIndex),
// "incompatible" (a whole index of a newer format or another usearch version),
// "cancelled" (the build's cancel word was set), "busy" (the pool's queue is full), or
// "internal" (out of memory, a bug).
#include <napi.h>

#include <memory>
#include <string>

#include <chrono>

#include "channel.h"
#include "index.h"
#include "kernels.h"
#include "pool.h"
#include "scan.h"

namespace elanus {

namespace {

/** Result entries (nq * k) one call may ask for: 64M entries is 512 MB of results. */
constexpr std::size_t result_entries_max = std::size_t{1} << 26;

/** Per JS environment (the main thread, each worker thread). */
struct AddonData {
  Napi::FunctionReference index_ctor;
  /** Owned by its environment's teardown (channel.h), not by this struct. */
  Channel* channel = nullptr;
};

Channel& channel_of(Napi::Env env) { return *env.GetInstanceData<AddonData>()->channel; }

/** Runs fn; C++ errors become JS exceptions with a kind. */
template <typename F>
Napi::Value guarded(Napi::Env env, F&& fn) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const InvalidArgument& e) {
    throw make_error(env, e.what(), "invalid");
  } catch (const Corrupt& e) {
    throw make_error(env, e.what(), "corrupt");
  } catch (const Incompatible& e) {
    throw make_error(env, e.what(), "incompatible");
  } catch (const Busy& e) {
    throw make_error(env, e.what(), "busy");
  } catch (const std::bad_alloc&) {
    throw make_error(env, "out of memory", "internal");
  } catch (const std::exception& e) {
    throw make_error(env, e.what(), "internal");
  }
}

// ---- argument checks ------------------------------------------------------------------

std::size_t to_size(Napi::Value v, const std::string& name, std::size_t min, std::size_t max) {
  if (!v.IsNumber()) throw InvalidArgument(name + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) || d != std::floor(d))
    throw InvalidArgument(name + " must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " +
                          (std::isfinite(d) ? std::to_string(d) : std::string(d != d ? "NaN" : "Infinity")));
  return static_cast<std::size_t>(d);
}

std::size_t prop_size(Napi::Object o, const char* key, std::size_t min, std::size_t max, std::size_t dflt, bool required) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) {
    if (required) throw InvalidArgument(std::string(key) + " is required");
    return dflt;
  }
  return to_size(v, key, min, max);
}

std::string prop_string(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) throw InvalidArgument(std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

Metric to_metric(Napi::Value v) {
  Metric m;
  if (!v.IsString() || !parse_metric(v.As<Napi::String>().Utf8Value(), &m))
    throw InvalidArgument("metric must be one of L2, IP, COSINE, HAMMING, JACCARD");
  return m;
}

Element to_element(Napi::Value v) {
  Element e;
  if (!v.IsString() || !parse_element(v.As<Napi::String>().Utf8Value(), &e))
    throw InvalidArgument("element must be one of f32, f16, bf16, bin, i8");
  return e;
}

const char* array_for(Element e) {
  return e == Element::F32 ? "Float32Array" : e == Element::BIN ? "Uint8Array" : e == Element::I8 ? "Int8Array" : "Uint16Array";
}

napi_typedarray_type array_type(Element e) {
  return e == Element::F32 ? napi_float32_array : e == Element::BIN ? napi_uint8_array : e == Element::I8 ? napi_int8_array : napi_uint16_array;
}

/** Elements of the typed array per row. */
std::size_t row_elements(Element e, std::size_t dim) { return e == Element::BIN ? dim / 8 : dim; }

Napi::TypedArray typed(Napi::Value v, Element e, const std::string& name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != array_type(e))
    throw InvalidArgument(name + " must be a " + array_for(e) + " for element type " + element_name(e));
  return v.As<Napi::TypedArray>();
}

/** The first byte of a typed array's view (also for a SharedArrayBuffer behind it). */
const void* data_of(Napi::TypedArray a) {
  napi_typedarray_type type;
  std::size_t length = 0, offset = 0;
  void* data = nullptr;
  napi_value buffer;
  if (napi_get_typedarray_info(a.Env(), a, &type, &length, &data, &buffer, &offset) != napi_ok)
    throw InvalidArgument("cannot read a typed array");
  return data;
}

/** Checks that `v` holds at least rows rows; returns its data. */
const void* rows_data(Napi::TypedArray v, Element e, std::size_t rows, std::size_t dim, const std::string& name) {
  std::size_t need = rows * row_elements(e, dim);
  if (v.ElementLength() < need)
    throw InvalidArgument(name + " holds " + std::to_string(v.ElementLength()) + " elements, fewer than rows * " +
                          (e == Element::BIN ? "dim/8" : "dim") + " = " + std::to_string(need));
  return data_of(v);
}

/** Queries: exactly nq rows, as Float32Array (dense) or Uint8Array (binary). */
Napi::TypedArray query_array(Napi::Value v, bool binary, std::size_t nq, std::size_t dim) {
  Napi::TypedArray q = typed(v, binary ? Element::BIN : Element::F32, "queries");
  std::size_t want = nq * (binary ? dim / 8 : dim);
  if (q.ElementLength() != want)
    throw InvalidArgument("queries hold " + std::to_string(q.ElementLength()) + " elements, but nq * " +
                          (binary ? "dim/8" : "dim") + " = " + std::to_string(want));
  return q;
}

/** The allow mask: undefined/null, or a Uint8Array of exactly `rows` bytes. */
bool allow_array(Napi::Value v, std::size_t rows, Napi::TypedArray* out) {
  if (v.IsUndefined() || v.IsNull()) return false;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw InvalidArgument("allow must be a Uint8Array");
  *out = v.As<Napi::TypedArray>();
  if (out->ElementLength() != rows)
    throw InvalidArgument("allow holds " + std::to_string(out->ElementLength()) + " bytes, but there are " + std::to_string(rows) + " rows");
  return true;
}

void check_metric_element(Metric m, Element e, std::size_t dim) {
  if (binary_metric(m) != (e == Element::BIN))
    throw InvalidArgument(std::string("metric ") + metric_name(m) + " does not fit element type " + element_name(e));
  if (e == Element::BIN && dim % 8) throw InvalidArgument("binary dim must be a multiple of 8, got " + std::to_string(dim));
}

std::size_t check_k(Napi::Value v, std::size_t nq) {
  std::size_t k = to_size(v, "k", 1, top_k_max);
  if (nq * k > result_entries_max) throw InvalidArgument("nq * k = " + std::to_string(nq * k) + " exceeds " + std::to_string(result_entries_max));
  return k;
}

// ---- results --------------------------------------------------------------------------

template <typename Array, typename T>
Array to_array(Napi::Env env, const std::vector<T>& v) {
  Array a = Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(T));
  return a;
}

Napi::Object search_result(Napi::Env env, const SearchOut& out) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("rows", to_array<Napi::Int32Array>(env, out.rows));
  o.Set("scores", to_array<Napi::Float32Array>(env, out.scores));
  return o;
}

// ---- tasks (channel.h: Task, run on the pool and settled on the JS thread) ------------

Napi::Value wrap_index(Napi::Env env, std::shared_ptr<const VectorIndex> index);

class BuildTask final : public Task {
 public:
  BuildTask(Napi::Env env, BuildSpec spec, const void* data, std::size_t rows, const std::int32_t* cancel)
      : Task(env), spec_(spec), data_(data), rows_(rows), cancel_(cancel) {
    long_running = true;
  }
  void Run() override {
    spec_.stop = stop_words(cancel_);
    index_ = build_index(spec_, data_, rows_);
  }
  Napi::Value Result(Napi::Env env) override { return wrap_index(env, std::move(index_)); }

 private:
  BuildSpec spec_;
  const void* data_;
  std::size_t rows_;
  const std::int32_t* cancel_;
  std::shared_ptr<const VectorIndex> index_;
};

class LoadTask final : public Task {
 public:
  LoadTask(Napi::Env env, const std::uint8_t* bytes, std::size_t n) : Task(env), bytes_(bytes), n_(n) {}
  void Run() override { index_ = load_index(bytes_, n_); }
  Napi::Value Result(Napi::Env env) override { return wrap_index(env, std::move(index_)); }

 private:
  const std::uint8_t* bytes_;
  std::size_t n_;
  std::shared_ptr<const VectorIndex> index_;
};

class SearchTask final : public Task {
 public:
  SearchTask(Napi::Env env, std::shared_ptr<const VectorIndex> index, const void* queries, std::size_t nq, SearchParams p)
      : Task(env), index_(std::move(index)), queries_(queries), nq_(nq), params_(p) {}
  void Run() override { index_->search(queries_, nq_, params_, out_); }
  Napi::Value Result(Napi::Env env) override { return search_result(env, out_); }

 private:
  std::shared_ptr<const VectorIndex> index_;
  const void* queries_;
  std::size_t nq_;
  SearchParams params_;
  SearchOut out_;
};

/**
 * One search over several indexes standing for consecutive row ranges (a growing
 * segment's interim chunks): each searched in turn on this worker thread, their hits
 * shifted by the rows before them and merged per query (equal scores by row). One task
 * instead of one per index saves a trip through the thread pool and back per chunk.
 */
class ManyTask final : public Task {
 public:
  ManyTask(Napi::Env env, std::vector<std::shared_ptr<const VectorIndex>> indexes, const void* queries, std::size_t nq, SearchParams p)
      : Task(env), indexes_(std::move(indexes)), queries_(queries), nq_(nq), params_(p) {}
  void Run() override {
    const std::size_t k = params_.k;
    const bool larger = larger_is_nearer(indexes_.front()->metric());
    std::vector<std::vector<std::pair<float, std::int32_t>>> hits(nq_);
    SearchOut one;
    std::size_t base = 0;
    for (const auto& ix : indexes_) {
      SearchParams p = params_;
      if (params_.allow) p.allow = params_.allow + base;
      ix->search(queries_, nq_, p, one);
      for (std::size_t q = 0; q < nq_; q++) {
        for (std::size_t i = q * k; i < (q + 1) * k && one.rows[i] >= 0; i++)
          hits[q].push_back({one.scores[i], static_cast<std::int32_t>(base + static_cast<std::size_t>(one.rows[i]))});
      }
      base += ix->rows();
    }
    out_.reset(nq_, k);
    for (std::size_t q = 0; q < nq_; q++) {
      auto& h = hits[q];
      std::sort(h.begin(), h.end(), [larger](const auto& a, const auto& b) {
        if (a.first != b.first) return larger ? a.first > b.first : a.first < b.first;
        return a.second < b.second;
      });
      for (std::size_t i = 0; i < h.size() && i < k; i++) {
        out_.rows[q * k + i] = h[i].second;
        out_.scores[q * k + i] = h[i].first;
      }
    }
  }
  Napi::Value Result(Napi::Env env) override { return search_result(env, out_); }

 private:
  std::vector<std::shared_ptr<const VectorIndex>> indexes_;
  const void* queries_;
  std::size_t nq_;
  SearchParams params_;
  SearchOut out_;
};

class SerializeTask final : public Task {
 public:
  SerializeTask(Napi::Env env, std::shared_ptr<const VectorIndex> index) : Task(env), index_(std::move(index)) {}
  void Run() override {
    bytes_ = std::make_unique<std::vector<std::uint8_t>>();
    Writer w;
    index_->serialize(w);
    bytes_->swap(w.bytes);
  }
  Napi::Value Result(Napi::Env env) override {
    // The bytes are handed to JS without a copy; the buffer frees them when collected.
    std::vector<std::uint8_t>* v = bytes_.release();
    std::size_t n = v->size();
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, v->data(), n, [](Napi::Env, void*, std::vector<std::uint8_t>* hint) { delete hint; }, v);
    return Napi::Uint8Array::New(env, n, ab, 0);
  }

 private:
  std::shared_ptr<const VectorIndex> index_;
  std::unique_ptr<std::vector<std::uint8_t>> bytes_;
};

class ExactTask final : public Task {
 public:
  ExactTask(Napi::Env env, RowsView v, Metric m, const void* q, std::size_t nq, std::size_t k, const std::uint8_t* allow)
      : Task(env), view_(v), metric_(m), queries_(q), nq_(nq), k_(k), allow_(allow) {}
  void Run() override { exact_topk(view_, metric_, queries_, nq_, k_, allow_, out_); }
  Napi::Value Result(Napi::Env env) override { return search_result(env, out_); }

 private:
  RowsView view_;
  Metric metric_;
  const void* queries_;
  std::size_t nq_, k_;
  const std::uint8_t* allow_;
  SearchOut out_;
};

class RangeTask final : public Task {
 public:
  RangeTask(Napi::Env env, RowsView v, Metric m, const void* q, std::size_t nq, float radius, float range_filter,
            std::size_t limit, const std::uint8_t* allow)
      : Task(env), view_(v), metric_(m), queries_(q), nq_(nq), radius_(radius), range_filter_(range_filter), limit_(limit), allow_(allow) {}
  void Run() override { exact_range(view_, metric_, queries_, nq_, radius_, range_filter_, limit_, allow_, out_); }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("offsets", to_array<Napi::Int32Array>(env, out_.offsets));
    o.Set("rows", to_array<Napi::Int32Array>(env, out_.rows));
    o.Set("scores", to_array<Napi::Float32Array>(env, out_.scores));
    return o;
  }

 private:
  RowsView view_;
  Metric metric_;
  const void* queries_;
  std::size_t nq_;
  float radius_, range_filter_;
  std::size_t limit_;
  const std::uint8_t* allow_;
  RangeOut out_;
};

// ---- the index object -----------------------------------------------------------------

class IndexObject : public Napi::ObjectWrap<IndexObject> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeIndexHandle",
                       {InstanceMethod("search", &IndexObject::Search), InstanceMethod("serialize", &IndexObject::Serialize),
                        InstanceMethod("memoryBytes", &IndexObject::MemoryBytes), InstanceMethod("info", &IndexObject::Info)});
  }

  explicit IndexObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<IndexObject>(info) {}

  std::shared_ptr<const VectorIndex> index;

 private:
  const std::shared_ptr<const VectorIndex>& get() const {
    if (!index) throw InvalidArgument("this index handle is empty");
    return index;
  }

  // search(queries, nq, k, ef, nprobe, allow, allowed)
  Napi::Value Search(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      const auto& ix = get();
      std::size_t nq = to_size(info[1], "nq", 0, std::numeric_limits<std::int32_t>::max());
      bool binary = ix->kind() == Kind::BIN_IVF_FLAT;
      Napi::TypedArray q = query_array(info[0], binary, nq, ix->dim());
      SearchParams p;
      p.k = check_k(info[2], nq);
      p.ef = info[3].IsUndefined() ? 0 : to_size(info[3], "ef", 0, ef_max);
      p.nprobe = info[4].IsUndefined() ? 0 : to_size(info[4], "nprobe", 0, nlist_max);
      Napi::TypedArray allow;
      if (allow_array(info[5], ix->rows(), &allow)) p.allow = static_cast<const std::uint8_t*>(data_of(allow));
      // A wrong count would only change the choice between walk and scan, never the rows
      // returned; still, it must not exceed the rows.
      if (p.allow && !info[6].IsUndefined()) p.allowed = to_size(info[6], "allowed", 0, ix->rows());
      auto* task = new SearchTask(env, ix, data_of(q), nq, p);
      task->Keep(q);
      if (p.allow) task->Keep(allow);
      task->Keep(info.This());
      return task->Start(channel_of(env));
    });
  }

  Napi::Value Serialize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      auto* task = new SerializeTask(env, get());
      task->Keep(info.This());
      return task->Start(channel_of(env));
    });
  }

  Napi::Value MemoryBytes(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value { return Napi::Number::New(info.Env(), static_cast<double>(get()->memory_bytes())); });
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      const auto& ix = get();
      Napi::Object o = Napi::Object::New(env);
      o.Set("type", kind_name(ix->kind()));
      o.Set("metric", metric_name(ix->metric()));
      o.Set("rows", Napi::Number::New(env, static_cast<double>(ix->rows())));
      o.Set("dim", Napi::Number::New(env, static_cast<double>(ix->dim())));
      return o;
    });
  }
};

Napi::Value wrap_index(Napi::Env env, std::shared_ptr<const VectorIndex> index) {
  Napi::Object o = env.GetInstanceData<AddonData>()->index_ctor.New({});
  IndexObject::Unwrap(o)->index = std::move(index);
  return o;
}

// ---- module functions -----------------------------------------------------------------

Kind to_kind(const std::string& s) {
  for (Kind k : {Kind::HNSW, Kind::IVF_FLAT, Kind::IVF_SQ8, Kind::IVF_PQ, Kind::BIN_IVF_FLAT})
    if (s == kind_name(k)) return k;
  throw InvalidArgument("type must be one of HNSW, IVF_FLAT, IVF_SQ8, IVF_PQ, BIN_IVF_FLAT, got " + s);
}

Storage to_storage(const std::string& s) {
  for (Storage st : {Storage::F32, Storage::F16, Storage::BF16, Storage::I8})
    if (s == storage_name(st)) return st;
  throw InvalidArgument("storage must be one of f32, f16, bf16, i8, got " + s);
}

// buildIndex(spec, vectors, rows)
Napi::Value BuildIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (!info[0].IsObject()) throw InvalidArgument("spec must be an object");
    Napi::Object o = info[0].As<Napi::Object>();
    BuildSpec s;
    s.kind = to_kind(prop_string(o, "type"));
    s.metric = to_metric(o.Get("metric"));
    s.element = to_element(o.Get("element"));
    s.dim = prop_size(o, "dim", 1, dim_max, 0, true);
    s.threads = prop_size(o, "threads", 1, build_threads_max, 1, false);
    if (s.kind == Kind::HNSW) {
      s.M = prop_size(o, "M", 2, hnsw_m_max, 0, true);
      s.ef_construction = prop_size(o, "efConstruction", 1, ef_max, 0, true);
      s.storage = to_storage(prop_string(o, "storage"));
    } else {
      s.nlist = prop_size(o, "nlist", 1, nlist_max, 0, true);
    }
    if (s.kind == Kind::IVF_PQ) {
      s.pq_m = prop_size(o, "m", 1, dim_max, 0, true);
      s.pq_nbits = prop_size(o, "nbits", 1, 8, 8, true);
    }
    if (s.element == Element::BIN ? s.kind != Kind::BIN_IVF_FLAT : s.kind == Kind::BIN_IVF_FLAT)
      throw InvalidArgument(std::string("element ") + element_name(s.element) + " is not valid for " + kind_name(s.kind));
    check_metric_element(s.metric, s.element, s.dim);
    std::size_t rows = to_size(info[2], "rows", 0, std::numeric_limits<std::int32_t>::max());
    Napi::TypedArray v = typed(info[1], s.element, "vectors");
    const void* data = rows_data(v, s.element, rows, s.dim, "vectors");
    // An optional Int32Array the caller sets to nonzero to stop the build (kept alive by the task).
    Napi::Value cancel = info[3];
    const std::int32_t* cancel_word = nullptr;
    if (!cancel.IsUndefined()) {
      if (!cancel.IsTypedArray() || cancel.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
          cancel.As<Napi::TypedArray>().ElementLength() < 1)
        throw InvalidArgument("cancel must be an Int32Array of at least one element");
      cancel_word = static_cast<const std::int32_t*>(data_of(cancel.As<Napi::TypedArray>()));
    }
    auto* task = new BuildTask(env, s, data, rows, cancel_word);
    task->Keep(v);
    task->Keep(cancel);
    return task->Start(channel_of(env));
  });
}

// loadIndex(bytes)
Napi::Value LoadIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      throw InvalidArgument("bytes must be a Uint8Array");
    Napi::TypedArray b = info[0].As<Napi::TypedArray>();
    auto* task = new LoadTask(env, static_cast<const std::uint8_t*>(data_of(b)), b.ByteLength());
    task->Keep(b);
    return task->Start(channel_of(env));
  });
}

struct ScanArgs {
  RowsView view;
  Metric metric;
  Napi::TypedArray vectors, queries, allow;
  std::size_t nq;
  bool has_allow;
};

// (vectors, rows, dim, element, metric, queries, nq, ..., allow at allow_at)
ScanArgs scan_args(const Napi::CallbackInfo& info, std::size_t allow_at) {
  ScanArgs a{};
  std::size_t rows = to_size(info[1], "rows", 0, std::numeric_limits<std::int32_t>::max());
  std::size_t dim = to_size(info[2], "dim", 1, dim_max);
  Element e = to_element(info[3]);
  a.metric = to_metric(info[4]);
  check_metric_element(a.metric, e, dim);
  a.vectors = typed(info[0], e, "vectors");
  a.view = {rows_data(a.vectors, e, rows, dim, "vectors"), rows, dim, e};
  a.nq = to_size(info[6], "nq", 0, std::numeric_limits<std::int32_t>::max());
  a.queries = query_array(info[5], e == Element::BIN, a.nq, dim);
  a.has_allow = allow_array(info[allow_at], rows, &a.allow);
  return a;
}

// exactSearch(vectors, rows, dim, element, metric, queries, nq, k, allow)
Napi::Value ExactSearch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    ScanArgs a = scan_args(info, 8);
    std::size_t k = check_k(info[7], a.nq);
    auto* task = new ExactTask(env, a.view, a.metric, data_of(a.queries), a.nq, k,
                               a.has_allow ? static_cast<const std::uint8_t*>(data_of(a.allow)) : nullptr);
    task->Keep(a.vectors);
    task->Keep(a.queries);
    if (a.has_allow) task->Keep(a.allow);
    return task->Start(channel_of(env));
  });
}

// rangeSearch(vectors, rows, dim, element, metric, queries, nq, radius, rangeFilter, limit, allow)
Napi::Value RangeSearch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    ScanArgs a = scan_args(info, 10);
    if (!info[7].IsNumber() || std::isnan(info[7].As<Napi::Number>().DoubleValue())) throw InvalidArgument("radius must be a number");
    float radius = static_cast<float>(info[7].As<Napi::Number>().DoubleValue());
    float range_filter = larger_is_nearer(a.metric) ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity();
    if (!info[8].IsUndefined()) {
      if (!info[8].IsNumber() || std::isnan(info[8].As<Napi::Number>().DoubleValue())) throw InvalidArgument("rangeFilter must be a number");
      range_filter = static_cast<float>(info[8].As<Napi::Number>().DoubleValue());
    }
    std::size_t limit = info[9].IsUndefined() ? 0 : to_size(info[9], "limit", 1, std::numeric_limits<std::int32_t>::max());
    auto* task = new RangeTask(env, a.view, a.metric, data_of(a.queries), a.nq, radius, range_filter, limit,
                               a.has_allow ? static_cast<const std::uint8_t*>(data_of(a.allow)) : nullptr);
    task->Keep(a.vectors);
    task->Keep(a.queries);
    if (a.has_allow) task->Keep(a.allow);
    return task->Start(channel_of(env));
  });
}

// searchMany(handles, queries, nq, k, ef, allow): handles = dense indexes of one metric and
// dim over consecutive row ranges; allow covers all their rows.
Napi::Value SearchMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (!info[0].IsArray() || info[0].As<Napi::Array>().Length() == 0) throw InvalidArgument("searchMany needs a non-empty array of indexes");
    Napi::Array list = info[0].As<Napi::Array>();
    Napi::Function ctor = env.GetInstanceData<AddonData>()->index_ctor.Value();
    std::vector<std::shared_ptr<const VectorIndex>> indexes;
    std::size_t rows = 0;
    for (std::uint32_t i = 0; i < list.Length(); i++) {
      Napi::Value v = list.Get(i);
      if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(ctor)) throw InvalidArgument("searchMany: element " + std::to_string(i) + " is not an index");
      std::shared_ptr<const VectorIndex> ix = IndexObject::Unwrap(v.As<Napi::Object>())->index;
      if (!ix) throw InvalidArgument("this index handle is empty");
      if (ix->kind() == Kind::BIN_IVF_FLAT) throw InvalidArgument("searchMany takes dense indexes only");
      if (!indexes.empty() && (ix->metric() != indexes.front()->metric() || ix->dim() != indexes.front()->dim()))
        throw InvalidArgument("searchMany: the indexes differ in metric or dim");
      rows += ix->rows();
      indexes.push_back(std::move(ix));
    }
    std::size_t nq = to_size(info[2], "nq", 0, std::numeric_limits<std::int32_t>::max());
    Napi::TypedArray q = query_array(info[1], false, nq, indexes.front()->dim());
    SearchParams p;
    p.k = check_k(info[3], nq);
    p.ef = info[4].IsUndefined() ? 0 : to_size(info[4], "ef", 0, ef_max);
    Napi::TypedArray allow;
    if (allow_array(info[5], rows, &allow)) p.allow = static_cast<const std::uint8_t*>(data_of(allow));
    auto* task = new ManyTask(env, std::move(indexes), data_of(q), nq, p);
    task->Keep(q);
    if (p.allow) task->Keep(allow);
    return task->Start(channel_of(env));
  });
}

Napi::Value Isa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("scans", kernels().isa);
  o.Set("searchContexts", Napi::Number::New(env, static_cast<double>(search_contexts())));
  return o;
}

// ---- the pool -------------------------------------------------------------------------

// initPool(threads, fixed, nice): starts the pool with `threads` at nice value `nice`
// unless it runs already, and returns its size. fixed = the caller needs exactly that
// size and nice value: others already running are an "invalid" error (the pool is the
// process's, shared by every environment).
Napi::Value InitPool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::size_t threads = to_size(info[0], "threads", 1, pool_threads_max);
    bool fixed = info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
    int nice = static_cast<int>(to_size(info[2], "nice", pool_thread_nice_min, pool_thread_nice_max));
    Pool& pool = Pool::instance();
    return Napi::Number::New(env, static_cast<double>(fixed ? pool.start(threads, nice) : pool.start_or_join(threads, nice)));
  });
}

// poolStats(reset): threads, tasks (and builds) running now and the most at once since
// the last reset, tasks queued, tasks finished. reset = true starts new maxima from now.
Napi::Value PoolStatsOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PoolStats s = Pool::instance().stats();
  if (info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value()) Pool::instance().reset_running_max();
  Napi::Object o = Napi::Object::New(env);
  o.Set("threads", Napi::Number::New(env, static_cast<double>(s.threads)));
  o.Set("nice", Napi::Number::New(env, static_cast<double>(s.nice)));
  o.Set("running", Napi::Number::New(env, static_cast<double>(s.running)));
  o.Set("runningMax", Napi::Number::New(env, static_cast<double>(s.running_max)));
  o.Set("buildsRunning", Napi::Number::New(env, static_cast<double>(s.running_long)));
  o.Set("buildsRunningMax", Napi::Number::New(env, static_cast<double>(s.running_long_max)));
  o.Set("queued", Napi::Number::New(env, static_cast<double>(s.queued)));
  o.Set("finished", Napi::Number::New(env, static_cast<double>(s.finished)));
  return o;
}

/**
 * For tests: occupies one pool thread until its word is set (then resolves), or rejects
 * as cancelled when its environment goes away or the process exits; queued and counted as
 * a build or as a short task. Lets a test fill the pool for exactly as long as it wants,
 * with no timing involved.
 */
class HoldTask final : public Task {
 public:
  HoldTask(Napi::Env env, const std::int32_t* word, bool as_build) : Task(env), word_(word) { long_running = as_build; }
  void Run() override {
    StopWords stop = stop_words();
    while (__atomic_load_n(word_, __ATOMIC_ACQUIRE) == 0) {
      check_cancel(&stop);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  const std::int32_t* word_;
};

// holdForTest(word: Int32Array, asBuild: boolean)
Napi::Value HoldForTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Napi::Value w = info[0];
    if (!w.IsTypedArray() || w.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array || w.As<Napi::TypedArray>().ElementLength() < 1)
      throw InvalidArgument("word must be an Int32Array of at least one element");
    bool as_build = info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
    auto* task = new HoldTask(env, static_cast<const std::int32_t*>(data_of(w.As<Napi::TypedArray>())), as_build);
    task->Keep(w);
    return task->Start(channel_of(env));
  });
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  Napi::Function ctor = IndexObject::Define(env);
  data->index_ctor = Napi::Persistent(ctor);
  data->channel = new Channel(env);
  env.SetInstanceData(data);
  exports.Set("buildIndex", Napi::Function::New(env, BuildIndex));
  exports.Set("loadIndex", Napi::Function::New(env, LoadIndex));
  exports.Set("exactSearch", Napi::Function::New(env, ExactSearch));
  exports.Set("rangeSearch", Napi::Function::New(env, RangeSearch));
  exports.Set("searchMany", Napi::Function::New(env, SearchMany));
  exports.Set("isa", Napi::Function::New(env, Isa));
  exports.Set("initPool", Napi::Function::New(env, InitPool));
  exports.Set("poolStats", Napi::Function::New(env, PoolStatsOf));
  exports.Set("holdForTest", Napi::Function::New(env, HoldForTest));
  return exports;
}

}  // namespace elanus

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return elanus::Init(env, exports); }

NODE_API_MODULE(elanus_vector, InitModule)
