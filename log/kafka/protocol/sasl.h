// SASL authentication and SCRAM credentials: SaslHandshake (17, v0-1),
// SaslAuthenticate (36, v0-2), and the admin APIs
// DescribeUserScramCredentials (50, v0) and AlterUserScramCredentials (51,
// v0) of KIP-554. Codecs only, both directions of each message: the broker
// decodes requests and encodes responses, the `rivulet users` tool encodes
// requests and decodes responses. Flexible versions (compact encodings,
// tagged fields) included.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/errors.h"

namespace rivulet::log::kafka {

// The versions each codec here implements are those SupportedApis() lists.

// Every Decode below returns kNotSupported for a version outside its range
// and kCorruption for malformed bytes; Encode trusts its version.

// SCRAM mechanisms are numbered on the wire (KIP-554): 0 unknown,
// 1 SCRAM-SHA-256, 2 SCRAM-SHA-512.

// SaslHandshake: the client names its mechanism, the broker answers with
// the ones it enables. v1 has v0's layout; it only tells the broker that
// the exchange follows in SaslAuthenticate requests rather than raw bytes.
struct SaslHandshakeRequest {
  std::string mechanism;  // e.g. "PLAIN", "SCRAM-SHA-256"
  static Result<SaslHandshakeRequest> Decode(std::string_view body, int16_t version);
  std::string Encode(int16_t version) const;  // client side
};

struct SaslHandshakeResponse {
  ErrorCode error = ErrorCode::kNone;
  std::vector<std::string> mechanisms;  // the mechanisms enabled
  std::string Encode(int16_t version) const;
  static Result<SaslHandshakeResponse> Decode(std::string_view body, int16_t version);  // client side
};

// SaslAuthenticate: one step of the mechanism's exchange.
struct SaslAuthenticateRequest {
  std::string auth_bytes;  // the mechanism's message, opaque here
  static Result<SaslAuthenticateRequest> Decode(std::string_view body, int16_t version);
  std::string Encode(int16_t version) const;  // client side
};

struct SaslAuthenticateResponse {
  ErrorCode error = ErrorCode::kNone;
  std::optional<std::string> error_message;
  std::string auth_bytes;
  // v1+: milliseconds after which the session must re-authenticate; 0: no
  // limit. Not on the wire in v0 (and decoded as 0 there).
  int64_t session_lifetime_ms = 0;
  std::string Encode(int16_t version) const;
  static Result<SaslAuthenticateResponse> Decode(std::string_view body, int16_t version);  // client side
};

struct DescribeUserScramCredentialsRequest {
  std::optional<std::vector<std::string>> users;  // nullopt: every user
  static Result<DescribeUserScramCredentialsRequest> Decode(std::string_view body, int16_t version);
  std::string Encode(int16_t version) const;  // client side
};

struct DescribeUserScramCredentialsResponse {
  struct CredentialInfo {
    int8_t mechanism = 0;  // 1 SCRAM-SHA-256, 2 SCRAM-SHA-512
    int32_t iterations = 0;
  };
  struct UserResult {
    std::string user;
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> error_message;
    std::vector<CredentialInfo> credentials;
  };
  int32_t throttle_time_ms = 0;
  ErrorCode error = ErrorCode::kNone;  // request-level
  std::optional<std::string> error_message;
  std::vector<UserResult> results;  // one per user
  std::string Encode(int16_t version) const;
  static Result<DescribeUserScramCredentialsResponse> Decode(std::string_view body, int16_t version);  // client side
};

struct AlterUserScramCredentialsRequest {
  struct Deletion {
    std::string name;
    int8_t mechanism = 0;  // 1 SCRAM-SHA-256, 2 SCRAM-SHA-512
  };
  struct Upsertion {
    std::string name;
    int8_t mechanism = 0;  // 1 SCRAM-SHA-256, 2 SCRAM-SHA-512
    int32_t iterations = 0;
    std::string salt;
    std::string salted_password;
  };
  std::vector<Deletion> deletions;
  std::vector<Upsertion> upsertions;
  static Result<AlterUserScramCredentialsRequest> Decode(std::string_view body, int16_t version);
  std::string Encode(int16_t version) const;  // client side
};

struct AlterUserScramCredentialsResponse {
  struct UserResult {
    std::string user;
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> error_message;
  };
  int32_t throttle_time_ms = 0;
  std::vector<UserResult> results;  // one per user named in the request
  std::string Encode(int16_t version) const;
  static Result<AlterUserScramCredentialsResponse> Decode(std::string_view body, int16_t version);  // client side
};

}  // namespace rivulet::log::kafka
