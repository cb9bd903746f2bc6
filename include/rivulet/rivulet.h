// Everything a job needs, in one include: the job API (jobs/job.h: the
// registry, JobContext, parameters), the operators (operators/: streams,
// windows, keyed process functions, enrich), keyed state (engine/), the
// connectors (connectors/: the embedded log, Kafka, files, SQLite,
// PostgreSQL, serdes) and the embedded log's client API (log/). Include the
// single headers instead to compile less; docs/guide/api.md says what each
// offers. The test harness is rivulet/testing.h.
#pragma once

#include "base/status.h"
#include "base/version.h"
#include "connectors/file/file_connector.h"
#include "connectors/kafka/kafka_connector.h"
#include "connectors/log/log_connector.h"
#include "connectors/postgres/postgres_job_sink.h"
#include "connectors/serde/serde.h"
#include "connectors/sqlite/sqlite_job_sink.h"
#include "engine/keyed_state.h"
#include "engine/state_codec.h"
#include "engine/time.h"
#include "jobs/job.h"
#include "jobs/module.h"
#include "log/consumer.h"
#include "log/log_manager.h"
#include "log/producer.h"
#include "operators/aggregate.h"
#include "operators/enrich.h"
#include "operators/join.h"
#include "operators/process.h"
#include "operators/session.h"
#include "operators/sinks.h"
#include "operators/sources.h"
#include "operators/stream.h"
#include "operators/watermarks.h"
#include "operators/window.h"
