// A fmt_layer that writes the full format, uncoloured, into a string, set as
// the global default for the scope; the tests read its lines. Shared by the
// span-context tests of tests/rt and tests/integration.
#pragma once

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "lucid/trace/dispatch.hpp"
#include "lucid/trace/subscriber/fmt_layer.hpp"
#include "lucid/trace/subscriber/registry.hpp"

namespace lucid::test {

/// Captures every line logged while it lives.
struct captured {
  std::shared_ptr<lucid::trace::string_writer> out =
      std::make_shared<lucid::trace::string_writer>();
  captured() {
    lucid::trace::fmt_options o;
    o.format = lucid::trace::log_format::full;
    o.ansi = lucid::trace::ansi_mode::never;
    auto reg = std::make_shared<lucid::trace::registry>();
    reg->with(std::make_shared<lucid::trace::fmt_layer>(out, o));
    lucid::trace::set_global_default(reg);
  }
  ~captured() { lucid::trace::set_global_default(nullptr); }
  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    std::istringstream in(out->str());
    for (std::string l; std::getline(in, l);)
      v.push_back(l);
    return v;
  }
  /// The lines containing `what`.
  std::vector<std::string> with(const std::string& what) const {
    std::vector<std::string> v;
    for (auto& l : lines()) {
      if (l.find(what) != std::string::npos) v.push_back(l);
    }
    return v;
  }
};

}  // namespace lucid::test
