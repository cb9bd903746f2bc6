// Access control lists: DescribeAcls (29), CreateAcls (30) and DeleteAcls
// (31), each v0-3. Codecs only, both directions of each message: the broker
// decodes requests and encodes responses, the `rivulet acls` tool encodes
// requests and decodes responses. v1 adds a pattern type after every
// resource name (KIP-290); v2 is the first flexible version (compact
// encodings, tagged fields); v3 has v2's layout (it only admits the USER
// resource type).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "log/acls.h"
#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/errors.h"

namespace rivulet::log::kafka {

// The versions each codec here implements are those SupportedApis() lists.

// Every Decode below returns kNotSupported for a version outside its range
// and kCorruption for malformed bytes; Encode trusts its version.

// The enums travel as int8 numbers:
//   resource type:  0 unknown, 1 any, 2 topic, 3 group, 4 cluster,
//                   5 transactional_id, 6 delegation_token, 7 user;
//   pattern type:   0 unknown, 1 any, 2 match, 3 literal, 4 prefixed;
//   operation:      0 unknown, 1 any, 2 all, 3 read, 4 write, 5 create,
//                   6 delete, 7 alter, 8 describe, 9 cluster_action,
//                   10 describe_configs, 11 alter_configs,
//                   12 idempotent_write;
//   permission:     0 unknown, 1 any, 2 deny, 3 allow.
// v0 carries no pattern type: every binding and every filter is literal
// there. Decode at v0 yields 3 (literal); Encode at v0 leaves the field out
// whatever it holds.

// One ACL as the wire carries it.
struct AclBindingWire {
  int8_t resource_type = 0;
  std::string resource_name;
  int8_t pattern_type = 3;  // literal
  std::string principal;  // e.g. "User:alice"
  std::string host;  // "*" for any
  int8_t operation = 0;
  int8_t permission = 0;
};

// A filter over ACLs: a nullopt string matches anything, as do the "any"
// values of the enums.
struct AclFilterWire {
  int8_t resource_type = 1;  // any
  std::optional<std::string> resource_name;
  int8_t pattern_type = 3;  // literal
  std::optional<std::string> principal;
  std::optional<std::string> host;
  int8_t operation = 1;  // any
  int8_t permission = 1;  // any
};

// DescribeAcls: the ACLs one filter matches, grouped by resource.
struct DescribeAclsRequest {
  AclFilterWire filter;
  static Result<DescribeAclsRequest> Decode(std::string_view body, int16_t version);
  std::string Encode(int16_t version) const;  // client side
};

struct DescribeAclsResponse {
  struct Acl {
    std::string principal, host;
    int8_t operation = 0, permission = 0;
  };
  struct Resource {
    int8_t resource_type = 0;
    std::string resource_name;
    int8_t pattern_type = 3;  // literal
    std::vector<Acl> acls;
  };
  int32_t throttle_time_ms = 0;
  ErrorCode error = ErrorCode::kNone;
  std::optional<std::string> error_message;
  std::vector<Resource> resources;
  std::string Encode(int16_t version) const;
  static Result<DescribeAclsResponse> Decode(std::string_view body, int16_t version);  // client side
};

// CreateAcls: one result per creation, in the request's order.
struct CreateAclsRequest {
  std::vector<AclBindingWire> creations;
  static Result<CreateAclsRequest> Decode(std::string_view body, int16_t version);
  std::string Encode(int16_t version) const;  // client side
};

struct CreateAclsResponse {
  struct CreationResult {
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> error_message;
  };
  int32_t throttle_time_ms = 0;
  std::vector<CreationResult> results;
  std::string Encode(int16_t version) const;
  static Result<CreateAclsResponse> Decode(std::string_view body, int16_t version);  // client side
};

// DeleteAcls: one result per filter, in the request's order, listing the
// ACLs it matched (and deleted, unless the ACL's own error says otherwise).
struct DeleteAclsRequest {
  std::vector<AclFilterWire> filters;
  static Result<DeleteAclsRequest> Decode(std::string_view body, int16_t version);
  std::string Encode(int16_t version) const;  // client side
};

struct DeleteAclsResponse {
  struct Matching {
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> error_message;
    AclBindingWire acl;
  };
  struct FilterResult {
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> error_message;
    std::vector<Matching> matching;
  };
  int32_t throttle_time_ms = 0;
  std::vector<FilterResult> results;
  std::string Encode(int16_t version) const;
  static Result<DeleteAclsResponse> Decode(std::string_view body, int16_t version);  // client side
};

// Between the wire's numbers and the log's ACLs (log/acls.h), which share
// them. FromWire: kInvalidArgument for a number outside what the broker
// knows (delegation tokens and users are not resources here).
AclBindingWire ToWire(const log::AclBinding& b);
Result<log::AclBinding> FromWire(const AclBindingWire& w);
AclFilterWire ToWire(const log::AclFilter& f);
Result<log::AclFilter> FromWire(const AclFilterWire& w);

}  // namespace rivulet::log::kafka
