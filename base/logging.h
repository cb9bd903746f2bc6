// One named spdlog logger per folder ("log", "broker", "tools", ...), all
// writing to stderr with the same pattern.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

namespace rivulet {

// Returns the logger named `name`, creating it on first use.
std::shared_ptr<spdlog::logger> GetLogger(const std::string& name);

// Sets the level of every logger (and of those created later), e.g. "warn".
void SetLogLevel(const std::string& level);

// Text a client chose (a user name, a mechanism), fit for one log line:
// control characters and backslashes become \xNN, so that a newline in a
// name cannot forge a line; at most 256 bytes, then "...".
std::string Printable(std::string_view text);

}  // namespace rivulet
