// Drawing helpers every view of lucid-console shares: a table whose columns
// shrink and drop to fit the terminal, pages of text with scrolling, and bar
// charts of histograms.
//
// Contract: ncurses calls on the UI thread only (after initscr).
#pragma once

#include <string>
#include <vector>

#include "lucid/base/histogram.hpp"

namespace lucid::console::tui {

/// A rectangle of the screen.
struct region {
  int top = 0, left = 0, height = 0, width = 0;
};

/// A table column: its title, the width it needs at least, whether it takes
/// spare width, and its rank when space is short (lower stays longer).
struct column {
  std::string title;
  int min_width = 4;
  bool flex = false;
  int priority = 0;
  bool right = false;     ///< right-aligned (numbers)
  bool keep_end = false;  ///< cut from the left (paths)
};

/// Draws a header and rows; `sort` is the sort column (highlighted, with an
/// arrow; never dropped), `selected` the row shown reversed. `first` is the
/// first row shown; it is adjusted so that `selected` is visible.
void draw_table(region r, const std::vector<column>& cols,
                const std::vector<std::vector<std::string>>& rows, int sort, bool desc,
                int selected, int& first, bool unicode);

/// One line of a text page, with an ncurses attribute.
struct line {
  std::string text;
  int attr = 0;
};

/// Draws lines from `scroll` on (clamped so the page is not scrolled past its
/// end); a line wider than the region wraps, indented.
void draw_page(region r, const std::vector<line>& lines, int& scroll);

/// A bar chart of a histogram's non-empty range: `rows` lines of bars, then
/// an axis line with the lowest and highest bucket bounds.
std::vector<line> histogram_chart(const histogram_snapshot& h, int width, int rows, bool unicode);

/// Whether the terminal speaks UTF-8 (arrows, blocks) or only ASCII.
bool unicode_terminal();

}  // namespace lucid::console::tui
