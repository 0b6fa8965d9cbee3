# lucid's gdb extension: the runtime's tasks, await chains and resources, read
# from memory only (no function of the inferior is called), so it works on a
# live process stopped under gdb and on a core file.
#
#   lucid tasks            every live task: id, state, name, what it waits on,
#                          the innermost await site
#   lucid bt ID            one task's await chain (innermost first), its wait,
#                          spawn site and parent
#   lucid resources        the mutexes, rw_locks, semaphores, channels and
#                          notifies tasks wait on, with holders and waiters
#
# Loading: lucid's rt library embeds this file in a .debug_gdb_scripts section
# (src/rt/CMakeLists.txt generates it), so gdb loads it for any program linked
# with lucid once the program's path is auto-load safe (docs/debugging.md);
# or `source <prefix>/share/lucid/gdb/lucid_gdb.py`.
#
# What it reads mirrors the console's own reader (src/rt/inspect.cpp,
# src/console/snapshot.cpp): the registry of runtimes (reg() in inspect.cpp),
# each scheduler's live-task shards (src/rt/scheduler/live_tasks.hpp), each
# task_cell (src/rt/task/cell.hpp), its root strand's leaf promise and parents
# (include/lucid/rt/detail/strand.hpp) and the strand's wait record
# (include/lucid/rt/detail/wait_record.hpp). Unlike the console it cannot
# claim a task (INSPECTED): the process is stopped, so nothing moves, but a
# task that was RUNNING when it stopped may have a chain in the middle of a
# change; it is shown with a note.
#
# Everything is best effort: a field that cannot be read prints a note, never
# a Python traceback. One file, no imports beyond gdb and the standard library
# (it is also embedded as inline script text).
import struct

import gdb

_ST_RUNNING = 1 << 0
_ST_NOTIFIED = 1 << 1
_ST_COMPLETE = 1 << 2
_ST_CANCELLED = 1 << 3
_ST_DETACHED = 1 << 4
_ST_INSPECTED = 1 << 6
_ST_LOCAL = 1 << 7

_MAX_TASKS = 1000000
_MAX_FRAMES = 4096

_REGISTRY_SYMBOL = "lucid::detail::(anonymous namespace)::reg()::r"


class LucidError(Exception):
    """A reason to stop a command, printed as one line."""


# ------------------------------------------------------------------ reading


def _type(name):
    try:
        return gdb.lookup_type(name)
    except gdb.error:
        raise LucidError(
            "type %s not found: is lucid built with debug info (-g)?" % name)


def _atomic(v):
    """The value inside a std::atomic<T> (read as a T at the same address)."""
    t = v.type.strip_typedefs()
    inner = None
    try:
        inner = t.template_argument(0)
    except (gdb.error, RuntimeError, TypeError):
        inner = None
    if inner is not None:
        return v.address.reinterpret_cast(inner.pointer()).dereference()
    for path in (("_M_i",), ("_M_b", "_M_p"), ("_M_base", "_M_i")):
        try:
            x = v
            for f in path:
                x = x[f]
            return x
        except gdb.error:
            continue
    raise LucidError("cannot read a std::atomic of type %s" % t)


def _cstr(p, limit=4096):
    """A NUL-terminated const char* as a Python string (at most `limit` bytes:
    a stale pointer in a running task's frame must not read megabytes);
    None for null."""
    try:
        addr = int(p)
    except gdb.error:
        return "<unreadable>"
    if addr == 0:
        return None
    inf = gdb.selected_inferior()
    data = b""
    try:
        while len(data) < limit:
            # 64-byte reads that stay inside a page, so one past the end of a
            # mapping is never touched before the NUL is found.
            n = min(64, 4096 - ((addr + len(data)) % 4096))
            chunk = bytes(inf.read_memory(addr + len(data), n))
            i = chunk.find(b"\0")
            if i >= 0:
                data += chunk[:i]
                break
            data += chunk
    except gdb.MemoryError:
        if not data:
            return "<unreadable 0x%x>" % addr
    return data.decode("utf-8", "replace")


def _std_string(s):
    try:
        n = int(s["_M_string_length"])
        if n == 0:
            return ""
        return s["_M_dataplus"]["_M_p"].string("utf-8", "replace", min(n, 4096))
    except (gdb.error, gdb.MemoryError):
        return "<unreadable>"


def _string_view(s):
    try:
        n = int(s["_M_len"])
        if n == 0:
            return ""
        return s["_M_str"].string("utf-8", "replace", min(n, 4096))
    except (gdb.error, gdb.MemoryError):
        return "<unreadable>"


def _vector(v):
    """The elements of a std::vector (libstdc++ layout)."""
    impl = v["_M_impl"]
    start = impl["_M_start"]
    finish = impl["_M_finish"]
    n = int(finish - start)
    if n < 0 or n > _MAX_TASKS:
        raise LucidError("a std::vector with %d elements: memory looks corrupt" % n)
    return [(start + i).dereference() for i in range(n)]


_root_cache = []


def _source_root():
    """lucid's source root, as reports strip it (src/base/source_path.cpp)."""
    if _root_cache:
        return _root_cache[0]
    root = None
    try:
        sym = gdb.lookup_global_symbol("lucid::source_root")
        if sym is None:
            sym = gdb.lookup_symbol("lucid::source_root")[0]
        if sym is not None and sym.symtab is not None:
            f = sym.symtab.fullname()
            suffix = "/src/base/source_path.cpp"
            if f.endswith(suffix):
                root = f[: -len(suffix)]
    except (gdb.error, RuntimeError):
        root = None
    _root_cache.append(root)
    return root


