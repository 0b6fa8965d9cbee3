// lucid::thread_bound<T> and lucid::local_rc<T>: values that must stay on the
// thread that created them (an object that is not thread-safe, a handle tied
// to a thread's state). Rust calls such a type !Send; C++ cannot refuse it at
// compile time, so lucid checks it at run time, where the check is on.
//
// Contract:
//   - thread_bound<T> holds a T and remembers the thread that created it and
//     where (the creation site). get(), operator* and operator-> on another
//     thread stop the program with a report naming the value's creation
//     site, the access site, the task, and the co_await after which the task
//     moved to another worker (docs/runtime.md, "Thread-bound values").
//   - A spawned (not spawn_local) task that created a thread_bound, or
//     accessed one that was moved to it, is stopped with the same report at
//     its first move to another worker, before it touches the value. A value
//     moved into a task as a parameter and not yet used is caught at its
//     first use after the move.
//   - local_rc<T>: a reference-counted T whose count is not atomic (Rust's
//     Rc). Copies, the last destruction and every access are checked like a
//     thread_bound.
//   - Destruction on another thread is checked too, except while a runtime
//     shuts down (the frames of its remaining local tasks are destroyed on the
//     thread that shuts it down, after the workers stopped).
// When the check is on: LUCID_CHECK_THREADS (detail/check_threads.hpp): on
// in debug and sanitizer builds, off in release unless the build defines
// LUCID_CHECK_THREADS=1. Off, thread_bound<T> is exactly a T (same size, an
// access is a member access) and local_rc<T> is a pointer to a count and a T.
// Thread safety: none, by design. Use spawn_local for a task that holds one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "lucid/base/source_site.hpp"
#include "lucid/rt/detail/check_threads.hpp"
#include "lucid/rt/observer.hpp"

