// Supported API versions and request header parsing.
#include "log/kafka/protocol/api.h"

namespace rivulet::log::kafka {

const std::vector<ApiVersionRange>& SupportedApis() {
  // Every API up to its newest version whose semantics this broker can
  // honour, flexible versions (KIP-482) included; each codec's file says
  // why it stops where it does. Produce from v0 and Fetch from v2
  // (a Produce must carry RecordBatch v2, whatever its version, and Fetch
  // answers with it: librdkafka 2.0 compresses with gzip, snappy or lz4
  // only for a broker whose Produce range includes v0 and Fetch range v2); ListOffsets from v1. Fetch stops at v12 and
  // DeleteTopics at v5 (later versions name topics by id), ListOffsets at v6
  // (v7 adds the max-timestamp query), OffsetFetch at v7 (v8 batches groups). The transaction APIs (protocol/txn.h)
  // up to the flexible versions their codecs decode; SASL (protocol/sasl.h)
  // up to SaslAuthenticate v2, and the SCRAM credential APIs at v0; the ACL
  // APIs (protocol/acls.h) up to v3, Kafka's newest. The admin APIs
  // (protocol/configs.h, admin.h) at the versions Kafka 3.x serves, and
  // OffsetCommit and OffsetFetch from v0 (old clients' default commit, and
  // the fetch that reads it back on resume).
  static const std::vector<ApiVersionRange> apis = {
      {ApiKey::kProduce, 0, 9, "Produce"},
      {ApiKey::kFetch, 2, 12, "Fetch"},
      {ApiKey::kListOffsets, 1, 6, "ListOffsets"},
      {ApiKey::kMetadata, 0, 12, "Metadata"},
      {ApiKey::kOffsetCommit, 0, 8, "OffsetCommit"},
      {ApiKey::kOffsetFetch, 0, 7, "OffsetFetch"},
      {ApiKey::kFindCoordinator, 0, 4, "FindCoordinator"},
      {ApiKey::kJoinGroup, 0, 7, "JoinGroup"},
      {ApiKey::kHeartbeat, 0, 4, "Heartbeat"},
      {ApiKey::kLeaveGroup, 0, 4, "LeaveGroup"},
      {ApiKey::kSyncGroup, 0, 5, "SyncGroup"},
      {ApiKey::kDescribeGroups, 0, 5, "DescribeGroups"},
      {ApiKey::kListGroups, 0, 4, "ListGroups"},
      {ApiKey::kSaslHandshake, 0, 1, "SaslHandshake"},
      {ApiKey::kApiVersions, 0, 3, "ApiVersions"},
      {ApiKey::kCreateTopics, 0, 7, "CreateTopics"},
      {ApiKey::kDeleteTopics, 0, 5, "DeleteTopics"},
      {ApiKey::kDeleteRecords, 0, 2, "DeleteRecords"},
      {ApiKey::kInitProducerId, 0, 4, "InitProducerId"},
      {ApiKey::kAddPartitionsToTxn, 0, 3, "AddPartitionsToTxn"},
      {ApiKey::kAddOffsetsToTxn, 0, 3, "AddOffsetsToTxn"},
      {ApiKey::kEndTxn, 0, 3, "EndTxn"},
      {ApiKey::kTxnOffsetCommit, 0, 3, "TxnOffsetCommit"},
      {ApiKey::kDescribeAcls, 0, 3, "DescribeAcls"},
      {ApiKey::kCreateAcls, 0, 3, "CreateAcls"},
      {ApiKey::kDeleteAcls, 0, 3, "DeleteAcls"},
      {ApiKey::kDescribeConfigs, 0, 4, "DescribeConfigs"},
      {ApiKey::kAlterConfigs, 0, 2, "AlterConfigs"},
      {ApiKey::kDescribeLogDirs, 0, 4, "DescribeLogDirs"},
      {ApiKey::kSaslAuthenticate, 0, 2, "SaslAuthenticate"},
      {ApiKey::kCreatePartitions, 0, 3, "CreatePartitions"},
      {ApiKey::kDeleteGroups, 0, 2, "DeleteGroups"},
      {ApiKey::kIncrementalAlterConfigs, 0, 1, "IncrementalAlterConfigs"},
      {ApiKey::kOffsetDelete, 0, 0, "OffsetDelete"},
      {ApiKey::kDescribeUserScramCredentials, 0, 0, "DescribeUserScramCredentials"},
      {ApiKey::kAlterUserScramCredentials, 0, 0, "AlterUserScramCredentials"},
      {ApiKey::kDescribeCluster, 0, 1, "DescribeCluster"},
      {ApiKey::kDescribeProducers, 0, 0, "DescribeProducers"},
      {ApiKey::kDescribeTransactions, 0, 0, "DescribeTransactions"},
      {ApiKey::kListTransactions, 0, 0, "ListTransactions"},
  };
  return apis;
}

const ApiVersionRange* FindApi(int16_t key) {
  for (const auto& a : SupportedApis()) {
    if (static_cast<int16_t>(a.key) == key) return &a;
  }
  return nullptr;
}

bool FlexibleVersion(int16_t key, int16_t version) {
  switch (static_cast<ApiKey>(key)) {
    case ApiKey::kProduce: return version >= 9;
    case ApiKey::kFetch: return version >= 12;
    case ApiKey::kListOffsets: return version >= 6;
    case ApiKey::kMetadata: return version >= 9;
    case ApiKey::kOffsetCommit: return version >= 8;
    case ApiKey::kOffsetFetch: return version >= 6;
    case ApiKey::kFindCoordinator: return version >= 3;
    case ApiKey::kJoinGroup: return version >= 6;
    case ApiKey::kHeartbeat: return version >= 4;
    case ApiKey::kLeaveGroup: return version >= 4;
    case ApiKey::kSyncGroup: return version >= 4;
    case ApiKey::kDescribeGroups: return version >= 5;
    case ApiKey::kListGroups: return version >= 3;
    case ApiKey::kApiVersions: return version >= 3;
    case ApiKey::kCreateTopics: return version >= 5;
    case ApiKey::kDeleteTopics: return version >= 4;
    case ApiKey::kInitProducerId: return version >= 2;
    case ApiKey::kAddPartitionsToTxn: return version >= 3;
    case ApiKey::kAddOffsetsToTxn: return version >= 3;
    case ApiKey::kEndTxn: return version >= 3;
    case ApiKey::kTxnOffsetCommit: return version >= 3;
    case ApiKey::kDescribeProducers: return version >= 0;
    case ApiKey::kDescribeTransactions: return version >= 0;
    case ApiKey::kListTransactions: return version >= 0;
    case ApiKey::kDescribeAcls: return version >= 2;
    case ApiKey::kCreateAcls: return version >= 2;
    case ApiKey::kDeleteAcls: return version >= 2;
    case ApiKey::kSaslHandshake: return false;  // no flexible version
    case ApiKey::kSaslAuthenticate: return version >= 2;
    case ApiKey::kDescribeUserScramCredentials: return version >= 0;
    case ApiKey::kAlterUserScramCredentials: return version >= 0;
    case ApiKey::kDeleteRecords: return version >= 2;
    case ApiKey::kDescribeConfigs: return version >= 4;
    case ApiKey::kAlterConfigs: return version >= 2;
    case ApiKey::kDescribeLogDirs: return version >= 2;
    case ApiKey::kCreatePartitions: return version >= 2;
    case ApiKey::kDeleteGroups: return version >= 2;
    case ApiKey::kIncrementalAlterConfigs: return version >= 1;
    case ApiKey::kOffsetDelete: return false;  // no flexible version
    case ApiKey::kDescribeCluster: return version >= 0;
  }
  return false;
}

bool FlexibleResponseHeader(int16_t key, int16_t version) {
  return key != static_cast<int16_t>(ApiKey::kApiVersions) && FlexibleVersion(key, version);
}

Result<RequestHeader> ParseRequestHeader(Reader& r) {
  RequestHeader h;
  h.api_key = r.Int16();
  h.api_version = r.Int16();
  h.correlation_id = r.Int32();
  h.client_id = r.NullableString();
  if (!r.ok()) return Status(Errc::kCorruption, std::string("request header: ") + r.error());
  if (FlexibleVersion(h.api_key, h.api_version)) {
    // Header v2: the client id stays a classic nullable string; then the
    // header's tagged fields, skipped. The flexible body follows.
    Reader tags = r;
    tags.SkipTaggedFields();
    if (tags.ok()) {
      r = tags;
    } else if (h.api_key == static_cast<int16_t>(ApiKey::kApiVersions)) {
      // A probe at a version we do not know need not carry a section as
      // we expect; ApiVersions is answered from the header alone, so it
      // still gets UNSUPPORTED_VERSION and the list. Its body is dropped.
      (void)r.Rest();
    } else {
      return Status(Errc::kCorruption, std::string("request header tagged fields: ") + tags.error());
    }
  }
  return h;
}

}  // namespace rivulet::log::kafka
