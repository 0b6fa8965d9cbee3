// The messages of lucid::errc and lucid::error::describe()
// (include/lucid/base/error.hpp). Thread-safe: no state.
#include "lucid/base/error.hpp"

#include <netdb.h>

#include <cstring>

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
    case errc::eof:
      return "unexpected end of stream";
    case errc::invalid_input:
      return "invalid input";
    case errc::not_found:
      return "not found";
    case errc::too_large:
      return "over the size limit";
  }
  return "unknown error";
}

std::string error::describe() const {
  std::string out(message());
  if (code == errc::system && sys != 0) {
    char buf[128];
    out += ": ";
    out += ::strerror_r(sys, buf, sizeof buf);  // GNU strerror_r returns the text
  } else if (code == errc::not_found && sys != 0) {
    out += ": ";
    out += ::gai_strerror(sys);
  }
  return out;
}

}  // namespace lucid