def _startup_dir():
    """The start-up directory source_path.cpp recorded (its first member, a char array)."""
    try:
        a = gdb.parse_and_eval("&'lucid::(anonymous namespace)::g_startup_dir'")
        d = a.reinterpret_cast(_type("char").pointer()).string("utf-8", "replace")
        return d or None
    except (gdb.error, gdb.MemoryError, LucidError):
        return None


def _short_path(f):
    if not f:
        return f
    for d in (_source_root(), _startup_dir()):
        if d and f.startswith(d.rstrip("/") + "/"):
            return f[len(d.rstrip("/")) + 1:]
    return f


def _site(file_v, function_v, line_v):
    """file:line (function), as the console prints a location; '?' when unknown."""
    f = _cstr(file_v)
    if f is None:
        return None
    fn = _cstr(function_v)
    s = "%s:%d" % (_short_path(f), int(line_v))
    if fn:
        s += " (%s)" % fn
    return s


def _source_site(v):
    return _site(v["file"], v["function"], v["line"])


# promise_base (include/lucid/rt/detail/strand.hpp): site_ holds the file with
# the line in its top 16 bits; the function word holds the exception once
# THREW is set in bits_.
_LINE_SHIFT = 48
_THREW = 4
# bits_ also holds the frame's size in 16-byte units in its top 16 bits (0:
# unknown); the frame starts 16 bytes before its promise (promise_base::handle).
_SIZE_SHIFT = 48
_SIZE_UNIT = 16
_PROMISE_OFFSET = 16


def _frame_extent(promise_addr, f):
    """(start, end) of the frame holding promise f, or None when its size is unknown."""
    size = (int(f["bits_"]) >> _SIZE_SHIFT) * _SIZE_UNIT
    if size == 0:
        return None
    start = promise_addr - _PROMISE_OFFSET
    return (start, start + size)


def _frame_site(f):
    site = int(f["site_"])
    fn = 0 if int(f["bits_"]) & _THREW else f["function_"]
    return _site(site & ((1 << _LINE_SHIFT) - 1), fn, site >> _LINE_SHIFT)


# ------------------------------------------------------------------ model


class Wait(object):
    def __init__(self):
        self.kind = "?"
        self.resource = None  # resource_header* value (or None)
        self.resource_id = 0
        self.joined = 0
        self.what = None
        self.source = None
        self.deadline_ns = 0

    def describe(self):
        s = self.kind
        if self.resource_id:
            s += " #%d" % self.resource_id
        if self.joined:
            s += " (task %d)" % self.joined
        if self.what:
            s += " [%s]" % self.what
        return s


class Task(object):
    def __init__(self):
        self.addr = 0
        self.id = 0
        self.parent = 0
        self.name = ""
        self.state = "?"
        self.flags = []
        self.spawned_at = None
        self.runtime = 0
        self.root = Strand()
        self.chain_note = None
        self.worker = None  # the worker polling it (index), and its kernel thread id
        self.tid = 0

    @property
    def chain(self):
        return self.root.chain

    @property
    def wait(self):
        return self.root.wait

    @property
    def combinator(self):
        return self.root.combinator

    def label(self):
        return "task %d%s" % (self.id, ' "%s"' % self.name if self.name else "")


_WAKE_SOURCES = {0: "task", 1: "driver", 2: "foreign"}


def _kind_is(kind_ptr, name):
    """True if kind_ptr is the address of lucid::detail::<name> (a resource_kind)."""
    try:
        return int(kind_ptr) == int(gdb.parse_and_eval("&'lucid::detail::%s'" % name))
    except gdb.error:
        return False


def _read_wait(rec_ptr):
    # lucid::detail::wait_record (include/lucid/rt/detail/wait_record.hpp):
    # the wake source is in the low 2 bits of since_; the kind says what the
    # word_ union holds (joined, deadline_ns or what).
    w = Wait()
    r = rec_ptr.dereference()
    k = None
    try:
        k = r["kind"]
        if int(k) != 0:
            w.kind = _string_view(k.dereference()["name"])
    except (gdb.error, gdb.MemoryError):
        w.kind = "<unreadable kind>"
    try:
        w.source = _WAKE_SOURCES.get(int(r["since_"]) & 3, "?")
    except (gdb.error, gdb.MemoryError):
        pass
    try:
        word = r["word_"]
        # By the kind's name: join_resource is "join handle", timer_resource
        # and timeout_resource are both "timer" (a timeout's by its address).
        if k is not None and int(k) != 0:
            if w.kind == "join handle":
                w.joined = int(word["joined"])
            elif w.kind == "timer":
                w.deadline_ns = int(word["deadline_ns"])
                if _kind_is(k, "timeout_resource"):
                    w.what = "timeout"
            else:
                w.what = _cstr(word["what"])
    except (gdb.error, gdb.MemoryError):
        pass
    try:
        h = r["resource"]
        if int(h) != 0:
            w.resource = h
            w.resource_id = int(h.dereference()["id"])
    except (gdb.error, gdb.MemoryError):
        w.resource = None
    return w


class Strand(object):
    """A chain of frames: the task's root strand or a combinator branch."""

    def __init__(self):
        self.chain = []  # sites, innermost first; None for a frame with no await site
        self.note = None
        self.wait = None
        self.combinator = None  # the dynamic type of what the leaf awaits (select, timeout...)
        self.branches = []  # the combinator's running branches (Strand)
        self.frames = []  # (start, end, site) of each frame whose size is known

    def walk(self, outer_at=None):
        """(strand, where it waits) for this strand and its branches, nested.
        A branch whose frames are all lucid's own (the adapter a timeout or
        select wraps an awaitable in) waits where its combinator is awaited."""
        at = self.chain[0] if self.chain else None
        user = [x for x in self.chain if x and "/include/lucid/" not in "/" + x]
        if outer_at is not None and not user:
            at = outer_at
        yield self, at
        for b in self.branches:
            for x in b.walk(at):
                yield x


