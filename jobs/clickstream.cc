// clickstream, the main job: generated page views are written to the
// `pageviews` topic of the embedded log; then a second pipeline reads the
// topic, counts views per page in tumbling event-time windows, enriches
// each count with the page's title and section from a table, upserts the
// counts into SQLite, and prints the top pages as each window closes;
// at the end it prints the table of the most viewed pages.

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "connectors/log/log_connector.h"
#include "connectors/serde/serde.h"
#include "connectors/sqlite/sqlite_job_sink.h"
#include "rivulet_events.pb.h"
#include "engine/state_codec.h"
#include "jobs/job.h"
#include "log/log_manager.h"
#include "operators/stream.h"

namespace rivulet::jobs {
namespace {

using operators::JobBuilder;
using operators::WindowResult;

struct PageView {
  int64_t ts;  // event time, ms
  uint32_t user;
  uint32_t page;
};

struct PageInfo {
  std::string title;
  std::string section;
};

struct PageCount {
  int64_t window_start = 0;
  uint32_t page = 0;
  std::string title;
  std::string section;
  int64_t views = 0;
};
// The top-pages window keeps each window's counts: checkpointed with it.
RIVULET_STATE_FIELDS(PageCount, window_start, page, title, section, views)

constexpr uint32_t kPages = 40;
const char* const kSections[] = {"news", "sport", "tech", "culture"};

std::shared_ptr<const std::map<uint32_t, PageInfo>> PageTable() {
  auto t = std::make_shared<std::map<uint32_t, PageInfo>>();
  for (uint32_t p = 0; p < kPages; ++p) {
    (*t)[p] = PageInfo{"/" + std::string(kSections[p % 4]) + "/article-" + std::to_string(p), kSections[p % 4]};
  }
  return t;
}

uint64_t Mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ULL;
  x ^= x >> 27;
  x *= 0x81dadef4bc2dd44dULL;
  return x ^ (x >> 33);
}

// View n: a skewed choice of page (a few pages get most views), event time
// advancing `interval_us` per view.
PageView MakeView(uint64_t n, int64_t start_ms, int64_t interval_us) {
  const uint64_t r = Mix(n + 1);
  const uint32_t page = (r & 0xff) < 160 ? static_cast<uint32_t>((r >> 8) % 6) : static_cast<uint32_t>((r >> 8) % kPages);
  return PageView{start_ms + static_cast<int64_t>(n) * interval_us / 1000, static_cast<uint32_t>(r >> 40), page};
}

// Views travel as Protobuf (rivulet.events.PageView of proto/rivulet_events.proto),
// keyed by user; the record's timestamp is the event time.
using ViewSerde = connectors::ProtobufSerde<events::PageView>;

Result<PageView> DecodeView(const log::ConsumerRecord& r) {
  RIVULET_ASSIGN_OR_RETURN(events::PageView v, connectors::Decoder(ViewSerde())(r));
  if (v.page() >= kPages) return Status(Errc::kInvalidArgument, "page " + std::to_string(v.page()) + " is unknown");
  return PageView{r.timestamp, v.user(), v.page()};
}

std::string Top(int64_t start, int64_t end, const std::vector<PageCount>& counts, size_t n) {
  std::vector<PageCount> sorted = counts;
  std::sort(sorted.begin(), sorted.end(),
            [](const PageCount& a, const PageCount& b) { return a.views != b.views ? a.views > b.views : a.page < b.page; });
  std::ostringstream s;
  s << "window " << engine::TimeOfDayUtc(start) << "-" << engine::TimeOfDayUtc(end) << " UTC: top pages:";
  for (size_t i = 0; i < std::min(n, sorted.size()); ++i) {
    s << (i ? ", " : " ") << sorted[i].title << " " << sorted[i].views;
  }
  return s.str();
}

Status RunClickstream(JobContext& ctx) {
  RIVULET_ASSIGN_OR_RETURN(int64_t views, ctx.GetInt("views"));
  RIVULET_ASSIGN_OR_RETURN(int64_t partitions, ctx.GetInt("partitions"));
  RIVULET_ASSIGN_OR_RETURN(int64_t window_ms, ctx.GetInt("window_ms"));
  RIVULET_ASSIGN_OR_RETURN(int64_t interval_us, ctx.GetInt("view_interval_us"));
  RIVULET_ASSIGN_OR_RETURN(int64_t top, ctx.GetInt("top"));
  RIVULET_ASSIGN_OR_RETURN(double rate, ctx.GetDouble("rate"));
  const std::string topic = ctx.Get("topic");
  const std::string db = ctx.Get("db").empty() ? ctx.data_dir + "/clickstream.db" : ctx.Get("db");
  if (views < 0 || partitions < 1 || window_ms <= 0 || interval_us <= 0 || top < 1) {
    return Status(Errc::kInvalidArgument, "views, partitions, window_ms, view_interval_us and top must be positive");
  }
  std::ostream& out = *ctx.out;

  // Two pipelines: generate -> topic, then topic -> windows -> SQLite.
  RIVULET_ASSIGN_OR_RETURN(auto lm, ctx.OpenLog({{topic, static_cast<int32_t>(partitions)}}));
  // Views happen from now on (event time starts at the current window), so
  // a second run adds new windows instead of replaying old ones.
  RIVULET_ASSIGN_OR_RETURN(const int64_t start_ms, ctx.StartMs("generate", window_ms));
  {
    JobBuilder produce;
    auto generated = produce.FromGenerator(
        "page views", [start_ms, interval_us](uint64_t n) { return MakeView(n, start_ms, interval_us); }, views, rate,
        [](const PageView& v) { return v.ts; });
    // One producer: each partition then holds its views in event-time order
    // (two producers running at different speeds would interleave them
    // seconds apart, and the windows would count those as late).
    generated.SetParallelism(1);
    connectors::ToLog(generated, "to " + topic, lm.get(), topic, [serde = ViewSerde()](const PageView& v) {
      events::PageView m;
      m.set_user(v.user);
      m.set_page(v.page);
      return std::make_pair(std::optional<std::string>(std::to_string(v.user)), serde.Encode(m));
    });
    if (ctx.explain) out << "pipeline 1: generate -> " << topic << "\n";
    RIVULET_RETURN_IF_ERROR(ctx.Execute(produce, "generate"));
    if (!ctx.explain) out << "produced " << views << " page views to topic " << topic << "\n";
  }
  JobBuilder job;
  connectors::LogSourceOptions source;
  source.topic = topic;
  source.group = "clickstream";
  source.read_committed = true;  // what the generating pipeline committed (exactly once)
  // Where the group left off (the beginning on the first run).
  source.start = connectors::LogSourceOptions::Start::kCommitted;
  source.watermarks = operators::WatermarkStrategy::BoundedOutOfOrderness(1000);
  auto counts =
      connectors::FromLog<PageView>(job, topic, lm.get(), source, DecodeView)
          .KeyBy([](const PageView& v) { return v.page; })
          .Window(operators::Tumbling(window_ms))
          .Aggregate("views per page", operators::Count{})
          .Enrich("page info", PageTable(), [](const WindowResult<uint32_t, int64_t>& r) { return r.key; },
                  [](const WindowResult<uint32_t, int64_t>& r, const PageInfo* info) -> std::optional<PageCount> {
                    return PageCount{r.start, r.key, info ? info->title : "?", info ? info->section : "?", r.value};
                  });
  connectors::ToSqlite(counts, "sqlite", {db,
                                          "CREATE TABLE IF NOT EXISTS page_views (window_start INTEGER, page "
                                          "INTEGER, title TEXT, section TEXT, views INTEGER, PRIMARY KEY "
                                          "(window_start, page))",
                                          // Each window fires once per run (no allowed lateness) and a run
                                          // reads only the views after its group's committed offsets, so a
                                          // window's row adds up every run's views, each counted once, also
                                          // across a crash (the sink is exactly once with checkpoints).
                                          "INSERT INTO page_views VALUES (?, ?, ?, ?, ?) ON CONFLICT (window_start, "
                                          "page) DO UPDATE SET views = views + excluded.views"},
                       [](const PageCount& c) {
                         return std::vector<std::string>{std::to_string(c.window_start), std::to_string(c.page),
                                                         c.title, c.section, std::to_string(c.views)};
                       });
  // The top pages of each window: all of a window's counts meet in one instance.
  counts.KeyBy([](const PageCount&) { return 0; })
      .Window(operators::Tumbling(window_ms))
      .Apply("top pages",
             [top](int, int64_t start, int64_t end, const std::vector<PageCount>& c) {
               return Top(start, end, c, static_cast<size_t>(top));
             })
      .Print("print", &out, [](const std::string& line) { return line; });
  if (ctx.explain) out << "pipeline 2:\n";
  RIVULET_RETURN_IF_ERROR(ctx.Execute(job));
  if (ctx.explain) return Status::Ok();
  RIVULET_RETURN_IF_ERROR(lm->Close());

  // The final table, from SQLite.
  RIVULET_ASSIGN_OR_RETURN(auto sql, connectors::SqliteSink::Open(db, "SELECT 1", "SELECT 1"));
  RIVULET_ASSIGN_OR_RETURN(int64_t rows, sql->QueryInt("SELECT COUNT(*) FROM page_views"));
  RIVULET_ASSIGN_OR_RETURN(int64_t total, sql->QueryInt("SELECT COALESCE(SUM(views), 0) FROM page_views"));
  out << "sqlite " << db << ": table page_views has " << rows << " rows, " << total << " views\n";
  out << "most viewed pages:\n";
  RIVULET_ASSIGN_OR_RETURN(auto table, sql->QueryRows("SELECT title, section, SUM(views) AS v FROM page_views "
                                                      "GROUP BY page ORDER BY v DESC, page LIMIT 10"));
  char line[256];
  std::snprintf(line, sizeof(line), "  %-28s %-8s %8s\n", "page", "section", "views");
  out << line;
  for (const auto& r : table) {
    std::snprintf(line, sizeof(line), "  %-28s %-8s %8s\n", r[0].c_str(), r[1].c_str(), r[2].c_str());
    out << line;
  }
  return Status::Ok();
}

using Type = JobParam::Type;
RIVULET_REGISTER_JOB(clickstream,
                     {"clickstream",
                      "the main job: page views -> pageviews topic -> views per page in 10 s windows, with titles -> "
                      "SQLite, top pages per window",
                      {{"views", Type::kInt, "1000000", "page views to generate"},
                       {"partitions", Type::kInt, "4", "partitions of the topic when created"},
                       {"topic", Type::kString, "pageviews", "topic of the page views"},
                       {"window_ms", Type::kInt, "10000", "tumbling window size"},
                       {"view_interval_us", Type::kInt, "200", "event time between views"},
                       {"top", Type::kInt, "3", "pages printed per window"},
                       {"rate", Type::kDouble, "0", "views generated per second (0: as fast as possible)"},
                       {"start_ms", Type::kInt, "-1",
                        "event time of the first view (-1: now, or the interrupted run's when it resumes)"},
                       {"db", Type::kString, "", "SQLite file (default DATA_DIR/clickstream.db)"}},
                      RunClickstream, JobNeeds::kDataDir});

}  // namespace
}  // namespace rivulet::jobs
