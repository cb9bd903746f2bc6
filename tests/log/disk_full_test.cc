// A disk that fills (simulated with RLIMIT_FSIZE in a child process): the
// append fails with a clear kNoSpace error, and everything acknowledged
// before stays readable and intact; the log takes appends again afterwards.
#include <string>

#include "log/log_manager.h"
#include "log/partition.h"
#include "tests/test_util.h"

namespace rivulet::log {
namespace {

using testing::RunProcess;
using testing::TempDir;

TEST(DiskFullTest, FailedWriteKeepsAcknowledgedRecords) {
  TempDir dir;
  const std::string data = dir / "data";
  auto r = RunProcess({RIVULET_CRASH_CHILD, "fill", data, "200000"});
  ASSERT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("error NoSpace"), std::string::npos) << r.out;
  const auto pos = r.out.find("acked ");
  ASSERT_NE(pos, std::string::npos);
  const int64_t acked = std::stoll(r.out.substr(pos + 6));
  ASSERT_GT(acked, 100);

  auto lm = LogManager::Open(data);
  ASSERT_TRUE(lm.ok()) << lm.status().ToString();
  auto part = (*lm)->GetPartition({"crash", 0});
  ASSERT_TRUE(part.ok());
  // Nothing beyond what was acknowledged, nothing torn, nothing lost.
  EXPECT_EQ((*part)->log_end_offset(), acked + 1);
  auto records = testing::ReadAll(**lm, {"crash", 0});
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(static_cast<int64_t>(records->size()), acked + 1);
  for (size_t i = 0; i < records->size(); ++i) {
    ASSERT_EQ((*records)[i].value.rfind("seq-" + std::to_string(i) + "-", 0), 0u) << i;
  }
  // Space is back: appends work and continue the offsets.
  std::string batch = testing::MakeBatch({"after"});
  auto info = (*lm)->Append({"crash", 0}, std::span<char>(batch.data(), batch.size()), true);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->base_offset, acked + 1);
}

TEST(DiskFullTest, ProduceCommandReportsOneLine) {
  TempDir dir;
  const std::string data = dir / "data";
  ASSERT_EQ(RunProcess({RIVULET_BINARY, "topics", "--create", "--topic", "t", "--data-dir", data}).exit_code, 0);
  std::string input;
  for (int i = 0; i < 20000; ++i) input += "line-" + std::to_string(i) + "-" + std::string(100, 'y') + "\n";
  // ulimit -f counts 1024-byte blocks.
  auto r = RunProcess({"/bin/bash", "-c",
                       std::string("trap '' XFSZ; ulimit -f 256; exec ") + RIVULET_BINARY +
                           " produce --topic t --data-dir " + data},
                      input);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("rivulet: NoSpace"), std::string::npos) << r.err;
  // What was stored is intact.
  auto lm = LogManager::Open(data);
  ASSERT_TRUE(lm.ok()) << lm.status().ToString();
  auto records = testing::ReadAll(**lm, {"t", 0});
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_GT(records->size(), 0u);
  for (size_t i = 0; i < records->size(); ++i) {
    ASSERT_EQ((*records)[i].value, "line-" + std::to_string(i) + "-" + std::string(100, 'y'));
  }
}

}  // namespace
}  // namespace rivulet::log
