// libFuzzer target: a request frame body as the broker reads it. Parses the
// header, decodes the body with the codec of its API and version, and
// validates and iterates any record batch bytes in it. The tokens of a
// SaslAuthenticate request go through the broker's SASL exchanges (PLAIN,
// SCRAM-SHA-256, SCRAM-SHA-512: a first token, then after a newline a
// second). Nothing may crash, hang, leak or read out of bounds (run under
// ASan and UBSan).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "log/kafka/auth/sasl.h"
#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/decode.h"
#include "log/kafka/protocol/sasl.h"
#include "log/record_batch.h"

using namespace rivulet::log;

namespace {

// One user, "user", with a SCRAM-SHA-256 credential (password "pencil").
std::optional<ScramCredential> Lookup(const std::string& user, ScramMechanism m) {
  static const ScramCredential credential = [] {
    const std::string salt = "fuzz-salt";
    return kafka::ScramCredentialFromSalted(
        ScramMechanism::kSha256,
        kafka::ScramSaltedPassword(ScramMechanism::kSha256, "pencil", salt, kMinScramIterations), salt,
        kMinScramIterations);
  }();
  if (user != "user" || m != ScramMechanism::kSha256) return std::nullopt;
  return credential;
}

void Sasl(std::string_view tokens) {
  const size_t nl = tokens.find('\n');
  const std::string_view first = tokens.substr(0, nl);
  for (const char* mechanism : {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}) {
    auto server = kafka::SaslServer::Create(mechanism, Lookup, "fuzz-secret");
    auto answer = server->Step(first);
    if (answer.ok() && nl != std::string_view::npos) (void)server->Step(tokens.substr(nl + 1));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Reader r(in);
  auto header = kafka::ParseRequestHeader(r);
  if (header.ok()) {
    const std::string_view body = in.substr(in.size() - r.remaining());
    (void)kafka::DecodeRequestBody(header->api_key, header->api_version, body);
    if (header->api_key == static_cast<int16_t>(kafka::ApiKey::kSaslAuthenticate)) {
      if (auto req = kafka::SaslAuthenticateRequest::Decode(body, header->api_version); req.ok()) {
        Sasl(req->auth_bytes);
      }
    }
  }
  // The same bytes as a record batch (what Produce carries).
  auto batch = ValidateBatch(std::span<const char>(in.data(), in.size()));
  auto h = batch.ok() ? batch : ParseBatchHeader(std::span<const char>(in.data(), in.size()));
  if (h.ok() && h->total_size() <= in.size() && h->compression() == Compression::kNone) {
    auto reader = RecordReader::ForBatch(*h, std::span<const char>(in.data(), in.size()));
    RecordView rec;
    while (reader.Next(&rec)) (void)DecodeHeaders(rec);
  }
  return 0;
}
