// The console's detectors on real buggy programs (programs/hang_program.cpp):
// each report must name the task, the resource (with where it was created)
// and the co_await line; the healthy programs must print nothing.
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "../debug/helper_runner.hpp"

namespace {

using lucid::debug::testing::run_program;

/// The "file:line" a program printed as "expect NAME: /abs/path/file:line",
/// relative to the source root as reports print it.
std::string expected(const std::string& out, const std::string& name) {
  std::string tag = "expect " + name + ": ";
  auto p = out.find(tag);
  if (p == std::string::npos) return "<no " + name + " line>";
  auto e = out.find('\n', p);
  std::string site = out.substr(p + tag.size(), e - p - tag.size());
  std::string root = std::string(LUCID_TEST_SOURCE_DIR) + "/";
  if (site.rfind(root, 0) == 0) site = site.substr(root.size());
  return site;
}

bool has(const std::string& out, const std::string& s) {
  return out.find(s) != std::string::npos;
}

/// Runs hang_program `mode`, one that dumps (SIGQUIT) once its tasks hang,
/// then goes on and ends: it must end well, after the dump.
lucid::debug::testing::run_result run_dump(const char* mode) {
  auto r = run_program(LUCID_HANG_PROGRAM, mode, {{"LUCID_DEADLOCK_MS", "200"}});
  EXPECT_TRUE(r.exited) << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "after the dump")) << r.output;
  return r;
}

TEST(Detectors, DumpOnSigquitNamesTheLeakedOneshotAndTheAwaitLine) {
  auto r = run_program(LUCID_HANG_PROGRAM, "leaked_oneshot");
  ASSERT_TRUE(r.exited) << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;  // the program went on after the dump
  EXPECT_TRUE(has(r.output, "after the dump")) << r.output;
  EXPECT_TRUE(has(r.output, "lucid task dump: 2 tasks in 1 runtime")) << r.output;
  EXPECT_TRUE(has(r.output, "'order_waiter' idle, waiting ")) << r.output;
  EXPECT_TRUE(has(r.output, "on oneshot#")) << r.output;
  EXPECT_TRUE(has(r.output, "(created at " + expected(r.output, "created") +
                                "): nothing sent yet, the sender is alive"))
      << r.output;
  // The sender was moved into a global's heap block: no task holds it.
  EXPECT_TRUE(has(r.output,
                  "the sender is alive (1 sender is in no suspended task's frame: on the heap, in "
                  "a global, or in a running task)"))
      << r.output;
  EXPECT_TRUE(has(r.output, "╼ operator() at " + expected(r.output, "await"))) << r.output;
  EXPECT_TRUE(has(r.output, "by task 1 'main'")) << r.output;
}

TEST(Detectors, DumpNamesTheTaskWhoseVectorProbablyHoldsAParkedReply) {
  auto r = run_dump("parked_reply_dump");
  if (!r.exited) return;
  // The asker's reply sender is among the elements of the backend's
  // std::vector: on the heap, found through the vector's pointers in the
  // backend's frame, which is suspended where it receives.
  EXPECT_TRUE(has(r.output, "'asker' idle, waiting ")) << r.output;
  EXPECT_TRUE(has(r.output, "whose sender is probably held by task ")) << r.output;
  EXPECT_TRUE(has(r.output, "'backend' via a container in its frame (in backend, at " +
                                expected(r.output, "backend_receives") +
                                "): nothing sent yet, the sender is alive"))
      << r.output;
  EXPECT_TRUE(has(r.output, "╼ asker at " + expected(r.output, "asker_waits"))) << r.output;
  // A guess builds no cycle: the asker is not reported as deadlocked.
  EXPECT_FALSE(has(r.output, "lucid: deadlock")) << r.output;
}

