// Enrich: a lookup table loaded at start, and a stream-table join kept
// current from a stream of rows.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>

#include "engine/state_codec.h"
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
RIVULET_STATE_FIELDS(Page, page, title)
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
  auto* records = op.input(0).As<Click>();
  auto* rows = op.input(1).As<Page>();
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

// The join's table checkpointed by one instance is split between the
// instances of another parallelism by key group: every row lands in the
// instance the hash exchange sends its key's records to, once.
TEST(EnrichTest, StreamTableJoinTableRestoresAtAnotherParallelism) {
  auto key = [](const Click& c) { return c.page; };
  auto row_key = [](const Page& p) { return p.page; };
  using Join = StreamTableJoinOperator<Click, Page, Enriched, decltype(key), decltype(row_key), decltype(JoinTitle())>;
  struct Out final : Receiver<Enriched> {
    std::vector<Enriched> got;
    void OnBatch(Batch<Enriched>& b) override {
      for (auto& e : b) got.push_back(e.value);
    }
    void OnWatermark(Timestamp) override {}
    void OnEnd() override {}
  };
  Out out_before;
  Join before(engine::Port::Of<Enriched>(&out_before), key, row_key, JoinTitle());
  Batch<Page> rows;
  for (int p = 0; p < 500; ++p) rows.push_back({0, Page{p, "title " + std::to_string(p)}});
  before.input(1).As<Page>()->OnBatch(rows);
  engine::SnapshotWriter w;
  before.Snapshot(1, w);
  ASSERT_GT(w.entries().size(), 1u);  // one entry per key group that has rows

  for (int parallelism : {1, 3}) {
    size_t rows_restored = 0;
    for (int i = 0; i < parallelism; ++i) {
      Out out;
      Join after(engine::Port::Of<Enriched>(&out), key, row_key, JoinTitle());
      engine::RestoreContext ctx;
      ctx.entries = &w.entries();
      ctx.old_parallelism = 1;
      ctx.index = i;
      ctx.parallelism = parallelism;
      after.Restore(ctx);
      rows_restored += after.table_size();
      // The clicks the hash exchange routes to this instance all find their row.
      Batch<Click> clicks;
      for (int p = 0; p < 500; ++p) {
        const int group = engine::KeyGroupOf(std::hash<int>{}(p));
        if (engine::InstanceOfKeyGroup(group, parallelism) == i) clicks.push_back({0, Click{p, p}});
      }
      const size_t n = clicks.size();
      after.input(0).As<Click>()->OnBatch(clicks);
      ASSERT_EQ(out.got.size(), n);
      for (const auto& [click, title] : out.got) EXPECT_EQ(title, "title " + std::to_string(click));
      EXPECT_EQ(after.misses(), 0u);
    }
    EXPECT_EQ(rows_restored, 500u) << "parallelism " << parallelism;
  }
}

}  // namespace
}  // namespace rivulet::operators
