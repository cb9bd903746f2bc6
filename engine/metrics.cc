#include "engine/metrics.h"

#include <utility>  // before Asio: Boost 1.74 needs std::exchange declared
#include <boost/asio.hpp>

#include <algorithm>
#include <sstream>
#include <thread>

namespace rivulet::engine {

Timestamp OperatorMetrics::watermark() const {
  Timestamp w = kMaxTimestamp;
  for (int i = 0; i < parallelism; ++i) w = std::min(w, watermarks[static_cast<size_t>(i)].load(std::memory_order_relaxed));
  return w;
}

double ExchangeMetrics::fill() const {
  size_t queued = 0, capacity = 0;
  for (const auto& c : channels) {
    queued += c->fill();
    capacity += c->capacity();
  }
  return capacity ? static_cast<double>(queued) / static_cast<double>(capacity) : 0;
}

namespace {

std::string Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string JobMetrics::PrometheusText() const {
  std::ostringstream o;
  if (!ready.load(std::memory_order_acquire)) return "# job starting\n";
  // Every series starts with the job's label: {job="NAME",...}.
  const std::string j = "{job=\"" + Label(job) + "\"";
  o << "# HELP rivulet_operator_records_in_total Records received by an operator (all instances).\n"
       "# TYPE rivulet_operator_records_in_total counter\n";
  for (const auto& m : operators) {
    if (m->is_source) continue;
    o << "rivulet_operator_records_in_total" << j << ",operator=\"" << Label(m->name) << "\",kind=\""
      << Label(m->kind) << "\"} " << m->records_in.load(std::memory_order_relaxed) << "\n";
  }
  o << "# HELP rivulet_operator_records_out_total Records emitted by an operator (all instances).\n"
       "# TYPE rivulet_operator_records_out_total counter\n";
  for (const auto& m : operators) {
    if (m->is_sink) continue;
    o << "rivulet_operator_records_out_total" << j << ",operator=\"" << Label(m->name) << "\",kind=\""
      << Label(m->kind) << "\"} " << m->records_out.load(std::memory_order_relaxed) << "\n";
  }
  o << "# HELP rivulet_operator_late_records_total Records later than a window's allowed lateness (counted, "
       "given to the late-record handler).\n"
       "# TYPE rivulet_operator_late_records_total counter\n";
  for (const auto& m : operators) {
    if (m->kind.find("window") == std::string::npos) continue;
    o << "rivulet_operator_late_records_total" << j << ",operator=\"" << Label(m->name) << "\"} "
      << m->late_records.load(std::memory_order_relaxed) << "\n";
  }
  o << "# HELP rivulet_operator_bad_records_total Records a source could not decode (failed the job, skipped or "
       "sent to a dead-letter topic, as configured).\n"
       "# TYPE rivulet_operator_bad_records_total counter\n";
  for (const auto& m : operators) {
    if (!m->is_source) continue;
    o << "rivulet_operator_bad_records_total" << j << ",operator=\"" << Label(m->name) << "\"} "
      << m->bad_records.load(std::memory_order_relaxed) << "\n";
  }
  o << "# HELP rivulet_source_lag_records Records between a source's position and the end of a partition it "
       "reads (log and Kafka sources; reported by the source about twice a second).\n"
       "# TYPE rivulet_source_lag_records gauge\n";
  for (const auto& m : operators) {
    if (!m->is_source) continue;
    for (const PartitionLag& l : m->lag.Snapshot()) {
      o << "rivulet_source_lag_records" << j << ",operator=\"" << Label(m->name) << "\",topic=\""
        << Label(l.topic) << "\",partition=\"" << l.partition << "\"} " << l.records << "\n";
    }
  }
  o << "# HELP rivulet_operator_watermark_ms Event-time watermark of an operator's output (slowest instance).\n"
       "# TYPE rivulet_operator_watermark_ms gauge\n";
  for (const auto& m : operators) {
    const Timestamp w = m->watermark();
    if (w == kMinTimestamp || w == kMaxTimestamp) continue;
    o << "rivulet_operator_watermark_ms" << j << ",operator=\"" << Label(m->name) << "\"} " << w << "\n";
  }
  o << "# HELP rivulet_exchange_fill_ratio Queued batches over capacity of an exchange's channels.\n"
       "# TYPE rivulet_exchange_fill_ratio gauge\n";
  for (const auto& x : exchanges) {
    o << "rivulet_exchange_fill_ratio" << j << ",from=\"" << Label(x.from) << "\",to=\"" << Label(x.to) << "\"} "
      << x.fill() << "\n";
  }
  const CheckpointMetrics& c = checkpoints;
  auto gauge = [&](const char* name, const char* help, const char* type, auto value) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
      << name << j << "} " << value << "\n";
  };
  gauge("rivulet_checkpoint_last_id", "Id of the last completed checkpoint (0: none yet).", "gauge", c.last_id.load());
  gauge("rivulet_checkpoint_last_duration_ms", "Trigger to completion of the last completed checkpoint.", "gauge",
        c.last_duration_ms.load());
  gauge("rivulet_checkpoint_last_bytes", "Size on disk of the last completed checkpoint.", "gauge",
        c.last_bytes.load());
  gauge("rivulet_checkpoint_last_alignment_ms", "Longest barrier alignment of a task in the last checkpoint.",
        "gauge", c.last_alignment_ms.load());
  gauge("rivulet_checkpoints_completed_total", "Checkpoints completed.", "counter", c.completed.load());
  gauge("rivulet_checkpoints_failed_total", "Checkpoints that failed (declined, timed out or not written).",
        "counter", c.failed.load());
  gauge("rivulet_checkpoint_restored_id", "The checkpoint the job started from (0: none).", "gauge",
        c.restored_id.load());
  gauge("rivulet_job_uptime_seconds", "Seconds since the job started.", "gauge",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return o.str();
}

struct MetricsServer::Impl {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor{io};
  std::atomic<const JobMetrics*> metrics{nullptr};
  std::thread thread;

