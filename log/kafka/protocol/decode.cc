// DecodeRequestBody: dispatch over every request codec.
#include "log/kafka/protocol/decode.h"

#include "log/kafka/protocol/acls.h"
#include "log/kafka/protocol/admin.h"
#include "log/kafka/protocol/api_versions.h"
#include "log/kafka/protocol/configs.h"
#include "log/kafka/protocol/fetch.h"
#include "log/kafka/protocol/groups.h"
#include "log/kafka/protocol/list_offsets.h"
#include "log/kafka/protocol/metadata.h"
#include "log/kafka/protocol/offsets.h"
#include "log/kafka/protocol/produce.h"
#include "log/kafka/protocol/sasl.h"
#include "log/kafka/protocol/topics.h"
#include "log/kafka/protocol/txn.h"

namespace rivulet::log::kafka {

Status DecodeRequestBody(int16_t api_key, int16_t v, std::string_view body) {
  const ApiVersionRange* api = FindApi(api_key);
  if (api == nullptr || v < api->min || v > api->max) {
    return Status(Errc::kNotSupported, "API " + std::to_string(api_key) + " v" + std::to_string(v));
  }
  switch (api->key) {
    case ApiKey::kProduce: return ProduceRequest::Decode(body, v).status();
    case ApiKey::kFetch: return FetchRequest::Decode(body, v).status();
    case ApiKey::kListOffsets: return ListOffsetsRequest::Decode(body, v).status();
    case ApiKey::kMetadata: return MetadataRequest::Decode(body, v).status();
    case ApiKey::kOffsetCommit: return OffsetCommitRequest::Decode(body, v).status();
    case ApiKey::kOffsetFetch: return OffsetFetchRequest::Decode(body, v).status();
    case ApiKey::kFindCoordinator: return FindCoordinatorRequest::Decode(body, v).status();
    case ApiKey::kJoinGroup: return JoinGroupRequest::Decode(body, v).status();
    case ApiKey::kHeartbeat: return HeartbeatRequest::Decode(body, v).status();
    case ApiKey::kLeaveGroup: return LeaveGroupRequest::Decode(body, v).status();
    case ApiKey::kSyncGroup: return SyncGroupRequest::Decode(body, v).status();
    case ApiKey::kDescribeGroups: return DescribeGroupsRequest::Decode(body, v).status();
    case ApiKey::kListGroups: return ListGroupsRequest::Decode(body, v).status();
    case ApiKey::kApiVersions: return ApiVersionsRequest::Decode(body, v).status();
    case ApiKey::kCreateTopics: return CreateTopicsRequest::Decode(body, v).status();
    case ApiKey::kDeleteTopics: return DeleteTopicsRequest::Decode(body, v).status();
    case ApiKey::kInitProducerId: return InitProducerIdRequest::Decode(body, v).status();
    case ApiKey::kAddPartitionsToTxn: return AddPartitionsToTxnRequest::Decode(body, v).status();
    case ApiKey::kAddOffsetsToTxn: return AddOffsetsToTxnRequest::Decode(body, v).status();
    case ApiKey::kEndTxn: return EndTxnRequest::Decode(body, v).status();
    case ApiKey::kTxnOffsetCommit: return TxnOffsetCommitRequest::Decode(body, v).status();
    case ApiKey::kDescribeProducers: return DescribeProducersRequest::Decode(body, v).status();
    case ApiKey::kDescribeTransactions: return DescribeTransactionsRequest::Decode(body, v).status();
    case ApiKey::kListTransactions: return ListTransactionsRequest::Decode(body, v).status();
    case ApiKey::kSaslHandshake: return SaslHandshakeRequest::Decode(body, v).status();
    case ApiKey::kSaslAuthenticate: return SaslAuthenticateRequest::Decode(body, v).status();
    case ApiKey::kDescribeUserScramCredentials: return DescribeUserScramCredentialsRequest::Decode(body, v).status();
    case ApiKey::kAlterUserScramCredentials: return AlterUserScramCredentialsRequest::Decode(body, v).status();
    case ApiKey::kDescribeAcls: return DescribeAclsRequest::Decode(body, v).status();
    case ApiKey::kCreateAcls: return CreateAclsRequest::Decode(body, v).status();
    case ApiKey::kDeleteAcls: return DeleteAclsRequest::Decode(body, v).status();
    case ApiKey::kDescribeConfigs: return DescribeConfigsRequest::Decode(body, v).status();
    case ApiKey::kAlterConfigs: return AlterConfigsRequest::Decode(body, v, false).status();
    case ApiKey::kIncrementalAlterConfigs: return AlterConfigsRequest::Decode(body, v, true).status();
    case ApiKey::kCreatePartitions: return CreatePartitionsRequest::Decode(body, v).status();
    case ApiKey::kDeleteRecords: return DeleteRecordsRequest::Decode(body, v).status();
    case ApiKey::kDescribeLogDirs: return DescribeLogDirsRequest::Decode(body, v).status();
    case ApiKey::kDescribeCluster: return DescribeClusterRequest::Decode(body, v).status();
    case ApiKey::kDeleteGroups: return DeleteGroupsRequest::Decode(body, v).status();
    case ApiKey::kOffsetDelete: return OffsetDeleteRequest::Decode(body, v).status();
  }
  return Status(Errc::kNotSupported, "unknown API");
}

}  // namespace rivulet::log::kafka
