// lucid::detail::intern_site: spawn sites kept once per distinct site, so a
// task cell holds an 8-byte pointer instead of a 24-byte source_site (a
// million idle tasks is a workload; see task/cell.hpp).
//
// Contract: intern_site(s) returns a pointer to a source_site equal to s
// that stays valid for the life of the process (entries are never freed),
// or null for an unknown site (s.file == nullptr). Any thread.
//
// Threads and ownership: each thread keeps a small direct-mapped cache of
// the sites it interned last (its own, no synchronisation), so a spawn in a
// loop finds its site with three compares; a miss takes the global table's
// lock. Entries are immutable once inserted; a pointer handed out is read
// by other threads only after the task that holds it is published.
#pragma once

#include "lucid/base/source_site.hpp"

namespace lucid::detail {

const source_site* intern_site(const source_site& s);

}  // namespace lucid::detail
