// libFuzzer target: a request frame body as the broker reads it. Parses the
// header, decodes the body with the codec of its API and version, and
// validates and iterates any record batch bytes in it. Nothing may crash,
// hang, leak or read out of bounds (run under ASan and UBSan).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/decode.h"
#include "log/record_batch.h"

using namespace rivulet::log;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Reader r(in);
  auto header = kafka::ParseRequestHeader(r);
  if (header.ok()) {
    const std::string_view body = in.substr(in.size() - r.remaining());
    (void)kafka::DecodeRequestBody(header->api_key, header->api_version, body);
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
