#include "lucid/base/error.hpp"

namespace lucid {

std::string_view message(errc e) noexcept {
  switch (e) {
    case errc::ok:
      return "ok";
    case errc::timed_out:
      return "operation timed out";
    case errc::closed:
      return "closed";
    case errc::cancelled:
      return "cancelled";
    case errc::full:
      return "channel full";
    case errc::empty:
      return "channel empty";
    case errc::would_block:
      return "would block";
    case errc::panicked:
      return "task panicked";
    case errc::system:
      return "system error";
  }
  return "unknown error";
}

}  // namespace lucid
