// Kafka protocol error codes, and the one place where Rivulet's Errc values
// become them.
#pragma once

#include <cstdint>

#include "base/status.h"

namespace rivulet::log::kafka {

enum class ErrorCode : int16_t {
  kUnknownServerError = -1,
  kNone = 0,
  kOffsetOutOfRange = 1,
  kCorruptMessage = 2,
  kUnknownTopicOrPartition = 3,
  kLeaderNotAvailable = 5,
  kNotLeaderOrFollower = 6,
  kRequestTimedOut = 7,
  kMessageTooLarge = 10,
  kOffsetMetadataTooLarge = 12,
  kCoordinatorLoadInProgress = 14,
  kCoordinatorNotAvailable = 15,
  kNotCoordinator = 16,
  kInvalidTopicException = 17,
  kRecordListTooLarge = 18,
  kInvalidRequiredAcks = 21,
  kIllegalGeneration = 22,
  kInconsistentGroupProtocol = 23,
  kInvalidGroupId = 24,
  kUnknownMemberId = 25,
  kInvalidSessionTimeout = 26,
  kRebalanceInProgress = 27,
  kInvalidCommitOffsetSize = 28,
  kTopicAuthorizationFailed = 29,
  kGroupAuthorizationFailed = 30,
  kClusterAuthorizationFailed = 31,
  kInvalidTimestamp = 32,
  kUnsupportedSaslMechanism = 33,
  kIllegalSaslState = 34,
  kUnsupportedVersion = 35,
  kTopicAlreadyExists = 36,
  kInvalidPartitions = 37,
  kInvalidReplicationFactor = 38,
  kInvalidReplicaAssignment = 39,
  kInvalidConfig = 40,
  kInvalidRequest = 42,
  kUnsupportedForMessageFormat = 43,
  kOutOfOrderSequenceNumber = 45,
  kDuplicateSequenceNumber = 46,
  kInvalidProducerEpoch = 47,
  kInvalidTxnState = 48,
  kInvalidProducerIdMapping = 49,
  kInvalidTransactionTimeout = 50,
  kConcurrentTransactions = 51,
  kTransactionCoordinatorFenced = 52,
  kTransactionalIdAuthorizationFailed = 53,
  kSecurityDisabled = 54,
  kOperationNotAttempted = 55,
  kKafkaStorageError = 56,
  kSaslAuthenticationFailed = 58,
  kUnknownProducerId = 59,
  kNonEmptyGroup = 68,
  kGroupIdNotFound = 69,
  kFetchSessionIdNotFound = 70,
  kUnsupportedCompressionType = 76,
  kMemberIdRequired = 79,
  kGroupSubscribedToTopic = 86,
  kInvalidRecord = 87,
  kUnstableOffsetCommit = 88,
  kProducerFenced = 90,
  kResourceNotFound = 91,
  kDuplicateResource = 92,
  kUnacceptableCredential = 93,
  kUnknownTopicId = 100,
  kTransactionalIdNotFound = 105,
};

inline int16_t Code(ErrorCode e) { return static_cast<int16_t>(e); }

// Maps an internal error to the Kafka error code a client expects.
inline ErrorCode ToKafkaError(Errc e) {
  switch (e) {
    case Errc::kOk: return ErrorCode::kNone;
    case Errc::kInvalidArgument: return ErrorCode::kInvalidRequest;
    case Errc::kNotFound: return ErrorCode::kUnknownTopicOrPartition;
    case Errc::kAlreadyExists: return ErrorCode::kTopicAlreadyExists;
    case Errc::kCorruption: return ErrorCode::kCorruptMessage;
    case Errc::kIoError: return ErrorCode::kKafkaStorageError;
    case Errc::kNoSpace: return ErrorCode::kKafkaStorageError;
    case Errc::kLocked: return ErrorCode::kKafkaStorageError;
    case Errc::kTimeout: return ErrorCode::kRequestTimedOut;
    case Errc::kOutOfRange: return ErrorCode::kOffsetOutOfRange;
    case Errc::kClosed: return ErrorCode::kNotLeaderOrFollower;
    case Errc::kRebalanceInProgress: return ErrorCode::kRebalanceInProgress;
    case Errc::kIllegalGeneration: return ErrorCode::kIllegalGeneration;
    case Errc::kUnknownMember: return ErrorCode::kUnknownMemberId;
    case Errc::kNotSupported: return ErrorCode::kUnsupportedForMessageFormat;
    case Errc::kMessageTooLarge: return ErrorCode::kMessageTooLarge;
    case Errc::kMemberIdRequired: return ErrorCode::kMemberIdRequired;
    case Errc::kCoordinatorLoading: return ErrorCode::kCoordinatorLoadInProgress;
    case Errc::kInconsistentProtocol: return ErrorCode::kInconsistentGroupProtocol;
    case Errc::kInvalidSessionTimeout: return ErrorCode::kInvalidSessionTimeout;
    case Errc::kJobFailed: return ErrorCode::kUnknownServerError;
    case Errc::kOutOfOrderSequence: return ErrorCode::kOutOfOrderSequenceNumber;
    case Errc::kProducerFenced: return ErrorCode::kInvalidProducerEpoch;
    case Errc::kInvalidTxnState: return ErrorCode::kInvalidTxnState;
    case Errc::kInvalidProducerIdMapping: return ErrorCode::kInvalidProducerIdMapping;
    case Errc::kInvalidTransactionTimeout: return ErrorCode::kInvalidTransactionTimeout;
    case Errc::kAuthenticationFailed: return ErrorCode::kSaslAuthenticationFailed;
    case Errc::kNotAuthorized: return ErrorCode::kClusterAuthorizationFailed;
    case Errc::kGroupNotEmpty: return ErrorCode::kNonEmptyGroup;
    case Errc::kGroupSubscribedToTopic: return ErrorCode::kGroupSubscribedToTopic;
  }
  return ErrorCode::kUnknownServerError;
}

}  // namespace rivulet::log::kafka
