// lucid-console's terminal UI (see ui.hpp).
#include "ui.hpp"

#include <curses.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "text.hpp"
#include "views.hpp"

namespace lucid::console::tui {

namespace {

constexpr int k_esc = 27;

struct app {
  model& m;
  std::string source;
  replay* rep;
  frame f;
  std::uint64_t version = 0;
  ui_state u;
  bool paused = false;  // live updates paused (a replay pauses itself)
  bool prompt = false;  // typing a filter
  std::string typed;
  screen before_help = screen::tasks;
  std::string last_status;

  bool is_paused() const { return rep != nullptr ? rep->paused() : paused; }

  void draw() {
    erase();
    int h = LINES, w = COLS;
    // Header: the views, the current one reversed, and counts on the right.
    move(0, 0);
    struct tab {
      const char* label;
      screen s;
    };
    static const tab tabs[] = {{"t:tasks", screen::tasks},
                               {"r:resources", screen::resources},
                               {"w:warnings", screen::warnings},
                               {"g:graph", screen::graph},
                               {"?:help", screen::help}};
    int x = 0;
    std::string brand = "lucid-console ";
    attron(A_BOLD);
    mvaddnstr(0, 0, brand.c_str(), w);
    attroff(A_BOLD);
    x += static_cast<int>(brand.size());
    for (const tab& t : tabs) {
      bool on = u.current == t.s || (t.s == screen::tasks && u.current == screen::task_detail) ||
                (t.s == screen::resources && u.current == screen::resource_detail);
      std::string s = fmt::format(" {} ", t.label);
      if (x + static_cast<int>(s.size()) > w) break;
      if (on) attron(A_REVERSE);
      mvaddstr(0, x, s.c_str());
      if (on) attroff(A_REVERSE);
      x += static_cast<int>(s.size());
    }
    std::string counts = fmt::format("{} tasks  {} resources  {} warn", f.snap.tasks.size(),
                                     f.snap.resources.size(), f.warnings.size());
    if (x + 2 + static_cast<int>(counts.size()) <= w)
      mvaddstr(0, w - static_cast<int>(counts.size()), counts.c_str());

    region body{1, 0, std::max(0, h - 2), w};
    switch (u.current) {
      case screen::tasks:
        draw_tasks(f, u, body);
        break;
      case screen::resources:
        draw_resources(f, u, body);
        break;
      case screen::task_detail:
        draw_page(body, task_detail(f, u.detail_task, w, u.unicode), u.scroll);
        break;
      case screen::resource_detail:
        draw_page(body, resource_detail(f, u.detail_res), u.scroll);
        break;
      case screen::warnings:
        draw_page(body, warnings_page(f), u.scroll);
        break;
      case screen::graph:
        draw_page(body, graph_page(f), u.scroll);
        break;
      case screen::help:
        draw_page(body, help_page(rep != nullptr), u.scroll);
        break;
    }
    draw_status(h - 1, w);
    refresh();
  }

  void draw_status(int y, int w) {
    std::string left;
    if (prompt) {
      left = "/" + typed;
    } else {
      std::string st = rep != nullptr ? rep->status() : m.status();
      if (st.empty())
        st = f.ready ? fmt::format("connected to {}: {} pid {}", source, f.process.program,
                                   f.process.pid)
                     : fmt::format("{} waiting for the first snapshot", source);
      if (rep == nullptr && paused) st = "paused | " + st;
      left = st;
      if (!u.vs.filter.empty()) left += " | filter: " + u.vs.filter;
      if (u.vs.tree) left += " | tree";
    }
    std::string right = f.ready ? fmt::format(" seq {} t={:.1f}s", f.seq, f.t) : "";
    int lw = std::max(0, w - static_cast<int>(right.size()));
    std::string line = fit(left, lw) + right;
    attron(A_REVERSE);
    mvaddstr(y, 0, fit(line, w).c_str());
    attroff(A_REVERSE);
    if (prompt) {
      curs_set(1);
      move(y, std::min(w - 1, 1 + static_cast<int>(typed.size())));
    } else {
      curs_set(0);
    }
  }

  int rows_count() const {
    if (u.current == screen::tasks) return static_cast<int>(task_rows(f, u.vs).size());
    if (u.current == screen::resources) return static_cast<int>(resource_rows(f, u.vs).size());
    return 0;
  }

  void move_sel(int delta) {
    int page = std::max(1, LINES - 3);
    if (delta == 2) delta = page;
    if (delta == -2) delta = -page;
    if (u.current == screen::tasks || u.current == screen::resources) {
      int n = rows_count();
      int& sel = u.current == screen::tasks ? u.task_sel : u.res_sel;
      sel = std::clamp(sel + delta, 0, std::max(0, n - 1));
      // Select by position; the view records the id at the next draw.
      if (u.current == screen::tasks) {
        auto rows = task_rows(f, u.vs);
        u.task_sel_id = rows.empty() ? 0 : rows[sel].task->id;
      } else {
        auto rows = resource_rows(f, u.vs);
        u.res_sel_id = rows.empty() ? 0 : rows[sel].res->id;
      }
    } else {
      u.scroll = std::max(0, u.scroll + delta);
    }
  }

