// The two AclClients; see acl_requests.h.
#include "tools/acl_requests.h"

#include "log/kafka/protocol/acls.h"

namespace rivulet::tools {

namespace k = log::kafka;

namespace {

class LocalAcls final : public AclClient {
 public:
  explicit LocalAcls(std::unique_ptr<log::LogManager> lm) : lm_(std::move(lm)) {}
  Status Create(const std::vector<log::AclBinding>& bindings) override { return lm_->acls().Add(bindings); }
  Result<std::vector<log::AclBinding>> Describe(const log::AclFilter& filter) override {
    return lm_->acls().List(filter);
  }
  Result<std::vector<log::AclBinding>> Delete(const std::vector<log::AclFilter>& filters) override {
    std::vector<log::AclBinding> all;
    for (const auto& f : filters) {
      RIVULET_ASSIGN_OR_RETURN(auto removed, lm_->acls().Remove(f));
      all.insert(all.end(), removed.begin(), removed.end());
    }
    return all;
  }

 private:
  std::unique_ptr<log::LogManager> lm_;
};

// A Kafka error of an ACL API as a Status.
Status Refused(const char* api, k::ErrorCode e, const std::optional<std::string>& message) {
  const Errc code = e == k::ErrorCode::kClusterAuthorizationFailed ? Errc::kNotAuthorized
                    : e == k::ErrorCode::kSecurityDisabled          ? Errc::kNotSupported
                                                                    : Errc::kInvalidArgument;
  return Status(code, std::string(api) + " refused (Kafka error " + std::to_string(k::Code(e)) + ")" +
                          (message ? ": " + *message : ""));
}

class RemoteAcls final : public AclClient {
 public:
  explicit RemoteAcls(std::unique_ptr<KafkaConnection> conn) : conn_(std::move(conn)) {}
  // v3: the newest; every broker that serves ACLs since Kafka 2.8 takes it.
  static constexpr int16_t kVersion = 3;

  Status Create(const std::vector<log::AclBinding>& bindings) override {
    k::CreateAclsRequest req;
    for (const auto& b : bindings) req.creations.push_back(k::ToWire(b));
    RIVULET_ASSIGN_OR_RETURN(std::string body, conn_->Request(static_cast<int16_t>(k::ApiKey::kCreateAcls), kVersion,
                                                              req.Encode(kVersion)));
    RIVULET_ASSIGN_OR_RETURN(auto resp, k::CreateAclsResponse::Decode(body, kVersion));
    for (const auto& r : resp.results) {
      if (r.error != k::ErrorCode::kNone) return Refused("CreateAcls", r.error, r.error_message);
    }
    return Status::Ok();
  }

  Result<std::vector<log::AclBinding>> Describe(const log::AclFilter& filter) override {
    k::DescribeAclsRequest req{k::ToWire(filter)};
    RIVULET_ASSIGN_OR_RETURN(std::string body, conn_->Request(static_cast<int16_t>(k::ApiKey::kDescribeAcls),
                                                              kVersion, req.Encode(kVersion)));
    RIVULET_ASSIGN_OR_RETURN(auto resp, k::DescribeAclsResponse::Decode(body, kVersion));
    if (resp.error != k::ErrorCode::kNone) return Refused("DescribeAcls", resp.error, resp.error_message);
    std::vector<log::AclBinding> out;
    for (const auto& r : resp.resources) {
      for (const auto& a : r.acls) {
        auto b = k::FromWire(k::AclBindingWire{r.resource_type, r.resource_name, r.pattern_type, a.principal, a.host,
                                               a.operation, a.permission});
        if (b.ok()) out.push_back(std::move(b).value());
      }
    }
    return out;
  }

  Result<std::vector<log::AclBinding>> Delete(const std::vector<log::AclFilter>& filters) override {
    k::DeleteAclsRequest req;
    for (const auto& f : filters) req.filters.push_back(k::ToWire(f));
    RIVULET_ASSIGN_OR_RETURN(std::string body, conn_->Request(static_cast<int16_t>(k::ApiKey::kDeleteAcls), kVersion,
                                                              req.Encode(kVersion)));
    RIVULET_ASSIGN_OR_RETURN(auto resp, k::DeleteAclsResponse::Decode(body, kVersion));
    std::vector<log::AclBinding> out;
    for (const auto& r : resp.results) {
      if (r.error != k::ErrorCode::kNone) return Refused("DeleteAcls", r.error, r.error_message);
      for (const auto& m : r.matching) {
        auto b = k::FromWire(m.acl);
        if (b.ok()) out.push_back(std::move(b).value());
      }
    }
    return out;
  }

 private:
  std::unique_ptr<KafkaConnection> conn_;
};

}  // namespace

Result<std::unique_ptr<AclClient>> AclClient::Local(const Target& target) {
  RIVULET_ASSIGN_OR_RETURN(auto lm, target.Open());
  return std::unique_ptr<AclClient>(new LocalAcls(std::move(lm)));
}

Result<std::unique_ptr<AclClient>> AclClient::Connect(const std::string& bootstrap, const ClientProperties& props) {
  RIVULET_ASSIGN_OR_RETURN(auto conn, KafkaConnection::Open(bootstrap, props));
  return std::unique_ptr<AclClient>(new RemoteAcls(std::move(conn)));
}

}  // namespace rivulet::tools