TEST(Detectors, DumpNamesTheBatcherWhoseQueueProbablyHoldsTheRepliesOfABatchThatNeverFills) {
  auto r = run_dump("batched_reply_dump");
  if (!r.exited) return;
  // Three callers wait on replies whose senders are in the batcher's
  // std::queue (a std::deque's buffer on the heap), found through the
  // deque's words in the batcher's frame.
  const std::string held = "whose sender is probably held by task ";
  const std::string by = "'batcher' via a container in its frame (in batcher, at " +
                         expected(r.output, "batcher_receives") +
                         "): nothing sent yet, the sender is alive";
  std::size_t callers = 0;
  for (std::size_t p = r.output.find(held); p != std::string::npos;
       p = r.output.find(held, p + 1)) {
    EXPECT_EQ(r.output.compare(r.output.find('\'', p), by.size(), by), 0)
        << r.output.substr(p, 200);
    ++callers;
  }
  EXPECT_EQ(callers, 3u) << r.output;
  EXPECT_TRUE(has(r.output, "╼ batch_caller at " + expected(r.output, "batch_caller_waits")))
      << r.output;
  EXPECT_FALSE(has(r.output, "lucid: deadlock")) << r.output;
}

TEST(Detectors, DumpNamesTheWriterWhoseOwnSessionKeepsItsChannelOpen) {
  auto r = run_dump("kept_session_dump");
  if (!r.exited) return;
  // The writer's channel's sender is a member of the session, on the heap;
  // the writer's frame holds the session's shared_ptr.
  EXPECT_TRUE(has(r.output, "'session_writer' idle, waiting ")) << r.output;
  EXPECT_TRUE(has(r.output, "whose sender is probably held by task ")) << r.output;
  EXPECT_TRUE(has(r.output,
                  "'session_writer' in an object its frame points to (in "
                  "session_writer, at " +
                      expected(r.output, "writer_waits") + "): 0 queued of 16"))
      << r.output;
  EXPECT_TRUE(has(r.output, "╼ connection at " + expected(r.output, "connection_joins")))
      << r.output;
  // A guess builds no cycle.
  EXPECT_FALSE(has(r.output, "lucid: deadlock")) << r.output;
}

/// How many lines of `output` contain `start`; each must also say `says`
/// after it.
std::size_t lines_saying(const std::string& output, const std::string& start,
                         const std::string& says) {
  std::size_t n = 0;
  for (std::size_t p = output.find(start); p != std::string::npos; p = output.find(start, p + 1)) {
    const std::size_t eol = output.find('\n', p);
    EXPECT_NE(output.substr(p, eol - p).find(says), std::string::npos) << output.substr(p, eol - p);
    ++n;
  }
  return n;
}

TEST(Detectors, DumpNamesTheServerWhoseRegistryKeepsTheWritersSessions) {
  auto r = run_dump("session_registry_dump");
  if (!r.exited) return;
  // Each writer's sender is a member of a session, which the server's
  // std::map of shared_ptrs points to.
  EXPECT_EQ(
      lines_saying(r.output, "'registered_writer' idle",
                   "'session_server' in an object a container in its frame points to (in "
                   "session_server, at " +
                       expected(r.output, "server_waits") + "): 0 queued of 8, 1 sender alive"),
      2u)
      << r.output;
  EXPECT_TRUE(
      has(r.output, "╼ registered_writer at " + expected(r.output, "registered_writer_waits")))
      << r.output;
  EXPECT_FALSE(has(r.output, "lucid: deadlock")) << r.output;
}

TEST(Detectors, DumpNamesTheServerWhoseObjectsRegistryKeepsTheWritersSessions) {
  auto r = run_dump("server_registry_dump");
  if (!r.exited) return;
  // Each writer's sender is a member of a session, which a std::map in the
  // server object points to; the server's member coroutine has `this`.
  EXPECT_EQ(lines_saying(r.output, "'hub_writer_",
                         "'session_hub' in an object listed in a container of an object its "
                         "frame points to (in serve, at " +
                             expected(r.output, "hub_waits") + "): 0 queued of 8, 1 sender alive"),
            2u)
      << r.output;
  EXPECT_FALSE(has(r.output, "lucid: deadlock")) << r.output;
}