  void sort_step(int d) {
    if (u.current == screen::tasks || u.current == screen::task_detail) {
      int n = static_cast<int>(task_col::count);
      u.vs.task_sort = static_cast<task_col>((static_cast<int>(u.vs.task_sort) + d + n) % n);
    } else if (u.current == screen::resources) {
      int n = static_cast<int>(res_col::count);
      u.vs.res_sort = static_cast<res_col>((static_cast<int>(u.vs.res_sort) + d + n) % n);
    }
  }

  void show(screen s) {
    if (s == screen::help && u.current != screen::help) before_help = u.current;
    u.current = s;
    u.scroll = 0;
  }

  void back() {
    switch (u.current) {
      case screen::task_detail:
        u.current = screen::tasks;
        break;
      case screen::resource_detail:
        u.current = screen::resources;
        break;
      case screen::help:
        u.current = before_help;
        break;
      case screen::tasks:
      case screen::resources:
        u.vs.filter.clear();
        break;
      default:
        u.current = screen::tasks;
        break;
    }
    u.scroll = 0;
  }

  void enter() {
    if (u.current == screen::tasks && u.task_sel_id != 0) {
      u.detail_task = u.task_sel_id;
      show(screen::task_detail);
    } else if (u.current == screen::resources && u.res_sel_id != 0) {
      u.detail_res = u.res_sel_id;
      show(screen::resource_detail);
    }
  }

  // Returns false to quit.
  bool key(int ch) {
    if (prompt) {
      if (ch == '\n' || ch == KEY_ENTER || ch == '\r') {
        u.vs.filter = typed;
        prompt = false;
        u.task_sel = u.res_sel = 0;
        u.task_sel_id = u.res_sel_id = 0;
      } else if (ch == k_esc) {
        u.vs.filter.clear();
        typed.clear();
        prompt = false;
      } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        if (!typed.empty()) typed.pop_back();
      } else if (ch >= 32 && ch < 127) {
        typed += static_cast<char>(ch);
      }
      return true;
    }
    switch (ch) {
      case 'q':
        return false;
      case 't':
        show(screen::tasks);
        break;
      case 'r':
        show(screen::resources);
        break;
      case 'w':
        show(screen::warnings);
        break;
      case 'g':
        show(screen::graph);
        break;
      case '?':
        show(screen::help);
        break;
      case 'T':
        u.vs.tree = !u.vs.tree;
        break;
      case '/':
        prompt = true;
        typed = u.vs.filter;
        break;
      case ' ':
        if (rep != nullptr)
          rep->toggle_pause();
        else
          paused = !paused;
        break;
      case '.':
      case 'n':
        if (rep != nullptr) {
          if (!rep->paused()) rep->toggle_pause();
          rep->step();
        }
        break;
      case '+':
      case '=':
        if (rep != nullptr) rep->faster();
        break;
      case '-':
        if (rep != nullptr) rep->slower();
        break;
      case KEY_UP:
      case 'k':
        move_sel(-1);
        break;
      case KEY_DOWN:
      case 'j':
        move_sel(1);
        break;
      case KEY_PPAGE:
        move_sel(-2);
        break;
      case KEY_NPAGE:
        move_sel(2);
        break;
      case KEY_HOME:
        move_sel(-1000000);
        break;
      case KEY_END:
        move_sel(1000000);
        break;
      case KEY_LEFT:
      case 'h':
        sort_step(-1);
        break;
      case KEY_RIGHT:
      case 'l':
        sort_step(1);
        break;
      case 'i':
        if (u.current == screen::resources)
          u.vs.res_desc = !u.vs.res_desc;
        else
          u.vs.task_desc = !u.vs.task_desc;
        break;
      case '\n':
      case '\r':
      case KEY_ENTER:
        enter();
        break;
      case k_esc:
      case KEY_BACKSPACE:
        back();
        break;
      default:
        break;
    }
    return true;
  }
};

}  // namespace

int run_ui(model& m, const std::string& source, replay* rep) {
  app a{m, source, rep};
  a.u.unicode = unicode_terminal();
  a.u.replay = rep != nullptr;
  initscr();
  cbreak();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  set_escdelay(25);
  curs_set(0);
  timeout(100);
  auto last = std::chrono::steady_clock::now();
  bool dirty = true;
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (rep != nullptr) rep->advance(std::chrono::duration<double>(now - last).count());
    last = now;
    if (!a.is_paused() || rep != nullptr) dirty |= m.take(a.f, a.version);
    // The status line changes without events (connection errors, the replay clock).
    std::string st = rep != nullptr ? rep->status() : m.status();
    if (st != a.last_status) {
      a.last_status = st;
      dirty = true;
    }
    if (dirty) a.draw();
    dirty = false;
    int ch = getch();
    if (ch == ERR) continue;
    if (ch == KEY_RESIZE) {
      clear();
      dirty = true;
      continue;
    }
    if (!a.key(ch)) break;
    dirty = true;
  }
  endwin();
  return 0;
}

}  // namespace lucid::console::tui
