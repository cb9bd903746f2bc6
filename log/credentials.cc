// The SCRAM credential store; see credentials.h.
#include "log/credentials.h"

#include <filesystem>
#include <system_error>

#include "base/file.h"
#include "rivulet_metadata.pb.h"

namespace rivulet::log {

namespace fs = std::filesystem;

namespace {

size_t KeyBytes(ScramMechanism m) { return m == ScramMechanism::kSha256 ? 32 : 64; }

}  // namespace

Status CredentialStore::ValidateUser(const std::string& user) {
  if (user.empty()) return Status(Errc::kInvalidArgument, "a user name cannot be empty");
  if (user.size() > 255) return Status(Errc::kInvalidArgument, "user name longer than 255 bytes");
  for (const char c : user) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status(Errc::kInvalidArgument, "user name '" + user + "' has a control character");
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<CredentialStore>> CredentialStore::Open(const std::string& dir) {
  std::unique_ptr<CredentialStore> store(new CredentialStore(dir));
  const std::string path = dir + "/credentials.meta";
  std::error_code ec;
  if (!fs::exists(path, ec)) return store;
  RIVULET_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  proto::CredentialStoreData pb;
  if (!pb.ParseFromString(bytes)) return Status(Errc::kCorruption, "cannot parse the credential store " + path);
  for (const auto& u : pb.users()) {
    for (const auto& c : u.credentials()) {
      if (c.mechanism() != 1 && c.mechanism() != 2) {
        return Status(Errc::kCorruption, path + ": user '" + u.user() + "' has an unknown mechanism " +
                                             std::to_string(c.mechanism()));
      }
      ScramCredential cred;
      cred.mechanism = static_cast<ScramMechanism>(c.mechanism());
      cred.salt = c.salt();
      cred.stored_key = c.stored_key();
      cred.server_key = c.server_key();
      cred.iterations = c.iterations();
      if (cred.stored_key.size() != KeyBytes(cred.mechanism) || cred.server_key.size() != KeyBytes(cred.mechanism)) {
        return Status(Errc::kCorruption, path + ": user '" + u.user() + "' has keys of the wrong length");
      }
      store->users_[u.user()][cred.mechanism] = std::move(cred);
    }
  }
  return store;
}

std::optional<ScramCredential> CredentialStore::Find(const std::string& user, ScramMechanism mechanism) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto u = users_.find(user);
  if (u == users_.end()) return std::nullopt;
  auto c = u->second.find(mechanism);
  if (c == u->second.end()) return std::nullopt;
  return c->second;
}

std::map<std::string, std::vector<ScramCredential>> CredentialStore::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::vector<ScramCredential>> out;
  for (const auto& [user, creds] : users_) {
    for (const auto& [m, c] : creds) out[user].push_back(c);
  }
  return out;
}

bool CredentialStore::empty() const {
  std::lock_guard<std::mutex> lock(mu_);
  return users_.empty();
}

Status CredentialStore::Upsert(const std::string& user, const ScramCredential& credential) {
  RIVULET_RETURN_IF_ERROR(ValidateUser(user));
  if (credential.mechanism != ScramMechanism::kSha256 && credential.mechanism != ScramMechanism::kSha512) {
    return Status(Errc::kInvalidArgument, "unknown SCRAM mechanism");
  }
  if (credential.iterations < kMinScramIterations || credential.iterations > kMaxScramIterations) {
    return Status(Errc::kInvalidArgument, "iterations " + std::to_string(credential.iterations) + " outside [" +
                                              std::to_string(kMinScramIterations) + ", " +
                                              std::to_string(kMaxScramIterations) + "]");
  }
  if (credential.salt.empty()) return Status(Errc::kInvalidArgument, "a SCRAM salt cannot be empty");
  const size_t n = KeyBytes(credential.mechanism);
  if (credential.stored_key.size() != n || credential.server_key.size() != n) {
    return Status(Errc::kInvalidArgument, std::string("the keys of a ") + ScramMechanismName(credential.mechanism) +
                                              " credential are " + std::to_string(n) + " bytes");
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto before = users_;
  users_[user][credential.mechanism] = credential;
  Status st = SaveLocked();
  if (!st.ok()) users_ = std::move(before);  // what is on disk stays what is served
  return st;
}

Status CredentialStore::Remove(const std::string& user, ScramMechanism mechanism) {
  std::lock_guard<std::mutex> lock(mu_);
  auto u = users_.find(user);
  if (u == users_.end() || u->second.count(mechanism) == 0) {
    return Status(Errc::kNotFound, std::string("user '") + user + "' has no " + ScramMechanismName(mechanism) +
                                       " credential");
  }
  auto before = users_;
  u->second.erase(mechanism);
  if (u->second.empty()) users_.erase(u);
  Status st = SaveLocked();
  if (!st.ok()) users_ = std::move(before);
  return st;
}

Status CredentialStore::SaveLocked() const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return Status(Errc::kIoError, "cannot create " + dir_ + ": " + ec.message());
  proto::CredentialStoreData pb;
  for (const auto& [user, creds] : users_) {
    auto* u = pb.add_users();
    u->set_user(user);
    for (const auto& [m, c] : creds) {
      auto* pc = u->add_credentials();
      pc->set_mechanism(static_cast<int32_t>(m));
      pc->set_salt(c.salt);
      pc->set_stored_key(c.stored_key);
      pc->set_server_key(c.server_key);
      pc->set_iterations(c.iterations);
    }
  }
  return WriteFileAtomic(dir_ + "/credentials.meta", pb.SerializeAsString());
}

}  // namespace rivulet::log