TEST(Detectors, ACoroutineGcc12LaysOutWronglyIsExplained) {
  // count_one has no local variable and a co_await in an `if` condition.
  auto r = run_program(LUCID_HANG_PROGRAM, "miscompiled_if", {{"LUCID_DEADLOCK_MS", "300"}});
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#if defined(__SANITIZE_ADDRESS__)
  // With UBSan's checks the wrong layout traps at the await: the crash
  // report names the task and the line.
  EXPECT_TRUE(has(r.output, "lucid: crash: SIGILL")) << r.output;
  EXPECT_TRUE(has(r.output, "task 'counter'")) << r.output;
  EXPECT_TRUE(has(r.output, "count_one")) << r.output;
#else
  // The task suspends where lucid never sees it, and nothing wakes it: the
  // lost-waker lint says so and names the likely cause.
  EXPECT_TRUE(has(r.output, "counter hung, counted 0")) << r.output;
  EXPECT_TRUE(has(r.output, "lucid: lost waker: task 2 'counter' has been idle for ")) << r.output;
  EXPECT_TRUE(has(r.output, "at an await lucid never saw")) << r.output;
  EXPECT_TRUE(has(r.output,
                  "GCC 12.2 lays out the frame of a coroutine with no local variable "
                  "wrongly"))
      << r.output;
  // The dump says it too.
  EXPECT_TRUE(has(r.output,
                  "task 2 'counter' idle\n  ╼ <frame not suspended yet>\n  (idle at an "
                  "await lucid never saw: a frame the compiler laid out wrongly"))
      << r.output;
#endif
#else
  EXPECT_TRUE(has(r.output, "counter finished, counted 1")) << r.output;
  EXPECT_FALSE(has(r.output, "lost waker")) << r.output;
#endif
}

TEST(Detectors, InASandboxThatRefusesProcessVmReadvTheVectorIsStillFound) {
  auto r = run_program(LUCID_HANG_PROGRAM, "parked_reply_dump_sandboxed",
                       {{"LUCID_DEADLOCK_MS", "200"}});
  ASSERT_TRUE(r.exited) << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "process_vm_readv refused")) << r.output;
  EXPECT_TRUE(has(r.output, "'backend' via a container in its frame (in backend, at " +
                                expected(r.output, "backend_receives") + ")"))
      << r.output;
}

TEST(Detectors, DumpNamesTheReaderWhoseClientProbablyHoldsAPendingCallsReply) {
  auto r = run_dump("pending_calls_dump");
  if (!r.exited) return;
  // Call 2's reply sender is in the client's std::unordered_map, on the
  // heap: found through `this` in the reader's and the caller's frames. The
  // caller waits on a reply kept there, so the reader is named.
  EXPECT_TRUE(has(r.output, "'caller' idle, waiting ")) << r.output;
  EXPECT_TRUE(has(r.output, "whose sender is probably held by task ")) << r.output;
  EXPECT_TRUE(has(r.output,
                  "'reader' via a container in an object its frame points to (in "
                  "read_loop, at " +
                      expected(r.output, "reader_receives") +
                      "): nothing sent yet, the sender is alive"))
      << r.output;
  EXPECT_TRUE(has(r.output, "╼ call at " + expected(r.output, "caller_waits"))) << r.output;
  EXPECT_FALSE(has(r.output, "lucid: deadlock")) << r.output;
}

TEST(Detectors, LostWakerNamesTheTaskAndTheAwaitable) {
  // The awaitable drops the handle lucid gave it: that relay frame is never
  // freed (by design, see rt/detail/foreign.hpp), which LeakSanitizer reports.
  auto r = run_program(LUCID_HANG_PROGRAM, "lost_waker",
                       {{"LUCID_DEADLOCK_MS", "300"}, {"ASAN_OPTIONS", "detect_leaks=0"}});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "lucid: lost waker?: task 2 'forgotten' has been idle")) << r.output;
  EXPECT_TRUE(
      has(r.output, "at " + expected(r.output, "await") + " on (anonymous namespace)::forgetful"))
      << r.output;
}

