// The drained collection source (JobBuilder::FromDrained): records moved
// out, not copied, each once at any parallelism; a second run refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "operators/stream.h"

namespace rivulet::operators {
namespace {

std::vector<std::string> Strings(int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back("record number " + std::to_string(i) + " with a heap-allocated tail");
  return v;
}

TEST(SourcesTest, ADrainedCollectionEmitsEachRecordOnceAndMovesItOut) {
  for (int p : {1, 2, 3}) {
    const auto want = Strings(10'000);
    auto data = std::make_shared<std::vector<std::string>>(want);
    JobBuilder job;
    auto out = std::make_shared<Collected<std::string>>();
    job.FromDrained<std::string>("in", data).CollectInto("out", out);
    JobRunOptions o;
    o.parallelism = p;
    ASSERT_TRUE(job.Run(o).ok());
    auto got = out->values();
    std::sort(got.begin(), got.end());
    auto sorted = want;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(got, sorted) << "parallelism " << p;
    EXPECT_TRUE(std::all_of(data->begin(), data->end(), [](const std::string& s) { return s.empty(); }))
        << "the records were copied, not moved";

    Status again = job.Run(o);
    EXPECT_FALSE(again.ok());
    EXPECT_NE(again.ToString().find("drained collection source runs once"), std::string::npos) << again.ToString();
  }
}

}  // namespace
}  // namespace rivulet::operators
