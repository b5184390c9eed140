// WriteWhole: the completion condition of a session's gathered writes (asio::async_write).
//
// Asio's default, transfer_all, offers the socket at most 64 KiB per write call, so a cached
// 1 MiB answer took 17 sendmsg calls, each a trip through the event loop. WriteWhole offers
// everything that remains (still as views of the head strings and the entries' bodies: no
// copy), so the kernel takes as much as the socket's send buffer holds in one call; a partial
// write continues where it stopped once the socket is writable again, as before.
// Stateless; any thread.
#pragma once

#include <cstddef>
#include <limits>

#include <boost/system/error_code.hpp>

namespace shoal::http::internal {

struct WriteWhole {
  // Asio asks before each write call: how much more to offer (0: the operation is over).
  size_t operator()(const boost::system::error_code& ec, size_t /*written*/) const {
    return ec ? 0 : std::numeric_limits<size_t>::max();
  }
};

}  // namespace shoal::http::internal
