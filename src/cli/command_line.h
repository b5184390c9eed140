// What the `shoal` subcommands with their own command line (bench, load) print when they stop
// early, and the exit status they return: a usage error gets the message and the command's
// usage text (status 2), a failure the message alone (status 1). Both go to stderr, which only
// cli writes. Thread-safety: safe; each call writes whole lines through stdio.
#pragma once

#include <cstdio>
#include <string_view>

namespace shoal::cli {

inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// UsageError prints "shoal COMMAND: MESSAGE", a blank line and `usage`; returns kExitUsage.
inline int UsageError(std::string_view command, std::string_view message, std::string_view usage) {
  std::fprintf(stderr, "shoal %.*s: %.*s\n\n%.*s", static_cast<int>(command.size()), command.data(),
               static_cast<int>(message.size()), message.data(), static_cast<int>(usage.size()),
               usage.data());
  return kExitUsage;
}

// CommandFailed prints "shoal COMMAND: MESSAGE"; returns kExitFailure.
inline int CommandFailed(std::string_view command, std::string_view message) {
  std::fprintf(stderr, "shoal %.*s: %.*s\n", static_cast<int>(command.size()), command.data(),
               static_cast<int>(message.size()), message.data());
  return kExitFailure;
}

}  // namespace shoal::cli
