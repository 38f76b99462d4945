//! How many sync sockets this instance holds, per restaurant and per device (or signed-in person).
//!
//! A device needs one stream. A second comes legitimately when it reconnects before the server has noticed
//! that the first one's link died (up to the idle timeout); past [`Config::sockets_per_device`] the oldest
//! is closed (`REPLACED`), so a device in a reconnect loop cannot pile sockets up while a live one is never
//! refused. A restaurant past [`Config::sockets_per_restaurant`] has its newest socket refused
//! (`TOO_MANY_SOCKETS`): one misbehaving restaurant cannot take the instance's memory from the others.
//!
//! [`Config::sockets_per_device`]: crate::config::Config::sockets_per_device
//! [`Config::sockets_per_restaurant`]: crate::config::Config::sockets_per_restaurant

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;
use uuid::Uuid;

pub struct Sockets {
    per_device: usize,
    per_restaurant: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next: u64,
    by_restaurant: HashMap<Uuid, usize>,
    /// Each device's sockets, oldest first, with the way to tell each one it was replaced.
    by_owner: HashMap<Uuid, VecDeque<(u64, oneshot::Sender<()>)>>,
}

/// The restaurant is at its limit of sockets on this instance.
#[derive(Debug)]
pub struct Full;

/// One socket's place, given back when dropped. `replaced` resolves when a newer socket of the same device
/// took it over.
pub struct Seat {
    sockets: Arc<Sockets>,
    tenant_id: Uuid,
    owner: Uuid,
    id: u64,
    pub replaced: oneshot::Receiver<()>,
}

impl Sockets {
    pub fn new(per_device: usize, per_restaurant: usize) -> Arc<Self> {
        Arc::new(Self { per_device: per_device.max(1), per_restaurant, inner: Mutex::default() })
    }

    /// Takes a place for a socket of `owner` (a device or a person) in `tenant_id`.
    pub fn take(self: &Arc<Self>, tenant_id: Uuid, owner: Uuid) -> Result<Seat, Full> {
        let mut inner = self.inner.lock().expect("sockets lock");
        // A device at its own limit takes its oldest socket's place, so it is let in even when the
        // restaurant is full: it adds nothing once the oldest has gone.
        let replacing = inner.by_owner.get(&owner).is_some_and(|mine| mine.len() >= self.per_device);
        let count = inner.by_restaurant.entry(tenant_id).or_default();
        if *count >= self.per_restaurant && !replacing {
            return Err(Full);
        }
        *count += 1;
        inner.next += 1;
        let id = inner.next;
        let (tell, replaced) = oneshot::channel();
        let mine = inner.by_owner.entry(owner).or_default();
        mine.push_back((id, tell));
        while mine.len() > self.per_device {
            if let Some((_, oldest)) = mine.pop_front() {
                // Gone already when that socket has just ended by itself.
                let _ = oldest.send(());
            }
        }
        Ok(Seat { sockets: self.clone(), tenant_id, owner, id, replaced })
    }

    /// Sockets held for `tenant_id` now.
    pub fn in_restaurant(&self, tenant_id: Uuid) -> usize {
        self.inner.lock().expect("sockets lock").by_restaurant.get(&tenant_id).copied().unwrap_or(0)
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut inner = self.sockets.inner.lock().expect("sockets lock");
        if let Some(count) = inner.by_restaurant.get_mut(&self.tenant_id) {
            *count -= 1;
            if *count == 0 {
                inner.by_restaurant.remove(&self.tenant_id);
            }
        }
        if let Some(mine) = inner.by_owner.get_mut(&self.owner) {
            mine.retain(|(id, _)| *id != self.id);
            if mine.is_empty() {
                inner.by_owner.remove(&self.owner);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_keeps_its_newest_sockets_and_a_full_restaurant_refuses_the_next() {
        let sockets = Sockets::new(2, 3);
        let (tenant, kiosk, screen) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let mut first = sockets.take(tenant, kiosk).unwrap();
        let mut second = sockets.take(tenant, kiosk).unwrap();
        let mut third = sockets.take(tenant, kiosk).unwrap();
        assert_eq!(first.replaced.try_recv(), Ok(()), "the oldest is told to go");
        assert!(second.replaced.try_recv().is_err() && third.replaced.try_recv().is_err());
        assert!(sockets.take(tenant, screen).is_err(), "three held: the restaurant is full");
        let mut fourth = sockets.take(tenant, kiosk).expect("the kiosk replaces its own oldest, full or not");
        assert_eq!(second.replaced.try_recv(), Ok(()));
        assert!(fourth.replaced.try_recv().is_err());
        drop(second);
        drop(first);
        let _screen = sockets.take(tenant, screen).expect("room again");
        assert!(sockets.take(Uuid::now_v7(), screen).is_ok(), "other restaurants are counted apart");
        drop((third, fourth));
        assert_eq!(sockets.in_restaurant(tenant), 1);
    }
}
