// AccessLineFormatter: the two access-log line formats (see access_log_format.h).
#include "cli/access_log_format.h"

#include <chrono>
#include <cstdio>

#include <arpa/inet.h>

#include "base/json.h"
#include "base/log_escape.h"
#include "base/numbers.h"

namespace shoal::cli {
namespace {

constexpr std::string_view kCut = "...";

// AppendClient appends the client's address as text, "-" when unknown.
void AppendClient(std::string& out, const http::ClientAddress& client) {
  char text[INET6_ADDRSTRLEN] = {};
  const int family = client.size == 4 ? AF_INET : AF_INET6;
  if ((client.size != 4 && client.size != 16) ||
      ::inet_ntop(family, client.bytes.data(), text, sizeof(text)) == nullptr) {
    out += '-';
    return;
  }
  out += text;
}

std::string_view Protocol(const http::AccessRecord& r) {
  return r.http_1_0 ? "HTTP/1.0" : "HTTP/1.1";
}

std::string_view OrDash(std::string_view s) { return s.empty() ? std::string_view("-") : s; }

// AppendQuoted appends `v` for the combined format, escaped (its surrounding quotes are the
// caller's), "-" when empty.
void AppendQuoted(std::string& out, const http::AccessValue& v) {
  if (v.text.empty() && !v.cut) {
    out += '-';
    return;
  }
  AppendEscapedForLog(out, v.text, /*quote=*/true);
  if (v.cut) out += kCut;
}

// AppendJsonValue appends `v` as a JSON string, "-" when empty.
void AppendJsonValue(std::string& out, const http::AccessValue& v) {
  if (v.text.empty() && !v.cut) {
    out += "\"-\"";
    return;
  }
  if (!v.cut) {
    AppendJsonString(out, v.text);
    return;
  }
  // The cut may have split a UTF-8 sequence: its bytes become U+FFFD, like any invalid ones.
  AppendJsonString(out, v.text);
  out.pop_back();  // the closing quote
  out += kCut;
  out += '"';
}

// Micros is `d` in whole microseconds, never negative.
uint64_t Micros(Duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us > 0 ? static_cast<uint64_t>(us) : 0;
}

// AppendFraction appends `value` / 10^digits with exactly `digits` decimals ("0.000041").
void AppendFraction(std::string& out, uint64_t value, int digits) {
  uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  AppendUint(out, value / scale);
  out += '.';
  uint64_t rest = value % scale;
  for (uint64_t s = scale / 10; s > 0; s /= 10) {
    out += static_cast<char>('0' + rest / s);
    rest %= s;
  }
}

}  // namespace

std::optional<AccessLogFormat> ParseAccessLogFormat(std::string_view text) {
  if (text == "combined") return AccessLogFormat::kCombined;
  if (text == "json") return AccessLogFormat::kJson;
  return std::nullopt;
}

std::string_view AccessLineFormatter::Second(time_t t) {
  if (t == cached_second_) return {second_text_, second_size_};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  struct tm tm {};
  gmtime_r(&t, &tm);
  int n = 0;
  if (format_ == AccessLogFormat::kCombined) {
    n = std::snprintf(second_text_, sizeof(second_text_), "%02d/%s/%04d:%02d:%02d:%02d", tm.tm_mday,
                      kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  } else {
    n = std::snprintf(second_text_, sizeof(second_text_), "%04d-%02d-%02dT%02d:%02d:%02d",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                      tm.tm_sec);
  }
  second_size_ = n > 0 ? std::min(static_cast<size_t>(n), sizeof(second_text_) - 1) : 0;
  cached_second_ = t;
  return {second_text_, second_size_};
}

void AccessLineFormatter::Append(std::string& out, const http::AccessRecord& record) {
  if (format_ == AccessLogFormat::kCombined) {
    AppendCombined(out, record);
  } else {
    AppendJson(out, record);
  }
}

void AccessLineFormatter::AppendCombined(std::string& out, const http::AccessRecord& r) {
  using std::chrono::system_clock;
  AppendClient(out, r.client);
  out += " - - [";
  out += Second(system_clock::to_time_t(r.time));
  out += " +0000] \"";
  if (r.method.text.empty() && !r.method.cut) {
    out += '-';  // answered without a parsed request
  } else {
    AppendQuoted(out, r.method);
    out += ' ';
    AppendQuoted(out, r.target);
    out += ' ';
    out += Protocol(r);
  }
  out += "\" ";
  AppendUint(out, static_cast<uint64_t>(r.status > 0 ? r.status : 0));
  out += ' ';
  AppendUint(out, r.bytes);
  out += " \"";
  AppendQuoted(out, r.referer);
  out += "\" \"";
  AppendQuoted(out, r.user_agent);
  out += "\" ";
  AppendFraction(out, Micros(r.duration), 6);
  out += ' ';
  out += OrDash(http::CacheResultName(r.cache));
  out += " \"";
  AppendEscapedForLog(out, OrDash(r.route), /*quote=*/true);
  out += "\" ";
  AppendEscapedForLog(out, OrDash(r.owner), /*quote=*/true);
  out += '\n';
}

void AccessLineFormatter::AppendJson(std::string& out, const http::AccessRecord& r) {
  using std::chrono::system_clock;
  const auto since_epoch = r.time.time_since_epoch();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
  const time_t second = system_clock::to_time_t(r.time);
  out += "{\"time\":\"";
  out += Second(second);
  out += '.';
  const auto milli = static_cast<uint64_t>(((ms % 1000) + 1000) % 1000);
  out += static_cast<char>('0' + milli / 100);
  out += static_cast<char>('0' + milli / 10 % 10);
  out += static_cast<char>('0' + milli % 10);
  out += "+00:00\",\"client\":\"";
  AppendClient(out, r.client);
  out += "\",\"method\":";
  AppendJsonValue(out, r.method);
  out += ",\"target\":";
  AppendJsonValue(out, r.target);
  out += ",\"protocol\":\"";
  out += r.method.text.empty() && !r.method.cut ? std::string_view("-") : Protocol(r);
  out += "\",\"status\":";
  AppendUint(out, static_cast<uint64_t>(r.status > 0 ? r.status : 0));
  out += ",\"bytes\":";
  AppendUint(out, r.bytes);
  out += ",\"duration_ms\":";
  AppendFraction(out, Micros(r.duration), 3);
  out += ",\"cache\":\"";
  out += OrDash(http::CacheResultName(r.cache));
  out += "\",\"route\":";
  AppendJsonString(out, OrDash(r.route));
  out += ",\"owner\":";
  AppendJsonString(out, OrDash(r.owner));
  out += ",\"referer\":";
  AppendJsonValue(out, r.referer);
  out += ",\"user_agent\":";
  AppendJsonValue(out, r.user_agent);
  out += "}\n";
}

}  // namespace shoal::cli
