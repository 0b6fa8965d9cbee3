// lucid::detail::current_task_id (see include/lucid/rt/detail/current.hpp).
#include "lucid/rt/detail/current.hpp"

#include "scheduler.hpp"

namespace lucid::detail {

__attribute__((noinline)) task_id current_task_id() noexcept {
  task_cell* c = current_cell();
  return c != nullptr ? c->id_ : 0;
}

}  // namespace lucid::detail