TEST(Detectors, StallNamesTheTaskAndTheBlockingLine) {
  auto r = run_program(LUCID_HANG_PROGRAM, "stall", {{"LUCID_STALL_MS", "100"}});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "lucid: stall: task 2 'blocker' has been running for ")) << r.output;
  EXPECT_TRUE(has(r.output, "blocking in ")) << r.output;
  EXPECT_TRUE(has(r.output, expected(r.output, "block"))) << r.output;
  // Reported once for this poll, not once per watchdog tick.
  auto first = r.output.find("lucid: stall:");
  EXPECT_EQ(r.output.find("lucid: stall:", first + 1), std::string::npos) << r.output;
}

TEST(Detectors, StallDetectorOffStaysQuiet) {
  auto r = run_program(LUCID_HANG_PROGRAM, "stall", {{"LUCID_STALL_MS", "off"}});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(has(r.output, "lucid: stall")) << r.output;
}

TEST(Detectors, AbbaDeadlockNamesBothTasksMutexesAndLines) {
  auto r = run_program(LUCID_HANG_PROGRAM, "abba",
                       {{"LUCID_DEADLOCK", "abort"}, {"LUCID_DEADLOCK_MS", "300"}}, true);
  EXPECT_TRUE(r.signaled && r.signal == SIGABRT) << r.output;
  EXPECT_TRUE(has(r.output, "lucid: deadlock: 2 tasks wait on each other in a cycle:")) << r.output;
  EXPECT_TRUE(has(r.output, "task 2 'transfer_a' waits on mutex#")) << r.output;
  EXPECT_TRUE(
      has(r.output, "(created at " + expected(r.output, "m2") + ") held by task 3 'transfer_b'"))
      << r.output;
  EXPECT_TRUE(has(r.output, "(locked at " + expected(r.output, "b_locks_m2") + ") at " +
                                expected(r.output, "a_waits_m2")))
      << r.output;
  EXPECT_TRUE(
      has(r.output, "(created at " + expected(r.output, "m1") + ") held by task 2 'transfer_a'"))
      << r.output;
  EXPECT_TRUE(has(r.output, "(locked at " + expected(r.output, "a_locks_m1") + ") at " +
                                expected(r.output, "b_waits_m1")))
      << r.output;
}

TEST(Detectors, AProducerHoldingALockOnAFullChannelIsADeadlock) {
  // producer: holds the mutex, waits to send into the full channel; consumer
  // (which received from it before): waits for the mutex. The channel's
  // holder is its receiving task, so the cycle is found.
  auto r = run_program(LUCID_HANG_PROGRAM, "channel_lock",
                       {{"LUCID_DEADLOCK", "abort"}, {"LUCID_DEADLOCK_MS", "300"}}, true);
  EXPECT_TRUE(r.signaled && r.signal == SIGABRT) << r.output;
  EXPECT_TRUE(has(r.output, "lucid: deadlock: 2 tasks wait on each other in a cycle:")) << r.output;
  EXPECT_TRUE(has(r.output, "task 2 'consumer' waits on mutex#")) << r.output;
  // The mutex is named where std::make_shared was called, not inside the library.
  EXPECT_TRUE(
      has(r.output, "(created at " + expected(r.output, "m") + ") held by task 3 'producer'"))
      << r.output;
  EXPECT_TRUE(has(r.output, "(locked at " + expected(r.output, "producer_locks") + ") at " +
                                expected(r.output, "consumer_locks")))
      << r.output;
  EXPECT_TRUE(has(r.output, "task 3 'producer' waits on mpsc#")) << r.output;
  EXPECT_TRUE(has(r.output, "(created at " + expected(r.output, "ch") +
                                ") whose receiver is in task 2 'consumer' (which received from "
                                "it at " +
                                expected(r.output, "consumer_receives") + ")"))
      << r.output;
  EXPECT_TRUE(
      has(r.output, ": 1 queued of 1, 1 sender alive at " + expected(r.output, "producer_sends")))
      << r.output;
  EXPECT_FALSE(has(r.output, "stl_construct")) << r.output;
}