_MAX_DEPTH = 16


def _find_branches(v, out, depth=0):
    """The running branch<T> sub-objects of a combinator (select_awaiter,
    timeout_awaiter, when_all...), found by walking its members: what its
    branches() override collects (branch.hpp's collect_branch)."""
    if depth > _MAX_DEPTH or len(out) > 256:
        return
    t = v.type.strip_typedefs()
    if t.code != gdb.TYPE_CODE_STRUCT:
        return
    name = t.name or t.tag or ""
    if name.startswith("lucid::detail::branch<"):
        try:
            if bool(v["started"]) and not bool(v["s"]["complete"]):
                out.append(v["s"])
        except (gdb.error, gdb.MemoryError):
            pass
        return
    if name.startswith("std::vector<lucid::detail::branch<"):
        try:
            for e in _vector(v):
                _find_branches(e, out, depth + 1)
        except (gdb.error, gdb.MemoryError, LucidError):
            pass
        return
    for f in t.fields():
        if f.is_base_class or f.name is not None:
            try:
                sub = v.cast(f.type) if f.is_base_class else v[f]
            except (gdb.error, gdb.MemoryError, TypeError):
                continue
            _find_branches(sub, out, depth + 1)


def _read_strand(strand, depth=0):
    """The chain of a strand from its leaf outwards, its wait and its branches."""
    st = Strand()
    p = strand["leaf"]
    seen = set()
    while int(p) != 0 and len(st.chain) < _MAX_FRAMES:
        a = int(p)
        if a in seen:
            st.note = "the frame chain loops: memory looks corrupt"
            break
        seen.add(a)
        try:
            f = p.dereference()
            st.chain.append(_frame_site(f))
            ext = _frame_extent(a, f)
            if ext is not None:
                st.frames.append((ext[0], ext[1], st.chain[-1]))
            p = f["parent_"]
        except gdb.MemoryError:
            st.note = "frame at 0x%x is unreadable" % a
            break
    try:
        rec = strand["wait"]
        if int(rec) != 0:
            st.wait = _read_wait(rec)
    except gdb.MemoryError:
        st.note = "its wait record is unreadable"
    try:
        pending = strand["pending"]
        if int(pending) != 0:
            obj = pending.dereference()
            try:
                obj = obj.cast(obj.dynamic_type)
                st.combinator = str(obj.type.strip_typedefs())
                for kw in ("class ", "struct "):
                    if st.combinator.startswith(kw):
                        st.combinator = st.combinator[len(kw):]
            except gdb.error:
                st.combinator = "a combinator (its type is unknown)"
            if depth < _MAX_DEPTH:
                found = []
                _find_branches(obj, found)
                for b in found:
                    st.branches.append(_read_strand(b, depth + 1))
    except (gdb.error, gdb.MemoryError):
        pass
    return st


def _short_combinator(name):
    """lucid::detail::timeout_awaiter<int> -> timeout."""
    base = name.split("<")[0].split("::")[-1]
    if base.endswith("_awaiter"):
        base = base[: -len("_awaiter")]
    return base.replace("_vec", "")


def _read_task(cell_ptr, runtime_serial):
    t = Task()
    t.addr = int(cell_ptr)
    t.runtime = runtime_serial
    c = cell_ptr.dereference()
    t.id = int(c["id_"])
    t.parent = int(c["parent_id_"])
    try:
        rare = _atomic(c["rare_"])
        if int(rare) != 0:
            t.name = _std_string(rare.dereference()["name"])
    except (gdb.error, gdb.MemoryError):
        t.name = "<unreadable>"
    try:
        site = c["spawn_site_"]  # interned: a pointer, null when unknown
        t.spawned_at = _source_site(site.dereference()) if int(site) != 0 else None
    except (gdb.error, gdb.MemoryError):
        t.spawned_at = None
    s = int(_atomic(c["state_"]))
    # As inspect.cpp's try_inspect names them (without taking a claim).
    if s & _ST_COMPLETE:
        t.state = "finished"
    elif s & _ST_RUNNING:
        t.state = "running"
    elif s & _ST_NOTIFIED:
        t.state = "scheduled"
    else:
        t.state = "idle"
    if s & _ST_CANCELLED:
        t.flags.append("cancel requested")
    if s & _ST_INSPECTED:
        t.flags.append("an inspector was reading it")
    if s & _ST_LOCAL:
        t.flags.append("local")
    try:
        live = bool(c["frame_live_"])
    except gdb.error:
        live = True
    if not live:
        t.chain_note = "no frame (finished or cancelled)"
        return t
    t.root = _read_strand(c["root_"])
    if t.state == "running":
        t.chain_note = ("running on a worker when the process stopped: the chain is "
                        "where it last awaited and may be mid-change")
    return t


def _registry():
    """The registry's inspectable schedulers (those for_each_runtime walks:
    not a tool's own runtime), or raise LucidError.

    reg()'s static pointer (inspect.cpp) is found by its linkage name: where
    reg() is inlined (release builds) the variable has no debug info of its
    own, so its address is cast to the registry type."""
    try:
        addr = gdb.parse_and_eval("&'%s'" % _REGISTRY_SYMBOL)
    except gdb.error:
        raise LucidError("no lucid runtime in this process (no lucid runtime registry "
                         "symbol: not a lucid program, or its symbols were stripped)")
    reg_t = _type("lucid::detail::(anonymous namespace)::registry")
    try:
        reg = addr.reinterpret_cast(reg_t.pointer().pointer()).dereference()
        if int(reg) == 0:
            raise LucidError("no lucid runtime in this process (no runtime was ever started)")
        scheds = _vector(reg.dereference()["runtimes"])
        return [s for s in scheds if bool(s.dereference()["opts_"]["inspectable"])]
    except gdb.MemoryError:
        raise LucidError("the lucid runtime registry at 0x%x is unreadable" % int(addr))


