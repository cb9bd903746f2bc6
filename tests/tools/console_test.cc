// `rivulet produce` and `rivulet consume` as Kafka's console tools and kcat
// are used, on the embedded log: headers, timestamps, acks and compression
// on the way in; --format's every token and --offset earliest/latest/N on
// the way out; one-line errors for bad input. (The same against a broker,
// with kcat on the other side: tests/broker/test_console_tools.py.)
#include <string>
#include <vector>

#include "log/compression.h"
#include "log/log_manager.h"
#include "log/record_batch.h"
#include "tests/test_util.h"
#include "tests/tools/rivulet_process.h"

namespace rivulet::tools {
namespace {

using testing::Rivulet;
using testing::TempDir;

// The codec of every batch stored in topic/partition (the tool has exited,
// so the log is opened here).
std::vector<log::Compression> StoredCodecs(const std::string& dir, const std::string& topic, int32_t partition) {
  std::vector<log::Compression> out;
  auto lm = log::LogManager::Open(dir, {});
  EXPECT_TRUE(lm.ok()) << lm.status().ToString();
  if (!lm.ok()) return out;
  auto r = (*lm)->Read({topic, partition}, 0, 1 << 20);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return out;
  std::span<const char> rest(r->bytes.data(), r->bytes.size());
  while (!rest.empty()) {
    auto h = log::ValidateBatch(rest);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    if (!h.ok()) break;
    out.push_back(h->compression());
    rest = rest.subspan(h->total_size());
  }
  EXPECT_TRUE((*lm)->Close().ok());
  return out;
}

// Every token of --format, after a produce with headers, a timestamp and
// each codec; the batches on disk carry the codec.
TEST(ConsoleTest, HeadersTimestampAndCodecsComeBackThroughEveryFormatToken) {
  TempDir dir;
  const std::string d = dir / "data";
  for (const std::string codec : {"none", "gzip", "snappy", "lz4", "zstd"}) {
    SCOPED_TRACE(codec);
    const std::string topic = "fmt-" + codec;
    ASSERT_EQ(Rivulet({"topics", "--create", "--topic", topic, "--partitions", "2", "--data-dir", d}).exit_code, 0);
    auto r = Rivulet({"produce", "--topic", topic, "--partition", "1", "--key-separator", ":", "--header",
                      "trace=abc", "--header", "empty=", "--header", "eq=a=b", "--timestamp", "1700000000123",
                      "--compression-codec", codec, "--data-dir", d},
                     "k1:hello\n:\nk3:" + std::string(200, 'z') + "\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = Rivulet({"consume", "--topic", topic, "--partition", "1", "--offset", "earliest", "--timeout-ms", "300",
                 "--format", "%t %p %o %T [%k] [%s] %K %S {%h} %%\\t%R\\x41\\\\\\n", "--data-dir", d});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string h = "{trace=abc,empty=,eq=a=b}";
    const std::string want =
        topic + " 1 0 1700000000123 [k1] [hello] 2 5 " + h + " %\t" + std::string("\0\0\0\x05", 4) + "A\\\n" +
        topic + " 1 1 1700000000123 [] [] 0 0 " + h + " %\t" + std::string("\0\0\0\0", 4) + "A\\\n" +
        topic + " 1 2 1700000000123 [k3] [" + std::string(200, 'z') + "] 2 200 " + h + " %\t" +
        std::string("\0\0\0\xc8", 4) + "A\\\n";
    EXPECT_EQ(r.out, want);
    auto codecs = StoredCodecs(d, topic, 1);
    ASSERT_FALSE(codecs.empty());
    for (auto c : codecs) EXPECT_EQ(log::CompressionName(c), codec);
  }
}

// A null key prints "null" and %K -1; no headers print nothing; without
// --format the output is as before (value, or key SEP value).
TEST(ConsoleTest, NullKeysAndNoHeaders) {
  TempDir dir;
  const std::string d = dir / "data";
  ASSERT_EQ(Rivulet({"topics", "--create", "--topic", "t", "--data-dir", d}).exit_code, 0);
  ASSERT_EQ(Rivulet({"produce", "--topic", "t", "--data-dir", d}, "v\n").exit_code, 0);
  auto r = Rivulet({"consume", "--topic", "t", "--from-beginning", "--timeout-ms", "300", "--format",
                    "%k|%K|%s|%S|%h|\\n", "--data-dir", d});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "null|-1|v|1||\n");
  r = Rivulet({"consume", "--topic", "t", "--from-beginning", "--timeout-ms", "300", "--print-key", "--data-dir", d});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "null\tv\n");
  r = Rivulet({"consume", "--topic", "t", "--from-beginning", "--timeout-ms", "300", "--data-dir", d});
  EXPECT_EQ(r.out, "v\n");
}

