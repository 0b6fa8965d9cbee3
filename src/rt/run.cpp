// lucid::run: the entry point for main (see include/lucid/rt/run.hpp): the
// root task's exit code, or its panic report and exit status 101.
#include "lucid/rt/run.hpp"

#include <optional>
#include <vector>

#include "lucid/debug/panic_report.hpp"
#include "scheduler/scheduler.hpp"
#include "task/panic.hpp"

namespace lucid {

namespace {
template <class T>
int run_main(task<T> t, runtime_options opts, source_site site) {
  std::optional<runtime> rt(std::in_place, opts);
  runtime_handle keep = rt->handle();
  detail::scheduler* s = detail::handle_access::get(keep);
  join_handle<T> h = rt->spawn("main", std::move(t), site);
  detail::block_on_task(s, detail::join_access::raw(h));
  detail::task_cell* c = detail::raw_task_access::cell(detail::join_access::raw(h));
  if (c->outcome_ == task_outcome::exception) {
    // Report after the workers stopped, naming the root task, and exit 101.
    std::exception_ptr e = c->exception();
    c->panic_reported_ = true;
    detail::panic_origin o = detail::origin_of(c);
    std::string name(o.task.name);
    debug::task_info info{o.task.id, name, o.task.spawn_site};
    std::vector<debug::await_frame> chain(o.chain.begin(), o.chain.end());
    h.detach();
    rt.reset();
    debug::panic_context ctx;
    ctx.task = &info;
    ctx.async_backtrace = chain;
    debug::exit_on_panic(e, ctx);
  }
  if (c->outcome_ == task_outcome::cancelled && s->panicked()) {
    // An unobserved panic shut the runtime down (panic_policy::shutdown); its
    // report is out already.
    h.detach();
    rt.reset();
    std::exit(debug::panic_exit_status);
  }
  if constexpr (std::is_void_v<T>) {
    detail::take_result<void>(detail::join_access::raw(h));
    return 0;
  } else {
    return detail::take_result<T>(detail::join_access::raw(h));
  }
}
}  // namespace

int run(task<int> main_task, runtime_options opts, source_site site) {
  return run_main(std::move(main_task), opts, site);
}
int run(task<void> main_task, runtime_options opts, source_site site) {
  return run_main(std::move(main_task), opts, site);
}

}  // namespace lucid
