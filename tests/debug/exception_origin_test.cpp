#include "lucid/debug/exception_origin.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lucid/debug/backtrace_format.hpp"
#include "lucid/debug/symbolize.hpp"

namespace {

using lucid::debug::captured_trace;

std::atomic<int> g_throw_line{0};  // written by every throwing thread

// clang-format off
[[gnu::noinline]] void thrower() {
  g_throw_line = __LINE__; throw std::runtime_error("boom");
}
// clang-format on
[[gnu::noinline]] void middle() {
  thrower();
  asm volatile("");
}
[[gnu::noinline]] void outer() {
  middle();
  asm volatile("");
}

std::string where(const captured_trace* t) {
  if (t == nullptr) return "<null>";
  auto frames = lucid::debug::symbolize(t->frames());
  const auto* f = lucid::debug::first_user_frame(frames);
  if (f == nullptr) return "<no user frame>";
  return f->function + " @ " + std::to_string(f->line);
}

std::string expected() {
  return "(anonymous namespace)::thrower() @ " + std::to_string(g_throw_line.load());
}

std::exception_ptr catch_outer() {
  try {
    outer();
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

TEST(ExceptionOrigin, CurrentThrowSiteInsideTheHandler) {
  try {
    outer();
  } catch (const std::exception&) {
    EXPECT_EQ(where(lucid::debug::current_throw_site()), expected());
  }
}

TEST(ExceptionOrigin, TheTraceFollowsTheExceptionObject) {
  std::exception_ptr e = catch_outer();
  const captured_trace* site = lucid::debug::throw_site(e);
  ASSERT_NE(site, nullptr);
  EXPECT_EQ(where(site), expected());
  // A copy refers to the same object, so to the same trace.
  std::exception_ptr copy = e;
  EXPECT_EQ(lucid::debug::throw_site(copy), site);
}

TEST(ExceptionOrigin, RethrowKeepsTheOriginalSite) {
  std::exception_ptr e = catch_outer();
  const captured_trace* site = lucid::debug::throw_site(e);
  try {
    try {
      std::rethrow_exception(e);
    } catch (...) {
      throw;  // and once more with `throw;`
    }
  } catch (...) {
    EXPECT_EQ(lucid::debug::current_throw_site(), site);
    EXPECT_EQ(where(lucid::debug::current_throw_site()), expected());
  }
}

TEST(ExceptionOrigin, CrossesThreads) {
  std::exception_ptr e;
  std::thread t([&] { e = catch_outer(); });
  t.join();
  EXPECT_EQ(where(lucid::debug::throw_site(e)), expected());
}

TEST(ExceptionOrigin, ANewThrowRecordsANewSite) {
  try {
    try {
      outer();
    } catch (const std::exception& ex) {
      throw std::logic_error(std::string("wrapped: ") + ex.what());
    }
  } catch (const std::logic_error&) {
    std::string w = where(lucid::debug::current_throw_site());
    EXPECT_NE(w.find("ANewThrowRecordsANewSite"), std::string::npos) << w;
  }
}

TEST(ExceptionOrigin, ThrowsInsideLibstdcxxAreCaptured) {
  std::vector<int> v;
  try {
    (void)v.at(3);
  } catch (const std::out_of_range&) {
    std::string w = where(lucid::debug::current_throw_site());
    EXPECT_NE(w.find("ThrowsInsideLibstdcxxAreCaptured"), std::string::npos) << w;
  }
}

TEST(ExceptionOrigin, EntriesLiveAsLongAsTheException) {
  const unsigned before = lucid::debug::detail::live_throw_sites();
  {
    std::exception_ptr e = catch_outer();
    EXPECT_EQ(lucid::debug::detail::live_throw_sites(), before + 1);
  }
  EXPECT_EQ(lucid::debug::detail::live_throw_sites(), before);
  try {
    throw 42;  // trivially destructible: no destructor of its own
  } catch (int) {
    EXPECT_NE(lucid::debug::current_throw_site(), nullptr);
  }
  EXPECT_EQ(lucid::debug::detail::live_throw_sites(), before);
}

struct counted {
  static int live;
  counted() { ++live; }
  counted(const counted&) { ++live; }
  ~counted() { --live; }
};
int counted::live = 0;

TEST(ExceptionOrigin, TheOriginalDestructorStillRuns) {
  try {
    throw counted{};
  } catch (const counted&) {
    EXPECT_EQ(counted::live, 1);
  }
  EXPECT_EQ(counted::live, 0);
}

TEST(ExceptionOrigin, NoSiteWithoutAThrow) {
  EXPECT_EQ(lucid::debug::throw_site(nullptr), nullptr);
  EXPECT_EQ(lucid::debug::current_throw_site(), nullptr);
  std::exception_ptr made = std::make_exception_ptr(std::runtime_error("never thrown"));
  EXPECT_EQ(lucid::debug::throw_site(made), nullptr);
}

TEST(ExceptionOrigin, CaptureCanBeTurnedOff) {
  const bool was = lucid::debug::set_throw_capture(false);
  EXPECT_TRUE(was);
  std::exception_ptr e = catch_outer();
  EXPECT_EQ(lucid::debug::throw_site(e), nullptr);
  EXPECT_FALSE(lucid::debug::set_throw_capture(true));
  e = catch_outer();
  EXPECT_NE(lucid::debug::throw_site(e), nullptr);
}

TEST(ExceptionOrigin, ManyThreadsThrowing) {
  const unsigned before = lucid::debug::detail::live_throw_sites();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        std::exception_ptr e = catch_outer();
        if (lucid::debug::throw_site(e) != nullptr) ok.fetch_add(1);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok.load(), 800);
  EXPECT_EQ(lucid::debug::detail::live_throw_sites(), before);
}

}  // namespace
