// Plain-text formatting of field values.
#include "lucid/trace/field.hpp"

#include <fmt/format.h>

namespace lucid::trace {

void value::format_to(fmt::appender out) const {
  switch (kind) {
    case value_kind::none:
      break;
    case value_kind::i64:
      fmt::format_to(out, "{}", i);
      break;
    case value_kind::u64:
      fmt::format_to(out, "{}", u);
      break;
    case value_kind::f64:
      fmt::format_to(out, "{}", f);
      break;
    case value_kind::boolean:
      fmt::format_to(out, "{}", b);
      break;
    case value_kind::str:
    case value_kind::display:
      fmt::format_to(out, "{}", str());
      break;
    case value_kind::erased:
      e.fn(out, e.obj);
      break;
  }
}

}  // namespace lucid::trace