TEST(ConsoleTest, OffsetEarliestLatestAndN) {
  TempDir dir;
  const std::string d = dir / "data";
  ASSERT_EQ(Rivulet({"topics", "--create", "--topic", "t", "--partitions", "2", "--data-dir", d}).exit_code, 0);
  ASSERT_EQ(Rivulet({"produce", "--topic", "t", "--partition", "0", "--data-dir", d}, "a\nb\nc\nd\ne\n").exit_code, 0);
  ASSERT_EQ(Rivulet({"produce", "--topic", "t", "--partition", "1", "--data-dir", d}, "x\n").exit_code, 0);
  auto consume = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"consume", "--topic", "t", "--timeout-ms", "300", "--format", "%p:%o:%s\\n",
                                     "--data-dir", d};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = Rivulet(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  EXPECT_EQ(consume({"--partition", "0", "--offset", "earliest"}), "0:0:a\n0:1:b\n0:2:c\n0:3:d\n0:4:e\n");
  EXPECT_EQ(consume({"--partition", "0", "--offset", "3"}), "0:3:d\n0:4:e\n");
  EXPECT_EQ(consume({"--partition", "0", "--offset", "0"}), "0:0:a\n0:1:b\n0:2:c\n0:3:d\n0:4:e\n");
  EXPECT_EQ(consume({"--partition", "1", "--offset", "0"}), "1:0:x\n");
  EXPECT_EQ(consume({"--partition", "0", "--offset", "latest"}), "");
  EXPECT_EQ(consume({"--offset", "latest"}), "");
  // earliest and latest need no --partition: every partition.
  const std::string all = consume({"--offset", "earliest"});
  EXPECT_NE(all.find("0:0:a\n0:1:b\n0:2:c\n0:3:d\n0:4:e\n"), std::string::npos) << all;
  EXPECT_NE(all.find("1:0:x\n"), std::string::npos) << all;
  EXPECT_EQ(all.size(), std::string("0:0:a\n").size() * 6);
}

TEST(ConsoleTest, EveryAcksDelivers) {
  TempDir dir;
  const std::string d = dir / "data";
  ASSERT_EQ(Rivulet({"topics", "--create", "--topic", "t", "--data-dir", d}).exit_code, 0);
  std::string want;
  for (const std::string acks : {"all", "-1", "1", "0", "sync"}) {
    auto r = Rivulet({"produce", "--topic", "t", "--acks", acks, "--data-dir", d}, "acks " + acks + "\n");
    ASSERT_EQ(r.exit_code, 0) << acks << ": " << r.err;
    want += "acks " + acks + "\n";
  }
  auto r = Rivulet({"consume", "--topic", "t", "--from-beginning", "--timeout-ms", "300", "--data-dir", d});
  EXPECT_EQ(r.out, want);
}

TEST(ConsoleTest, BadInputIsOneLine) {
  TempDir dir;
  const std::string d = dir / "data";
  ASSERT_EQ(Rivulet({"topics", "--create", "--topic", "t", "--data-dir", d}).exit_code, 0);
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"produce", "--topic", "t", "--header", "novalue"}, "--header 'novalue' is not key=value"},
      {{"produce", "--topic", "t", "--header", "=v"}, "--header '=v' has an empty key"},
      {{"produce", "--topic", "t", "--compression-codec", "brotli"},
       "--compression-codec: unknown compression codec 'brotli': use none, gzip, snappy, lz4 or zstd"},
      {{"produce", "--topic", "t", "--timestamp", "soon"},
       "--timestamp must be milliseconds since the epoch (a number >= 1), got 'soon'"},
      {{"produce", "--topic", "t", "--timestamp", "-5"},
       "--timestamp must be milliseconds since the epoch (a number >= 1), got '-5'"},
      {{"produce", "--topic", "t", "--timestamp", "12x"},
       "--timestamp must be milliseconds since the epoch (a number >= 1), got '12x'"},
      {{"produce", "--topic", "t", "--timestamp", "0"},
       "--timestamp must be milliseconds since the epoch (a number >= 1), got '0'"},
      {{"produce", "--topic", "t", "--acks", "2"}, "--acks must be all, -1, 1, 0 or sync, got '2'"},
      {{"consume", "--topic", "t", "--partition", "0", "--offset", "soon"},
       "--offset must be earliest, latest or an offset >= 0, got 'soon'"},
      {{"consume", "--topic", "t", "--partition", "0", "--offset", "-3"},
       "--offset -3 is negative: give earliest, latest or an offset >= 0"},
      {{"consume", "--topic", "t", "--offset", "2"}, "--offset 2 needs --partition"},
      {{"consume", "--topic", "t", "--group", "g", "--offset", "earliest"}, "--offset and --group exclude each other"},
      {{"consume", "--topic", "t", "--from-beginning", "--offset", "latest"},
       "--offset and --from-beginning exclude each other"},
      {{"consume", "--topic", "t", "--format", "%k %z"},
       "--format: unknown token %z (known: %t %p %o %k %s %K %S %R %T %h %%)"},
      {{"consume", "--topic", "t", "--format", "%s%"}, "--format ends in a lone %"},
      {{"consume", "--topic", "t", "--format", "\\xZZ"}, "--format: \\x needs one or two hex digits"},
      {{"consume", "--topic", "t", "--format", "%s", "--print-key"}, "--format and --print-key exclude each other"},
  };
  for (auto c : cases) {
    c.args.push_back("--data-dir");
    c.args.push_back(d);
    auto r = Rivulet(c.args, "x\n");
    EXPECT_NE(r.exit_code, 0) << c.error;
    EXPECT_EQ(r.err.rfind("rivulet: InvalidArgument: " + c.error, 0), 0u) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  }
  // Nothing was written by the refused produces.
  auto r = Rivulet({"consume", "--topic", "t", "--from-beginning", "--timeout-ms", "300", "--data-dir", d});
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace rivulet::tools
