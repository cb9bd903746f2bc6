// The ACL store and the authorizer's rules; see acls.h.
#include "log/acls.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <system_error>

#include "base/file.h"
#include "rivulet_metadata.pb.h"

namespace rivulet::log {

namespace fs = std::filesystem;

namespace {

template <typename E, size_t N>
struct Names {
  std::array<std::pair<E, std::string_view>, N> table;

  std::string_view Name(E e) const {
    for (const auto& [v, n] : table) {
      if (v == e) return n;
    }
    return "Unknown";
  }
  std::optional<E> Parse(std::string_view s) const {
    auto fold = [](std::string_view in) {
      std::string out;
      for (const char c : in) {
        if (c != '-' && c != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      return out;
    };
    const std::string want = fold(s);
    for (const auto& [v, n] : table) {
      if (fold(n) == want) return v;
    }
    return std::nullopt;
  }
};

constexpr Names<ResourceType, 5> kResourceTypes{{{{ResourceType::kAny, "Any"},
                                                  {ResourceType::kTopic, "Topic"},
                                                  {ResourceType::kGroup, "Group"},
                                                  {ResourceType::kCluster, "Cluster"},
                                                  {ResourceType::kTransactionalId, "TransactionalId"}}}};
constexpr Names<PatternType, 4> kPatternTypes{{{{PatternType::kAny, "ANY"},
                                                {PatternType::kMatch, "MATCH"},
                                                {PatternType::kLiteral, "LITERAL"},
                                                {PatternType::kPrefixed, "PREFIXED"}}}};
constexpr Names<AclOperation, 12> kOperations{{{{AclOperation::kAny, "Any"},
                                                {AclOperation::kAll, "All"},
                                                {AclOperation::kRead, "Read"},
                                                {AclOperation::kWrite, "Write"},
                                                {AclOperation::kCreate, "Create"},
                                                {AclOperation::kDelete, "Delete"},
                                                {AclOperation::kAlter, "Alter"},
                                                {AclOperation::kDescribe, "Describe"},
                                                {AclOperation::kClusterAction, "ClusterAction"},
                                                {AclOperation::kDescribeConfigs, "DescribeConfigs"},
                                                {AclOperation::kAlterConfigs, "AlterConfigs"},
                                                {AclOperation::kIdempotentWrite, "IdempotentWrite"}}}};
constexpr Names<AclPermission, 3> kPermissions{
    {{{AclPermission::kAny, "Any"}, {AclPermission::kDeny, "Deny"}, {AclPermission::kAllow, "Allow"}}}};

// Whether binding `b` (of the resource's type) names the resource `name`.
bool AppliesTo(const AclBinding& b, const std::string& name) {
  if (b.pattern_type == PatternType::kLiteral) return b.resource_name == name || b.resource_name == "*";
  return b.pattern_type == PatternType::kPrefixed && name.starts_with(b.resource_name);
}

// The operations each resource type has (Kafka's table).
bool OperationFits(ResourceType t, AclOperation o) {
  using O = AclOperation;
  if (o == O::kAll) return true;
  switch (t) {
    case ResourceType::kTopic:
      return o == O::kRead || o == O::kWrite || o == O::kCreate || o == O::kDelete || o == O::kAlter ||
             o == O::kDescribe || o == O::kDescribeConfigs || o == O::kAlterConfigs;
    case ResourceType::kGroup: return o == O::kRead || o == O::kDescribe || o == O::kDelete;
    case ResourceType::kCluster:
      return o == O::kCreate || o == O::kClusterAction || o == O::kDescribeConfigs || o == O::kAlterConfigs ||
             o == O::kIdempotentWrite || o == O::kAlter || o == O::kDescribe;
    case ResourceType::kTransactionalId: return o == O::kDescribe || o == O::kWrite;
    case ResourceType::kAny: return false;
  }
  return false;
}

}  // namespace

std::string_view ResourceTypeName(ResourceType t) { return kResourceTypes.Name(t); }
std::string_view PatternTypeName(PatternType p) { return kPatternTypes.Name(p); }
std::string_view AclOperationName(AclOperation o) { return kOperations.Name(o); }
std::string_view AclPermissionName(AclPermission p) { return kPermissions.Name(p); }
std::optional<ResourceType> ParseResourceType(std::string_view s) { return kResourceTypes.Parse(s); }
std::optional<PatternType> ParsePatternType(std::string_view s) { return kPatternTypes.Parse(s); }
std::optional<AclOperation> ParseAclOperation(std::string_view s) { return kOperations.Parse(s); }
std::optional<AclPermission> ParseAclPermission(std::string_view s) { return kPermissions.Parse(s); }

std::string AclBinding::ToString() const {
  return principal + " has " + std::string(AclPermissionName(permission)) + " permission for operations: " +
         std::string(AclOperationName(operation)) + " from hosts: " + host + " on " +
         std::string(ResourceTypeName(resource_type)) + ":" + std::string(PatternTypeName(pattern_type)) + ":" +
         resource_name;
}

bool AclFilter::Matches(const AclBinding& b) const {
  if (resource_type != ResourceType::kAny && resource_type != b.resource_type) return false;
  if (operation != AclOperation::kAny && operation != b.operation) return false;
  if (permission != AclPermission::kAny && permission != b.permission) return false;
  if (principal && *principal != b.principal) return false;
  if (host && *host != b.host) return false;
  switch (pattern_type) {
    case PatternType::kAny: return !resource_name || *resource_name == b.resource_name;
    case PatternType::kMatch: return !resource_name || AppliesTo(b, *resource_name);
    case PatternType::kLiteral:
    case PatternType::kPrefixed:
      return b.pattern_type == pattern_type && (!resource_name || *resource_name == b.resource_name);
  }
  return false;
}

Status ValidateAclBinding(const AclBinding& b) {
  auto bad = [&](const std::string& why) { return Status(Errc::kInvalidArgument, "ACL " + b.ToString() + ": " + why); };
  if (b.resource_type == ResourceType::kAny) return bad("the resource type cannot be Any");
  if (b.pattern_type != PatternType::kLiteral && b.pattern_type != PatternType::kPrefixed) {
    return bad("the pattern type must be LITERAL or PREFIXED");
  }
  if (b.resource_name.empty()) return bad("the resource name cannot be empty");
  if (b.pattern_type == PatternType::kPrefixed && b.resource_name == "*") {
    return bad("a PREFIXED pattern cannot be '*' (a LITERAL '*' names every resource)");
  }
  if (b.resource_type == ResourceType::kCluster && b.resource_name != kClusterResourceName) {
    return bad(std::string("the cluster resource is named ") + kClusterResourceName);
  }
  const auto colon = b.principal.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == b.principal.size()) {
    return bad("the principal must be TYPE:NAME, as User:alice");
  }
  if (b.host.empty()) return bad("the host cannot be empty ('*' for any)");
  if (b.operation == AclOperation::kAny) return bad("the operation cannot be Any");
  if (b.permission == AclPermission::kAny) return bad("the permission must be Allow or Deny");
  if (!OperationFits(b.resource_type, b.operation)) {
    return bad(std::string(AclOperationName(b.operation)) + " is not an operation on a " +
               std::string(ResourceTypeName(b.resource_type)));
  }
  return Status::Ok();
}

Result<std::unique_ptr<AclStore>> AclStore::Open(const std::string& dir) {
  std::unique_ptr<AclStore> store(new AclStore(dir));
  const std::string path = dir + "/acls.meta";
  std::error_code ec;
  if (!fs::exists(path, ec)) return store;
  RIVULET_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  proto::AclStoreData pb;
  if (!pb.ParseFromString(bytes)) return Status(Errc::kCorruption, "cannot parse the ACLs " + path);
  for (const auto& e : pb.acls()) {
    AclBinding b;
    b.resource_type = static_cast<ResourceType>(e.resource_type());
    b.resource_name = e.resource_name();
    b.pattern_type = static_cast<PatternType>(e.pattern_type());
    b.principal = e.principal();
    b.host = e.host();
    b.operation = static_cast<AclOperation>(e.operation());
    b.permission = static_cast<AclPermission>(e.permission());
    if (Status st = ValidateAclBinding(b); !st.ok()) return Status(Errc::kCorruption, path + ": " + st.message());
    store->acls_.push_back(std::move(b));
  }
  std::sort(store->acls_.begin(), store->acls_.end());
  store->acls_.erase(std::unique(store->acls_.begin(), store->acls_.end()), store->acls_.end());
  return store;
}

std::vector<AclBinding> AclStore::List(const AclFilter& filter) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AclBinding> out;
  for (const auto& b : acls_) {
    if (filter.Matches(b)) out.push_back(b);
  }
  return out;
}

Status AclStore::Add(const std::vector<AclBinding>& bindings) {
  for (const auto& b : bindings) RIVULET_RETURN_IF_ERROR(ValidateAclBinding(b));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AclBinding> next = acls_;
  next.insert(next.end(), bindings.begin(), bindings.end());
  std::sort(next.begin(), next.end());
  next.erase(std::unique(next.begin(), next.end()), next.end());
  RIVULET_RETURN_IF_ERROR(SaveLocked(next));
  acls_ = std::move(next);
  return Status::Ok();
}

Result<std::vector<AclBinding>> AclStore::Remove(const AclFilter& filter) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AclBinding> kept, removed;
  for (const auto& b : acls_) (filter.Matches(b) ? removed : kept).push_back(b);
  if (removed.empty()) return removed;
  RIVULET_RETURN_IF_ERROR(SaveLocked(kept));
  acls_ = std::move(kept);
  return removed;
}