namespace lucid {

namespace detail {

/// The owner record of a checked thread-bound value.
struct bound_origin {
  const void* thread = nullptr;  ///< this_thread_token() of the creating thread
  const char* type = nullptr;    ///< __PRETTY_FUNCTION__ of type_tag<T>
  source_site created{};
  task_id task = 0;          ///< the task it is registered with (0: none)
  std::uint16_t worker = 0;  ///< index + 1 of the creating worker; 0: not a worker
  bool settled = false;      ///< ownership recorded (a moved-to value settles on first use)
};

/// A token unique to the calling thread while it lives. Out of line (a
/// thread_local: see DESIGN.md, "Compiler hazards").
const void* this_thread_token() noexcept;
/// Fills o for a value created now, at `site`, on this thread, and
/// registers it with the running task (if any).
void bound_create(bound_origin& o, const char* type, source_site site) noexcept;
/// o is a value moved from `from` (checked on this thread, at `site`):
/// same creator; `from` is unregistered, o registers with the task that
/// next uses it.
void bound_move(bound_origin& o, bound_origin& from, source_site site) noexcept;
/// Registers o with the running task, if any (its first use after a move).
void bound_settle(bound_origin& o) noexcept;
/// o's value is destroyed (checked: on its thread, unless a runtime is
/// shutting down); unregisters it.
void bound_destroy(bound_origin& o) noexcept;
/// Reports an access from the wrong thread and stops the program (returns
/// only while a runtime's shutdown destroys the frames of its tasks).
[[gnu::cold, gnu::noinline]] void bound_violation(const bound_origin& o,
                                                  source_site access) noexcept;

template <class T>
constexpr const char* type_tag() noexcept {
  return __PRETTY_FUNCTION__;
}

/// The access check: inline, one out-of-line call for the thread token.
[[gnu::always_inline]] inline void bound_check(bound_origin& o, source_site site) noexcept {
  if (__builtin_expect(o.thread != this_thread_token(), 0)) bound_violation(o, site);
  if (__builtin_expect(!o.settled, 0)) bound_settle(o);
}

}  // namespace detail

#if LUCID_CHECK_THREADS
inline namespace checked_threads {
#else
inline namespace unchecked_threads {
#endif

/// A T that belongs to the thread that created it (see the header comment).
///
/// Example:
///   lucid::spawn_local([]() -> lucid::task<void> {
///     lucid::thread_bound<parser> p;       // not thread-safe
///     co_await read_more();
///     p.get().feed(buf);                   // checked: still on the same worker
///   }());
template <class T>
class thread_bound {
 public:
  /// A value-initialised T; the creation site is this call.
  thread_bound(source_site site = source_site::current())  // NOLINT: implicit on purpose
      requires std::is_default_constructible_v<T> : value_() {
    created(site);
  }
  /// Moves the value in; the creation site is this call.
  thread_bound(T v, source_site site = source_site::current())  // NOLINT: implicit on purpose
      : value_(std::move(v)) {
    created(site);
  }
  /// Constructs the T in place from args, recording `site` as the creation
  /// site (pass lucid::source_site::current()).
  template <class... A>
  requires std::is_constructible_v<T, A&&...> thread_bound(source_site site, std::in_place_t,
                                                           A&&... args)
      : value_(std::forward<A>(args)...) {
    created(site);
  }

  thread_bound(thread_bound&& o, source_site site = source_site::current())
#if LUCID_CHECK_THREADS
      : value_((detail::bound_check(o.o_, site), std::move(o.value_))) {
    detail::bound_move(o_, o.o_, site);
  }
#else
      : value_(std::move(o.value_)) {
    (void)site;
  }
#endif
  thread_bound(const thread_bound&) = delete;
  thread_bound& operator=(const thread_bound&) = delete;
  thread_bound& operator=(thread_bound&& o) noexcept(std::is_nothrow_move_assignable_v<T>) {
#if LUCID_CHECK_THREADS
    detail::bound_check(o_, source_site{});
    detail::bound_check(o.o_, source_site{});
#endif
    value_ = std::move(o.value_);
    return *this;
  }
  ~thread_bound() {
#if LUCID_CHECK_THREADS
    detail::bound_destroy(o_);
#endif
  }

  /// The value; checked (the report names this call as the access site).
  [[gnu::always_inline]] T& get(source_site site = source_site::current()) noexcept {
#if LUCID_CHECK_THREADS
    detail::bound_check(o_, site);
#else
    (void)site;
#endif
    return value_;
  }
  [[gnu::always_inline]] const T& get(source_site site = source_site::current()) const noexcept {
    return const_cast<thread_bound*>(this)->get(site);
  }
  /// Checked like get(); the report names the access through its backtrace
  /// (an operator cannot take the caller's site).
  [[gnu::always_inline]] T& operator*() noexcept {
    return get(source_site{});
  }
  [[gnu::always_inline]] const T& operator*() const noexcept {
    return get(source_site{});
  }
  [[gnu::always_inline]] T* operator->() noexcept {
    return &get(source_site{});
  }
  [[gnu::always_inline]] const T* operator->() const noexcept {
    return &get(source_site{});
  }

 private:
  void created([[maybe_unused]] source_site site) noexcept {
#if LUCID_CHECK_THREADS
    detail::bound_create(o_, detail::type_tag<T>(), site);
#endif
  }

  T value_;
#if LUCID_CHECK_THREADS
  detail::bound_origin o_;
#endif
};

/// A reference-counted T for one thread (Rust's Rc): copies share the value,
/// the count is not atomic, and every copy, access and release is checked
/// like a thread_bound.
///
/// Example:
///   auto cache = lucid::local_rc<std::map<int, int>>::make();  // created here
///   lucid::spawn_local(fill(cache));  // another local task on this worker
template <class T>
class local_rc {
  struct block {
    std::size_t refs = 1;
    T value;
    template <class... A>
    explicit block(A&&... a) : value(std::forward<A>(a)...) {}
  };

 public:
  local_rc() noexcept = default;

  /// A new value-initialised T; the creation site is this call.
  static local_rc make(
      source_site site = source_site::current()) requires std::is_default_constructible_v<T> {
    return local_rc(new thread_bound<block>(site, std::in_place));
  }
  /// A new value moved from v; the creation site is this call.
  static local_rc make(T v, source_site site = source_site::current()) {
    return local_rc(new thread_bound<block>(site, std::in_place, std::move(v)));
  }
  /// A new value constructed in place from args, recording `site` as the
  /// creation site (pass lucid::source_site::current()).
  template <class... A>
  static local_rc make_at(source_site site, A&&... args) {
    return local_rc(new thread_bound<block>(site, std::in_place, std::forward<A>(args)...));
  }

  local_rc(const local_rc& o) noexcept : b_(o.b_) {
    if (b_ != nullptr) ++b_->get(source_site{}).refs;
  }
  local_rc(local_rc&& o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
  local_rc& operator=(local_rc o) noexcept {
    std::swap(b_, o.b_);
    return *this;
  }
  ~local_rc() { reset(); }

  void reset() noexcept {
    if (b_ == nullptr) return;
    if (--b_->get(source_site{}).refs == 0) delete b_;
    b_ = nullptr;
  }

  /// The value; checked (the report names this call as the access site).
  T& get(source_site site = source_site::current()) const noexcept { return b_->get(site).value; }
  T& operator*() const noexcept { return b_->get(source_site{}).value; }
  T* operator->() const noexcept { return &b_->get(source_site{}).value; }
  explicit operator bool() const noexcept { return b_ != nullptr; }
  /// How many local_rc share the value (checked).
  std::size_t use_count() const noexcept { return b_ ? b_->get(source_site{}).refs : 0; }

 private:
  explicit local_rc(thread_bound<block>* b) noexcept : b_(b) {}
  thread_bound<block>* b_ = nullptr;
};

}  // namespace checked_threads / unchecked_threads

}  // namespace lucid
