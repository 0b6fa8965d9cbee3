// Backtrace layout: brief (user frames, folded runs) and full.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "lucid/debug/backtrace_format.hpp"

namespace lucid::debug {

namespace {

constexpr const char* bold = "\x1b[1m";
constexpr const char* dim = "\x1b[2m";
constexpr const char* reset = "\x1b[0m";

std::string_view kind_label(frame_kind k) {
  switch (k) {
    case frame_kind::runtime:
      return "lucid runtime";
    case frame_kind::std_lib:
      return "std";
    case frame_kind::system:
      return "system";
    case frame_kind::user:
      break;
  }
  return "user";
}

// "lucid runtime", "lucid runtime and std", "lucid runtime, std and system".
std::string fold_labels(bool runtime, bool std_lib, bool system) {
  std::string_view parts[3];
  int n = 0;
  if (runtime) parts[n++] = kind_label(frame_kind::runtime);
  if (std_lib) parts[n++] = kind_label(frame_kind::std_lib);
  if (system) parts[n++] = kind_label(frame_kind::system);
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += (i == n - 1) ? " and " : ", ";
    out += parts[i];
  }
  return out;
}

std::string_view function_or_unknown(const symbolized_frame& f) {
  return f.function.empty() ? std::string_view("<unknown>") : std::string_view(f.function);
}

// Brief mode drops GCC's clone suffixes: "f(int) [clone .constprop.0] [clone .cold]" -> "f(int)".
std::string brief_name(const symbolized_frame& f) {
  std::string name(function_or_unknown(f));
  for (auto at = name.find(" [clone "); at != std::string::npos; at = name.find(" [clone ")) {
    auto end = name.find(']', at);
    if (end == std::string::npos) break;
    name.erase(at, end - at + 1);
  }
  return name;
}

void append_location(std::string& out, const symbolized_frame& f, bool full, const char* indent) {
  if (!f.file.empty()) {
    std::string path = full ? f.file : display_path(f.file);
    if (f.line == 0) {
      out += fmt::format("{}at {}\n", indent, path);
    } else if (f.column == 0) {
      out += fmt::format("{}at {}:{}\n", indent, path, f.line);
    } else {
      out += fmt::format("{}at {}:{}:{}\n", indent, path, f.line, f.column);
    }
  } else if (full && !f.module.empty()) {
    out += fmt::format("{}in {}\n", indent, f.module);
  }
}

bool same_call(const symbolized_frame& a, const symbolized_frame& b) {
  return a.kind == b.kind && a.line == b.line && a.column == b.column && !a.inlined && !b.inlined &&
         a.function == b.function && a.file == b.file;
}

}  // namespace

backtrace_style parse_backtrace_style(const char* value) noexcept {
  if (value == nullptr || value[0] == '\0' || std::strcmp(value, "0") == 0) {
    return backtrace_style::off;
  }
  if (std::strcmp(value, "full") == 0) return backtrace_style::full;
  return backtrace_style::brief;
}

report_options report_options::from_env(int fd) {
  report_options o;
  o.style = parse_backtrace_style(std::getenv("LUCID_BACKTRACE"));
  const char* no_color = std::getenv("NO_COLOR");
  o.color = (no_color == nullptr || no_color[0] == '\0') && ::isatty(fd) == 1;
  return o;
}

const symbolized_frame* first_user_frame(std::span<const symbolized_frame> frames) noexcept {
  for (const auto& f : frames) {
    if (f.kind == frame_kind::user) return &f;
  }
  return nullptr;
}

std::string format_backtrace(std::span<const symbolized_frame> frames,
                             const report_options& options) {
  std::string out;
  if (options.style == backtrace_style::off) {
    out += backtrace_off_note;
    out += '\n';
    return out;
  }
  out += "stack backtrace:\n";
  if (frames.empty()) {
    out += "  <empty>\n";
    return out;
  }
  const bool color = options.color;
  if (options.style == backtrace_style::full) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const auto& f = frames[i];
      const bool user = f.kind == frame_kind::user;
      const char* on = color ? (user ? bold : dim) : "";
      const char* off = color ? reset : "";
      out += fmt::format("{:>4}: {:>#18x} - {}{}{}{}\n", i, f.pc, on, function_or_unknown(f),
                         f.inlined ? " [inlined]" : "", off);
      append_location(out, f, true, "                               ");
    }
    return out;
  }
  bool folded_any = false;
  for (std::size_t i = 0; i < frames.size();) {
    const auto& f = frames[i];
    if (f.kind == frame_kind::user) {
      out +=
          fmt::format("{:>4}: {}{}{}\n", i, color ? bold : "", brief_name(f), color ? reset : "");
      append_location(out, f, false, "             ");
      // Deep recursion (a stack overflow): one line for the repeats.
      std::size_t same = 0;
      while (i + 1 + same < frames.size() && same_call(frames[i + 1 + same], f))
        ++same;
      if (same > 0) {
        out += fmt::format("      {}... previous frame repeated {} more time{} ...{}\n",
                           color ? dim : "", same, same == 1 ? "" : "s", color ? reset : "");
      }
      i += 1 + same;
      continue;
    }
    bool kinds[4] = {};
    std::size_t n = 0;
    while (i < frames.size() && frames[i].kind != frame_kind::user) {
      kinds[static_cast<int>(frames[i].kind)] = true;
      ++n;
      ++i;
    }
    folded_any = true;
    out += fmt::format("      {}... {} frame{} of {} hidden ...{}\n", color ? dim : "", n,
                       n == 1 ? "" : "s",
                       fold_labels(kinds[static_cast<int>(frame_kind::runtime)],
                                   kinds[static_cast<int>(frame_kind::std_lib)],
                                   kinds[static_cast<int>(frame_kind::system)]),
                       color ? reset : "");
  }
  if (folded_any) {
    out +=
        "note: some details are omitted, run with `LUCID_BACKTRACE=full` for a verbose "
        "backtrace.\n";
  }
  return out;
}

}  // namespace lucid::debug
