// Fetch: whole batches from the stored bytes (no re-encoding, no copy: the
// response splices in views of the segments' mappings, and the connection
// sends them with one gather write), with long
// polling: when fewer than min_bytes are ready, the request waits on an
// Asio timer (never blocking an io thread) until data arrives or
// max_wait_ms passes. A Produce wakes the waiting fetches at once
// (WakeFetches); the timer also re-checks every few milliseconds, so a
// wake-up that races with a fetch going to sleep costs at most that.
// With isolation_level read_committed (1) a fetch returns nothing at or
// past the last stable offset, and names the aborted transactions in what
// it returns so that the client skips their records. Needs Read on each
// topic (TOPIC_AUTHORIZATION_FAILED for the others).
#include <utility>  // before Asio: Boost 1.74 needs std::exchange declared
#include <boost/asio.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "log/kafka/protocol/fetch.h"
#include "log/kafka/server/handler.h"
#include "log/kafka/server/quota.h"
#include "log/partition.h"
#include "log/producer_state.h"

namespace rivulet::log::kafka {
namespace {

constexpr int32_t kMaxWaitCapMs = 30000;

struct PendingFetch {
  explicit PendingFetch(boost::asio::io_context& io) : strand(boost::asio::make_strand(io)), timer(strand) {}
  FetchRequest req;
  int16_t version = 0;
  LogManager* log = nullptr;
  Respond respond;
  std::chrono::steady_clock::time_point deadline;
  // The timer's handlers and wake-ups run on the strand, one at a time.
  boost::asio::strand<boost::asio::io_context::executor_type> strand;
  boost::asio::steady_timer timer;
  uint64_t seen_version = ~0ull;
  bool registered = false;  // in Waiters (guarded by its mutex)
  std::set<std::string> denied;  // topics the principal may not Read
  ByteRateQuotas* quotas = nullptr;
  std::string quota_user;
  Session* session = nullptr;  // the connection's, alive until respond
};

// Fetches waiting for data, woken by WakeFetches.
class Waiters {
 public:
  void Add(const std::shared_ptr<PendingFetch>& f) {
    std::lock_guard<std::mutex> lock(mu_);
    if (f->registered) return;  // once per wake-up, however often it re-checks
    f->registered = true;
    if (waiting_.size() >= prune_at_) {  // answered fetches of an idle broker
      std::erase_if(waiting_, [](const std::weak_ptr<PendingFetch>& w) { return w.expired(); });
      prune_at_ = std::max<size_t>(64, 2 * waiting_.size());
    }
    waiting_.push_back(f);
  }
  void WakeAll() {
    std::vector<std::weak_ptr<PendingFetch>> woken;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (waiting_.empty()) return;
      woken.swap(waiting_);
      for (auto& w : woken) {
        if (auto f = w.lock()) f->registered = false;
      }
    }
    for (auto& w : woken) {
      if (auto f = w.lock()) boost::asio::post(f->strand, [f] { f->timer.cancel(); });
    }
  }

