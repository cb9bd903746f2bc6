// One named spdlog logger per folder ("log", "broker", "tools", ...), all
// writing to stderr with the same pattern.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace rivulet {

// Returns the logger named `name`, creating it on first use.
std::shared_ptr<spdlog::logger> GetLogger(const std::string& name);

// Sets the level of every logger (and of those created later), e.g. "warn".
void SetLogLevel(const std::string& level);

}  // namespace rivulet
