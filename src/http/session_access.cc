// The access-log side of a Session (http/access.h): the client's address, the request text
// kept in its slot, and the record handed to the sink. Loop thread only, like the session.
#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>

#include "http/session_internal.h"

namespace shoal::http::internal {

ClientAddress ClientAddressOf(const asio::ip::tcp::socket& socket) {
  ClientAddress a;
  boost::system::error_code ec;
  const asio::ip::tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) return a;
  if (remote.address().is_v4()) {
    const asio::ip::address_v4::bytes_type b = remote.address().to_v4().to_bytes();
    std::copy(b.begin(), b.end(), a.bytes.begin());
    a.size = static_cast<unsigned char>(b.size());
  } else {
    const asio::ip::address_v6::bytes_type b = remote.address().to_v6().to_bytes();
    std::copy(b.begin(), b.end(), a.bytes.begin());
    a.size = static_cast<unsigned char>(b.size());
  }
  return a;
}

void Session::KeepForLog(Slot& slot) {
  auto keep = [](std::string& to, bool& cut, std::string_view from, size_t max) {
    cut = from.size() > max;
    to.assign(from.substr(0, max));
  };
  keep(slot.method, slot.method_cut, request_.method_name, kAccessMethodMax);
  keep(slot.target, slot.target_cut, request_.target, kAccessTargetMax);
  keep(slot.referer, slot.referer_cut, request_.HeaderValue("Referer"), kAccessHeaderMax);
  keep(slot.user_agent, slot.user_agent_cut, request_.HeaderValue("User-Agent"), kAccessHeaderMax);
}

void Session::LogAnswer(const Slot& slot) {
  const Response& r = slot.response;
  AccessRecord rec;
  rec.duration = std::chrono::steady_clock::now() - slot.received;
  rec.time = std::chrono::system_clock::now() -
             std::chrono::duration_cast<std::chrono::system_clock::duration>(rec.duration);
  rec.client = client_;
  rec.method = {slot.method, slot.method_cut};
  rec.target = {slot.target, slot.target_cut};
  rec.referer = {slot.referer, slot.referer_cut};
  rec.user_agent = {slot.user_agent, slot.user_agent_cut};
  rec.http_1_0 = slot.http_1_0;
  rec.status = r.status;
  rec.bytes = slot.head_request || HasNoBody(r.status) ? 0 : r.body.size();
  rec.cache = r.cache_result;
  rec.route = r.route;
  rec.owner = r.owner_node;
  access_log_->Write(rec);
}

}  // namespace shoal::http::internal
