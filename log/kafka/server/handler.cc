// The API key -> handler table.
#include "log/kafka/server/handler.h"

namespace rivulet::log::kafka {

Handler FindHandler(ApiKey key) {
  switch (key) {
    case ApiKey::kApiVersions: return HandleApiVersions;
    case ApiKey::kMetadata: return HandleMetadata;
    case ApiKey::kProduce: return HandleProduce;
    case ApiKey::kFetch: return HandleFetch;
    case ApiKey::kListOffsets: return HandleListOffsets;
    case ApiKey::kFindCoordinator: return HandleFindCoordinator;
    case ApiKey::kJoinGroup: return HandleJoinGroup;
    case ApiKey::kSyncGroup: return HandleSyncGroup;
    case ApiKey::kHeartbeat: return HandleHeartbeat;
    case ApiKey::kLeaveGroup: return HandleLeaveGroup;
    case ApiKey::kOffsetCommit: return HandleOffsetCommit;
    case ApiKey::kOffsetFetch: return HandleOffsetFetch;
    case ApiKey::kListGroups: return HandleListGroups;
    case ApiKey::kDescribeGroups: return HandleDescribeGroups;
    case ApiKey::kCreateTopics: return HandleCreateTopics;
    case ApiKey::kDeleteTopics: return HandleDeleteTopics;
    // Codecs only so far (protocol/txn.h); not in SupportedApis().
    case ApiKey::kInitProducerId:
    case ApiKey::kAddPartitionsToTxn:
    case ApiKey::kAddOffsetsToTxn:
    case ApiKey::kEndTxn:
    case ApiKey::kTxnOffsetCommit:
    case ApiKey::kDescribeProducers:
    case ApiKey::kDescribeTransactions:
    case ApiKey::kListTransactions: return nullptr;
  }
  return nullptr;
}

}  // namespace rivulet::log::kafka