def _runtimes():
    rts = _registry()
    if not rts:
        raise LucidError("no lucid runtime in this process (none is running)")
    return rts


_CELL_MASK = (1 << 48) - 1  # context.cpp: the cell's address in the poll word's low 48 bits


def _polling(sched):
    """cell address -> (worker index, kernel tid) for the tasks workers were polling."""
    out = {}
    worker_pp = _type("lucid::detail::worker").pointer().pointer()
    for up in _vector(sched["workers_"]):
        try:
            # A unique_ptr<worker> with the default deleter is one pointer.
            w = up.address.reinterpret_cast(worker_pp).dereference()
            if int(w) == 0:
                continue
            w = w.dereference()
            word_p = _atomic(w["poll_word"])
            if int(word_p) == 0:
                continue
            cell = int(_atomic(word_p.dereference())) & _CELL_MASK
            if cell:
                out[cell] = (int(w["index"]), int(_atomic(w["tid"])))
        except (gdb.error, gdb.MemoryError, LucidError):
            continue
    return out


def _gdb_thread(tid):
    """gdb's thread number for a kernel thread id, or None."""
    try:
        for th in gdb.selected_inferior().threads():
            if th.ptid[1] == tid:
                return th.num
    except (gdb.error, RuntimeError):
        pass
    return None


def _tasks():
    runtimes = _runtimes()  # first: "no lucid runtime" before any type lookup
    cell_ptr_t = _type("lucid::detail::task_cell").pointer()
    tasks = []
    problems = []
    for s in runtimes:
        try:
            sched = s.dereference()
            serial = int(sched["serial_"])
            shards = _vector(sched["live_"]["shards_"])
            try:
                polling = _polling(sched)
            except (gdb.error, gdb.MemoryError, LucidError):
                polling = {}
        except (gdb.error, gdb.MemoryError) as e:
            problems.append("scheduler at 0x%x unreadable: %s" % (int(s), e))
            continue
        for sh in shards:
            head = sh["list"]["head_"]
            head_addr = int(head.address)
            node = head["next"]
            n = 0
            while int(node) != head_addr and int(node) != 0:
                n += 1
                if n > _MAX_TASKS:
                    problems.append("a live-task list does not end: memory looks corrupt")
                    break
                cell = node.reinterpret_cast(cell_ptr_t)
                try:
                    t = _read_task(cell, serial)
                    if int(cell) in polling:
                        t.worker, t.tid = polling[int(cell)]
                    tasks.append(t)
                except (gdb.error, gdb.MemoryError) as e:
                    problems.append("task cell at 0x%x unreadable: %s" % (int(cell), e))
                try:
                    node = node.dereference()["next"]
                except gdb.MemoryError:
                    problems.append("list node at 0x%x unreadable" % int(node))
                    break
    tasks.sort(key=lambda t: t.id)
    return tasks, problems


# ------------------------------------------------------------------ resources


_LOCK_KINDS = ("mutex", "rw_lock", "semaphore")


class Resource(object):
    def __init__(self, rid, kind):
        self.id = rid
        self.kind = kind
        self.created_at = None
        self.holders = []  # (task id, site), or (task id, site, label, at) for a guess
        self.holder_label = "held by"
        self.holder_at = "acquired at"
        self.state = []
        self.waiters = []  # (task, site)
        self.header = None  # the resource's header (gdb.Value)


def _concrete_type_of(ops_ptr):
    """The channel type whose static `ops` this is (oneshot_state<T>, mpsc_chan<T>)."""
    try:
        out = gdb.execute("info symbol 0x%x" % int(ops_ptr), to_string=True)
    except gdb.error:
        return None
    name = out.split(" in section")[0].strip()
    if not name.endswith("::ops"):
        return None
    try:
        return gdb.lookup_type(name[: -len("::ops")])
    except gdb.error:
        return None


def _handles(registry, limit=64):
    """The addresses linked in a handle_registry (sync/detail/handle_registry.hpp)."""
    head = registry["list_"]["head_"]
    head_addr = int(head.address)
    out = []
    n = head["next"]
    while int(n) != 0 and int(n) != head_addr and len(out) < limit:
        out.append(int(n))
        n = n.dereference()["next"]
    return out


_MAX_RANGE = 1 << 20  # the widest std::vector believed (src/console/handle_holders.cpp)
_LINK_BYTES = 16  # a handle_link: a handle's address is its link's


_MAX_NODES = 4096  # elements walked per container (src/console/container_nodes.cpp)
_ELEMENT_WINDOW = 40  # a handle starts in an element's first 24 bytes


def _read_words(addr, n):
    """n words at addr, or None where memory cannot be read."""
    try:
        return struct.unpack("<%dQ" % n, bytes(gdb.selected_inferior().read_memory(addr, n * 8)))
    except (gdb.MemoryError, gdb.error, OverflowError):
        return None


def _plausible(p):
    return p >= 4096 and p & 7 == 0 and p < (1 << 47)


