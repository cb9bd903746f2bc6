// CreatePartitions, DeleteRecords, DescribeLogDirs and DescribeCluster
// codecs, each message written once for both encodings through FieldReader
// / FieldWriter (flexible.h). Versions past the first flexible one change
// only semantics, except DescribeLogDirs v3 (a top-level error code) and v4
// (each directory's volume sizes), and DescribeCluster v1 (endpoint types).
#include "log/kafka/protocol/admin.h"

#include "log/kafka/protocol/flexible.h"

namespace rivulet::log::kafka {

// ---- CreatePartitions (37) ----

Result<CreatePartitionsRequest> CreatePartitionsRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kCreatePartitions, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kCreatePartitions, version));
  CreatePartitionsRequest req;
  const int32_t nt = f.ArrayCount(f.MinLength() + 4 + f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < nt && r.ok(); ++i) {
    Topic t;
    t.name = f.String();
    t.count = r.Int32();
    const std::optional<int32_t> na = f.NullableArrayCount(f.MinCount() + f.MinStructEnd());
    t.has_assignments = na.has_value();
    for (int32_t j = 0; j < na.value_or(0) && r.ok(); ++j) {
      const int32_t nb = f.ArrayCount(4);
      for (int32_t k = 0; k < nb && r.ok(); ++k) (void)r.Int32();  // broker_ids
      f.EndStruct();
    }
    f.EndStruct();
    req.topics.push_back(std::move(t));
  }
  req.timeout_ms = r.Int32();
  req.validate_only = r.Bool();
  f.EndStruct();
  if (!r.ok()) return BadRequest("CreatePartitions", r);
  return req;
}

std::string CreatePartitionsResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kCreatePartitions, version));
  w.Int32(throttle_time_ms);
  f.ArrayCount(results.size());
  for (const auto& res : results) {
    f.String(res.name);
    w.Int16(Code(res.error));
    f.NullableString(res.message);
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

// ---- DeleteRecords (21) ----

Result<DeleteRecordsRequest> DeleteRecordsRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kDeleteRecords, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kDeleteRecords, version));
  DeleteRecordsRequest req;
  const int32_t nt = f.ArrayCount(f.MinLength() + f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < nt && r.ok(); ++i) {
    Topic t;
    t.name = f.String();
    const int32_t np = f.ArrayCount(12 + f.MinStructEnd());
    for (int32_t j = 0; j < np && r.ok(); ++j) {
      Partition p;
      p.partition = r.Int32();
      p.offset = r.Int64();
      f.EndStruct();
      t.partitions.push_back(p);
    }
    f.EndStruct();
    req.topics.push_back(std::move(t));
  }
  req.timeout_ms = r.Int32();
  f.EndStruct();
  if (!r.ok()) return BadRequest("DeleteRecords", r);
  return req;
}

std::string DeleteRecordsResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kDeleteRecords, version));
  w.Int32(throttle_time_ms);
  f.ArrayCount(topics.size());
  for (const auto& t : topics) {
    f.String(t.name);
    f.ArrayCount(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.Int32(p.partition);
      w.Int64(p.low_watermark);
      w.Int16(Code(p.error));
      f.EndStruct();
    }
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

// ---- DescribeLogDirs (35) ----

Result<DescribeLogDirsRequest> DescribeLogDirsRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kDescribeLogDirs, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kDescribeLogDirs, version));
  DescribeLogDirsRequest req;
  const std::optional<int32_t> nt = f.NullableArrayCount(f.MinLength() + f.MinCount() + f.MinStructEnd());
  if (nt) {
    req.topics.emplace();
    for (int32_t i = 0; i < *nt && r.ok(); ++i) {
      Topic t;
      t.name = f.String();
      const int32_t np = f.ArrayCount(4);
      for (int32_t j = 0; j < np && r.ok(); ++j) t.partitions.push_back(r.Int32());
      f.EndStruct();
      req.topics->push_back(std::move(t));
    }
  }
  f.EndStruct();
  if (!r.ok()) return BadRequest("DescribeLogDirs", r);
  return req;
}

std::string DescribeLogDirsResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kDescribeLogDirs, version));
  w.Int32(throttle_time_ms);
  if (version >= 3) w.Int16(Code(error));
  f.ArrayCount(results.size());
  for (const auto& dir : results) {
    w.Int16(Code(dir.error));
    f.String(dir.path);
    f.ArrayCount(dir.topics.size());
    for (const auto& t : dir.topics) {
      f.String(t.name);
      f.ArrayCount(t.partitions.size());
      for (const auto& p : t.partitions) {
        w.Int32(p.partition);
        w.Int64(p.size_bytes);
        w.Int64(p.offset_lag);
        w.Bool(p.is_future);
        f.EndStruct();
      }
      f.EndStruct();
    }
    if (version >= 4) {
      w.Int64(dir.total_bytes);
      w.Int64(dir.usable_bytes);
    }
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

// ---- DescribeCluster (60) ----

Result<DescribeClusterRequest> DescribeClusterRequest::Decode(std::string_view body, int16_t version) {
  RIVULET_RETURN_IF_ERROR(CheckVersion(ApiKey::kDescribeCluster, version));
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kDescribeCluster, version));
  DescribeClusterRequest req;
  req.include_cluster_authorized_operations = r.Bool();
  if (version >= 1) req.endpoint_type = r.Int8();
  f.EndStruct();
  if (!r.ok()) return BadRequest("DescribeCluster", r);
  return req;
}

std::string DescribeClusterResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kDescribeCluster, version));
  w.Int32(throttle_time_ms);
  w.Int16(Code(error));
  f.NullableString(error_message);
  if (version >= 1) w.Int8(endpoint_type);
  f.String(cluster_id);
  w.Int32(controller_id);
  f.ArrayCount(brokers.size());
  for (const auto& b : brokers) {
    w.Int32(b.broker_id);
    f.String(b.host);
    w.Int32(b.port);
    f.NullableString(b.rack);
    f.EndStruct();
  }
  w.Int32(cluster_authorized_operations);
  f.EndStruct();
  return w.Take();
}

}  // namespace rivulet::log::kafka
