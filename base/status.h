// Status and Result<T>: expected failures as values, not exceptions.
// A Status carries an error code from Errc and a one-line message meant for a
// human; Result<T> is a T or a non-ok Status.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace rivulet {

// Error codes shared by every folder; the broker maps them to Kafka error
// codes in one place (log/kafka).
enum class Errc {
  kOk = 0,
  kInvalidArgument,     // bad flag, config, name or request
  kNotFound,            // unknown topic, partition or group
  kAlreadyExists,       // topic exists
  kCorruption,          // bytes on disk or on the wire failed validation
  kIoError,             // an operating-system call failed
  kNoSpace,             // disk full or file-size limit reached
  kLocked,              // the data directory is owned by another process
  kTimeout,             // a wait ran out
  kOutOfRange,          // offset outside [log start, log end]
  kClosed,              // object already closed
  kRebalanceInProgress, // group is rebalancing; rejoin
  kIllegalGeneration,   // stale group generation
  kUnknownMember,       // member id not in the group
  kNotSupported,        // feature not implemented (e.g. a codec)
  kMessageTooLarge,     // record or batch over the configured maximum
  kMemberIdRequired,    // first JoinGroup of a member without an id
  kCoordinatorLoading,  // not used by the embedded coordinator
  kInconsistentProtocol,// member protocols do not match the group's
  kInvalidSessionTimeout,// session timeout outside the allowed range
  kJobFailed,           // user code in a job threw; the message names the operator
  kOutOfOrderSequence,  // an idempotent batch's sequence leaves a gap (or starts a new epoch past 0)
  kProducerFenced,      // the producer's epoch is older than the one the log knows
  kInvalidTxnState,     // a transaction call that its state does not allow
  kInvalidProducerIdMapping,  // the producer id is not the transactional id's current one
  kInvalidTransactionTimeout, // transaction.timeout.ms outside the allowed range
  kAuthenticationFailed,      // SASL credentials that do not verify, or an unknown user
  kNotAuthorized,             // the ACLs do not allow the principal what it asked
  kGroupNotEmpty,             // a group with active members cannot be deleted or reset
  kGroupSubscribedToTopic,    // offsets of a topic the group's members read cannot be deleted
};

std::string_view ErrcName(Errc c);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(Errc code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Errc::kOk; }
  Errc code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NotFound: unknown topic 'x'"
  std::string ToString() const;

 private:
  Errc code_ = Errc::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(implicit)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(implicit)
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // ok(), named as std::optional and std::expected name it: code written
  // against an optional (a decoder that gave no reason) reads a Result too.
  bool has_value() const { return ok(); }
  // Requires ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  // The error; an ok Status when ok().
  Status status() const { return ok() ? Status() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace rivulet

// Returns from the enclosing function when `expr` (a Status) is not ok.
#define RIVULET_RETURN_IF_ERROR(expr)       \
  do {                                      \
    ::rivulet::Status _st = (expr);         \
    if (!_st.ok()) return _st;              \
  } while (0)

#define RIVULET_CONCAT_INNER(a, b) a##b
#define RIVULET_CONCAT(a, b) RIVULET_CONCAT_INNER(a, b)
// `RIVULET_ASSIGN_OR_RETURN(auto x, F())` binds x to F()'s value or returns its status.
#define RIVULET_ASSIGN_OR_RETURN(lhs, expr) \
  RIVULET_ASSIGN_OR_RETURN_IMPL(RIVULET_CONCAT(_res_, __LINE__), lhs, expr)
#define RIVULET_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