def _node_elements(words, base):
    """Element addresses of libstdc++'s std::list, std::map and
    std::unordered_map whose objects lie in a frame's `words` (from `base`),
    recognised by their links back to the frame, as in the console
    (src/console/container_nodes.hpp)."""
    out = []
    n = len(words)
    for i in range(n):
        x = base + 8 * i
        w = words[i:i + 7]
        # std::list: next, prev, size; next's prev and prev's next are x.
        if len(w) >= 3 and 0 < w[2] <= _MAX_NODES and _plausible(w[0]) and _plausible(w[1]) \
                and w[0] != x:
            back, fwd = _read_words(w[0] + 8, 1), _read_words(w[1], 1)
            if back == (x,) and fwd == (x,):
                node = w[0]
                for _ in range(w[2]):
                    if node == x or not _plausible(node):
                        break
                    out.append(node + 16)
                    nxt = _read_words(node, 1)
                    if nxt is None:
                        break
                    node = nxt[0]
        # std::map: the header's color, root, leftmost, rightmost, count;
        # the root's parent is x.
        if len(w) >= 5 and 0 < w[4] <= _MAX_NODES and all(_plausible(v) for v in w[1:4]) \
                and _read_words(w[1] + 8, 1) == (x,):
            todo, seen = [w[1]], 0
            while todo and seen < w[4]:
                node = todo.pop()
                seen += 1
                out.append(node + 32)
                links = _read_words(node + 16, 2)
                if links is None:
                    break
                todo.extend(c for c in links if c != 0 and _plausible(c))
        # std::unordered_map: buckets, bucket count, first node, count; a
        # bucket holds x + 16 (before-begin).
        if len(w) >= 4 and 0 < w[3] <= _MAX_NODES and 2 <= w[1] <= 4096 \
                and _plausible(w[0]) and _plausible(w[2]):
            b = _read_words(w[0], w[1])
            if b is not None and x + 16 in b:
                node = w[2]
                for _ in range(w[3]):
                    if node == 0 or not _plausible(node):
                        break
                    out.append(node + 8)
                    nxt = _read_words(node, 1)
                    if nxt is None:
                        break
                    node = nxt[0]
    return out


def _deque_ranges(words):
    """The element ranges [begin, end) of libstdc++'s std::deque (and so
    std::queue) whose objects lie in a frame's `words`: map, map size, then
    the start and finish iterators (cur, first, last, node), one range per
    buffer, recognised as in the console (src/console/container_nodes.hpp)."""
    out = []
    for i in range(len(words) - 9):
        w = words[i:i + 10]
        m, size = w[0], w[1]
        s_cur, s_first, s_last, s_node, f_cur, f_first, f_last, f_node = w[2:10]
        if not 8 <= size <= 4096 or s_cur == f_cur:
            continue
        if not all(_plausible(v) for v in (m,) + tuple(w[2:10])):
            continue
        if not (s_first <= s_cur < s_last and f_first <= f_cur < f_last):
            continue
        buf = s_last - s_first
        if f_last - f_first != buf or not m <= s_node <= f_node < m + 8 * size:
            continue
        nodes = (f_node - s_node) // 8 + 1
        if nodes > _MAX_NODES or (nodes == 1 and (s_first != f_first or f_cur < s_cur)):
            continue
        bufs = _read_words(s_node, nodes)
        if bufs is None or bufs[0] != s_first or bufs[-1] != f_first:
            continue
        for k, b in enumerate(bufs):
            if not _plausible(b):
                break
            begin = s_cur if k == 0 else b
            end = f_cur if k == nodes - 1 else b + buf
            if end > begin:
                out.append((begin, end))
    return out


def _container_hits(addrs, words, known):
    """The handles among `addrs` that a container in `words` holds: among the
    elements of a std::vector (three adjacent words begin <= handle, handle +
    link <= end <= capacity, none of them a handle's own link, `known`) or of
    a std::deque's buffer, ranked (0, the range's width), else in an element
    of a std::map, std::unordered_map or std::list found from `words`' own
    addresses (`words` must be the memory's own, read from where it lies),
    ranked (1, 0). {addr: rank}, the lowest rank kept."""
    best = {}
    for b, e in _vector_ranges(words, known) + _deque_ranges(words):
        for a in _within(addrs, b, e):
            if a not in best or (0, e - b) < best[a]:
                best[a] = (0, e - b)
    for el in _node_elements(words, words.base):
        for a in _within(addrs, el, el + _ELEMENT_WINDOW):
            best.setdefault(a, (1, 0))
    return best


def _within(addrs, begin, end):
    """The handles among `addrs` whose links lie whole in [begin, end)."""
    return [a for a in addrs if begin <= a and a + _LINK_BYTES <= end]


def _vector_ranges(words, known):
    """[begin, end) of the three adjacent words begin <= end <= capacity in
    `words` (at most _MAX_RANGE apart, none a handle's own link): maybe a
    std::vector's elements."""
    return [(b, e) for b, e, c in zip(words, words[1:], words[2:])
            if not (b & 7 or e <= b or c < e or c - b > _MAX_RANGE)
            and b not in known and e not in known and c not in known]


_MAX_ELEMENT_WORDS = 4096  # element words read per frame (src/console/handle_holders.cpp)


