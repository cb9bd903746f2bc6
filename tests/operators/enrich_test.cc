// Enrich: a lookup table loaded at start, and a stream-table join kept
// current from a stream of rows.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>

#include "operators/stream.h"

namespace rivulet::operators {
namespace {

struct Click {
  int page;
  int64_t n;
};
struct Page {
  int page;
  std::string title;
};
using Enriched = std::pair<int64_t, std::string>;  // click n, title ("?" without a row)

auto JoinTitle() {
  return [](const Click& c, const Page* p) -> std::optional<Enriched> {
    return Enriched{c.n, p ? p->title : std::string("?")};
  };
}

TEST(EnrichTest, LookupTableJoinsAndDropsWhenAsked) {
  auto table = std::make_shared<const std::map<int, std::string>>(std::map<int, std::string>{{1, "home"}, {2, "cart"}});
  JobBuilder job;
  auto out = std::make_shared<Collected<Enriched>>();
  job.FromCollection<Click>("clicks", {{1, 0}, {2, 1}, {3, 2}, {1, 3}})
      .Enrich("title", table, [](const Click& c) { return c.page; },
              [](const Click& c, const std::string* title) -> std::optional<Enriched> {
                if (!title) return std::nullopt;  // inner join
                return Enriched{c.n, *title};
              })
      .CollectInto("out", out);
  JobRunOptions o;
  o.parallelism = 2;
  ASSERT_TRUE(job.Run(o).ok());
  auto v = out->values();
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v, (std::vector<Enriched>{{0, "home"}, {1, "cart"}, {3, "home"}}));
}

// The operator alone: rows upsert the table; a record sees the latest row
// of its key at the time it is processed.
TEST(EnrichTest, StreamTableJoinUsesTheLatestRow) {
  auto out = std::make_shared<Collected<Enriched>>();
  CollectSink<Enriched> sink(out);
  auto key = [](const Click& c) { return c.page; };
  auto row_key = [](const Page& p) { return p.page; };
  StreamTableJoinOperator<Click, Page, Enriched, decltype(key), decltype(row_key), decltype(JoinTitle())> op(
      sink.input(0), key, row_key, JoinTitle());
  auto* records = static_cast<Receiver<Click>*>(op.input(0));
  auto* rows = static_cast<Receiver<Page>*>(op.input(1));
  Batch<Click> clicks{{0, {1, 0}}};
  records->OnBatch(clicks);  // before any row
  Batch<Page> pages{{0, {1, "home"}}, {0, {2, "cart"}}};
  rows->OnBatch(pages);
  clicks = {{0, {1, 1}}, {0, {2, 2}}};
  records->OnBatch(clicks);
  pages = {{0, {1, "start"}}};  // upsert
  rows->OnBatch(pages);
  clicks = {{0, {1, 3}}};
  records->OnBatch(clicks);
  EXPECT_EQ(out->values(), (std::vector<Enriched>{{0, "?"}, {1, "home"}, {2, "cart"}, {3, "start"}}));
  EXPECT_EQ(op.table_size(), 2u);
  EXPECT_EQ(op.misses(), 1u);
}

// End to end at parallelism 1, 2 and 4: rows and records of a key meet in
// one instance, so every enriched record carries its own page's title.
TEST(EnrichTest, StreamTableJoinRoutesRowsAndRecordsTogether) {
  for (int p : {1, 2, 4}) {
    JobBuilder job;
    std::vector<Page> pages;
    for (int i = 0; i < 50; ++i) pages.push_back(Page{i, "title-" + std::to_string(i)});
    auto table = job.FromCollection<Page>("pages", pages);
    auto out = std::make_shared<Collected<Enriched>>();
    // Clicks trickle in (20 k/s for 0.2 s), so most come after the rows.
    job.FromGenerator("clicks", [](uint64_t n) { return Click{static_cast<int>(n % 50), static_cast<int64_t>(n)}; },
                      4000, /*rate=*/20000)
        .EnrichFrom("title", table, [](const Click& c) { return c.page; }, [](const Page& pg) { return pg.page; },
                    JoinTitle())
        .CollectInto("out", out);
    JobRunOptions o;
    o.parallelism = p;
    ASSERT_TRUE(job.Run(o).ok());
    auto v = out->values();
    ASSERT_EQ(v.size(), 4000u);
    size_t matched = 0;
    for (const auto& [n, title] : v) {
      if (title == "?") continue;
      ++matched;
      EXPECT_EQ(title, "title-" + std::to_string(n % 50)) << "parallelism " << p;
    }
    EXPECT_GT(matched, 3000u) << "parallelism " << p;
  }
}

}  // namespace
}  // namespace rivulet::operators