 private:
  std::mutex mu_;
  std::vector<std::weak_ptr<PendingFetch>> waiting_;
  size_t prune_at_ = 64;
};

Waiters& AllWaiters() {
  static Waiters* w = new Waiters();
  return *w;
}

constexpr auto kRecheck = std::chrono::milliseconds(5);

// Reads every partition; returns the response and the record bytes in it.
FetchResponse ReadAll(const PendingFetch& f, size_t* bytes, bool* errors) {
  FetchResponse resp;
  *bytes = 0;
  *errors = false;
  const size_t max_total = static_cast<size_t>(std::max(f.req.max_bytes, 1));
  for (const auto& t : f.req.topics) {
    FetchResponse::Topic rt;
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      FetchResponse::Partition rp;
      rp.partition = p.partition;
      auto part = f.log->GetPartition({t.name, p.partition});
      if (f.denied.count(t.name)) {
        rp.error = ErrorCode::kTopicAuthorizationFailed;
        *errors = true;
      } else if (!part.ok()) {
        rp.error = ErrorCode::kUnknownTopicOrPartition;
        *errors = true;
      } else {
        rp.high_watermark = (*part)->log_end_offset();
        rp.last_stable_offset = (*part)->last_stable_offset();
        rp.log_start_offset = (*part)->log_start_offset();
        if (*bytes < max_total || *bytes == 0) {
          const size_t limit = std::min<size_t>(static_cast<size_t>(std::max(p.partition_max_bytes, 1)),
                                                *bytes == 0 ? max_total : max_total - *bytes);
          const auto isolation = f.req.isolation_level == 1 ? IsolationLevel::kReadCommitted
                                                            : IsolationLevel::kReadUncommitted;
          // A view of the segment's mapping: sent from there, not copied.
          auto r = (*part)->Map(p.fetch_offset, limit, isolation);
          if (!r.ok()) {
            rp.error = ToKafkaError(r.status().code());
            *errors = true;
          } else {
            rp.high_watermark = r->high_watermark;
            rp.last_stable_offset = r->last_stable_offset;
            rp.log_start_offset = r->log_start_offset;
            if (isolation == IsolationLevel::kReadCommitted && !r->data.bytes.empty()) {
              for (const AbortedTxn& a : (*part)->AbortedTransactions(p.fetch_offset, r->last_stable_offset)) {
                rp.aborted_transactions.emplace_back(a.producer_id, a.first_offset);
              }
            }
            *bytes += r->data.bytes.size();
            rp.records_view = r->data.bytes;
            rp.records_keep = std::move(r->data.keep);
          }
        }
      }
      rt.partitions.push_back(std::move(rp));
    }
    resp.topics.push_back(std::move(rt));
  }
  return resp;
}

void Attempt(std::shared_ptr<PendingFetch> f) {
  const uint64_t version = f->log->data_version();
  const auto now = std::chrono::steady_clock::now();
  if (version != f->seen_version || now >= f->deadline) {
    f->seen_version = version;
    size_t bytes = 0;
    bool errors = false;
    FetchResponse resp = ReadAll(*f, &bytes, &errors);
    if (errors || bytes >= static_cast<size_t>(std::max(f->req.min_bytes, 1)) || now >= f->deadline) {
      if (f->quotas) {
        // The records sent count against the user's fetch quota (quota.h).
        resp.throttle_time_ms = f->quotas->Record(ByteRateQuotas::Kind::kFetch, f->quota_user,
                                                  static_cast<int64_t>(bytes));
        f->session->throttle_ms = resp.throttle_time_ms;
      }
      std::vector<Splice> splices;
      std::string body = resp.EncodeSpliced(f->version, &splices);
      f->respond(ResponseBody(std::move(body), std::move(splices)));
      return;
    }
  }
  AllWaiters().Add(f);
  // Data that arrived while registering is seen by the next attempt at once.
  const bool arrived = f->log->data_version() != f->seen_version;
  const auto wait = arrived ? std::chrono::steady_clock::duration::zero()
                            : std::min<std::chrono::steady_clock::duration>(kRecheck, f->deadline - now);
  f->timer.expires_after(wait);
  f->timer.async_wait([f](const boost::system::error_code&) { Attempt(f); });
}

}  // namespace

void WakeFetches() { AllWaiters().WakeAll(); }

void HandleFetch(RequestContext& ctx, Respond respond) {
  auto req = FetchRequest::Decode(ctx.body, ctx.header.api_version);
  if (!req.ok()) return respond(std::string());
  auto f = std::make_shared<PendingFetch>(*ctx.io);
  f->req = std::move(req).value();
  f->version = ctx.header.api_version;
  f->log = ctx.log;
  f->respond = std::move(respond);
  if (ctx.quotas && ctx.quotas->enabled()) {
    f->quotas = ctx.quotas;
    f->quota_user = QuotaUser(ctx);
  }
  f->session = ctx.session;
  for (const auto& t : f->req.topics) {
    if (!Authorized(ctx, AclOperation::kRead, ResourceType::kTopic, t.name)) f->denied.insert(t.name);
  }
  const int32_t wait = std::clamp(f->req.max_wait_ms, 0, kMaxWaitCapMs);
  f->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait);
  boost::asio::dispatch(f->strand, [f] { Attempt(f); });
}

}  // namespace rivulet::log::kafka
