// Drawing helpers of lucid-console (see draw.hpp).
#include "draw.hpp"

#include <curses.h>
#include <langinfo.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "text.hpp"

namespace lucid::console::tui {

namespace {

int cols_of(const std::string& s) {
  int n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

void put(int y, int x, const std::string& s, int attr) {
  attron(attr);
  mvaddstr(y, x, s.c_str());
  attroff(attr);
}

}  // namespace

bool unicode_terminal() {
  const char* cs = nl_langinfo(CODESET);
  return cs != nullptr && (std::strcmp(cs, "UTF-8") == 0 || std::strcmp(cs, "utf8") == 0);
}

void draw_table(region r, const std::vector<column>& cols,
                const std::vector<std::vector<std::string>>& rows, int sort, bool desc,
                int selected, int& first, bool unicode) {
  const int n = static_cast<int>(cols.size());
  // What each column would like: its title plus the sort arrow, or its widest cell.
  std::vector<int> want(n), width(n, 0);
  for (int c = 0; c < n; ++c) {
    want[c] = cols_of(cols[c].title) + (c == sort ? 1 : 0);
    for (const auto& row : rows)
      want[c] = std::max(want[c], cols_of(row[c]));
    if (!cols[c].flex) want[c] = std::min(want[c], 12);
  }
  // Take columns by priority (the sort column first) while their least width fits.
  std::vector<int> order(n);
  for (int c = 0; c < n; ++c)
    order[c] = c;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    if ((a == sort) != (b == sort)) return a == sort;
    return cols[a].priority < cols[b].priority;
  });
  int used = 0;
  std::vector<bool> shown(n, false);
  for (int c : order) {
    int w = cols[c].flex ? std::min(want[c], cols[c].min_width) : want[c];
    int need = w + (used > 0 ? 1 : 0);
    if (used + need > r.width) continue;
    shown[c] = true;
    width[c] = w;
    used += need;
  }
  // Spare width to the flexible columns, up to what they want, then to the last one.
  // Spare width to the flexible columns: first up to 32 columns each (so that a
  // long cell does not starve the others), then up to what they want.
  int spare = r.width - used;
  for (int cap : {32, 1 << 20}) {
    for (int c = 0; c < n; ++c) {
      if (!shown[c] || !cols[c].flex || spare <= 0) continue;
      int more = std::min(spare, std::min(cap, want[c]) - width[c]);
      if (more <= 0) continue;
      width[c] += more;
      spare -= more;
    }
  }
  for (int c = n - 1; c >= 0 && spare > 0; --c)
    if (shown[c] && cols[c].flex) {
      width[c] += spare;
      spare = 0;
    }

  auto draw_row = [&](int y, const std::vector<std::string>& cells, int attr, bool header) {
    int x = r.left;
    for (int c = 0; c < n; ++c) {
      if (!shown[c]) continue;
      std::string text = cells[c];
      int a = attr;
      if (header && c == sort) {
        text += unicode ? (desc ? "▼" : "▲") : (desc ? "v" : "^");
        a |= A_REVERSE;
      }
      std::string cell = fit(text, width[c], !header && cols[c].keep_end);
      if (cols[c].right && cols_of(text) < width[c])
        cell = std::string(static_cast<std::size_t>(width[c] - cols_of(text)), ' ') + text;
      put(y, x, cell, a);
      x += width[c];
      if (x < r.left + r.width) put(y, x, " ", attr);
      x += 1;
    }
    if (x < r.left + r.width) put(y, x, std::string(r.left + r.width - x, ' '), attr);
  };

  std::vector<std::string> titles;
  for (const column& c : cols)
    titles.push_back(c.title);
  draw_row(r.top, titles, A_BOLD, true);
  const int body = r.height - 1;
  if (body <= 0) return;
  if (selected < first) first = selected;
  if (selected >= first + body) first = selected - body + 1;
  first = std::max(0, std::min(first, static_cast<int>(rows.size()) - body));
  first = std::max(first, 0);
  for (int i = 0; i < body; ++i) {
    int k = first + i;
    if (k >= static_cast<int>(rows.size())) break;
    draw_row(r.top + 1 + i, rows[k], k == selected ? A_REVERSE : 0, false);
  }
}

void draw_page(region r, const std::vector<line>& in, int& scroll) {
  // Long lines wrap, the rest of the line indented by four columns.
  std::vector<line> lines;
  const int w = std::max(8, r.width);
  for (const line& l : in) {
    std::string_view rest = l.text;
    std::string indent;
    for (;;) {
      int room = w - static_cast<int>(indent.size()), n = 0;
      std::size_t cut = rest.size();
      for (std::size_t i = 0; i < rest.size(); ++i) {
        if ((static_cast<unsigned char>(rest[i]) & 0xC0) != 0x80 && n++ == room) {
          cut = i;
          break;
        }
      }
      lines.push_back({indent + std::string(rest.substr(0, cut)), l.attr});
      if (cut >= rest.size()) break;
      rest.remove_prefix(cut);
      indent = "    ";
    }
  }
  int last = std::max(0, static_cast<int>(lines.size()) - r.height);
  scroll = std::clamp(scroll, 0, last);
  for (int i = 0; i < r.height; ++i) {
    int k = scroll + i;
    if (k >= static_cast<int>(lines.size())) break;
    put(r.top + i, r.left, fit(lines[k].text, r.width), lines[k].attr);
  }
}

std::vector<line> histogram_chart(const histogram_snapshot& h, int width, int rows, bool unicode) {
  std::vector<line> out;
  if (h.count() == 0) {
    out.push_back({"  (no samples)", 0});
    return out;
  }
  // The non-empty range of buckets, merged so that it fits the width.
  std::size_t lo = histogram_snapshot::kBuckets, hi = 0;
  for (std::size_t i = 0; i < histogram_snapshot::kBuckets; ++i)
    if (h.bucket_count(i) != 0) {
      lo = std::min(lo, i);
      hi = i;
    }
  const int span = static_cast<int>(hi - lo + 1);
  const int avail = std::max(8, width - 4);
  const int per = (span + avail - 1) / avail;  // buckets per column
  const int ncols = (span + per - 1) / per;
  const int colw = std::max(1, std::min(3, avail / ncols));
  std::vector<std::uint64_t> v(ncols, 0);
  for (int i = 0; i < span; ++i)
    v[i / per] += h.bucket_count(lo + i);
  std::uint64_t top = *std::max_element(v.begin(), v.end());
  static const char* eighths[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  for (int row = rows - 1; row >= 0; --row) {
    std::string s = "  ";
    for (int c = 0; c < ncols; ++c) {
      // Height in eighths of a row.
      double hgt = top ? double(v[c]) / double(top) * rows * 8 : 0;
      if (v[c] > 0 && hgt < 1) hgt = 1;
      int units = static_cast<int>(hgt + 0.5) - row * 8;
      units = std::clamp(units, 0, 8);
      std::string cell = unicode ? eighths[units] : (units >= 4 ? "#" : units > 0 ? "." : " ");
      for (int k = 0; k < colw; ++k)
        s += cell;
    }
    out.push_back({s, 0});
  }
  std::string left = duration_ns(histogram_layout::lower(lo));
  std::string right = duration_ns(histogram_layout::upper(hi));
  int w = ncols * colw;
  int pad = std::max(1, w - static_cast<int>(left.size() + right.size()));
  out.push_back({"  " + left + std::string(static_cast<std::size_t>(pad), ' ') + right, A_DIM});
  return out;
}

}  // namespace lucid::console::tui