  void Accept() {
    acceptor.async_accept([this](const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket) {
      if (ec) return;  // closed
      Serve(std::make_shared<boost::asio::ip::tcp::socket>(std::move(socket)));
      Accept();
    });
  }

  void Serve(std::shared_ptr<boost::asio::ip::tcp::socket> socket) {
    auto request = std::make_shared<std::string>();
    // Reads up to the end of the request head (bounded), then answers.
    boost::asio::async_read_until(
        *socket, boost::asio::dynamic_buffer(*request, 16384), "\r\n\r\n",
        [this, socket, request](const boost::system::error_code& ec, size_t) {
          if (ec) return;
          const std::string body = metrics.load()->PrometheusText();
          auto response = std::make_shared<std::string>(
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
          boost::asio::async_write(*socket, boost::asio::buffer(*response),
                                   [socket, response](const boost::system::error_code&, size_t) {
                                     boost::system::error_code ignore;
                                     socket->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignore);
                                   });
        });
  }
};

namespace {

// "HOST:PORT", an IPv6 host in brackets.
std::string HostPort(const std::string& host, uint16_t port) {
  return (host.find(':') == std::string::npos ? host : "[" + host + "]") + ":" + std::to_string(port);
}

}  // namespace

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& host, uint16_t port,
                                                            const JobMetrics* metrics) {
  auto impl = std::make_unique<Impl>();
  impl->metrics = metrics;
  boost::system::error_code ec;
  boost::asio::ip::tcp::resolver resolver(impl->io);
  const auto found = resolver.resolve(host, std::to_string(port), boost::asio::ip::resolver_base::numeric_service, ec);
  if (ec || found.empty()) {
    return Status(Errc::kInvalidArgument,
                  "cannot serve metrics on " + HostPort(host, port) + ": host '" + host + "' does not resolve" +
                      (ec ? " (" + ec.message() + ")" : std::string()));
  }
  const boost::asio::ip::tcp::endpoint ep = found.begin()->endpoint();
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(64, ec);
  if (ec == boost::asio::error::address_in_use) {
    return Status(Errc::kIoError, "metrics port " + HostPort(host, port) +
                                      " is in use (another process listens there: choose another port)");
  }
  if (ec) return Status(Errc::kIoError, "cannot serve metrics on " + HostPort(host, port) + ": " + ec.message());
  impl->Accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

std::string MetricsServer::url() const {
  const auto ep = impl_->acceptor.local_endpoint();
  return "http://" + HostPort(ep.address().to_string(), ep.port()) + "/metrics";
}

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsServer::~MetricsServer() {
  impl_->io.stop();
  impl_->thread.join();
}

void MetricsServer::Serve(const JobMetrics* metrics) { impl_->metrics.store(metrics); }

uint16_t MetricsServer::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace rivulet::engine
