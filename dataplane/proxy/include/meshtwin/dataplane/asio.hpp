// One place that includes Boost.Asio/Beast for the data plane, with the C++20 coroutine
// pieces the proxies use. Boost 1.74's awaitable.hpp uses std::exchange without <utility>.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

namespace meshtwin::dataplane {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using Executor = asio::any_io_executor;
template <class T = void>
using Task = asio::awaitable<T>;
inline constexpr auto kUseTask = asio::use_awaitable;

// "127.0.0.1:15008"
std::string toString(const tcp::endpoint& ep);
// Parses "a.b.c.d:port" or "[v6]:port"; nullopt when malformed.
std::optional<tcp::endpoint> parseEndpoint(std::string_view text);
}  // namespace meshtwin::dataplane
