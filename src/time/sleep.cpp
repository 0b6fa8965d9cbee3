#include "lucid/time/sleep.hpp"

namespace lucid {

void sleep_awaiter::instrument_wait() noexcept {
  if (rid_ == 0) {
    rid_ = detail::next_resource_id();
    LUCID_HOOK(on_resource_created, rid_, resource_kind::timer, source_site{});
  }
  LUCID_HOOK(on_wait_begin, e_.w.task(), rid_);
}

}  // namespace lucid
