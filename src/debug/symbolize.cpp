// Symbolization with libdw's dwfl: module lookup, DWARF line, the inline
// chain (innermost DIE at pc, then dwarf_getscopes_die), names from DWARF
// linkage names or the ELF symbol table, and frame classification.
//
// One Dwfl session for the process, created on first use and guarded by
// g_mutex, with a per-pc cache of results; the modules are re-reported when an
// address falls outside every known one, e.g. code from a library dlopen'ed
// after the session began.
#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "lucid/base/source_path.hpp"
#include "lucid/debug/symbolize.hpp"
#include "symbolize_internal.hpp"

namespace lucid::debug {

namespace {

std::mutex g_mutex;
Dwfl* g_dwfl = nullptr;  // guarded by g_mutex
// Frames already resolved, by pc (guarded by g_mutex). Deep recursion and
// repeated reports hit it; bounded by clearing when full.
std::unordered_map<std::uintptr_t, std::vector<symbolized_frame>>* g_cache = nullptr;
constexpr std::size_t cache_limit = 8192;
char* g_debuginfo_path = nullptr;

const Dwfl_Callbacks g_callbacks = {
    dwfl_linux_proc_find_elf,
    dwfl_standard_find_debuginfo,
    nullptr,
    &g_debuginfo_path,
};

bool report_modules(Dwfl* dwfl) {
  dwfl_report_begin(dwfl);
  int rc = dwfl_linux_proc_report(dwfl, ::getpid());
  dwfl_report_end(dwfl, nullptr, nullptr);
  return rc == 0;
}

Dwfl* session() {
  if (g_dwfl == nullptr) {
    g_dwfl = dwfl_begin(&g_callbacks);
    if (g_dwfl != nullptr && !report_modules(g_dwfl)) {
      dwfl_end(g_dwfl);
      g_dwfl = nullptr;
    }
  }
  return g_dwfl;
}

std::string_view basename_of(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

/// The C library, the loader, the unwinders, the sanitizer runtimes: frames
/// in them are `system` frames, named from the ELF symbol table only. Their
/// DWARF, when a debug package provides it (libc6-dbg), is compressed:
/// loading it for one libc frame cost ~45 ms and several MB of memory per
/// process (a stall report's first symbolization), for frames that the brief
/// report hides.
bool system_module(std::string_view module) noexcept {
  const std::string_view base = basename_of(module);
  for (std::string_view p :
       {"libc.so", "libc-", "ld-linux", "libgcc_s", "libunwind", "libasan", "libubsan", "libtsan",
        "liblsan", "libdw", "libelf", "libm.so", "libpthread", "linux-vdso"}) {
    if (base.substr(0, p.size()) == p) return true;
  }
  return false;
}

const char* attr_string(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute attr;
  if (dwarf_attr_integrate(die, name, &attr) == nullptr) return nullptr;
  return dwarf_formstring(&attr);
}

bool attr_udata(Dwarf_Die* die, unsigned name, Dwarf_Word& out) {
  Dwarf_Attribute attr;
  if (dwarf_attr(die, name, &attr) == nullptr) return false;
  return dwarf_formudata(&attr, &out) == 0;
}

// A DIE's demangled linkage name (qualified, with parameters), or "".
std::string linkage_function_name(Dwarf_Die* die) {
  const char* linkage = attr_string(die, DW_AT_linkage_name);
  if (linkage == nullptr) linkage = attr_string(die, DW_AT_MIPS_linkage_name);
  return linkage != nullptr ? demangle(linkage) : std::string();
}

// A DIE's function name: the demangled linkage name, or the plain DW_AT_name
// qualified with its enclosing namespaces and classes.
std::string die_function_name(Dwarf_Die* die) {
  if (std::string linkage = linkage_function_name(die); !linkage.empty()) return linkage;
  const char* name = attr_string(die, DW_AT_name);
  if (name == nullptr) return {};
  // No linkage name (e.g. an inline function in an anonymous namespace):
  // qualify the plain name with the enclosing namespaces and classes of its
  // declaration.
  Dwarf_Die decl = *die;
  Dwarf_Attribute attr;
  for (unsigned a : {DW_AT_abstract_origin, DW_AT_specification}) {
    Dwarf_Die next;
    if (dwarf_attr(&decl, a, &attr) != nullptr && dwarf_formref_die(&attr, &next) != nullptr) {
      decl = next;
    }
  }
  std::string qualified;
  Dwarf_Die* scopes = nullptr;
  int n = dwarf_getscopes_die(&decl, &scopes);
  for (int i = n - 1; i >= 1; --i) {
    int tag = dwarf_tag(&scopes[i]);
    if (tag == DW_TAG_namespace || tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
        tag == DW_TAG_union_type) {
      const char* part = dwarf_diename(&scopes[i]);
      if (part == nullptr) part = tag == DW_TAG_namespace ? "(anonymous namespace)" : "{lambda}";
      qualified += part;
      qualified += "::";
    }
  }
  std::free(scopes);
  return qualified + name;
}

// The compile unit covering pc. libdw 0.188 finds it through .debug_aranges,
// which Clang does not emit by default; then the CUs' own address ranges are
// searched.
Dwarf_Die* find_cu(Dwfl_Module* mod, std::uintptr_t pc, Dwarf_Addr& bias, Dwarf_Die& storage) {
  if (Dwarf_Die* cu = dwfl_module_addrdie(mod, pc, &bias); cu != nullptr) return cu;
  for (Dwarf_Die* cu = dwfl_module_nextcu(mod, nullptr, &bias); cu != nullptr;
       cu = dwfl_module_nextcu(mod, cu, &bias)) {
    Dwarf_Addr base = 0;
    Dwarf_Addr start = 0;
    Dwarf_Addr end = 0;
    for (std::ptrdiff_t off = 0; (off = dwarf_ranges(cu, off, &base, &start, &end)) > 0;) {
      if (pc - bias >= start && pc - bias < end) {
        storage = *cu;
        return &storage;
      }
    }
  }
  return nullptr;
}

// Finds the innermost DIE under `parent` whose code covers pc. Unlike
// dwarf_getscopes, which prunes address-less DIEs, it descends into
// namespaces and classes: Clang nests function definitions there. With
// `deep`, it also descends into functions and blocks that do not cover pc:
// GCC puts the out-of-line definition of a local class's member there (the
// operator() of a lambda written inside a function, its coroutine parts
// included), so such code is found only that way. The deep walk reads the
// whole compile unit, so it is the second try.
bool find_innermost(Dwarf_Die* parent, Dwarf_Addr pc, Dwarf_Die& out, bool deep) {
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return false;
  do {
    switch (dwarf_tag(&child)) {
      case DW_TAG_namespace:
      case DW_TAG_class_type:
      case DW_TAG_structure_type:
      case DW_TAG_union_type:
        if (find_innermost(&child, pc, out, deep)) return true;
        break;
      case DW_TAG_subprogram:
      case DW_TAG_inlined_subroutine:
      case DW_TAG_lexical_block:
      case DW_TAG_entry_point:
      case DW_TAG_try_block:
      case DW_TAG_catch_block:
        if (dwarf_haspc(&child, pc) > 0) {
          out = child;
          Dwarf_Die inner;
          if (find_innermost(&child, pc, inner, deep)) out = inner;
          return true;
        }
        if (deep && find_innermost(&child, pc, out, deep)) return true;
        break;
      default:
        break;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return false;
}

struct location {
  std::string file;
  unsigned line = 0;
  unsigned column = 0;
};

void symbolize_one(Dwfl* dwfl, std::uintptr_t pc, std::vector<symbolized_frame>& out) {
  const std::size_t first = out.size();
  Dwfl_Module* mod = dwfl_addrmodule(dwfl, pc);
  if (mod == nullptr && report_modules(dwfl)) mod = dwfl_addrmodule(dwfl, pc);
  if (mod == nullptr) {
    symbolized_frame f;
    f.pc = pc;
    out.push_back(std::move(f));
    return;
  }
  const char* main_file = nullptr;
  const char* mod_name =
      dwfl_module_info(mod, nullptr, nullptr, nullptr, nullptr, nullptr, &main_file, nullptr);
  std::string module = main_file != nullptr ? main_file : (mod_name != nullptr ? mod_name : "");

  // The ELF symbol table lookup is a linear scan in libdw: done only when
  // DWARF does not name the function.
  const char* sym_name = nullptr;
  bool sym_done = false;
  auto symbol = [&]() -> const char* {
    if (!sym_done) {
      sym_done = true;
      GElf_Off offset = 0;
      GElf_Sym sym;
      sym_name = dwfl_module_addrinfo(mod, pc, &offset, &sym, nullptr, nullptr, nullptr);
    }
    return sym_name;
  };

  Dwarf_Addr bias = 0;
  Dwarf_Die cu_storage;
  Dwarf_Die* cu = system_module(module) ? nullptr : find_cu(mod, pc, bias, cu_storage);
  location loc;
  // Without a CU covering pc (e.g. _start) any line found would be a neighbour's.
  if (Dwarf_Line* line = cu != nullptr ? dwarf_getsrc_die(cu, pc - bias) : nullptr;
      line != nullptr) {
    int lineno = 0;
    int col = 0;
    const char* src = dwarf_linesrc(line, nullptr, nullptr);
    dwarf_lineno(line, &lineno);
    dwarf_linecol(line, &col);
    if (src != nullptr) loc.file = src;
    loc.line = lineno > 0 ? static_cast<unsigned>(lineno) : 0;
    loc.column = col > 0 ? static_cast<unsigned>(col) : 0;
  }

  // The innermost DIE with code at pc, then its concrete chain of enclosing
  // scopes (inlined subroutines, then the subprogram they were inlined into).
  Dwarf_Die* scopes = nullptr;
  int nscopes = 0;
  Dwarf_Die innermost;
  if (cu != nullptr && (find_innermost(cu, pc - bias, innermost, false) ||
                        find_innermost(cu, pc - bias, innermost, true))) {
    nscopes = dwarf_getscopes_die(&innermost, &scopes);
  }
  bool outer_done = false;
  if (nscopes > 0) {
    Dwarf_Files* files = nullptr;
    std::size_t nfiles = 0;
    if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0) files = nullptr;
    for (int i = 0; i < nscopes; ++i) {
      Dwarf_Die* scope = &scopes[i];
      int tag = dwarf_tag(scope);
      if (tag == DW_TAG_inlined_subroutine) {
        symbolized_frame f;
        f.pc = pc;
        f.function = die_function_name(scope);
        f.file = loc.file;
        f.line = loc.line;
        f.column = loc.column;
        f.inlined = true;
        out.push_back(std::move(f));
        // Continue at the call site inside the caller.
        location next;
        Dwarf_Word v = 0;
        if (files != nullptr && attr_udata(scope, DW_AT_call_file, v) && v < nfiles) {
          const char* name = dwarf_filesrc(files, v, nullptr, nullptr);
          if (name != nullptr) next.file = name;
        }
        if (attr_udata(scope, DW_AT_call_line, v)) next.line = static_cast<unsigned>(v);
        if (attr_udata(scope, DW_AT_call_column, v)) next.column = static_cast<unsigned>(v);
        loc = std::move(next);
      } else if (tag == DW_TAG_subprogram) {
        symbolized_frame f;
        f.pc = pc;
        // DWARF's linkage name, demangled; the ELF symbol when DWARF has
        // none (extern "C", main); DW_AT_name, qualified, as a last resort.
        f.function = linkage_function_name(scope);
        if (f.function.empty() && symbol() != nullptr) f.function = demangle(symbol());
        if (f.function.empty()) f.function = die_function_name(scope);
        f.file = loc.file;
        f.line = loc.line;
        f.column = loc.column;
        out.push_back(std::move(f));
        outer_done = true;
        break;
      }
    }
    std::free(scopes);
  }
  if (!outer_done) {
    symbolized_frame f;
    f.pc = pc;
    if (symbol() != nullptr) f.function = demangle(symbol());
    // No function DIE covers pc (code without debug info, like _start): a
    // line found for it would belong to a neighbouring sequence.
    if (first != out.size()) {
      f.file = loc.file;
      f.line = loc.line;
      f.column = loc.column;
    }
    out.push_back(std::move(f));
  }
  for (std::size_t i = first; i < out.size(); ++i) {
    out[i].module = module;
    out[i].kind = classify(out[i].function, out[i].file, out[i].module);
  }
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The qualified name of a demangled function, without a leading return type
// (template instantiations have one) or the parameter list:
// "void lucid::detail::run<int>(int)" -> "lucid::detail::run<int>".
std::string_view function_head(std::string_view name) {
  constexpr std::string_view anon = "(anonymous namespace)";
  std::size_t start = 0;
  int depth = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name.substr(i, anon.size()) == anon) {
      i += anon.size() - 1;
      continue;
    }
    char c = name[i];
    if (c == '<' || c == '[' || c == '{') {
      ++depth;
    } else if ((c == '>' || c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == '(' && depth == 0) {
      return name.substr(start, i - start);
    } else if (c == ' ' && depth == 0) {
      start = i + 1;
    }
  }
  return name.substr(start);
}

bool under_dir(std::string_view file, std::string_view dir) {
  return !dir.empty() && file.size() > dir.size() && starts_with(file, dir) &&
         (dir.back() == '/' || file[dir.size()] == '/');
}

}  // namespace

namespace {
void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

// GCC names a coroutine's body "f(f(args)::_Z...Frame*)" (the "actor"; its
// ELF symbol adds " [clone .actor]"); show it as the user wrote it:
// "f(args) [coroutine]". The actor's own parameter list is the one that ends
// in ".Frame*)"; its '(' is found by matching parentheses backwards, since the
// qualified name may hold parentheses of its own ("(anonymous namespace)::f").
std::string tidy_coroutine_name(std::string name) {
  constexpr std::string_view frame_tail = ".Frame*)";
  const std::size_t frame = name.rfind(frame_tail);
  if (frame == std::string::npos) return name;
  std::string rest = name.substr(frame + frame_tail.size());  // clone suffixes, if any
  if (!rest.empty() && !rest.starts_with(" [clone ")) return name;
  replace_all(rest, " [clone .actor]", "");
  const std::size_t close = frame + frame_tail.size() - 1;
  std::size_t open = std::string::npos;
  int depth = 0;
  for (std::size_t i = close + 1; i-- > 0;) {
    if (name[i] == ')') {
      ++depth;
    } else if (name[i] == '(' && --depth == 0) {
      open = i;
      break;
    }
  }
  if (open == std::string::npos) return name;
  const std::size_t mangled = name.rfind("::_Z", close);
  if (mangled == std::string::npos || mangled <= open + 1) return name;
  return name.substr(open + 1, mangled - open - 1) + " [coroutine]" + rest;
}

// The standard library's aliases as the user wrote them: std::string rather
// than std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >.
// (The demangler already writes std::ostream, std::istream and std::iostream.)
std::string readable_std_names(std::string name) {
  if (name.find("std::") == std::string::npos) return name;
  for (const char* ns : {"std::__cxx11::", "std::"}) {
    const std::string prefix(ns);
    replace_all(name, prefix + "basic_string<char, std::char_traits<char>, std::allocator<char> >",
                "std::string");
    replace_all(
        name, prefix + "basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> >",
        "std::wstring");
  }
  replace_all(name, "std::basic_string_view<char, std::char_traits<char> >", "std::string_view");
  replace_all(name, "std::__cxx11::", "std::");
  // The demangler wrote "> >" for the nested template the alias replaced.
  for (std::string_view alias : {"std::string >", "std::wstring >", "std::string_view >"})
    replace_all(name, alias, std::string(alias.substr(0, alias.size() - 2)) + ">");
  return name;
}
}  // namespace

std::string demangle(const char* symbol) {
  if (symbol == nullptr) return {};
  int status = 0;
  char* out = abi::__cxa_demangle(symbol, nullptr, nullptr, &status);
  if (status != 0 || out == nullptr) {
    std::free(out);
    return symbol;
  }
  std::string result(out);
  std::free(out);
  return readable_std_names(tidy_coroutine_name(std::move(result)));
}

frame_kind classify(std::string_view function, std::string_view file,
                    std::string_view module) noexcept {
  const std::string_view head = function_head(function);
  for (std::string_view p :
       {"std::", "__gnu_cxx::", "__cxxabiv1::", "__gnu_debug::", "__cxa_", "__gxx_", "__cxx_"}) {
    if (starts_with(head, p)) return frame_kind::std_lib;
  }
  if (starts_with(head, "lucid::")) return frame_kind::runtime;
  if (under_dir(file, source_root())) {
    std::string_view rel = source_path(file);
    if (starts_with(rel, "include/lucid/") || starts_with(rel, "src/")) return frame_kind::runtime;
  }
  if (under_dir(file, "/usr/include/c++")) return frame_kind::std_lib;
  const std::string_view base = basename_of(module);
  if (starts_with(base, "libstdc++")) return frame_kind::std_lib;
  for (std::string_view p :
       {"_Unwind_", "__libc_", "_start", "__restore_rt", "__interceptor_", "__asan", "__ubsan",
        "__sanitizer", "__tsan", "__lsan", "_dl_", "start_thread", "clone"}) {
    if (starts_with(head, p)) return frame_kind::system;
  }
  if (system_module(module)) return frame_kind::system;
  if (function.empty() && file.empty()) {
    // Unknown code: user code only if it lies in the main program.
    static char exe[4096];
    static const ssize_t exe_len = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    const bool in_program =
        exe_len > 0 && module == std::string_view(exe, static_cast<std::size_t>(exe_len));
    return in_program ? frame_kind::user : frame_kind::system;
  }
  return frame_kind::user;
}

std::string display_path(std::string_view file) {
  return std::string(source_path(file));
}

namespace detail {

std::vector<symbolized_frame> symbolize_locked(std::span<const std::uintptr_t> pcs, bool try_lock) {
  std::vector<symbolized_frame> out;
  try {
    out.reserve(pcs.size() + 4);
    std::unique_lock<std::mutex> guard(g_mutex, std::defer_lock);
    if (try_lock) {
      if (!guard.try_lock()) return out;
    } else {
      guard.lock();
    }
    Dwfl* dwfl = session();
    for (std::uintptr_t pc : pcs) {
      if (dwfl == nullptr) {
        symbolized_frame f;
        f.pc = pc;
        out.push_back(std::move(f));
        continue;
      }
      if (g_cache == nullptr)
        g_cache = new std::unordered_map<std::uintptr_t, std::vector<symbolized_frame>>();
      if (auto hit = g_cache->find(pc); hit != g_cache->end()) {
        out.insert(out.end(), hit->second.begin(), hit->second.end());
        continue;
      }
      const std::size_t before = out.size();
      symbolize_one(dwfl, pc, out);
      if (g_cache->size() >= cache_limit) g_cache->clear();
      g_cache->emplace(pc, std::vector<symbolized_frame>(
                               out.begin() + static_cast<std::ptrdiff_t>(before), out.end()));
    }
  } catch (...) {
    // Out of memory: return what we have.
  }
  return out;
}

}  // namespace detail

std::vector<symbolized_frame> symbolize(std::span<const std::uintptr_t> pcs) {
  return detail::symbolize_locked(pcs, false);
}

}  // namespace lucid::debug