def _element_words(words, known, frames):
    """The words of the elements of the containers in a frame's `words`: a
    std::vector's or a std::deque buffer's elements, each node element's
    first words; at most _MAX_ELEMENT_WORDS. A range starting inside a frame
    is a wait node's links, not a container's elements."""
    out = []
    in_frame = lambda a: any(start <= a < end for start, end, _, _ in frames)
    ranges = [(b, e) for b, e in _vector_ranges(words, known) if not in_frame(b)]
    ranges += _deque_ranges(words)
    ranges += [(el, el + _ELEMENT_WINDOW) for el in _node_elements(words, words.base)]
    for b, e in ranges:
        if len(out) >= _MAX_ELEMENT_WORDS:
            break
        n = min((e - b) // 8, _MAX_ELEMENT_WORDS - len(out))
        if n <= 0:
            continue
        got = _read_words(b, n)
        if got is not None:
            out.extend(got)
    return out


class _Words(tuple):
    """Words read from memory, with the address of the first (`base`)."""

    def __new__(cls, base, words):
        w = tuple.__new__(cls, words)
        w.base = base
        return w


def _frame_words(start, end):
    """The words of a suspended frame; None where unreadable."""
    n = (end - start) // 8 - 1  # the extent is rounded up: its last word is not the frame's
    words = _read_words(start, n) if n >= 3 else None
    return None if words is None else _Words(start, words)


def _in_containers(addrs, frames, known):
    """Handles held by a container in a frame (_container_hits; the lowest
    rank wins). A lead, not proof, as in the console
    (src/console/handle_holders.hpp). {addr: (task, site)}."""
    best = {}
    for start, end, task, site in frames:
        words = _frame_words(start, end)
        if words is None:
            continue
        for a, rank in _container_hits(addrs, words, known).items():
            if a not in best or rank < best[a][0]:
                best[a] = (rank, task, site)
    return dict((a, (task, site)) for a, (_, task, site) in best.items())


_MAX_OBJECT_BYTES = 512  # an object's bytes read (src/console/container_nodes.hpp)
_MAX_OBJECTS = 20000  # objects read in all (src/console/handle_holders.cpp)


def _heap_object(p):
    """The words of the glibc heap block that starts at p, or of the
    std::make_shared object 16 bytes into one, up to _MAX_OBJECT_BYTES and
    never past the block's end; None when p is neither (the console's
    read_heap_object)."""
    for block, skip in ((p, 0), (p - 16, 16)):
        size = _read_words(block - 8, 1)
        if size is None:
            continue
        n = size[0] & ~7
        if n < 32 or n % 16 or n > 1 << 30:
            continue
        if size[0] & 2:  # a block of its own mapping
            if (block - 16) % 4096:
                continue
            usable = n - 16
        else:  # in use: the next chunk says its previous one is, and
            # has a chunk's size (a fence post's 16 up to the top chunk's)
            nxt = _read_words(block - 8 + n, 1)
            if nxt is None or not nxt[0] & 1:
                continue
            m = nxt[0] & ~7
            if m < 16 or m % 16 or m > 1 << 40:
                continue
            usable = n - 8
        k = min(usable - skip, _MAX_OBJECT_BYTES) // 8
        if k <= 0:
            continue
        words = _read_words(p, k)
        return None if words is None else _Words(p, words)
    return None


def _in_objects(addrs, frames, known, waiters):
    """Handles in the heap objects the frames point to (a member coroutine's
    `this`, a shared_ptr's object): the object's own member, or in a
    container there. Of the frames pointing to it, a task not waiting on
    the resource is named, then one found nearest its frame, then the lowest
    id, as in the console; also the objects the elements of a frame's
    containers point to (a server's map of sessions), and those the
    elements of the containers of an object a frame points to point to (the
    same map in a server object). {addr: (task, site, in_container, via)},
    `via` one of "frame", "element" and "object_element"."""
    objects = {}  # object -> ({addr: in a container?}, its words or None)
    deep = {}  # object -> [(addr, in a container?)] of the objects its containers point to

    def read(p):
        """{addr: in a container?} for object p, read once; None past the limit."""
        if p not in objects:
            if len(objects) >= _MAX_OBJECTS:
                return None
            found = {}
            ow = _heap_object(p)
            if ow is not None:
                for a in _within(addrs, p, p + 8 * len(ow)):
                    found[a] = False
                for a in _container_hits(addrs, ow, known):
                    found.setdefault(a, True)
            objects[p] = (found, ow)
        return objects[p][0]

    def deep_of(p):
        """For object p, read: the handles of the objects its containers' elements point to."""
        if p not in deep:
            deep[p] = []
            ow = objects[p][1]
            if ow is not None:
                for q in _element_words(ow, known, frames):
                    if q == p or not _plausible(q) or q in known:
                        continue
                    for a, in_container in (read(q) or {}).items():
                        deep[p].append((a, in_container))
        return deep[p]

    candidates = {}  # addr -> [(task, site, in_container, via)]
    for start, end, task, site in frames:
        words = _frame_words(start, end)
        if words is None:
            continue
        pointers = [(p, "frame") for p in words]
        pointers += [(p, "element") for p in _element_words(words, known, frames)]
        for p, via in pointers:
            if not _plausible(p) or start <= p < end or p in known:
                continue
            found = read(p)
            if found is None:
                continue
            for a, in_container in found.items():
                candidates.setdefault(a, []).append((task, site, in_container, via))
            if via == "frame":
                for a, in_container in deep_of(p):
                    candidates.setdefault(a, []).append((task, site, in_container,
                                                         "object_element"))
    waiting = set(t.id for t, _ in waiters)
    return dict((a, min(cs, key=lambda c: (c[0].id in waiting, c[3] == "object_element",
                                           c[0].id)))
                for a, cs in candidates.items())


def _held_in_frames(r, registry, frames, label):
    """Holders of the handles in `registry`: the tasks whose frames hold them,
    or, for a handle in no frame, probably hold it in a container there, or
    in (or in a container in) an object their frames point to. Needs the
    resource's waiters (r.waiters)."""
    addrs = _handles(registry)
    left = []
    for a in addrs:
        for start, end, task, site in frames:
            if start <= a < end:
                r.holders.append((task.id, site))
                break
        else:
            left.append(a)
    found = len(addrs) - len(left)
    probably = label.replace(" held by", " probably held by")
    if left:
        hits = _in_containers(left, frames, set(addrs))
        for task, site in hits.values():
            r.holders.append((task.id, site, probably, "via a container in its frame suspended at"))
            found += 1
        left = [a for a in left if a not in hits]
    if left:
        for task, site, in_container, via in _in_objects(left, frames, set(addrs),
                                                         r.waiters).values():
            where = {"frame": "an object its frame points to",
                     "element": "an object a container in its frame points to",
                     "object_element": "an object listed in a container of an object its "
                                       "frame points to"}[via]
            r.holders.append((task.id, site, probably, "%sin %s, suspended at" % (
                "via a container " if in_container else "", where)))
            found += 1
    if addrs:
        r.holder_label = label
        r.holder_at = "in its frame suspended at"
    if found < len(addrs):
        r.state.append("%d not in a suspended task's frame" % (len(addrs) - found))


def _fill_resource(r, hdr, frames=()):
    h = hdr.dereference()
    try:
        r.created_at = _source_site(h["site"])
    except (gdb.error, gdb.MemoryError):
        pass
    if r.kind in _LOCK_KINDS:
        lock = hdr.reinterpret_cast(_type("lucid::detail::lock_header").pointer()).dereference()
        slot = lock["holder"]
        tid = int(_atomic(slot["task"]))
        count = int(_atomic(lock["count"]))
        exclusive = bool(lock["exclusive"])
        if r.kind == "semaphore":
            r.holder_label = "last acquired by"
            r.state.append("%d permits available" % count)
            # Where the permits taken are (sync/detail/resource_kinds.hpp).
            sem = hdr.reinterpret_cast(_type("lucid::detail::semaphore_header").pointer())
            _held_in_frames(r, sem.dereference()["permits_held"], frames, "permit held by")
            return
        if r.kind == "rw_lock":
            # The holder slot is the writer's, or the latest reader's while
            # readers hold it (sync/rw_lock.hpp).
            r.holder_label = "read by" if count > 0 else "written by"
            r.state.append("%d readers" % count)
        if tid != 0:
            r.holders.append((tid, _site(_atomic(slot["file"]), _atomic(slot["function"]),
                                         _atomic(slot["line"]))))
        elif r.kind == "mutex" or (r.kind == "rw_lock" and exclusive):
            r.state.append("no holder recorded (free, or held outside a task)")
        return
    if r.kind in ("oneshot", "mpsc"):
        t = _concrete_type_of(h["ops"])
        if t is None:
            r.state.append("channel state unknown (its type is not in the debug info)")
            return
        ch = hdr.reinterpret_cast(t.pointer()).dereference()
        if r.kind == "oneshot":
            r.state.append("sender %s" % ("alive" if bool(ch["tx_alive"]) else "dropped"))
            r.state.append("value %s" % ("sent" if bool(ch["sent"]) else "not sent"))
            if bool(ch["rx_closed"]):
                r.state.append("receiver closed")
            elif not bool(ch["sent"]):
                _held_in_frames(r, ch["tx_handle"], frames, "sender held by")
        else:
            cap = int(ch["capacity"])
            queued = int(ch["queue"]["size_"])
            r.state.append("capacity %s" % (cap if cap else "unbounded"))
            r.state.append("%d queued" % queued)
            n = int(ch["senders"])
            r.state.append("%d sender%s" % (n, "" if n == 1 else "s"))
            if bool(ch["rx_closed"]):
                r.state.append("closed")
            elif queued == 0:
                _held_in_frames(r, ch["sender_handles"], frames, "sender held by")
            elif cap and queued >= cap:
                # Full: its senders wait for the task that receives from it
                # (the channel's `receiving` slot, sync/mpsc.hpp).
                slot = ch["receiving"]
                tid = int(_atomic(slot["task"]))
                if tid != 0:
                    r.holder_label = "received by"
                    r.holder_at = "which received from it at"
                    r.holders.append((tid, _site(_atomic(slot["file"]),
                                                 _atomic(slot["function"]),
                                                 _atomic(slot["line"]))))
                else:  # nobody received yet: the task whose frame holds the receiver
                    _held_in_frames(r, ch["receiver_handle"], frames, "receiver held by")


def _resources(tasks):
    byid = {}
    order = []
    frames = [(start, end, t, site) for t in tasks for st, _ in t.root.walk()
              for start, end, site in st.frames]
    for t, st, at in ((t, st, at) for t in tasks for st, at in t.root.walk()):
        w = st.wait
        if w is None or w.resource is None:
            continue
        r = byid.get(w.resource_id)
        if r is None:
            r = Resource(w.resource_id, w.kind)
            r.header = w.resource
            byid[w.resource_id] = r
            order.append(r)
        r.waiters.append((t, at))
    for r in order:  # once every waiter is known (_held_in_frames)
        try:
            _fill_resource(r, r.header, frames)
        except (gdb.error, gdb.MemoryError, LucidError) as e:
            r.state.append("unreadable: %s" % e)
    order.sort(key=lambda r: r.id)
    return order


# ------------------------------------------------------------------ printing


def _where(t):
    if t.chain and t.chain[0]:
        return t.chain[0]
    if t.chain:
        return "(not at an await)"
    return "-"


def _print_problems(problems):
    for p in problems:
        gdb.write("note: %s\n" % p)


def _strand_wait(st):
    """What a strand waits on, in a few words: `mutex #2`, `timeout(mutex #2)`."""
    if st.combinator:
        inner = ", ".join(_strand_wait(b) for b in st.branches)
        return "%s(%s)" % (_short_combinator(st.combinator), inner)
    return st.wait.describe() if st.wait else "-"


def _print_strand(st, indent):
    pad = " " * indent
    if st.wait and not st.combinator:
        gdb.write("%swaiting on %s" % (pad, st.wait.describe()))
        if st.wait.source:
            gdb.write(", woken by a %s" % st.wait.source)
        gdb.write("\n")
    if st.combinator:
        gdb.write("%sawaiting %s (%s), %d running branch%s\n" %
                  (pad, _short_combinator(st.combinator), st.combinator, len(st.branches),
                   "" if len(st.branches) == 1 else "es"))
    for i, site in enumerate(st.chain):
        gdb.write("%s#%d %s\n" % (pad, i, site or "(not suspended at an await)"))
    if st.note:
        gdb.write("%snote: %s\n" % (pad, st.note))
    for i, b in enumerate(st.branches):
        gdb.write("%sbranch %d:\n" % (pad, i + 1))
        _print_strand(b, indent + 2)


def cmd_tasks(arg):
    tasks, problems = _tasks()
    gdb.write("%d live task%s\n" % (len(tasks), "" if len(tasks) == 1 else "s"))
    gdb.write("%6s  %-9s  %-16s  %-22s  %s\n" % ("id", "state", "name", "waiting on",
                                                 "suspended at"))
    for t in tasks:
        if t.worker is not None:
            wait = "(on worker %d)" % t.worker
        else:
            wait = _strand_wait(t.root)
        gdb.write("%6d  %-9s  %-16s  %-22s  %s\n" % (t.id, t.state, t.name or "-", wait,
                                                     _where(t)))
    _print_problems(problems)


def cmd_bt(arg):
    argv = gdb.string_to_argv(arg)
    if len(argv) != 1:
        raise LucidError("usage: lucid bt TASK-ID (or a task name)")
    tasks, problems = _tasks()
    byid = dict((t.id, t) for t in tasks)
    try:
        t = byid.get(int(argv[0], 0))
    except ValueError:
        named = [x for x in tasks if x.name == argv[0]]
        if len(named) > 1:
            raise LucidError("%d tasks are named %s: give an id (%s)" %
                             (len(named), argv[0], ", ".join(str(x.id) for x in named)))
        t = named[0] if named else None
    if t is None:
        _print_problems(problems)
        raise LucidError("no live task %s (`lucid tasks` lists them)" % argv[0])
    flags = (", " + ", ".join(t.flags)) if t.flags else ""
    gdb.write("%s (%s%s, runtime %d, cell 0x%x)\n" % (t.label(), t.state, flags, t.runtime,
                                                        t.addr))
    if t.worker is not None:
        num = _gdb_thread(t.tid)
        gdb.write("  polled by worker %d (LWP %d%s): its native stack is `thread %s` then `bt`\n"
                  % (t.worker, t.tid, ", gdb thread %d" % num if num else "",
                     num if num else "N"))
    _print_strand(t.root, 2)
    if t.chain_note:
        gdb.write("  note: %s\n" % t.chain_note)
    gdb.write("  spawned at %s\n" % (t.spawned_at or "?"))
    if t.parent:
        p = byid.get(t.parent)
        gdb.write("  parent %s\n" % (p.label() if p else "task %d (finished)" % t.parent))
    else:
        gdb.write("  parent: none (a root task)\n")
    _print_problems(problems)


def cmd_resources(arg):
    tasks, problems = _tasks()
    byid = dict((t.id, t) for t in tasks)
    res = _resources(tasks)
    gdb.write("%d resource%s with waiting tasks\n" % (len(res), "" if len(res) == 1 else "s"))
    for r in res:
        gdb.write("%s #%d, created at %s\n" % (r.kind, r.id, r.created_at or "?"))
        for s in r.state:
            gdb.write("  %s\n" % s)
        for holder in r.holders:
            tid, site = holder[0], holder[1]
            label, at = holder[2:] if len(holder) == 4 else (r.holder_label, r.holder_at)
            h = byid.get(tid)
            gdb.write("  %s %s, %s %s\n" % (label, h.label() if h else "task %d" % tid, at,
                                            site or "?"))
        for t, site in r.waiters:
            gdb.write("  waiter %s at %s\n" % (t.label(), site or "?"))
    _print_problems(problems)


# ------------------------------------------------------------------ commands


class _LucidPrefix(gdb.Command):
    """lucid's async runtime: tasks, await chains, resources (memory reads only).

lucid tasks          every live task: id, state, name, wait, innermost await site
lucid bt TASK-ID     one task's await chain, innermost first, with its spawn site
lucid resources      mutexes, semaphores, channels tasks wait on: holders and waiters"""

    def __init__(self):
        super(_LucidPrefix, self).__init__("lucid", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)


class _LucidSub(gdb.Command):
    def __init__(self, name, fn, doc):
        self.__doc__ = doc
        super(_LucidSub, self).__init__("lucid " + name, gdb.COMMAND_DATA)
        self._fn = fn

    def invoke(self, arg, from_tty):
        try:
            self._fn(arg)
        except LucidError as e:
            gdb.write("lucid: %s\n" % e)
        except gdb.MemoryError as e:
            gdb.write("lucid: memory unreadable (%s); a core file without the heap, or a "
                      "process that is not stopped?\n" % e)
        except gdb.error as e:
            gdb.write("lucid: cannot read the runtime (%s); values optimized out or debug "
                      "info missing?\n" % e)
        except Exception as e:  # never a traceback in the user's session
            gdb.write("lucid: internal error (%s: %s); please report it\n" %
                      (type(e).__name__, e))


_LucidPrefix()
_LucidSub("tasks", cmd_tasks,
          "List every live lucid task: id, state, name, wait, innermost await site.")
_LucidSub("bt", cmd_bt,
          "Print one lucid task's await chain (innermost first), its wait, spawn site and "
          "parent.\nUsage: lucid bt TASK-ID, or lucid bt NAME for the one task of that name")
_LucidSub("resources", cmd_resources,
          "List the lucid mutexes, rw_locks, semaphores, channels and notifies that tasks "
          "wait on, with holders and waiters.")
