// Preprocessor helpers of the trace macros: turn `("id", 42), ("ok", true)`
// into `field("id", 42), field("ok", true)` (up to 16 fields).
//
// Contract: internal; expands to expressions only.
#pragma once

#define LUCID_TRACE_CAT_I_(a, b) a##b
#define LUCID_TRACE_CAT_(a, b) LUCID_TRACE_CAT_I_(a, b)

#define LUCID_TRACE_F_(pair) ::lucid::trace::field pair

#define LUCID_TRACE_NARG_(...) \
  LUCID_TRACE_NARG_I_(__VA_ARGS__, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define LUCID_TRACE_NARG_I_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, \
                            n, ...)                                                                \
  n

#define LUCID_TRACE_FIELDS_1_(a) LUCID_TRACE_F_(a)
#define LUCID_TRACE_FIELDS_2_(a, ...) LUCID_TRACE_F_(a), LUCID_TRACE_FIELDS_1_(__VA_ARGS__)
#define LUCID_TRACE_FIELDS_3_(a, ...) LUCID_TRACE_F_(a), LUCID_TRACE_FIELDS_2_(__VA_ARGS__)
#define LUCID_TRACE_FIELDS_4_(a, ...) LUCID_TRACE_F_(a), LUCID_TRACE_FIELDS_3_(__VA_ARGS__)
#define LUCID_TRACE_FIELDS_5_(a, ...) LUCID_TRACE_F_(a), LUCID_TRACE_FIELDS_4_(__VA_ARGS__)
#define LUCID_TRACE_FIELDS_6_(a, ...) LUCID_TRACE_F_(a), LUCID_TRACE_FIELDS_5_(__VA_ARGS__)
#define LUCID_TRACE_FIELDS_7_(a, ...) LUCID_TRACE_F_(a), LUCID_TRACE_FIELDS_6_(__VA_ARGS__)
#define LUCID_TRACE_FIELDS_8_(a, ...) LUCID_TRACE_F_(a), LUCID_TRACE_FIELDS_7_(__VA_ARGS__)
#define LUCID_TRACE_FIELDS_9_(a, ...) LUCID_TRACE_F_(a), LUCID_TRACE_FIELDS_8_(__VA_ARGS__)
#define LUCID_TRACE_FIELDS_10_(a, ...) LUCID_TRACE_F_(a), LUCID_TRACE_FIELDS_9_(__VA_ARGS__)
#define LUCID_TRACE_FIELDS_11_(a, ...) LUCID_TRACE_F_(a), LUCID_TRACE_FIELDS_10_(__VA_ARGS__)
#define LUCID_TRACE_FIELDS_12_(a, ...) LUCID_TRACE_F_(a), LUCID_TRACE_FIELDS_11_(__VA_ARGS__)
#define LUCID_TRACE_FIELDS_13_(a, ...) LUCID_TRACE_F_(a), LUCID_TRACE_FIELDS_12_(__VA_ARGS__)
#define LUCID_TRACE_FIELDS_14_(a, ...) LUCID_TRACE_F_(a), LUCID_TRACE_FIELDS_13_(__VA_ARGS__)
#define LUCID_TRACE_FIELDS_15_(a, ...) LUCID_TRACE_F_(a), LUCID_TRACE_FIELDS_14_(__VA_ARGS__)
#define LUCID_TRACE_FIELDS_16_(a, ...) LUCID_TRACE_F_(a), LUCID_TRACE_FIELDS_15_(__VA_ARGS__)

/// `("a", 1), ("b", 2)` -> `field("a", 1), field("b", 2)`; empty stays empty.
#define LUCID_TRACE_FIELDS_(...)                   \
  __VA_OPT__(LUCID_TRACE_CAT_(LUCID_TRACE_FIELDS_, \
                              LUCID_TRACE_CAT_(LUCID_TRACE_NARG_(__VA_ARGS__), _))(__VA_ARGS__))
