// The --format language of `rivulet consume`; see record_format.h.
#include "tools/record_format.h"

#include <cinttypes>

namespace rivulet::tools {
namespace {

constexpr std::string_view kTokens = "tpokKsSRTh";

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void Put(std::FILE* out, std::string_view s) { std::fwrite(s.data(), 1, s.size(), out); }

void PutNullable(std::FILE* out, const std::optional<std::string_view>& s) { Put(out, s ? *s : "null"); }

void PutLength(std::FILE* out, const std::optional<std::string_view>& s) {
  std::fprintf(out, "%" PRId64, s ? static_cast<int64_t>(s->size()) : int64_t{-1});
}

}  // namespace

Result<RecordFormat> RecordFormat::Parse(std::string_view fmt) {
  RecordFormat f;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) f.pieces_.push_back({0, std::move(literal)});
    literal.clear();
  };
  for (size_t i = 0; i < fmt.size(); ++i) {
    const char c = fmt[i];
    if (c == '%') {
      if (i + 1 == fmt.size()) return Status(Errc::kInvalidArgument, "--format ends in a lone %");
      const char t = fmt[++i];
      if (t == '%') {
        literal += '%';
      } else if (kTokens.find(t) != std::string_view::npos) {
        flush();
        f.pieces_.push_back({t, ""});
        f.needs_headers_ |= t == 'h';
      } else {
        return Status(Errc::kInvalidArgument, std::string("--format: unknown token %") + t +
                                                  " (known: %t %p %o %k %s %K %S %R %T %h %%)");
      }
    } else if (c == '\\' && i + 1 < fmt.size()) {
      const char e = fmt[++i];
      switch (e) {
        case 'n': literal += '\n'; break;
        case 't': literal += '\t'; break;
        case 'r': literal += '\r'; break;
        case 'x': {
          int value = 0, digits = 0;
          while (digits < 2 && i + 1 < fmt.size() && HexDigit(fmt[i + 1]) >= 0) {
            value = value * 16 + HexDigit(fmt[++i]);
            ++digits;
          }
          if (digits == 0) return Status(Errc::kInvalidArgument, "--format: \\x needs one or two hex digits");
          literal += static_cast<char>(value);
          break;
        }
        default: literal += e; break;  // \\ and any other: the character itself, as kcat
      }
    } else {
      literal += c;
    }
  }
  flush();
  return f;
}

void RecordFormat::Print(std::FILE* out, const PrintedRecord& r) const {
  for (const Piece& p : pieces_) {
    switch (p.kind) {
      case 0: Put(out, p.text); break;
      case 't': Put(out, r.topic); break;
      case 'p': std::fprintf(out, "%" PRId32, r.partition); break;
      case 'o': std::fprintf(out, "%" PRId64, r.offset); break;
      case 'T': std::fprintf(out, "%" PRId64, r.timestamp); break;
      case 'k': PutNullable(out, r.key); break;
      case 's': PutNullable(out, r.value); break;
      case 'K': PutLength(out, r.key); break;
      case 'S': PutLength(out, r.value); break;
      case 'R': {
        // Big-endian 32-bit length, -1 for null (kcat's framing for binary values).
        const auto n = static_cast<uint32_t>(r.value ? static_cast<int32_t>(r.value->size()) : -1);
        const unsigned char be[4] = {static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
                                     static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
        std::fwrite(be, 1, sizeof(be), out);
        break;
      }
      case 'h':
        for (size_t i = 0; i < r.headers.size(); ++i) {
          if (i > 0) std::fputc(',', out);
          Put(out, r.headers[i].first);
          std::fputc('=', out);
          PutNullable(out, r.headers[i].second);
        }
        break;
      default: break;
    }
  }
}

}  // namespace rivulet::tools
