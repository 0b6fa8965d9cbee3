// lucid: the umbrella header, everything the `lucid` CMake target links:
// tasks and the runtime, time, sync, net (TCP), http (server, client), and
// tracing (the macros and init()). Prefer the specific headers in libraries;
// this one is for programs and examples.
#pragma once

#include "lucid/http/client.hpp"
#include "lucid/http/parser.hpp"
#include "lucid/http/request.hpp"
#include "lucid/http/response.hpp"
#include "lucid/http/server.hpp"
#include "lucid/net/address.hpp"
#include "lucid/net/tcp.hpp"
#include "lucid/rt/instrumented_task.hpp"
#include "lucid/rt/join_handle.hpp"
#include "lucid/rt/run.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/select.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/rt/task.hpp"
#include "lucid/rt/thread_bound.hpp"
#include "lucid/rt/when_all.hpp"
#include "lucid/sync/mpsc.hpp"
#include "lucid/sync/mutex.hpp"
#include "lucid/sync/notify.hpp"
#include "lucid/sync/oneshot.hpp"
#include "lucid/sync/rw_lock.hpp"
#include "lucid/sync/semaphore.hpp"
#include "lucid/time/clock.hpp"
#include "lucid/time/interval.hpp"
#include "lucid/time/sleep.hpp"
#include "lucid/time/timeout.hpp"
#include "lucid/trace/init.hpp"
#include "lucid/trace/trace.hpp"
