// Test helpers; see test_util.h.
#include "tests/test_util.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

// GCC 12 warns that the value of a RecordView filled by Next may be used
// uninitialized after Next returned true: its known false positive for
// std::optional (GCC bug 80635); every path that returns true sets it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

extern char** environ;

namespace rivulet::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/rivulet-test-XXXXXX";
  char* p = ::mkdtemp(tmpl.data());
  if (p == nullptr) std::abort();
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string MakeBatch(const std::vector<std::string>& values, int64_t ts0, bool with_keys) {
  log::RecordBatchBuilder b;
  for (size_t i = 0; i < values.size(); ++i) {
    std::string key = "k" + std::to_string(i);
    b.Append(ts0 + static_cast<int64_t>(i),
             with_keys ? std::optional<std::string_view>(key) : std::nullopt, values[i]);
  }
  return b.Finish();
}

Result<std::vector<SimpleRecord>> DecodeAll(const std::string& bytes) {
  std::vector<SimpleRecord> out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    std::span<const char> rest(bytes.data() + pos, bytes.size() - pos);
    RIVULET_ASSIGN_OR_RETURN(log::BatchHeader h, log::ValidateBatch(rest));
    auto reader = log::RecordReader::ForBatch(h, rest);
    log::RecordView r;
    while (reader.Next(&r)) {
      out.push_back({r.offset, r.timestamp, std::string(r.key.value_or("")),
                     std::string(r.value.value_or(""))});
    }
    RIVULET_RETURN_IF_ERROR(reader.status());
    pos += h.total_size();
  }
  return out;
}

Result<std::vector<SimpleRecord>> ReadAll(const log::LogManager& lm, const log::TopicPartition& tp,
                                          int64_t from) {
  std::vector<SimpleRecord> out;
  int64_t next = from;
  for (;;) {
    RIVULET_ASSIGN_OR_RETURN(auto r, lm.Read(tp, next, 1 << 20));
    if (r.bytes.empty()) break;
    RIVULET_ASSIGN_OR_RETURN(auto recs, DecodeAll(r.bytes));
    for (auto& rec : recs) {
      if (rec.offset >= next) {
        next = rec.offset + 1;
        out.push_back(std::move(rec));
      }
    }
    if (recs.empty()) break;
  }
  return out;
}

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_data,
                         const std::vector<std::string>& env) {
  ProcessResult result;
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) return result;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto name_of = [](const std::string& e) { return e.substr(0, e.find('=')); };
  std::vector<std::string> env_storage;
  for (char** e = environ; *e; ++e) {
    const std::string name = name_of(*e);
    if (std::none_of(env.begin(), env.end(), [&](const std::string& x) { return name_of(x) == name; })) {
      env_storage.emplace_back(*e);
    }
  }
  for (const auto& e : env) {
    if (e.find('=') != std::string::npos) env_storage.push_back(e);
  }
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    ::close(err[0]);
    result.err = "spawn failed";
    return result;
  }
  // Feed stdin and drain both outputs without deadlocking.
  size_t written = 0;
  if (stdin_data.empty()) {
    ::close(in[1]);
    in[1] = -1;
  }
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open || in[1] >= 0) {
    struct pollfd fds[3];
    int n = 0;
    int io = -1, oo = -1, eo = -1;
    if (in[1] >= 0) { fds[n] = {in[1], POLLOUT, 0}; io = n++; }
    if (out_open) { fds[n] = {out[0], POLLIN, 0}; oo = n++; }
    if (err_open) { fds[n] = {err[0], POLLIN, 0}; eo = n++; }
    if (::poll(fds, static_cast<nfds_t>(n), -1) < 0) break;
    if (io >= 0 && fds[io].revents) {
      ssize_t w = ::write(in[1], stdin_data.data() + written, stdin_data.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w <= 0 || written == stdin_data.size()) {
        ::close(in[1]);
        in[1] = -1;
      }
    }
    if (oo >= 0 && fds[oo].revents) {
      ssize_t r = ::read(out[0], buf, sizeof(buf));
      if (r > 0) result.out.append(buf, static_cast<size_t>(r)); else out_open = false;
    }
    if (eo >= 0 && fds[eo].revents) {
      ssize_t r = ::read(err[0], buf, sizeof(buf));
      if (r > 0) result.err.append(buf, static_cast<size_t>(r)); else err_open = false;
    }
  }
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

PostgresServer::PostgresServer() {
  ProcessResult r = RunProcess({RIVULET_TESTS_DIR "/postgres_server.sh", "start", dir_ / "pg"});
  if (r.exit_code != 0) {
    error_ = "tests/postgres_server.sh start failed (" + std::to_string(r.exit_code) + "): " + r.err;
    return;
  }
  uri_ = r.out.substr(0, r.out.find('\n'));
}

PostgresServer::~PostgresServer() {
  if (!uri_.empty()) RunProcess({RIVULET_TESTS_DIR "/postgres_server.sh", "stop", dir_ / "pg"});
}

}  // namespace rivulet::testing
