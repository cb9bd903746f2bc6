// PLAIN and SCRAM, server and client; see sasl.h.
#include "log/kafka/auth/sasl.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace rivulet::log::kafka {

namespace {

const EVP_MD* Digest(ScramMechanism m) { return m == ScramMechanism::kSha256 ? EVP_sha256() : EVP_sha512(); }

std::string Hmac(ScramMechanism m, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (HMAC(Digest(m), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), out, &n) == nullptr) {
    throw std::runtime_error("HMAC failed");
  }
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string Hash(ScramMechanism m, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), out, &n, Digest(m), nullptr) != 1) throw std::runtime_error("digest failed");
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string Xor(std::string_view a, std::string_view b) {
  std::string out(a);
  for (size_t i = 0; i < out.size() && i < b.size(); ++i) out[i] = static_cast<char>(out[i] ^ b[i]);
  return out;
}

bool SecureEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status Malformed(const std::string& what) { return Status(Errc::kInvalidArgument, "malformed SCRAM message: " + what); }
Status Failed(const std::string& why) { return Status(Errc::kAuthenticationFailed, why); }

// RFC 5802's saslname: ',' and '=' travel as "=2C" and "=3D".
Result<std::string> DecodeSaslName(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ',') return Malformed("',' in a name");
    if (s[i] != '=') {
      out += s[i];
      continue;
    }
    if (s.substr(i, 3) == "=2C") {
      out += ',';
    } else if (s.substr(i, 3) == "=3D") {
      out += '=';
    } else {
      return Malformed("bad escape in a name");
    }
    i += 2;
  }
  return out;
}

std::string EncodeSaslName(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out += c;
    }
  }
  return out;
}

// "a=1,b=2" into its attributes, each "x=value" with a one-letter name
// (extensions may have longer names; kept as they are).
std::vector<std::string_view> SplitAttributes(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// The value of attribute `name` at `attr` ("r=abc" -> "abc"), or nullopt.
std::optional<std::string_view> Attribute(std::string_view attr, char name) {
  if (attr.size() < 2 || attr[0] != name || attr[1] != '=') return std::nullopt;
  return attr.substr(2);
}

bool ValidNonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (const char c : nonce) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

std::string MakeNonce() {
  // Base64 of random bytes: printable and without ','.
  return Base64Encode(RandomBytes(24));
}

Result<int32_t> ParseIterations(std::string_view s) {
  if (s.empty() || s.size() > 9) return Malformed("iteration count");
  int32_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return Malformed("iteration count");
    v = v * 10 + (c - '0');
  }
  return v;
}

// ---- Servers ----

class ScramServer final : public SaslServer {
 public:
  ScramServer(ScramMechanism m, CredentialLookup lookup, std::string_view secret, std::string nonce)
      : mechanism_(m), lookup_(std::move(lookup)), secret_(secret), server_nonce_(nonce.empty() ? MakeNonce() : std::move(nonce)) {}

  Result<std::string> Step(std::string_view token) override {
    switch (state_) {
      case State::kFirst: return ClientFirst(token);
      case State::kFinal: return ClientFinal(token);
      case State::kDone: return Failed("message after the exchange ended");
    }
    return Failed("unreachable");
  }
  bool complete() const override { return state_ == State::kDone && verified_; }
  const std::string& user() const override { return user_; }

 private:
  enum class State { kFirst, kFinal, kDone };

