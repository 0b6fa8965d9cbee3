// Panic reports: header line, backtrace per LUCID_BACKTRACE, async backtrace,
// spans; exit status 101 for main's root task.
#include <cxxabi.h>
#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <typeinfo>

#include "lucid/debug/crash_handler.hpp"
#include "lucid/debug/exception_origin.hpp"
#include "lucid/debug/panic_report.hpp"
#include "lucid/debug/symbolize.hpp"

namespace lucid::debug {

namespace {

std::string current_thread_name() {
  if (::syscall(SYS_gettid) == ::getpid()) return "main";
  char name[17] = {};
  if (::prctl(PR_GET_NAME, name, 0, 0, 0) == 0 && name[0] != '\0') return name;
  return "<unnamed>";
}

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t w = ::write(fd, s.data(), s.size());
    if (w <= 0) return;
    s.remove_prefix(static_cast<std::size_t>(w));
  }
}

}  // namespace

std::string exception_message(const std::exception_ptr& e) {
  if (!e) return "no exception";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (const char* s) {
    return s != nullptr ? s : "(null)";
  } catch (const std::string& s) {
    return s;
  } catch (...) {
    const std::type_info* type = abi::__cxa_current_exception_type();
    return "exception of type " + (type != nullptr ? demangle(type->name()) : std::string("?"));
  }
}

std::string format_panic_report(const panic_info& panic, const report_options& options) {
  const panic_context& ctx = panic.context;
  std::string out;
  if (ctx.task != nullptr) {
    const task_info& t = *ctx.task;
    if (t.name.empty()) {
      out += fmt::format("task <unnamed> (id {}", t.id);
    } else {
      out += fmt::format("task '{}' (id {}", t.name, t.id);
    }
    if (t.spawn_site.known()) {
      out += fmt::format(", spawned at {}:{}", display_path(t.spawn_site.file), t.spawn_site.line);
    }
    out += ")";
  } else {
    out += fmt::format("thread '{}'", ctx.thread_name.empty() ? current_thread_name()
                                                              : std::string(ctx.thread_name));
  }
  out += " panicked";

  std::vector<symbolized_frame> frames;
  if (panic.throw_site != nullptr && !panic.throw_site->empty()) {
    frames = symbolize(panic.throw_site->frames());
    const symbolized_frame* where = first_user_frame(frames);
    if (where == nullptr || where->file.empty()) {
      where = nullptr;
      for (const auto& f : frames) {
        if (!f.file.empty()) {
          where = &f;
          break;
        }
      }
    }
    if (where != nullptr) {
      out += fmt::format(" at {}:{}", display_path(where->file), where->line);
    }
  }
  out += fmt::format(": {}\n", panic.message);

  if (options.style == backtrace_style::off) {
    out += backtrace_off_note;
    out += '\n';
    return out;
  }
  if (panic.throw_site == nullptr) {
    out += "stack backtrace: unknown (the exception was not thrown by a throw expression)\n";
  } else {
    out += format_backtrace(frames, options);
  }
  if (!ctx.async_backtrace.empty()) {
    out += "async backtrace:\n";
    out += format_async_backtrace(ctx.async_backtrace, options, 2);
  }
  if (!ctx.spans.empty()) {
    out += "spans:\n";
    for (std::size_t i = 0; i < ctx.spans.size(); ++i) {
      out += fmt::format("{:>4}: {}\n", i, ctx.spans[i]);
    }
  }
  return out;
}

std::string format_panic_report(const std::exception_ptr& e, const panic_context& context,
                                const report_options& options) {
  const std::string message = exception_message(e);
  panic_info info;
  info.context = context;
  info.message = message;
  info.throw_site = throw_site(e);
  return format_panic_report(info, options);
}

void report_panic(const std::exception_ptr& e, const panic_context& context) {
  std::string report;
  try {
    report = format_panic_report(e, context, report_options::from_env(2));
  } catch (...) {
    report = "lucid: panic (the report could not be formatted)\n";
  }
  write_all(2, report);
}

void exit_on_panic(const std::exception_ptr& e, const panic_context& context) {
  run_pre_crash_hook();
  report_panic(e, context);
  std::exit(panic_exit_status);
}

}  // namespace lucid::debug
