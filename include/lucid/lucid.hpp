// lucid: the umbrella header (tasks, runtime, time, sync). Prefer the
// specific headers in libraries; this one is for programs and examples.
#pragma once

#include "lucid/rt/instrumented_task.hpp"
#include "lucid/rt/join_handle.hpp"
#include "lucid/rt/run.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/select.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/rt/task.hpp"
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
