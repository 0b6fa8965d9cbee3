// Tests of lucid/trace/remote_parent.hpp: W3C traceparent validation.
#include "lucid/trace/remote_parent.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using lucid::trace::remote_parent;

TEST(RemoteParent, ParsesAValidTraceparent) {
  auto rp =
      remote_parent::from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(rp);
  EXPECT_EQ(rp->trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(rp->parent_id_hex(), "00f067aa0ba902b7");
  EXPECT_EQ(rp->flags, 1);
  EXPECT_TRUE(rp->sampled());
  auto unsampled =
      remote_parent::from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(unsampled);
  EXPECT_FALSE(unsampled->sampled());
}

TEST(RemoteParent, LaterVersionsMayCarryMore) {
  EXPECT_TRUE(
      remote_parent::from_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_TRUE(remote_parent::from_traceparent(
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"));
  EXPECT_FALSE(remote_parent::from_traceparent(
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01extra"));
}

TEST(RemoteParent, RejectsInvalidValues) {
  for (std::string v : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",       // no flags
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  // v00 is exact
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",    // upper case
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",    // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",    // zero parent id
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // version ff
           "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // bad version
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",    // bad hex
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // bad separator
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z",    // bad flags
           " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // leading space
       }) {
    EXPECT_FALSE(remote_parent::from_traceparent(v)) << v;
  }
}

}  // namespace
