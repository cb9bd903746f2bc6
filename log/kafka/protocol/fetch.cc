// Fetch encoding and decoding, both encodings through FieldReader /
// FieldWriter (flexible.h). From v2 to v12 (flexible; v13+ names topics by
// id). v2 and v3 are answered with the stored RecordBatch v2 bytes, as
// every version is: there is no down-conversion to message format v0/v1
// (they are served because librdkafka 2.0 compresses with gzip, snappy and
// lz4 only for a broker whose Fetch range includes v2).
// Decoded and ignored: replica_id, current_leader_epoch, last_fetched_epoch
// (v12), log_start_offset (followers only), forgotten topics (no sessions),
// rack_id, and the tagged cluster_id. Written with Kafka's defaults: no
// preferred read replica (-1), none of v12's tagged fields (diverging
// epoch, current leader, snapshot id).
#include "log/kafka/protocol/fetch.h"

#include "log/kafka/protocol/flexible.h"

namespace rivulet::log::kafka {
namespace {
bool Flexible(int16_t version) { return FlexibleVersion(static_cast<int16_t>(ApiKey::kFetch), version); }
}  // namespace

Result<FetchRequest> FetchRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(version));
  FetchRequest req;
  (void)r.Int32();  // replica_id
  req.max_wait_ms = r.Int32();
  req.min_bytes = r.Int32();
  if (version >= 3) req.max_bytes = r.Int32();
  if (version >= 4) req.isolation_level = r.Int8();
  if (version >= 7) {
    req.session_id = r.Int32();
    req.session_epoch = r.Int32();
  }
  const int32_t nt = f.ArrayCount(f.MinLength() + f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < nt && r.ok(); ++i) {
    Topic t;
    t.name = f.String();
    const int32_t np = f.ArrayCount(16 + f.MinStructEnd());
    for (int32_t j = 0; j < np && r.ok(); ++j) {
      Partition p;
      p.partition = r.Int32();
      if (version >= 9) (void)r.Int32();  // current_leader_epoch
      p.fetch_offset = r.Int64();
      if (version >= 12) (void)r.Int32();  // last_fetched_epoch (followers only)
      if (version >= 5) (void)r.Int64();   // log_start_offset (followers only)
      p.partition_max_bytes = r.Int32();
      f.EndStruct();
      t.partitions.push_back(p);
    }
    f.EndStruct();
    req.topics.push_back(std::move(t));
  }
  if (version >= 7) {
    const int32_t nf = f.ArrayCount(f.MinLength() + f.MinCount() + f.MinStructEnd());
    for (int32_t i = 0; i < nf && r.ok(); ++i) {
      (void)f.String();
      const int32_t np = f.ArrayCount(4);
      for (int32_t j = 0; j < np && r.ok(); ++j) (void)r.Int32();
      f.EndStruct();
    }
  }
  if (version >= 11) (void)f.String();  // rack_id
  f.EndStruct();
  if (!r.ok()) return Status(Errc::kCorruption, std::string("Fetch request: ") + r.error());
  return req;
}

std::string FetchResponse::EncodeSpliced(int16_t version, std::vector<Splice>* splices) const {
  Writer w;
  FieldWriter f(w, Flexible(version));
  w.Int32(throttle_time_ms);
  if (version >= 7) {
    w.Int16(Code(error));
    w.Int32(session_id);
  }
  f.ArrayCount(topics.size());
  for (const auto& t : topics) {
    f.String(t.name);
    f.ArrayCount(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.Int32(p.partition);
      w.Int16(Code(p.error));
      w.Int64(p.high_watermark);
      if (version >= 4) {
        w.Int64(p.last_stable_offset >= 0 ? p.last_stable_offset : p.high_watermark);
        if (version >= 5) w.Int64(p.log_start_offset);
        f.ArrayCount(p.aborted_transactions.size());
        for (const auto& [producer_id, first_offset] : p.aborted_transactions) {
          w.Int64(producer_id);
          w.Int64(first_offset);
          f.EndStruct();
        }
      }
      if (version >= 11) w.Int32(-1);  // preferred_read_replica
      if (p.records_keep && splices) {
        w.SplicedBytes(p.records_view, p.records_keep, Flexible(version));
      } else if (p.records_keep) {
        f.Bytes(std::string_view(p.records_view.data(), p.records_view.size()));
      } else {
        f.Bytes(p.records);
      }
      f.EndStruct();
    }
    f.EndStruct();
  }
  f.EndStruct();
  if (splices) *splices = w.TakeSplices();
  return w.Take();
}

}  // namespace rivulet::log::kafka