TEST(Detectors, ASenderLeftInTheTaskThatJoinsTheConsumerIsADeadlock) {
  // main sends, then joins the consumer while it still holds the sender: the
  // channel never closes. A ticker keeps the program busy, so only the
  // wait-for graph, finding the sender in main's frame, can report it.
  auto r = run_program(LUCID_HANG_PROGRAM, "leaked_sender",
                       {{"LUCID_DEADLOCK", "abort"}, {"LUCID_DEADLOCK_MS", "300"}}, true);
  EXPECT_TRUE(r.signaled && r.signal == SIGABRT) << r.output;
  EXPECT_TRUE(has(r.output, "lucid: deadlock: 2 tasks wait on each other in a cycle:")) << r.output;
  EXPECT_TRUE(has(r.output, "task 1 'main' waits on the join handle of task 3 'consumer' at " +
                                expected(r.output, "main_joins")))
      << r.output;
  EXPECT_TRUE(has(r.output, "task 3 'consumer' waits on mpsc#")) << r.output;
  EXPECT_TRUE(has(r.output, "(created at " + expected(r.output, "ch") +
                                ") whose sender is held by task 1 'main' (in leaked_sender, at " +
                                expected(r.output, "main_joins") +
                                "): 0 queued of 8, 1 sender alive at " +
                                expected(r.output, "consumer_receives")))
      << r.output;
  EXPECT_FALSE(has(r.output, "all tasks are asleep")) << r.output;
}

TEST(Detectors, ASenderMovedIntoAWorkingProducerIsHeldByItAndIsNoDeadlock) {
  auto r = run_program(LUCID_HANG_PROGRAM, "moved_sender", {{"LUCID_DEADLOCK_MS", "100"}});
  ASSERT_TRUE(r.exited) << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "drained")) << r.output;
  // The sender was made in main's frame and moved into the producer's: the
  // dump finds it where it is now.
  EXPECT_TRUE(has(r.output, "(created at " + expected(r.output, "ch") +
                                ") whose sender is held by task 3 'producer' (in operator(), at " +
                                expected(r.output, "producer_sleeps") + ")"))
      << r.output;
  EXPECT_FALSE(has(r.output, "deadlock")) << r.output;
}

TEST(Detectors, JobsThatHoldEveryPermitWhileJoiningSubJobsThatNeedOneAreADeadlock) {
  // Two jobs take both permits of a semaphore, then each joins a sub-job
  // that waits for a permit: any job could release one, but every job is
  // stuck, so the sub-jobs' "any of" waits are edges too.
  auto r = run_program(LUCID_HANG_PROGRAM, "permit_join",
                       {{"LUCID_DEADLOCK", "abort"}, {"LUCID_DEADLOCK_MS", "300"}}, true);
  EXPECT_TRUE(r.signaled && r.signal == SIGABRT) << r.output;
  EXPECT_TRUE(has(r.output, "lucid: deadlock: 2 tasks wait on each other in a cycle:")) << r.output;
  EXPECT_TRUE(has(r.output, "'job' waits on the join handle of task ")) << r.output;
  EXPECT_TRUE(has(r.output, "'sub-job' waits on semaphore#")) << r.output;
  const std::string held_at = " 'job' (in job, at " + expected(r.output, "job_joins") + ")";
  EXPECT_TRUE(has(
      r.output, "(created at " + expected(r.output, "limit") + ") whose permits are held by task "))
      << r.output;
  EXPECT_TRUE(has(r.output, held_at + ", task ")) << r.output;
  EXPECT_TRUE(
      has(r.output, held_at + ": 0 permits available at " + expected(r.output, "sub_acquires")))
      << r.output;
  // The other job holds a permit outside the cycle and is stuck too: the
  // report shows it, so both jobs' joins are in it.
  const std::size_t also = r.output.find("also stuck, holding what the cycle waits for:\n");
  EXPECT_NE(also, std::string::npos) << r.output;
  if (also != std::string::npos) {
    const std::string rest = r.output.substr(also);
    EXPECT_TRUE(rest.find("\n  task ") == rest.find('\n')) << r.output;
    EXPECT_TRUE(has(rest, "'job' waits on the join handle of task ")) << r.output;
  }
}

