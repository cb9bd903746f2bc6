// DescribeUserScramCredentials and AlterUserScramCredentials (KIP-554): the
// users' SCRAM credentials (log/credentials.h) over the wire. An upsertion
// carries the salted password, never the password; the broker keeps only
// StoredKey and ServerKey derived from it. With an authorizer, Describe
// and Alter on the cluster (CLUSTER_AUTHORIZATION_FAILED).
#include <map>
#include <set>

#include "base/logging.h"
#include "log/credentials.h"
#include "log/kafka/auth/sasl.h"
#include "log/kafka/protocol/sasl.h"
#include "log/kafka/server/handler.h"

namespace rivulet::log::kafka {

void HandleDescribeUserScramCredentials(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = DescribeUserScramCredentialsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  DescribeUserScramCredentialsResponse resp;
  if (!Authorized(ctx, AclOperation::kDescribe, ResourceType::kCluster, kClusterResourceName)) {
    resp.error = ErrorCode::kClusterAuthorizationFailed;
    resp.error_message = "not authorized to describe the cluster's users";
    return respond(resp.Encode(version));
  }
  const auto all = ctx.log->credentials().List();
  auto describe = [&](const std::string& user, const std::vector<ScramCredential>& creds) {
    DescribeUserScramCredentialsResponse::UserResult r;
    r.user = user;
    for (const auto& c : creds) r.credentials.push_back({static_cast<int8_t>(c.mechanism), c.iterations});
    resp.results.push_back(std::move(r));
  };
  if (!req->users || req->users->empty()) {
    // Null or empty: every user, as Kafka answers.
    for (const auto& [user, creds] : all) describe(user, creds);
  } else {
    std::map<std::string, int> asked;
    for (const auto& u : *req->users) ++asked[u];
    for (const auto& [user, times] : asked) {
      DescribeUserScramCredentialsResponse::UserResult r;
      r.user = user;
      if (times > 1) {
        r.error = ErrorCode::kDuplicateResource;
        r.error_message = "user '" + user + "' asked for more than once";
      } else if (auto it = all.find(user); it != all.end()) {
        describe(user, it->second);
        continue;
      } else {
        r.error = ErrorCode::kResourceNotFound;
        r.error_message = "user '" + user + "' has no SCRAM credential";
      }
      resp.results.push_back(std::move(r));
    }
  }
  respond(resp.Encode(version));
}

void HandleAlterUserScramCredentials(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = AlterUserScramCredentialsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  CredentialStore& store = ctx.log->credentials();
  // One result per user: the first error among its changes, else success.
  std::map<std::string, std::pair<ErrorCode, std::string>> outcome;
  auto fail = [&](const std::string& user, ErrorCode e, std::string why) {
    auto& o = outcome[user];
    if (o.first == ErrorCode::kNone) o = {e, std::move(why)};
  };
  // A (user, mechanism) named twice in one request is refused as a whole
  // for that user, as Kafka does.
  std::map<std::pair<std::string, int8_t>, int> seen;
  for (const auto& d : req->deletions) ++seen[{d.name, d.mechanism}];
  for (const auto& u : req->upsertions) ++seen[{u.name, u.mechanism}];
  const bool may_alter = Authorized(ctx, AclOperation::kAlter, ResourceType::kCluster, kClusterResourceName);
  for (const auto& [key, n] : seen) {
    outcome.emplace(key.first, std::make_pair(ErrorCode::kNone, std::string()));
    if (!may_alter) fail(key.first, ErrorCode::kClusterAuthorizationFailed, "not authorized to alter users");
    if (n > 1) fail(key.first, ErrorCode::kDuplicateResource, "a user and mechanism named more than once");
  }
  // Every change is checked before any is made: a user with a bad change
  // gets none of its changes.
  auto check = [&](const std::string& user, int8_t mechanism) {
    if (Status st = CredentialStore::ValidateUser(user); !st.ok()) {
      fail(user, ErrorCode::kUnacceptableCredential, st.message());
    } else if (mechanism != 1 && mechanism != 2) {
      fail(user, ErrorCode::kUnsupportedSaslMechanism, "unknown SCRAM mechanism " + std::to_string(mechanism));
    }
  };
  for (const auto& d : req->deletions) check(d.name, d.mechanism);
  for (const auto& u : req->upsertions) {
    check(u.name, u.mechanism);
    const size_t key_bytes = u.mechanism == 1 ? 32 : 64;
    if (u.iterations < kMinScramIterations || u.iterations > kMaxScramIterations) {
      fail(u.name, ErrorCode::kUnacceptableCredential,
           "iterations " + std::to_string(u.iterations) + " outside [" + std::to_string(kMinScramIterations) + ", " +
               std::to_string(kMaxScramIterations) + "]");
    } else if (u.salt.empty() || u.salted_password.size() != key_bytes) {
      fail(u.name, ErrorCode::kUnacceptableCredential,
           "an empty salt, or a salted password that is not " + std::to_string(key_bytes) + " bytes");
    }
  }
  auto ok = [&](const std::string& user) { return outcome[user].first == ErrorCode::kNone; };
  for (const auto& d : req->deletions) {
    if (!ok(d.name)) continue;
    const auto m = static_cast<ScramMechanism>(d.mechanism);
    Status st = store.Remove(d.name, m);
    if (st.code() == Errc::kNotFound) {
      fail(d.name, ErrorCode::kResourceNotFound, st.message());
    } else if (!st.ok()) {
      fail(d.name, ErrorCode::kUnknownServerError, st.message());
    } else {
      GetLogger("broker")->info("{} removed the {} credential of user '{}'", ctx.session->principal,
                                ScramMechanismName(m), d.name);
    }
  }
  for (const auto& u : req->upsertions) {
    if (!ok(u.name)) continue;
    const auto m = static_cast<ScramMechanism>(u.mechanism);
    Status st = store.Upsert(u.name, ScramCredentialFromSalted(m, u.salted_password, u.salt, u.iterations));
    if (!st.ok()) {
      fail(u.name, ErrorCode::kUnknownServerError, st.message());
    } else {
      GetLogger("broker")->info("{} set the {} credential of user '{}'", ctx.session->principal,
                                ScramMechanismName(m), u.name);
    }
  }
  AlterUserScramCredentialsResponse resp;
  for (auto& [user, o] : outcome) {
    AlterUserScramCredentialsResponse::UserResult r;
    r.user = user;
    r.error = o.first;
    if (o.first != ErrorCode::kNone) r.error_message = std::move(o.second);
    resp.results.push_back(std::move(r));
  }
  respond(resp.Encode(version));
}

}  // namespace rivulet::log::kafka