  Result<std::string> ClientFirst(std::string_view msg) {
    state_ = State::kDone;  // until this step succeeds
    // gs2-header: "n," or "y," (no channel binding), then [a=authzid] ","
    if (msg.size() < 3) return Malformed("client-first-message too short");
    if (msg[0] == 'p') return Failed("client asks for channel binding, which is not offered");
    if ((msg[0] != 'n' && msg[0] != 'y') || msg[1] != ',') return Malformed("GS2 header");
    const size_t authz_end = msg.find(',', 2);
    if (authz_end == std::string_view::npos) return Malformed("GS2 header");
    const std::string_view authz = msg.substr(2, authz_end - 2);
    gs2_header_ = std::string(msg.substr(0, authz_end + 1));
    client_first_bare_ = std::string(msg.substr(authz_end + 1));
    const auto attrs = SplitAttributes(client_first_bare_);
    if (attrs.size() < 2) return Malformed("client-first-message-bare");
    if (Attribute(attrs[0], 'm')) return Failed("client requires an extension the broker does not know");
    auto name = Attribute(attrs[0], 'n');
    auto nonce = Attribute(attrs[1], 'r');
    if (!name || !nonce) return Malformed("expected n= and r=");
    RIVULET_ASSIGN_OR_RETURN(user_, DecodeSaslName(*name));
    if (user_.empty()) return Malformed("empty user name");
    if (!ValidNonce(*nonce)) return Malformed("client nonce");
    for (size_t i = 2; i < attrs.size(); ++i) {
      if (attrs[i] == "tokenauth=true") return Failed("delegation tokens are not supported");
    }
    if (!authz.empty()) {
      auto authzid = Attribute(authz, 'a');
      if (!authzid) return Malformed("GS2 authzid");
      RIVULET_ASSIGN_OR_RETURN(std::string as, DecodeSaslName(*authzid));
      if (as != user_) return Failed("authorization id '" + as + "' is not the user");
    }
    if (auto c = lookup_(user_, mechanism_)) {
      credential_ = std::move(*c);
    } else {
      // An unknown user gets a made-up salt, stable for the name, and fails
      // at the proof as a wrong password does.
      known_ = false;
      credential_.mechanism = mechanism_;
      credential_.salt = Hmac(ScramMechanism::kSha256, secret_, std::string("salt:") + ScramMechanismName(mechanism_) +
                                                                    ":" + user_);
      credential_.iterations = kDefaultScramIterations;
      credential_.stored_key = RandomBytes(Hash(mechanism_, "").size());
      credential_.server_key = credential_.stored_key;
    }
    client_nonce_ = std::string(*nonce);
    nonce_ = client_nonce_ + server_nonce_;
    server_first_ = "r=" + nonce_ + ",s=" + Base64Encode(credential_.salt) + ",i=" +
                    std::to_string(credential_.iterations);
    state_ = State::kFinal;
    return server_first_;
  }

  Result<std::string> ClientFinal(std::string_view msg) {
    state_ = State::kDone;
    const size_t p = msg.rfind(",p=");
    if (p == std::string_view::npos) return Malformed("client-final-message without a proof");
    const std::string_view without_proof = msg.substr(0, p);
    const auto attrs = SplitAttributes(without_proof);
    if (attrs.size() < 2) return Malformed("client-final-message");
    auto binding = Attribute(attrs[0], 'c');
    auto nonce = Attribute(attrs[1], 'r');
    if (!binding || !nonce) return Malformed("expected c= and r=");
    if (*binding != Base64Encode(gs2_header_)) return Failed("channel binding differs from the GS2 header");
    // RFC 5802 wants the server's nonce back. librdkafka (to 2.x) sends the
    // client's nonce before it once more; Kafka takes that (it checks that
    // the nonce ends with its own), and so does this broker, nothing else.
    if (*nonce != nonce_ && *nonce != client_nonce_ + nonce_) return Failed("nonce differs from the server's");
    RIVULET_ASSIGN_OR_RETURN(std::string proof, Base64Decode(msg.substr(p + 3)));
    const std::string auth_message = client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
    const std::string client_signature = Hmac(mechanism_, credential_.stored_key, auth_message);
    if (proof.size() != client_signature.size()) return Failed("proof of the wrong length");
    const std::string client_key = Xor(proof, client_signature);
    if (!SecureEqual(Hash(mechanism_, client_key), credential_.stored_key) || !known_) {
      return Failed(known_ ? "wrong password" : "unknown user");
    }
    verified_ = true;
    return "v=" + Base64Encode(Hmac(mechanism_, credential_.server_key, auth_message));
  }

  const ScramMechanism mechanism_;
  const CredentialLookup lookup_;
  const std::string secret_;
  const std::string server_nonce_;
  State state_ = State::kFirst;
  bool known_ = true;
  bool verified_ = false;
  std::string user_;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string client_nonce_;
  std::string nonce_;
  ScramCredential credential_;
};

class PlainServer final : public SaslServer {
 public:
  explicit PlainServer(CredentialLookup lookup) : lookup_(std::move(lookup)) {}

