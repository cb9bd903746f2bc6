// CreateAcls, DescribeAcls and DeleteAcls: the ACL store (log/acls.h) over
// the wire, for Kafka's admin clients and `rivulet acls`. Managing ACLs
// needs Alter on the cluster, listing them Describe (or a super user);
// without an authorizer the APIs answer SECURITY_DISABLED, as Kafka does.
#include <map>
#include <optional>
#include <utility>
#include <tuple>

#include "base/logging.h"
#include "log/acls.h"
#include "log/kafka/protocol/acls.h"
#include "log/kafka/server/handler.h"

namespace rivulet::log::kafka {

namespace {

// Why the principal may not use an ACL API (`op` on the cluster), as the
// error and message to answer, or nullopt.
std::optional<std::pair<ErrorCode, std::string>> Refusal(const RequestContext& ctx, AclOperation op) {
  if (ctx.authorizer == nullptr || !ctx.authorizer->enabled) {
    return std::make_pair(ErrorCode::kSecurityDisabled, "no authorizer is configured (authorizer.class.name)");
  }
  if (!Authorized(ctx, op, ResourceType::kCluster, kClusterResourceName)) {
    return std::make_pair(ErrorCode::kClusterAuthorizationFailed,
                          std::string("not authorized to ") + (op == AclOperation::kAlter ? "alter" : "describe") +
                              " the cluster's ACLs");
  }
  return std::nullopt;
}

}  // namespace

void HandleCreateAcls(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = CreateAclsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  CreateAclsResponse resp;
  const auto refusal = Refusal(ctx, AclOperation::kAlter);
  for (const auto& w : req->creations) {
    CreateAclsResponse::CreationResult r;
    auto b = FromWire(w);
    if (refusal) {
      r.error = refusal->first;
      r.error_message = refusal->second;
    } else if (!b.ok()) {
      r.error = ErrorCode::kInvalidRequest;
      r.error_message = b.status().message();
    } else if (Status st = ctx.log->acls().Add({*b}); !st.ok()) {
      r.error = st.code() == Errc::kInvalidArgument ? ErrorCode::kInvalidRequest : ErrorCode::kUnknownServerError;
      r.error_message = st.message();
    } else {
      GetLogger("broker")->info("{} added ACL: {}", ctx.session->principal, b->ToString());
    }
    resp.results.push_back(std::move(r));
  }
  respond(resp.Encode(version));
}

void HandleDescribeAcls(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = DescribeAclsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  DescribeAclsResponse resp;
  auto filter = FromWire(req->filter);
  if (const auto refusal = Refusal(ctx, AclOperation::kDescribe)) {
    resp.error = refusal->first;
    resp.error_message = refusal->second;
  } else if (!filter.ok()) {
    resp.error = ErrorCode::kInvalidRequest;
    resp.error_message = filter.status().message();
  } else {
    // Grouped by resource pattern, as Kafka answers.
    std::map<std::tuple<int8_t, std::string, int8_t>, size_t> at;
    for (const AclBinding& b : ctx.log->acls().List(*filter)) {
      const auto key = std::make_tuple(static_cast<int8_t>(b.resource_type), b.resource_name,
                                       static_cast<int8_t>(b.pattern_type));
      auto [it, fresh] = at.emplace(key, resp.resources.size());
      if (fresh) {
        resp.resources.push_back({std::get<0>(key), b.resource_name, std::get<2>(key), {}});
      }
      resp.resources[it->second].acls.push_back(
          {b.principal, b.host, static_cast<int8_t>(b.operation), static_cast<int8_t>(b.permission)});
    }
  }
  respond(resp.Encode(version));
}

void HandleDeleteAcls(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = DeleteAclsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  DeleteAclsResponse resp;
  const auto refusal = Refusal(ctx, AclOperation::kAlter);
  for (const auto& w : req->filters) {
    DeleteAclsResponse::FilterResult r;
    auto filter = FromWire(w);
    if (refusal) {
      r.error = refusal->first;
      r.error_message = refusal->second;
    } else if (!filter.ok()) {
      r.error = ErrorCode::kInvalidRequest;
      r.error_message = filter.status().message();
    } else if (auto removed = ctx.log->acls().Remove(*filter); !removed.ok()) {
      r.error = ErrorCode::kUnknownServerError;
      r.error_message = removed.status().message();
    } else {
      for (const AclBinding& b : *removed) {
        GetLogger("broker")->info("{} removed ACL: {}", ctx.session->principal, b.ToString());
        r.matching.push_back({ErrorCode::kNone, std::nullopt, ToWire(b)});
      }
    }
    resp.results.push_back(std::move(r));
  }
  respond(resp.Encode(version));
}

}  // namespace rivulet::log::kafka