TEST(Detectors, TwoPumpsThatFillEachOthersChannelBeforeReceivingAreADeadlock) {
  // Neither pump has received yet: each full channel's holder is the task
  // whose frame holds its receiver.
  auto r = run_program(LUCID_HANG_PROGRAM, "pumps",
                       {{"LUCID_DEADLOCK", "abort"}, {"LUCID_DEADLOCK_MS", "300"}}, true);
  EXPECT_TRUE(r.signaled && r.signal == SIGABRT) << r.output;
  EXPECT_TRUE(has(r.output, "lucid: deadlock: 2 tasks wait on each other in a cycle:")) << r.output;
  EXPECT_TRUE(has(r.output, "(created at " + expected(r.output, "ab") +
                                ") whose receiver is held by task 4 'pump_b' (in pump, at " +
                                expected(r.output, "pump_sends") +
                                "): 1 queued of 1, 1 sender alive at " +
                                expected(r.output, "pump_sends")))
      << r.output;
  EXPECT_TRUE(has(r.output, "task 4 'pump_b' waits on mpsc#")) << r.output;
}

TEST(Detectors, AReaderThatAwaitsWriteOnTheSameRwLockWaitsOnItself) {
  auto r = run_program(LUCID_HANG_PROGRAM, "rw_upgrade",
                       {{"LUCID_DEADLOCK", "abort"}, {"LUCID_DEADLOCK_MS", "300"}}, true);
  EXPECT_TRUE(r.signaled && r.signal == SIGABRT) << r.output;
  EXPECT_TRUE(has(r.output, "lucid: deadlock: a task waits on itself:")) << r.output;
  EXPECT_TRUE(has(r.output, "task 2 'upgrader' waits on rw_lock#")) << r.output;
  EXPECT_TRUE(
      has(r.output, "(created at " + expected(r.output, "l") + ") held by task 2 'upgrader'"))
      << r.output;
  EXPECT_TRUE(has(r.output, "(locked at " + expected(r.output, "reads") +
                                "): 1 reader holds it at " + expected(r.output, "writes")))
      << r.output;
}

TEST(Detectors, AbbaInReportModeReportsOnceAndRunsOn) {
  auto r = run_program(LUCID_HANG_PROGRAM, "abba_then_exit", {{"LUCID_DEADLOCK_MS", "300"}});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto first = r.output.find("lucid: deadlock:");
  ASSERT_NE(first, std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("lucid: deadlock:", first + 1), std::string::npos) << r.output;
}

TEST(Detectors, LockHeldAcrossATimerAwaitIsLinted) {
  // The holder waits on a timer: not a task a deadlock could involve, so the
  // lint must not depend on the deadlock detector's filtered view.
  auto r = run_program(LUCID_HANG_PROGRAM, "lock_held",
                       {{"LUCID_LOCK_HOLD_MS", "200"}, {"LUCID_DEADLOCK_MS", "200"}});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "lucid: lock held across an await: task 2 'holder' holds mutex#"))
      << r.output;
  EXPECT_TRUE(has(r.output, "(locked at " + expected(r.output, "locks") + ") while suspended at " +
                                expected(r.output, "sleeps") + "; task 3 'waiter' waits for it"))
      << r.output;
}

TEST(Detectors, RingOfTasksIsAllAsleep) {
  auto r = run_program(LUCID_HANG_PROGRAM, "ring",
                       {{"LUCID_DEADLOCK", "abort"}, {"LUCID_DEADLOCK_MS", "300"}}, true);
  EXPECT_TRUE(r.signaled && r.signal == SIGABRT) << r.output;
  EXPECT_TRUE(has(r.output, "lucid: all tasks are asleep: deadlock! (5 tasks")) << r.output;
  EXPECT_TRUE(has(r.output, "'main' idle, waiting ")) << r.output;
  EXPECT_TRUE(has(r.output, "on the join handle of task 2 'ring'")) << r.output;
  EXPECT_TRUE(has(r.output, "╼ ring_member at " + expected(r.output, "ring_wait"))) << r.output;
}