  // One message: authzid NUL authcid NUL password.
  Result<std::string> Step(std::string_view token) override {
    if (done_) return Failed("message after the exchange ended");
    done_ = true;
    const size_t a = token.find('\0');
    const size_t b = a == std::string_view::npos ? a : token.find('\0', a + 1);
    if (b == std::string_view::npos || token.find('\0', b + 1) != std::string_view::npos) {
      return Status(Errc::kInvalidArgument, "malformed PLAIN message");
    }
    const std::string_view authzid = token.substr(0, a);
    user_ = std::string(token.substr(a + 1, b - a - 1));
    const std::string_view password = token.substr(b + 1);
    if (user_.empty()) return Status(Errc::kInvalidArgument, "PLAIN message without a user");
    if (!authzid.empty() && authzid != user_) return Failed("authorization id '" + std::string(authzid) + "' is not the user");
    auto credential = lookup_(user_, ScramMechanism::kSha512);
    if (!credential) credential = lookup_(user_, ScramMechanism::kSha256);
    if (!credential) {
      // As long as a wrong password takes.
      ScramCredential dummy;
      dummy.salt = "-";
      (void)ScramVerifyPassword(dummy, password);
      return Failed("unknown user");
    }
    if (!ScramVerifyPassword(*credential, password)) return Failed("wrong password");
    verified_ = true;
    return std::string();
  }
  bool complete() const override { return verified_; }
  const std::string& user() const override { return user_; }

 private:
  const CredentialLookup lookup_;
  bool done_ = false;
  bool verified_ = false;
  std::string user_;
};

// ---- Clients ----

class ScramClient final : public SaslClient {
 public:
  ScramClient(ScramMechanism m, std::string user, std::string password, std::string nonce)
      : mechanism_(m), user_(std::move(user)), password_(std::move(password)),
        nonce_(nonce.empty() ? MakeNonce() : std::move(nonce)) {}
  ~ScramClient() override { OPENSSL_cleanse(password_.data(), password_.size()); }

  Result<std::string> Step(std::string_view server) override {
    switch (step_++) {
      case 0:
        client_first_bare_ = "n=" + EncodeSaslName(user_) + ",r=" + nonce_;
        return "n,," + client_first_bare_;
      case 1: return ClientFinal(server);
      case 2: {
        if (server.substr(0, 2) == "e=") return Failed("the broker refused: " + std::string(server.substr(2)));
        if (server.substr(0, 2) != "v=" || !SecureEqual(server.substr(2), Base64Encode(server_signature_))) {
          return Failed("the broker's signature does not verify (not the broker that holds the credential)");
        }
        complete_ = true;
        return std::string();
      }
      default: return Failed("message after the exchange ended");
    }
  }
  bool complete() const override { return complete_; }

 private:
  Result<std::string> ClientFinal(std::string_view server_first) {
    const auto attrs = SplitAttributes(server_first);
    if (attrs.size() < 3) return Malformed("server-first-message");
    auto nonce = Attribute(attrs[0], 'r');
    auto salt64 = Attribute(attrs[1], 's');
    auto iter = Attribute(attrs[2], 'i');
    if (!nonce || !salt64 || !iter) return Malformed("server-first-message");
    if (nonce->substr(0, nonce_.size()) != nonce_ || nonce->size() == nonce_.size()) {
      return Failed("the broker's nonce does not extend the client's");
    }
    RIVULET_ASSIGN_OR_RETURN(std::string salt, Base64Decode(*salt64));
    RIVULET_ASSIGN_OR_RETURN(int32_t iterations, ParseIterations(*iter));
    if (iterations < kMinScramIterations) return Failed("the broker asks for fewer than 4096 iterations");
    std::string salted = ScramSaltedPassword(mechanism_, password_, salt, iterations);
    std::string client_key = Hmac(mechanism_, salted, "Client Key");
    const std::string stored_key = Hash(mechanism_, client_key);
    const std::string without_proof = "c=" + Base64Encode("n,,") + ",r=" + std::string(*nonce);
    const std::string auth_message = client_first_bare_ + "," + std::string(server_first) + "," + without_proof;
    const std::string proof = Xor(client_key, Hmac(mechanism_, stored_key, auth_message));
    server_signature_ = Hmac(mechanism_, Hmac(mechanism_, salted, "Server Key"), auth_message);
    // With this salt, either is as good as the password.
    OPENSSL_cleanse(salted.data(), salted.size());
    OPENSSL_cleanse(client_key.data(), client_key.size());
    return without_proof + ",p=" + Base64Encode(proof);
  }

