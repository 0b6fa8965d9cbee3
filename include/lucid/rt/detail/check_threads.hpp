// LUCID_CHECK_THREADS: whether lucid checks thread-bound values
// (lucid/rt/thread_bound.hpp) and records task migrations.
//
// Contract: after this header, LUCID_CHECK_THREADS is 0 or 1.
//   - Defined by the build (-DLUCID_CHECK_THREADS=1 or =0, or the CMake
//     option LUCID_CHECK_THREADS=ON/OFF, which adds that definition to every
//     target linking lucid): that value wins.
//   - Not defined (the CMake option's default, AUTO): 1 in debug builds
//     (NDEBUG not defined) and in ASan/TSan builds, 0 otherwise (release).
// The environment cannot turn a check on: with 0 the check is not compiled
// (thread_bound<T> is exactly a T). A check compiled in always reports.
//
// Mixing: thread_bound's layout depends on the value, so it lives in an inline
// namespace named after it (checked / unchecked): two translation units that
// disagree get a link error, not a silent layout mismatch. The runtime library
// records migrations only if it was itself built with the check on; a value
// checked in user code still reports a bad access without that record.
#pragma once

#ifndef LUCID_CHECK_THREADS
#if !defined(NDEBUG) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || \
    defined(LUCID_SANITIZER_ADDRESS) || defined(LUCID_SANITIZER_THREAD)
#define LUCID_CHECK_THREADS 1
#else
#define LUCID_CHECK_THREADS 0
#endif
#endif
