// lucid::trace::value and field_ref: typed key/value fields of events and spans,
// kept apart from the message.
//
// Contract: a field_ref borrows what it refers to (string bytes, or the object
// of a fmt-formattable type) for the full expression that creates it: events
// are handed to subscribers inside that expression, and subscribers copy what
// they keep (span fields). Converting a value allocates nothing. Thread safety:
// plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/core.h>

namespace lucid::trace {

/// The kind of value a field holds.
enum class value_kind : std::uint8_t {
  none,     ///< declared empty, recorded later (span.record)
  i64,      ///< any signed integer
  u64,      ///< any unsigned integer
  f64,      ///< float or double
  boolean,  ///< bool
  str,      ///< a string; printed quoted and escaped
  display,  ///< text already formatted from a fmt-formattable value; printed unquoted, escaped
  erased,   ///< a borrowed fmt-formattable object, formatted when printed
};

/// Marks a span field declared without a value: `("status", lucid::trace::empty)`.
struct empty_t {
  explicit constexpr empty_t(int) noexcept {}
};
/// The empty field value.
inline constexpr empty_t empty{0};

/// A borrowed, typed field value (16 bytes + kind).
struct value {
  using format_fn = void (*)(fmt::appender out, const void* obj);

  value_kind kind = value_kind::none;
  union {
    std::int64_t i;
    std::uint64_t u;
    double f;
    bool b;
    struct {
      const char* data;
      std::size_t size;
    } s;
    struct {
      const void* obj;
      format_fn fn;
    } e;
  };

  constexpr value() noexcept : i(0) {}
  // Each factory initialises the kind and one union member directly: building
  // a default value and assigning to it made GCC zero the whole object with
  // `rep stos` and then stall reloading it (store forwarding) on every event.
  static constexpr value of_i64(std::int64_t v) noexcept { return value(value_kind::i64, v); }
  static constexpr value of_u64(std::uint64_t v) noexcept { return value(value_kind::u64, v); }
  static constexpr value of_f64(double v) noexcept { return value(v); }
  static constexpr value of_bool(bool v) noexcept { return value(value_kind::boolean, v); }
  static constexpr value of_str(std::string_view v, value_kind k = value_kind::str) noexcept {
    return value(k, v.data(), v.size());
  }
  static constexpr value of_erased(const void* obj, format_fn fn) noexcept {
    return value(obj, fn);
  }
  /// The string of a str or display value.
  constexpr std::string_view str() const noexcept { return {s.data, s.size}; }
  /// Appends the value as plain text (strings unquoted, no escaping).
  void format_to(fmt::appender out) const;

 private:
  constexpr value(value_kind k, std::int64_t v) noexcept : kind(k), i(v) {}
  constexpr value(value_kind k, std::uint64_t v) noexcept : kind(k), u(v) {}
  constexpr explicit value(double v) noexcept : kind(value_kind::f64), f(v) {}
  constexpr value(value_kind k, bool v) noexcept : kind(k), b(v) {}
  constexpr value(value_kind k, const char* data, std::size_t size) noexcept
      : kind(k), s{data, size} {}
  constexpr value(const void* obj, format_fn fn) noexcept : kind(value_kind::erased), e{obj, fn} {}
};

/// A named field: a name (a string literal) and a borrowed value.
struct field_ref {
  const char* name;
  value val;
};

namespace detail {

template <class T>
void format_erased(fmt::appender out, const void* obj) {
  fmt::format_to(out, "{}", *static_cast<const T*>(obj));
}

template <class T>
inline constexpr bool is_string_like_v = std::is_convertible_v<const T&, std::string_view> ||
                                         std::is_same_v<T, char*> || std::is_same_v<T, const char*>;

}  // namespace detail

/// Converts v to a borrowed value: integers, floats, bool, strings, `empty`,
/// and any type fmt can format (formatted only when printed).
template <class T>
constexpr value to_value(const T& v) noexcept {
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_same_v<U, value>) {
    return v;
  } else if constexpr (std::is_same_v<U, empty_t>) {
    return value{};
  } else if constexpr (std::is_same_v<U, bool>) {
    return value::of_bool(v);
  } else if constexpr (std::is_same_v<U, char>) {
    return value::of_erased(&v, &detail::format_erased<char>);
  } else if constexpr (std::is_integral_v<U> && std::is_signed_v<U>) {
    return value::of_i64(static_cast<std::int64_t>(v));
  } else if constexpr (std::is_integral_v<U>) {
    return value::of_u64(static_cast<std::uint64_t>(v));
  } else if constexpr (std::is_floating_point_v<U>) {
    return value::of_f64(static_cast<double>(v));
  } else if constexpr (std::is_same_v<U, const char*> || std::is_same_v<U, char*>) {
    return v == nullptr ? value::of_str("(null)", value_kind::display)
                        : value::of_str(std::string_view(v));
  } else if constexpr (std::is_convertible_v<const U&, std::string_view>) {
    return value::of_str(std::string_view(v));
  } else {
    static_assert(fmt::is_formattable<U>::value,
                  "a trace field value must be an integer, float, bool, string or have a "
                  "fmt::formatter");
    return value::of_erased(&v, &detail::format_erased<U>);
  }
}

/// A field named name with value v (borrowed; see the file contract).
///
/// Example: `LUCID_INFO_F(("id", 42), ("user", name))("login")` builds the
/// same fields as `field("id", 42), field("user", name)`.
template <class T>
constexpr field_ref field(const char* name, const T& v) noexcept {
  return field_ref{name, to_value(v)};
}

}  // namespace lucid::trace