bool AclStore::Authorize(const AuthorizerOptions& options, const std::string& principal, const std::string& host,
                         AclOperation op, ResourceType type, const std::string& name) const {
  if (!options.enabled) return true;
  if (options.super_users.count(principal)) return true;
  using O = AclOperation;
  auto covers_principal = [&](const AclBinding& b) {
    return (b.principal == principal || b.principal == "User:*") && (b.host == "*" || b.host == host);
  };
  bool any = false, allowed = false;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& b : acls_) {
    if (b.resource_type != type || !AppliesTo(b, name)) continue;
    any = true;
    if (!covers_principal(b)) continue;
    if (b.permission == AclPermission::kDeny) {
      if (b.operation == op || b.operation == O::kAll) return false;  // a Deny wins
      continue;
    }
    const bool implied = (op == O::kDescribe && (b.operation == O::kRead || b.operation == O::kWrite ||
                                                 b.operation == O::kDelete || b.operation == O::kAlter)) ||
                         (op == O::kDescribeConfigs && b.operation == O::kAlterConfigs);
    if (b.operation == op || b.operation == O::kAll || implied) allowed = true;
  }
  return any ? allowed : options.allow_if_no_acl_found;
}

Status AclStore::SaveLocked(const std::vector<AclBinding>& acls) const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return Status(Errc::kIoError, "cannot create " + dir_ + ": " + ec.message());
  proto::AclStoreData pb;
  for (const auto& b : acls) {
    auto* e = pb.add_acls();
    e->set_resource_type(static_cast<int32_t>(b.resource_type));
    e->set_resource_name(b.resource_name);
    e->set_pattern_type(static_cast<int32_t>(b.pattern_type));
    e->set_principal(b.principal);
    e->set_host(b.host);
    e->set_operation(static_cast<int32_t>(b.operation));
    e->set_permission(static_cast<int32_t>(b.permission));
  }
  return WriteFileAtomic(dir_ + "/acls.meta", pb.SerializeAsString());
}

}  // namespace rivulet::log