  const ScramMechanism mechanism_;
  const std::string user_;
  std::string password_;
  int step_ = 0;
  bool complete_ = false;
  std::string nonce_;
  std::string client_first_bare_;
  std::string server_signature_;
};

class PlainClient final : public SaslClient {
 public:
  PlainClient(std::string user, std::string password) : user_(std::move(user)), password_(std::move(password)) {}
  ~PlainClient() override { OPENSSL_cleanse(password_.data(), password_.size()); }
  Result<std::string> Step(std::string_view) override {
    if (sent_) {
      complete_ = true;
      return std::string();
    }
    sent_ = true;
    return std::string(1, '\0') + user_ + std::string(1, '\0') + password_;
  }
  bool complete() const override { return complete_; }

 private:
  const std::string user_;
  std::string password_;
  bool sent_ = false;
  bool complete_ = false;
};

}  // namespace

std::string ScramSaltedPassword(ScramMechanism m, std::string_view password, std::string_view salt,
                                int32_t iterations) {
  std::string out(Hash(m, "").size(), '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                        Digest(m), static_cast<int>(out.size()), reinterpret_cast<unsigned char*>(out.data())) != 1) {
    throw std::runtime_error("PBKDF2 failed");
  }
  return out;
}

ScramCredential ScramCredentialFromSalted(ScramMechanism m, std::string_view salted_password, std::string salt,
                                          int32_t iterations) {
  ScramCredential c;
  c.mechanism = m;
  c.salt = std::move(salt);
  c.iterations = iterations;
  c.stored_key = Hash(m, Hmac(m, salted_password, "Client Key"));
  c.server_key = Hmac(m, salted_password, "Server Key");
  return c;
}

ScramCredential MakeScramCredential(ScramMechanism m, std::string_view password, int32_t iterations) {
  std::string salt = RandomBytes(32);
  std::string salted = ScramSaltedPassword(m, password, salt, iterations);
  ScramCredential c = ScramCredentialFromSalted(m, salted, std::move(salt), iterations);
  OPENSSL_cleanse(salted.data(), salted.size());
  return c;
}

bool ScramVerifyPassword(const ScramCredential& credential, std::string_view password) {
  const ScramMechanism m = credential.mechanism;
  std::string salted = ScramSaltedPassword(m, password, credential.salt, credential.iterations);
  const bool ok = SecureEqual(Hash(m, Hmac(m, salted, "Client Key")), credential.stored_key);
  OPENSSL_cleanse(salted.data(), salted.size());
  return ok;
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return Status(Errc::kInvalidArgument, "base64 of a length not a multiple of 4");
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    const bool pad = c == '=' && i + 2 >= text.size() && (i + 1 == text.size() || text[i + 1] == '=');
    if (!alnum && c != '+' && c != '/' && !pad) return Status(Errc::kInvalidArgument, "not base64");
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return Status(Errc::kInvalidArgument, "not base64");
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

const std::vector<std::string>& SaslServer::Implemented() {
  static const std::vector<std::string> names = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
  return names;
}

std::unique_ptr<SaslServer> SaslServer::Create(std::string_view mechanism, CredentialLookup lookup,
                                               std::string_view secret, std::string nonce) {
  if (mechanism == "PLAIN") return std::make_unique<PlainServer>(std::move(lookup));
  if (auto m = ParseScramMechanism(mechanism)) {
    return std::make_unique<ScramServer>(*m, std::move(lookup), secret, std::move(nonce));
  }
  return nullptr;
}

Result<std::unique_ptr<SaslClient>> SaslClient::Create(std::string_view mechanism, std::string user,
                                                       std::string password, std::string nonce) {
  if (mechanism == "PLAIN") return std::unique_ptr<SaslClient>(new PlainClient(std::move(user), std::move(password)));
  if (auto m = ParseScramMechanism(mechanism)) {
    return std::unique_ptr<SaslClient>(new ScramClient(*m, std::move(user), std::move(password), std::move(nonce)));
  }
  return Status(Errc::kInvalidArgument, "sasl.mechanism '" + std::string(mechanism) +
                                            "' is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512");
}

}  // namespace rivulet::log::kafka
