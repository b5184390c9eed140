// RpcTransport: PeerClient over rpc::Client, PeerService behind an rpc::Handler.
#include "cluster/rpc_transport.h"

#include <utility>

#include "base/host_port.h"
#include "rpc/client.h"
#include "rpc/server.h"

namespace shoal::cluster {
namespace {

class RpcPeerClient final : public PeerClient {
 public:
  RpcPeerClient(std::shared_ptr<rpc::Client> client, const Clock& clock)
      : client_(std::move(client)), clock_(clock) {}

  void Get(std::string key, const GetOptions& options, GetCallback done) override {
    std::string payload = EncodeGet(key, options.key_floor, options.timeout, options.memory_only);
    client_->Call(
        static_cast<uint8_t>(Method::kGet), std::move(payload), options.timeout,
        [clock = &clock_, key = std::move(key), done = std::move(done)](Result<std::string> r) {
          // ResourceExhausted: the owner's reply would not fit a frame (its answer), or this
          // client has max_in_flight calls out; neither means the owner is down.
          if (!r.ok()) {
            const bool owner_answer = r.status().code() == StatusCode::kResourceExhausted;
            return done(GetReply{r.status(), owner_answer});
          }
          bool malformed = false;
          Result<cache::EntryPtr> e = DecodeGetReply(*r, key, clock->Now(), &malformed);
          // An owner that is shutting down is a transport matter for us.
          const bool owner_error =
              !e.ok() && !malformed && e.status().code() != StatusCode::kCancelled;
          done(GetReply{std::move(e), owner_error});
        });
  }

  void Purge(const PurgeTarget& target, Duration timeout, PurgeCallback done) override {
    client_->Call(static_cast<uint8_t>(Method::kPurge), EncodePurge(target), timeout,
                  [done = std::move(done)](Result<std::string> r) {
                    done(r.ok() ? DecodePurgeReply(*r) : Result<uint64_t>(r.status()));
                  });
  }

  void Sync(const SyncRequest& request, Duration timeout, SyncCallback done) override {
    client_->Call(static_cast<uint8_t>(Method::kPurgeSync), EncodeSyncRequest(request), timeout,
                  [done = std::move(done)](Result<std::string> r) {
                    done(r.ok() ? DecodeSyncReply(*r) : Result<SyncReply>(r.status()));
                  });
  }

  void Members(const MembersRequest& request, Duration timeout, MembersCallback done) override {
    client_->Call(static_cast<uint8_t>(Method::kMembers), EncodeMembers(request), timeout,
                  [done = std::move(done)](Result<std::string> r) {
                    done(r.ok() ? DecodeMembersReply(*r) : Result<MembersReply>(r.status()));
                  });
  }

  void Ping(Duration timeout, std::function<void(Status)> done) override {
    client_->Ping(timeout, std::move(done));
  }

  void Close() override { client_->Close(); }

 private:
  const std::shared_ptr<rpc::Client> client_;
  const Clock& clock_;
};

// ServiceHandler decodes other nodes' calls for a PeerService and encodes its answers.
class ServiceHandler final : public rpc::Handler {
 public:
  ServiceHandler(PeerService& service, const Clock& clock) : service_(service), clock_(clock) {}

  Status Handle(uint8_t method, std::string_view payload, rpc::Responder respond) override {
    switch (static_cast<Method>(method)) {
      case Method::kGet: {
        Result<GetRequest> request = DecodeGet(payload);
        if (!request.ok()) return request.status();
        service_.ServeGet(*request, [clock = &clock_, respond = std::move(respond)](
                                        Result<cache::EntryPtr> r, uint64_t fill_seq) {
          respond(r.ok() ? EncodeEntryReply(**r, clock->Now(), fill_seq)
                         : EncodeErrorReply(r.status()));
        });
        return Status::Ok();
      }
      case Method::kPurge: {
        Result<PurgeTarget> target = DecodePurge(payload);
        if (!target.ok()) return target.status();
        respond(EncodePurgeReply(service_.ServePurge(*target)));
        return Status::Ok();
      }
      case Method::kPurgeSync: {
        Result<SyncRequest> request = DecodeSyncRequest(payload);
        if (!request.ok()) return request.status();
        respond(EncodeSyncReply(service_.ServeSync(*request)));
        return Status::Ok();
      }
      case Method::kMembers: {
        Result<MembersRequest> request = DecodeMembers(payload);
        if (!request.ok()) return request.status();
        respond(EncodeMembersReply(service_.ServeMembers(*request)));
        return Status::Ok();
      }
    }
    return Status::InvalidArgument("unknown method " + std::to_string(method));
  }

 private:
  PeerService& service_;
  const Clock& clock_;
};

}  // namespace

RpcTransport::RpcTransport(rpc::Runtime& runtime, const Clock& clock, RpcTransportOptions options)
    : runtime_(runtime), clock_(clock), options_(std::move(options)) {}

RpcTransport::~RpcTransport() { StopServing(); }

std::shared_ptr<PeerClient> RpcTransport::Connect(const std::string& peer) {
  Result<HostPort> address = ParseHostPort(peer);  // validated by the Cluster before
  rpc::ClientOptions co;
  if (address.ok()) {
    co.host = address->host;
    co.port = address->port;
  }
  if (auto via = options_.connect_to.find(peer); via != options_.connect_to.end()) {
    if (Result<HostPort> dial = ParseHostPort(via->second); dial.ok()) {  // checked by config
      co.dial_host = dial->host;
      co.dial_port = dial->port;
    }
  }
  co.connections = options_.connections;
  co.secret = options_.secret;
  co.tls = options_.tls;
  co.self = options_.self;
  co.allow_insecure = options_.insecure;
  co.keepalive = options_.keepalive;
  co.connect_timeout = options_.connect_timeout;
  co.backoff_max = options_.backoff_max;
  co.logger = options_.logger;
  return std::make_shared<RpcPeerClient>(std::make_shared<rpc::Client>(runtime_, std::move(co)),
                                         clock_);
}

Status RpcTransport::Serve(PeerService& service) {
  if (server_) return Status::Internal("RpcTransport::Serve called twice");
  Result<HostPort> self = ParseHostPort(options_.self);
  if (!self.ok()) return self.status();
  rpc::ServerOptions so;
  so.host = options_.listen_host.empty() ? self->host : options_.listen_host;
  so.port = self->port;
  so.secret = options_.secret;
  so.tls = options_.tls;
  so.self = options_.self;
  so.allow_insecure = options_.insecure;
  so.idle_timeout = options_.idle_timeout;
  so.accept_client = [&service](std::string_view who) { return service.KnownCaller(who); };
  so.logger = options_.logger;
  handler_ = std::make_unique<ServiceHandler>(service, clock_);
  server_ = std::make_unique<rpc::Server>(runtime_, std::move(so), *handler_);
  return server_->Start();
}

uint16_t RpcTransport::port() const { return server_ ? server_->port() : 0; }

void RpcTransport::StopServing() {
  if (server_) server_->Stop();
}

void RpcTransport::After(Duration delay, std::function<void()> fn) {
  runtime_.PostAfter(delay, std::move(fn));
}

}  // namespace shoal::cluster
