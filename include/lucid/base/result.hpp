// lucid::result<T>: a value or a lucid::error (GCC 12 has no std::expected).
//
// Contract: a plain value type; no thread-safety beyond that of T. Reading the
// value of an error result (or the error of a value) is a broken invariant and
// stops the program through LUCID_ASSERT.
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

#include "lucid/base/assert.hpp"
#include "lucid/base/error.hpp"

namespace lucid {

/// A value of T, or an error.
///
/// Example:
///   lucid::result<int> r = co_await lucid::timeout(1s, compute());
///   if (!r) { log(r.error().message()); } else { use(*r); }
template <class T>
class [[nodiscard]] result {
 public:
  using value_type = T;

  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  result(lucid::error e) : v_(std::in_place_index<1>, e) {}          // NOLINT: implicit
  result(errc e) : v_(std::in_place_index<1>, lucid::error{e}) {}    // NOLINT: implicit
  /// A value of T made in place from `args` (no move of T).
  template <class... A>
  explicit result(std::in_place_t, A&&... args)
      : v_(std::in_place_index<0>, std::forward<A>(args)...) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & {
    LUCID_ASSERT(has_value(), "value() of an error result");
    return std::get<0>(v_);
  }
  const T& value() const& {
    LUCID_ASSERT(has_value(), "value() of an error result");
    return std::get<0>(v_);
  }
  T&& value() && {
    LUCID_ASSERT(has_value(), "value() of an error result");
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

  /// The error; ok when the result holds a value.
  lucid::error error() const noexcept { return has_value() ? lucid::error{} : std::get<1>(v_); }

 private:
  std::variant<T, lucid::error> v_;
};

/// result<void>: success or an error.
template <>
class [[nodiscard]] result<void> {
 public:
  using value_type = void;
  result() = default;
  result(lucid::error e) : e_(e) {}  // NOLINT: implicit
  result(errc e) : e_(e) {}          // NOLINT: implicit

  bool has_value() const noexcept { return e_.code == errc::ok; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const { LUCID_ASSERT(has_value(), "value() of an error result"); }
  lucid::error error() const noexcept { return e_; }

 private:
  lucid::error e_{};
};

}  // namespace lucid
