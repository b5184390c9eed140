#include "cluster/handover.h"

#include <utility>

namespace shoal::cluster {

void AskForHandover(PeerClient& previous_owner, std::string key, const HandoverAsk& ask,
                    const Clock& clock, std::shared_ptr<PurgeCoordinator> purge,
                    std::function<void(cache::EntryPtr)> hit, std::function<void()> miss) {
  GetOptions get;
  get.timeout = ask.timeout;
  get.key_floor = purge->sequencer().KeyFloor(key);
  get.memory_only = true;
  previous_owner.Get(std::move(key), get,
                     [&clock, purge = std::move(purge), limits = ask.limits, group = ask.group,
                      hit = std::move(hit), miss = std::move(miss)](GetReply r) {
                       if (!r.entry.ok()) return miss();
                       Result<cache::EntryPtr> checked =
                           CheckPeerEntry(std::move(*r.entry), clock.Now(), limits);
                       if (!checked.ok() || !purge->sequencer().MayKeep(**checked, group)) {
                         return miss();
                       }
                       hit(std::move(*checked));
                     });
}

}  // namespace shoal::cluster
