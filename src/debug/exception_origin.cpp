// Throw-site capture: lucid's __cxa_throw, and the side table from thrown
// objects to their throw-site backtraces.
//
// Side table: 64 shards, each a spin-locked singly linked list of nodes
// {thrown object, original destructor, trace}. A node is inserted by
// __cxa_throw and removed by destroy_thrown_object(), the destructor lucid
// substitutes for the object's own; the C++ runtime calls it exactly once,
// when the exception object dies, and it then calls the original destructor.
// So an entry lives exactly as long as its exception. The shards are
// constant-initialised (no static constructor), so throws during static
// initialisation are safe.
//
// This file must contain no throw expression: GCC declares __cxa_throw
// implicitly for those, with a signature that would clash with ours.
#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>

#include "lucid/base/assert.hpp"
#include "lucid/base/spin_lock.hpp"
#include "lucid/debug/exception_origin.hpp"

namespace lucid::debug {

namespace {

using destructor_fn = void (*)(void*);
using cxa_throw_fn = void (*)(void*, void*, destructor_fn);

struct node {
  void* object;
  destructor_fn destructor;
  node* next;
  captured_trace trace;
};

struct shard {
  lucid::detail::spin_lock lock;
  node* head = nullptr;
};

constexpr unsigned shard_bits = 6;
constinit shard g_shards[1u << shard_bits];
// relaxed: a switch for later throws; no data is published through it.
constinit std::atomic<bool> g_capture_enabled{true};
constinit std::atomic<unsigned> g_live{0};
// relaxed: dlsym returns the same pointer to every thread; a race resolves twice.
constinit std::atomic<cxa_throw_fn> g_real_throw{nullptr};

shard& shard_for(const void* object) noexcept {
  auto key = reinterpret_cast<std::uintptr_t>(object) >> 4;
  return g_shards[(key * 0x9E3779B97F4A7C15ull) >> (64 - shard_bits)];
}

cxa_throw_fn real_throw() noexcept {
  cxa_throw_fn fn = g_real_throw.load(std::memory_order_relaxed);
  if (fn == nullptr) {
    fn = reinterpret_cast<cxa_throw_fn>(::dlsym(RTLD_NEXT, "__cxa_throw"));
    if (fn == nullptr) LUCID_UNREACHABLE("lucid::debug: cannot find the C++ runtime's __cxa_throw");
    g_real_throw.store(fn, std::memory_order_relaxed);
  }
  return fn;
}

void destroy_thrown_object(void* object) {
  shard& s = shard_for(object);
  node* found = nullptr;
  {
    std::lock_guard<lucid::detail::spin_lock> guard(s.lock);
    for (node** link = &s.head; *link != nullptr; link = &(*link)->next) {
      if ((*link)->object == object) {
        found = *link;
        *link = found->next;
        break;
      }
    }
  }
  // The node always exists: this destructor is only installed with one.
  LUCID_ASSERT(found != nullptr, "thrown object missing from the throw-site table");
  destructor_fn original = found->destructor;
  std::free(found);
  g_live.fetch_sub(1, std::memory_order_relaxed);
  if (original != nullptr) original(object);
}

// What __cxa_throw adds to a throw: capture, allocate, insert. Returns the
// destructor to pass on (ours, or the original if the node could not be made).
// `skip`: frames between the throw expression and record().
[[gnu::noinline]] destructor_fn record(void* object, destructor_fn destructor,
                                       unsigned skip) noexcept {
  if (!g_capture_enabled.load(std::memory_order_relaxed)) return destructor;
  auto* n = static_cast<node*>(std::malloc(sizeof(node)));
  if (n == nullptr) return destructor;
  n->object = object;
  n->destructor = destructor;
  capture(n->trace, skip + 1);  // drop record() itself
  shard& s = shard_for(object);
  {
    std::lock_guard<lucid::detail::spin_lock> guard(s.lock);
    n->next = s.head;
    s.head = n;
  }
  g_live.fetch_add(1, std::memory_order_relaxed);
  return &destroy_thrown_object;
}

const captured_trace* lookup(void* object) noexcept {
  if (object == nullptr) return nullptr;
  shard& s = shard_for(object);
  std::lock_guard<lucid::detail::spin_lock> guard(s.lock);
  for (node* n = s.head; n != nullptr; n = n->next) {
    if (n->object == object) return &n->trace;
  }
  return nullptr;
}

}  // namespace

const captured_trace* throw_site(const std::exception_ptr& e) noexcept {
#if defined(__GLIBCXX__)
  // libstdc++'s exception_ptr holds exactly the thrown object's address
  // (__exception_ptr::exception_ptr::_M_exception_object).
  static_assert(sizeof(std::exception_ptr) == sizeof(void*));
  void* object = nullptr;
  std::memcpy(&object, static_cast<const void*>(&e), sizeof object);
  return lookup(object);
#else
  (void)e;
  return nullptr;
#endif
}

const captured_trace* current_throw_site() noexcept {
  std::exception_ptr e = std::current_exception();
  // The handler keeps the exception alive after `e` is gone.
  return throw_site(e);
}

bool set_throw_capture(bool enabled) noexcept {
  return g_capture_enabled.exchange(enabled, std::memory_order_relaxed);
}

namespace detail {
unsigned live_throw_sites() noexcept {
  return g_live.load(std::memory_order_relaxed);
}

[[gnu::noinline]] void record_and_release_throw_site(void* object) noexcept {
  destructor_fn d = record(object, nullptr, 1);
  if (d != nullptr) d(object);
  asm volatile("" ::: "memory");
}
}  // namespace detail

}  // namespace lucid::debug

// Bound ahead of libstdc++'s definition: lucid_debug is linked into the
// executable, whose symbols come first in the dynamic lookup order (and the
// linker exports this one, since libstdc++ defines it too). Under ASan the
// "next" definition is ASan's interceptor, which forwards to libstdc++.
extern "C" [[noreturn]] void __cxa_throw(void* object, void* type, void (*destructor)(void*)) {
  using namespace lucid::debug;
  cxa_throw_fn real = real_throw();
  destructor = record(object, destructor, 1);  // drop this frame: the trace starts at the throw
  real(object, type, destructor);
  __builtin_unreachable();
}
