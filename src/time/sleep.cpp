// lucid::sleep's report to runtime observers: a sleep is a "timer" resource.
#include "lucid/time/sleep.hpp"

namespace lucid {

void sleep_awaiter::observe_wait() noexcept {
  if (rid_ == 0) {
    rid_ = detail::next_resource_id();
    LUCID_OBSERVE(on_resource_created, rid_, detail::timer_resource, source_site{}, nullptr);
  }
  LUCID_OBSERVE(on_wait_begin, e_.w.task(), rid_);
}

}  // namespace lucid
