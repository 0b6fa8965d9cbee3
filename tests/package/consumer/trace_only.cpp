// Only lucid::trace_subscriber: an event printed through the fmt layer.
#include "lucid/trace/init.hpp"
#include "lucid/trace/trace.hpp"

int main() {
  lucid::trace::init();
  LUCID_INFO("from a module alone");
  return 0;
}
