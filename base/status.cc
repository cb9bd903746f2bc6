// Names of error codes and Status formatting.
#include "base/status.h"

namespace rivulet {

std::string_view ErrcName(Errc c) {
  switch (c) {
    case Errc::kOk: return "OK";
    case Errc::kInvalidArgument: return "InvalidArgument";
    case Errc::kNotFound: return "NotFound";
    case Errc::kAlreadyExists: return "AlreadyExists";
    case Errc::kCorruption: return "Corruption";
    case Errc::kIoError: return "IOError";
    case Errc::kNoSpace: return "NoSpace";
    case Errc::kLocked: return "Locked";
    case Errc::kTimeout: return "Timeout";
    case Errc::kOutOfRange: return "OutOfRange";
    case Errc::kClosed: return "Closed";
    case Errc::kRebalanceInProgress: return "RebalanceInProgress";
    case Errc::kIllegalGeneration: return "IllegalGeneration";
    case Errc::kUnknownMember: return "UnknownMember";
    case Errc::kNotSupported: return "NotSupported";
    case Errc::kMessageTooLarge: return "MessageTooLarge";
    case Errc::kMemberIdRequired: return "MemberIdRequired";
    case Errc::kCoordinatorLoading: return "CoordinatorLoading";
    case Errc::kInconsistentProtocol: return "InconsistentProtocol";
    case Errc::kInvalidSessionTimeout: return "InvalidSessionTimeout";
    case Errc::kJobFailed: return "JobFailed";
    case Errc::kOutOfOrderSequence: return "OutOfOrderSequence";
    case Errc::kProducerFenced: return "ProducerFenced";
    case Errc::kInvalidTxnState: return "InvalidTxnState";
    case Errc::kInvalidProducerIdMapping: return "InvalidProducerIdMapping";
    case Errc::kInvalidTransactionTimeout: return "InvalidTransactionTimeout";
    case Errc::kAuthenticationFailed: return "AuthenticationFailed";
    case Errc::kNotAuthorized: return "NotAuthorized";
    case Errc::kGroupNotEmpty: return "GroupNotEmpty";
    case Errc::kGroupSubscribedToTopic: return "GroupSubscribedToTopic";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(ErrcName(code_));
  s += ": ";
  s += message_;
  return s;
}

}  // namespace rivulet
