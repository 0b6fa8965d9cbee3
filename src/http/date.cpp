// The cached `date` header (see date.hpp).
#include "date.hpp"

#include <time.h>

namespace lucid::http::detail {

namespace {

struct date_cache {
  std::time_t second = -1;
  char text[29] = {};
};

thread_local date_cache t_date;

void put2(char* p, int v) noexcept {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

void format_http_date(std::time_t t, char* out) noexcept {
  static constexpr char days[] = "SunMonTueWedThuFriSat";
  static constexpr char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  for (int i = 0; i < 3; ++i)
    out[i] = days[tm.tm_wday * 3 + i];
  out[3] = ',';
  out[4] = ' ';
  put2(out + 5, tm.tm_mday);
  out[7] = ' ';
  for (int i = 0; i < 3; ++i)
    out[8 + i] = months[tm.tm_mon * 3 + i];
  out[11] = ' ';
  const int year = tm.tm_year + 1900;
  put2(out + 12, (year / 100) % 100);
  put2(out + 14, year % 100);
  out[16] = ' ';
  put2(out + 17, tm.tm_hour);
  out[19] = ':';
  put2(out + 20, tm.tm_min);
  out[22] = ':';
  put2(out + 23, tm.tm_sec);
  out[25] = ' ';
  out[26] = 'G';
  out[27] = 'M';
  out[28] = 'T';
}

std::string_view http_date() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  date_cache& c = t_date;
  if (ts.tv_sec != c.second) {
    format_http_date(ts.tv_sec, c.text);
    c.second = ts.tv_sec;
  }
  return {c.text, sizeof c.text};
}

}  // namespace lucid::http::detail