TEST(Detectors, JoinHandleCycleIsADeadlock) {
  auto r = run_program(LUCID_HANG_PROGRAM, "join_cycle",
                       {{"LUCID_DEADLOCK", "abort"}, {"LUCID_DEADLOCK_MS", "300"}}, true);
  EXPECT_TRUE(r.signaled && r.signal == SIGABRT) << r.output;
  EXPECT_TRUE(has(r.output, "task 2 'joiner_b' waits on the join handle of task 3 'joiner_a' at " +
                                expected(r.output, "b_joins_a")))
      << r.output;
  EXPECT_TRUE(has(r.output, "task 3 'joiner_a' waits on the join handle of task 2 'joiner_b' at " +
                                expected(r.output, "a_joins_b")))
      << r.output;
}

TEST(Detectors, ATaskAwaitingItsOwnJoinHandleIsADeadlockOfOne) {
  auto r = run_program(LUCID_HANG_PROGRAM, "self_join",
                       {{"LUCID_DEADLOCK", "abort"}, {"LUCID_DEADLOCK_MS", "300"}}, true);
  EXPECT_TRUE(r.signaled && r.signal == SIGABRT) << r.output;
  EXPECT_TRUE(has(r.output, "lucid: deadlock: a task waits on itself:")) << r.output;
  EXPECT_TRUE(
      has(r.output, "task 2 'narcissus' waits on the join handle of task 2 'narcissus' at " +
                        expected(r.output, "joins_itself")))
      << r.output;
}

class HealthyPrograms : public ::testing::TestWithParam<const char*> {};

TEST_P(HealthyPrograms, StayQuiet) {
  auto r = run_program(LUCID_HANG_PROGRAM, GetParam(),
                       {{"LUCID_DEADLOCK_MS", "300"}, {"LUCID_STALL_MS", "off"}});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(has(r.output, "lucid:")) << r.output;
}

INSTANTIATE_TEST_SUITE_P(Detectors, HealthyPrograms,
                         ::testing::Values("busy", "long_sleep", "accept_idle", "foreign_feed"));

}  // namespace

// The inspection protocol under load: a thread takes snapshots and dumps
// while tasks lock, notify, sleep, yield, spawn and finish on two workers.
// Every task seen is alive and in a known state; no task is lost or run
// twice (TSan checks the claims).
#include <atomic>
#include <sstream>
#include <thread>

#include "lucid/console/console.hpp"
#include "lucid/lucid.hpp"

namespace {

TEST(Inspection, SnapshotsRaceBusyTasks) {
  using namespace std::chrono_literals;
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  std::atomic<bool> done{false};
  std::atomic<int> snapshots{0};
  std::thread inspector([&] {
    while (!done.load()) {
      lucid::console::snapshot s = lucid::console::take_snapshot();
      for (const auto& t : s.tasks) {
        EXPECT_TRUE(t.state == "idle" || t.state == "scheduled" || t.state == "running" ||
                    t.state == "finished")
            << t.state;
        EXPECT_NE(t.id, 0u);
      }
      std::ostringstream os;
      lucid::console::dump(os, s);
      snapshots.fetch_add(1);
    }
  });
  int total = rt.block_on([]() -> lucid::task<int> {
    auto m = std::make_shared<lucid::mutex>();
    auto n = std::make_shared<lucid::notify>();
    auto counter = std::make_shared<int>(0);
    std::vector<lucid::join_handle<void>> hs;
    for (int i = 0; i < 64; ++i) {
      hs.push_back(lucid::spawn([](auto m, auto n, auto counter, int i) -> lucid::task<> {
        for (int k = 0; k < 200; ++k) {
          {
            auto g = co_await m->lock();
            ++*counter;
          }
          if (k % 7 == 0) n->notify_one();
          if (k % 5 == 0) co_await lucid::sleep(100us);
          if (i % 2 == 0 && k % 3 == 0) {
            auto w = n->notified();
            (void)co_await lucid::timeout(50us, w);
          }
          co_await lucid::yield_now();
          if (k % 50 == 0) co_await lucid::spawn([]() -> lucid::task<> { co_return; }());
        }
      }(m, n, counter, i)));
    }
    for (auto& h : hs)
      co_await h;
    co_return *counter;
  }());
  done.store(true);
  inspector.join();
  EXPECT_EQ(total, 64 * 200);
  EXPECT_GT(snapshots.load(), 0);
}

}  // namespace
