// The broker's request memory pool (log/kafka/server/memory_pool.h):
// all-or-nothing reservations, waiters served in order as bytes come back.
#include "log/kafka/server/memory_pool.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rivulet::log::kafka {
namespace {

TEST(RequestMemoryPoolTest, ReservesWhatFitsAndQueuesTheRestInOrder) {
  RequestMemoryPool pool(100);
  std::vector<std::string> ready;
  EXPECT_TRUE(pool.Reserve(60, [&] { ready.push_back("never"); }));
  EXPECT_FALSE(pool.Reserve(50, [&] { ready.push_back("a50"); }));
  // Fits, but waits behind the one before it: a large request is not
  // overtaken for ever by small ones.
  EXPECT_FALSE(pool.Reserve(10, [&] { ready.push_back("b10"); }));
  EXPECT_EQ(pool.reserved(), 60);
  EXPECT_EQ(pool.waiting(), 2u);
  pool.Release(30);  // 30 reserved: a50 fits (80), then b10 (90)
  EXPECT_EQ(ready, (std::vector<std::string>{"a50", "b10"}));
  EXPECT_EQ(pool.reserved(), 90);
  EXPECT_EQ(pool.waiting(), 0u);
  EXPECT_FALSE(pool.Reserve(20, [&] { ready.push_back("c20"); }));
  pool.Release(10);
  EXPECT_EQ(ready.size(), 3u);
  EXPECT_EQ(ready.back(), "c20");
  EXPECT_EQ(pool.reserved(), 100);
  pool.Release(100);
  EXPECT_EQ(pool.reserved(), 0);
  EXPECT_TRUE(pool.Reserve(100, [] {}));
}

TEST(RequestMemoryPoolTest, AWaiterThatReservesAgainFromItsCallbackDoesNotDeadlock) {
  RequestMemoryPool pool(10);
  ASSERT_TRUE(pool.Reserve(10, [] {}));
  int calls = 0;
  ASSERT_FALSE(pool.Reserve(10, [&] {
    ++calls;
    pool.Release(10);  // the connection closed meanwhile: gives it straight back
  }));
  pool.Release(10);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(pool.reserved(), 0);
}

}  // namespace
}  // namespace rivulet::log::kafka
