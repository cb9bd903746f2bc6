// A blocking request/response exchange; see kafka_request.h.
#include "tools/kafka_request.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "log/kafka/protocol/api.h"
#include "log/wire.h"

namespace rivulet::tools {
namespace {

class Socket {
 public:
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Connect(const std::string& bootstrap) {
    const size_t colon = bootstrap.rfind(':');
    if (colon == std::string::npos) return Status(Errc::kInvalidArgument, "bootstrap '" + bootstrap + "' is not HOST:PORT");
    const std::string host = bootstrap.substr(0, colon), port = bootstrap.substr(colon + 1);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
      return Status(Errc::kIoError, "resolve " + bootstrap + ": " + ::gai_strerror(rc));
    }
    int err = 0;
    for (addrinfo* a = res; a; a = a->ai_next) {
      fd_ = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd_ >= 0 && ::connect(fd_, a->ai_addr, a->ai_addrlen) == 0) break;
      err = errno;
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
    }
    ::freeaddrinfo(res);
    if (fd_ < 0) return Status(Errc::kIoError, "connect " + bootstrap + ": " + std::strerror(err));
    return Status::Ok();
  }
  Status Write(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Status(Errc::kIoError, std::string("send: ") + std::strerror(errno));
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }
  Status Read(char* out, size_t n, std::chrono::steady_clock::time_point deadline) {
    while (n > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return Status(Errc::kTimeout, "no response from the broker in time");
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      const ssize_t r = ::recv(fd_, out, n, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return Status(Errc::kIoError, "the broker closed the connection (request not supported?)");
      out += r;
      n -= static_cast<size_t>(r);
    }
    return Status::Ok();
  }

 private:
  int fd_ = -1;
};

}  // namespace

Result<std::string> KafkaRequest(const std::string& bootstrap, int16_t key, int16_t version, std::string_view body,
                                 int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  const bool flexible = log::kafka::FlexibleVersion(key, version);
  log::Writer w;
  const size_t size_at = w.Placeholder32();
  w.Int16(key);
  w.Int16(version);
  w.Int32(1);  // correlation id
  w.NullableString(std::string("rivulet-tools"));
  if (flexible) w.EmptyTaggedFields();
  w.Raw(body);
  w.PatchInt32(size_at, static_cast<int32_t>(w.size() - 4));
  Socket s;
  RIVULET_RETURN_IF_ERROR(s.Connect(bootstrap));
  RIVULET_RETURN_IF_ERROR(s.Write(w.buffer()));
  char size[4];
  RIVULET_RETURN_IF_ERROR(s.Read(size, 4, deadline));
  const auto n = static_cast<int32_t>(log::GetBigEndian32(size));
  if (n < 4 || n > (64 << 20)) return Status(Errc::kCorruption, "response size " + std::to_string(n));
  std::string response(static_cast<size_t>(n), '\0');
  RIVULET_RETURN_IF_ERROR(s.Read(response.data(), response.size(), deadline));
  log::Reader r(response);
  if (r.Int32() != 1) return Status(Errc::kCorruption, "response to another request");
  if (log::kafka::FlexibleResponseHeader(key, version)) r.SkipTaggedFields();
  if (!r.ok()) return Status(Errc::kCorruption, std::string("response header: ") + r.error());
  return std::string(r.Rest());
}

}  // namespace rivulet::tools
