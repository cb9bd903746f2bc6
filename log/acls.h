// Access control lists, in Kafka's model: a principal ("User:alice") is
// allowed or denied an operation (Read, Write, ...) on a resource (a topic,
// a group, the cluster, a transactional id) named literally or by prefix,
// from a host ("*" for any). Kept in the data directory as
// DIR/security/acls.meta, replaced atomically on every change, and
// consulted by the broker's authorizer (Authorize) before every request
// that touches a resource.
//
// Threading: all methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace rivulet::log {

// The enums carry Kafka's wire numbers (KIP-140); kAny and kMatch are for
// filters only.
enum class ResourceType : int8_t { kAny = 1, kTopic = 2, kGroup = 3, kCluster = 4, kTransactionalId = 5 };
enum class PatternType : int8_t { kAny = 1, kMatch = 2, kLiteral = 3, kPrefixed = 4 };
enum class AclOperation : int8_t {
  kAny = 1,
  kAll = 2,
  kRead = 3,
  kWrite = 4,
  kCreate = 5,
  kDelete = 6,
  kAlter = 7,
  kDescribe = 8,
  kClusterAction = 9,
  kDescribeConfigs = 10,
  kAlterConfigs = 11,
  kIdempotentWrite = 12,
};
enum class AclPermission : int8_t { kAny = 1, kDeny = 2, kAllow = 3 };

// Kafka's names ("Topic", "Prefixed", "Read", "Allow", ...), and back (case
// insensitive; "-" and "_" ignored, so "idempotent-write" and
// "IdempotentWrite" both parse). Parse* return nullopt for unknown names.
std::string_view ResourceTypeName(ResourceType t);
std::string_view PatternTypeName(PatternType p);
std::string_view AclOperationName(AclOperation o);
std::string_view AclPermissionName(AclPermission p);
std::optional<ResourceType> ParseResourceType(std::string_view s);
std::optional<PatternType> ParsePatternType(std::string_view s);
std::optional<AclOperation> ParseAclOperation(std::string_view s);
std::optional<AclPermission> ParseAclPermission(std::string_view s);

// The name of the one cluster resource.
inline constexpr char kClusterResourceName[] = "kafka-cluster";

struct AclBinding {
  ResourceType resource_type = ResourceType::kTopic;
  std::string resource_name;  // "*": every resource of the type (literal only)
  PatternType pattern_type = PatternType::kLiteral;
  std::string principal;  // "User:alice", or "User:*"
  std::string host = "*";
  AclOperation operation = AclOperation::kRead;
  AclPermission permission = AclPermission::kAllow;

  bool operator==(const AclBinding&) const = default;
  auto operator<=>(const AclBinding&) const = default;
  // "User:alice has Allow permission for operations: Read from hosts: * on Topic:LITERAL:a"
  std::string ToString() const;
};

// Selects bindings: kAny fields and nullopt strings match everything;
// PatternType::kMatch matches the bindings that would apply to the named
// resource (literal, wildcard and prefixes of it).
struct AclFilter {
  ResourceType resource_type = ResourceType::kAny;
  std::optional<std::string> resource_name;
  PatternType pattern_type = PatternType::kAny;
  std::optional<std::string> principal;
  std::optional<std::string> host;
  AclOperation operation = AclOperation::kAny;
  AclPermission permission = AclPermission::kAny;

  bool Matches(const AclBinding& b) const;
};

// Why `b` cannot be stored (kAny / kMatch values, an empty name or
// principal, a principal without "Type:", a prefixed wildcard, an
// operation that means nothing for the resource type), or ok.
Status ValidateAclBinding(const AclBinding& b);

// Who decides: super users, then the ACLs. Kafka's rules:
//  - a Deny that matches wins over any Allow;
//  - Allow of All allows everything; Allow of Read, Write, Delete or Alter
//    implies Describe, and AlterConfigs implies DescribeConfigs;
//  - a resource no ACL matches at all is allowed only with
//    allow.everyone.if.no.acl.found.
struct AuthorizerOptions {
  bool enabled = false;                 // authorizer.class.name set
  std::set<std::string> super_users;    // super.users (principals)
  bool allow_if_no_acl_found = false;   // allow.everyone.if.no.acl.found
};

class AclStore {
 public:
  // Loads DIR/acls.meta (none: no ACLs). kCorruption when it does not parse.
  static Result<std::unique_ptr<AclStore>> Open(const std::string& dir);

  std::vector<AclBinding> List(const AclFilter& filter = {}) const;
  // Adds every binding (already present: kept once); durable when it
  // returns. kInvalidArgument (nothing added) when one is not valid.
  Status Add(const std::vector<AclBinding>& bindings);
  // Removes what `filter` matches and returns it; durable when it returns.
  Result<std::vector<AclBinding>> Remove(const AclFilter& filter);

  // Whether `principal` from `host` may do `op` on the resource.
  bool Authorize(const AuthorizerOptions& options, const std::string& principal, const std::string& host,
                 AclOperation op, ResourceType type, const std::string& name) const;

 private:
  explicit AclStore(std::string dir) : dir_(std::move(dir)) {}
  Status SaveLocked(const std::vector<AclBinding>& acls) const;

  const std::string dir_;
  mutable std::mutex mu_;
  std::vector<AclBinding> acls_;  // sorted, unique; guarded by mu_
};

}  // namespace rivulet::log
