// Decodes the body of any request this broker serves or has a codec for
// (the transaction codecs, txn.h, the SASL ones, sasl.h, and the ACL ones,
// acls.h, came ahead of their handlers), by API key and version, discarding
// the result: a single entry point over every codec, used by the fuzzer
// (tests/fuzz) to reach all request decoders.
#pragma once

#include <string_view>

#include "base/status.h"

namespace rivulet::log::kafka {

// kOk when the body decodes; kCorruption when malformed; kNotSupported for
// an API or version neither served nor decodable.
Status DecodeRequestBody(int16_t api_key, int16_t api_version, std::string_view body);

}  // namespace rivulet::log::kafka
