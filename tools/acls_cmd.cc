// `rivulet acls`: the broker's access control lists, with kafka-acls'
// flags, on a data directory that no broker owns or through a running
// broker (CreateAcls, DescribeAcls, DeleteAcls).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "log/acls.h"
#include "tools/acl_requests.h"
#include "tools/command.h"

namespace rivulet::tools {
namespace {

using log::AclBinding;
using log::AclFilter;
using log::AclOperation;
using log::AclPermission;
using log::PatternType;
using log::ResourceType;

struct AclsFlags {
  Target target;
  bool add = false, remove = false, list = false, force = false;
  std::vector<std::string> allow_principals, deny_principals, allow_hosts, deny_hosts, operations;
  std::vector<std::string> topics, groups, transactional_ids;
  bool cluster = false, producer = false, consumer = false, idempotent = false;
  std::string pattern_type;  // literal, prefixed, any, match
  std::vector<std::string> principals;  // --list --principal
};

// Kafka's enum constants as Java prints them: "TransactionalId" ->
// "TRANSACTIONAL_ID", "IdempotentWrite" -> "IDEMPOTENT_WRITE".
std::string Upper(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (i > 0 && std::isupper(c) && std::islower(static_cast<unsigned char>(s[i - 1]))) out += '_';
    out += static_cast<char>(std::toupper(c));
  }
  return out;
}

// kafka-acls' listing: grouped by resource pattern.
void Print(const std::vector<AclBinding>& acls) {
  std::map<std::tuple<ResourceType, std::string, PatternType>, std::vector<const AclBinding*>> by_resource;
  for (const auto& b : acls) by_resource[{b.resource_type, b.resource_name, b.pattern_type}].push_back(&b);
  for (const auto& [r, bs] : by_resource) {
    std::printf("Current ACLs for resource `ResourcePattern(resourceType=%s, name=%s, patternType=%s)`:\n",
                Upper(log::ResourceTypeName(std::get<0>(r))).c_str(), std::get<1>(r).c_str(),
                std::string(log::PatternTypeName(std::get<2>(r))).c_str());
    for (const AclBinding* b : bs) {
      std::printf(" \t(principal=%s, host=%s, operation=%s, permissionType=%s)\n", b->principal.c_str(),
                  b->host.c_str(), Upper(log::AclOperationName(b->operation)).c_str(),
                  Upper(log::AclPermissionName(b->permission)).c_str());
    }
    std::printf("\n");
  }
}

// The resources the flags name: (type, name).
std::vector<std::pair<ResourceType, std::string>> Resources(const AclsFlags& f) {
  std::vector<std::pair<ResourceType, std::string>> out;
  for (const auto& t : f.topics) out.emplace_back(ResourceType::kTopic, t);
  for (const auto& g : f.groups) out.emplace_back(ResourceType::kGroup, g);
  for (const auto& t : f.transactional_ids) out.emplace_back(ResourceType::kTransactionalId, t);
  if (f.cluster) out.emplace_back(ResourceType::kCluster, log::kClusterResourceName);
  return out;
}

Result<PatternType> Pattern(const AclsFlags& f, PatternType fallback) {
  if (f.pattern_type.empty()) return fallback;
  auto p = log::ParsePatternType(f.pattern_type);
  if (!p) return Status(Errc::kInvalidArgument, "--resource-pattern-type must be literal, prefixed, any or match");
  if (f.add && (*p == PatternType::kAny || *p == PatternType::kMatch)) {
    return Status(Errc::kInvalidArgument, "--add takes --resource-pattern-type literal or prefixed");
  }
  return *p;
}

Result<std::vector<AclOperation>> Operations(const AclsFlags& f) {
  std::vector<AclOperation> out;
  for (const auto& name : f.operations) {
    auto op = log::ParseAclOperation(name);
    if (!op || *op == AclOperation::kAny) {
      return Status(Errc::kInvalidArgument, "--operation " + name + ": one of All, Read, Write, Create, Delete, Alter, "
                                            "Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite");
    }
    out.push_back(*op);
  }
  return out;
}

// What --add or --remove means as bindings (--remove with every field
// given) — kafka-acls' rules, with --producer and --consumer.
Result<std::vector<AclBinding>> Bindings(const AclsFlags& f, PatternType pattern) {
  RIVULET_ASSIGN_OR_RETURN(auto ops, Operations(f));
  const auto resources = Resources(f);
  if (f.allow_principals.empty() && f.deny_principals.empty()) {
    return Status(Errc::kInvalidArgument, "give --allow-principal or --deny-principal (as User:alice)");
  }
  if (resources.empty()) return Status(Errc::kInvalidArgument, "give --topic, --group, --transactional-id or --cluster");
  std::vector<AclBinding> out;
  auto add = [&](ResourceType type, const std::string& name, AclOperation op) {
    auto each = [&](const std::vector<std::string>& principals, const std::vector<std::string>& hosts,
                    AclPermission perm) {
      for (const auto& p : principals) {
        for (const auto& h : hosts.empty() ? std::vector<std::string>{"*"} : hosts) {
          AclBinding b;
          b.resource_type = type;
          b.resource_name = name;
          b.pattern_type = type == ResourceType::kCluster ? PatternType::kLiteral : pattern;
          b.principal = p;
          b.host = h;
          b.operation = op;
          b.permission = perm;
          out.push_back(std::move(b));
        }
      }
    };
    each(f.allow_principals, f.allow_hosts, AclPermission::kAllow);
    each(f.deny_principals, f.deny_hosts, AclPermission::kDeny);
  };
  if (f.producer || f.consumer) {
    // kafka-acls --producer: Write, Describe and Create on the topics
    // (IdempotentWrite on the cluster with --idempotent); --consumer: Read
    // and Describe on the topics, Read on the groups.
    for (const auto& [type, name] : resources) {
      if (type == ResourceType::kTopic) {
        if (f.producer) {
          for (auto op : {AclOperation::kWrite, AclOperation::kDescribe, AclOperation::kCreate}) add(type, name, op);
        }
        if (f.consumer) {
          for (auto op : {AclOperation::kRead, AclOperation::kDescribe}) add(type, name, op);
        }
      } else if (type == ResourceType::kGroup && f.consumer) {
        add(type, name, AclOperation::kRead);
      } else if (type == ResourceType::kTransactionalId && f.producer) {
        for (auto op : {AclOperation::kWrite, AclOperation::kDescribe}) add(type, name, op);
      }
    }
    if (f.producer && f.idempotent) add(ResourceType::kCluster, log::kClusterResourceName, AclOperation::kIdempotentWrite);
    return out;
  }
  if (ops.empty()) return Status(Errc::kInvalidArgument, "give --operation (or --producer / --consumer)");
  for (const auto& [type, name] : resources) {
    for (AclOperation op : ops) add(type, name, op);
  }
  for (const auto& b : out) RIVULET_RETURN_IF_ERROR(log::ValidateAclBinding(b));
  return out;
}

// The filters of --list and of a --remove without principals or
// operations: kAny where the flags say nothing.
std::vector<AclFilter> Filters(const AclsFlags& f, PatternType pattern, const std::vector<AclOperation>& ops) {
  std::vector<AclFilter> out;
  auto resources = Resources(f);
  std::vector<std::optional<std::pair<ResourceType, std::string>>> rs;
  for (auto& r : resources) rs.emplace_back(r);
  if (rs.empty()) rs.emplace_back(std::nullopt);
  std::vector<std::optional<std::string>> principals;
  for (const auto& p : f.principals) principals.emplace_back(p);
  for (const auto& p : f.allow_principals) principals.emplace_back(p);
  for (const auto& p : f.deny_principals) principals.emplace_back(p);
  if (principals.empty()) principals.emplace_back(std::nullopt);
  std::vector<AclOperation> each_op = ops.empty() ? std::vector<AclOperation>{AclOperation::kAny} : ops;
  for (const auto& r : rs) {
    for (const auto& p : principals) {
      for (AclOperation op : each_op) {
        AclFilter flt;
        if (r) {
          flt.resource_type = r->first;
          flt.resource_name = r->second;
          flt.pattern_type = pattern;
        }
        flt.principal = p;
        flt.operation = op;
        out.push_back(std::move(flt));
      }
    }
  }
  return out;
}

Status RunAcls(AclsFlags& f) {
  if (static_cast<int>(f.add) + f.remove + f.list != 1) {
    return Status(Errc::kInvalidArgument, "give one of --add, --remove and --list");
  }
  RIVULET_RETURN_IF_ERROR(f.target.Resolve());
  std::unique_ptr<AclClient> client;
  if (f.target.remote()) {
    RIVULET_ASSIGN_OR_RETURN(client, AclClient::Connect(f.target.bootstrap, f.target.client));
  } else {
    RIVULET_ASSIGN_OR_RETURN(client, AclClient::Local(f.target));
  }
  if (f.add) {
    RIVULET_ASSIGN_OR_RETURN(PatternType pattern, Pattern(f, PatternType::kLiteral));
    RIVULET_ASSIGN_OR_RETURN(auto bindings, Bindings(f, pattern));
    RIVULET_RETURN_IF_ERROR(client->Create(bindings));
    std::printf("Adding ACLs:\n");
    Print(bindings);
    return Status::Ok();
  }
  RIVULET_ASSIGN_OR_RETURN(auto ops, Operations(f));
  const bool named = !Resources(f).empty();
  RIVULET_ASSIGN_OR_RETURN(PatternType pattern, Pattern(f, named ? PatternType::kLiteral : PatternType::kAny));
  auto filters = Filters(f, pattern, ops);
  if (f.list) {
    std::vector<AclBinding> all;
    for (const auto& flt : filters) {
      RIVULET_ASSIGN_OR_RETURN(auto some, client->Describe(flt));
      all.insert(all.end(), some.begin(), some.end());
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    Print(all);
    return Status::Ok();
  }
  if (!named) return Status(Errc::kInvalidArgument, "--remove needs --topic, --group, --transactional-id or --cluster");
  if (!f.allow_principals.empty() || !f.deny_principals.empty()) {
    // As kafka-acls: what --allow-principal / --deny-principal name, with
    // their permission and hosts, and nothing else (an allow's removal
    // must not take a deny with it).
    filters.clear();
    if (ops.empty() && !f.producer && !f.consumer) {
      for (const auto& [principals, hosts, perm] :
           {std::tuple{&f.allow_principals, &f.allow_hosts, AclPermission::kAllow},
            std::tuple{&f.deny_principals, &f.deny_hosts, AclPermission::kDeny}}) {
        for (const auto& p : *principals) {
          for (const auto& flt : Filters(f, pattern, {})) {
            // kafka-acls' default host, as --add has it.
            for (const auto& h : hosts->empty() ? std::vector<std::optional<std::string>>{std::string("*")}
                                                : std::vector<std::optional<std::string>>(hosts->begin(), hosts->end())) {
              AclFilter exact = flt;
              exact.principal = p;
              exact.permission = perm;
              exact.host = h;
              filters.push_back(std::move(exact));
            }
          }
        }
      }
    } else {
      if (pattern != PatternType::kLiteral && pattern != PatternType::kPrefixed) {
        return Status(Errc::kInvalidArgument, "--remove with --operation takes --resource-pattern-type literal or prefixed");
      }
      RIVULET_ASSIGN_OR_RETURN(auto bindings, Bindings(f, pattern));
      for (const AclBinding& b : bindings) {
        filters.push_back(AclFilter{b.resource_type, b.resource_name, b.pattern_type, b.principal, b.host,
                                    b.operation, b.permission});
      }
    }
  }
  RIVULET_ASSIGN_OR_RETURN(auto removed, client->Delete(filters));
  if (removed.empty()) return Status(Errc::kNotFound, "no ACL matches");
  std::printf("Removed ACLs:\n");
  Print(removed);
  return Status::Ok();
}

}  // namespace

void AddAclsCommand(CLI::App& app, Action* action) {
  auto f = std::make_shared<AclsFlags>();
  CLI::App* cmd = app.add_subcommand("acls", "the broker's access control lists: add, remove, list (kafka-acls' flags)");
  f->target.AddFlags(cmd);
  cmd->add_flag("--add", f->add, "add the ACLs the other flags describe");
  cmd->add_flag("--remove", f->remove, "remove the ACLs that match");
  cmd->add_flag("--list", f->list, "list ACLs (of the named resources, or all)");
  cmd->add_option("--allow-principal", f->allow_principals, "principal to allow, as User:alice (repeatable)");
  cmd->add_option("--deny-principal", f->deny_principals, "principal to deny (repeatable)");
  cmd->add_option("--allow-host", f->allow_hosts, "host the allow applies from (default *)");
  cmd->add_option("--deny-host", f->deny_hosts, "host the deny applies from (default *)");
  cmd->add_option("--operation", f->operations,
                  "All, Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, "
                  "IdempotentWrite (repeatable)");
  cmd->add_option("--topic", f->topics, "topic (repeatable; '*' for every topic)");
  cmd->add_option("--group", f->groups, "consumer group (repeatable; '*' for every group)");
  cmd->add_option("--transactional-id", f->transactional_ids, "transactional id (repeatable)");
  cmd->add_flag("--cluster", f->cluster, "the cluster resource");
  cmd->add_option("--resource-pattern-type", f->pattern_type,
                  "literal or prefixed (--add; default literal); any or match too for --list and --remove");
  cmd->add_option("--principal", f->principals, "--list: only the ACLs of this principal");
  cmd->add_flag("--producer", f->producer, "the ACLs a producer needs (Write, Describe, Create on the topics)");
  cmd->add_flag("--consumer", f->consumer, "the ACLs a consumer needs (Read, Describe on the topics, Read on the groups)");
  cmd->add_flag("--idempotent", f->idempotent, "with --producer: IdempotentWrite on the cluster");
  cmd->add_flag("--force", f->force, "accepted for kafka-acls' scripts (nothing asks for confirmation)");
  cmd->callback([f, action] { *action = [f] { return NameBroker(RunAcls(*f), f->target); }; });
}

}  // namespace rivulet::tools
