//! Time: the device's wall clock, and a hybrid logical clock (HLC) that orders events across
//! devices even when phone clocks are wrong.
//!
//! Phone clocks in the field are often minutes or days off, and jump when the network corrects
//! them. An HLC timestamp is `(wall_ms, logical)`: it stays close to physical time, never goes
//! backwards (the clock state is persisted with every event, so this holds across restarts), and
//! anything a device creates after seeing a remote event sorts after that event. Two devices can
//! issue the same `(wall_ms, logical)`; the device id breaks that tie (see `Event::cmp_causal`).

use chrono::{DateTime, FixedOffset, Local};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// A hybrid logical clock reading. Ordered by `wall_ms`, then `logical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct HlcTimestamp {
    /// Milliseconds since the Unix epoch, at least the physical time it was issued at.
    pub wall_ms: u64,
    /// Counts events issued within the same `wall_ms`.
    pub logical: u32,
}

impl HlcTimestamp {
    pub const ZERO: HlcTimestamp = HlcTimestamp { wall_ms: 0, logical: 0 };

    /// The smallest timestamp greater than `self`. A full logical counter carries into the next
    /// millisecond rather than wrapping, which would break monotonicity.
    pub fn successor(self) -> HlcTimestamp {
        match self.logical.checked_add(1) {
            Some(logical) => HlcTimestamp { wall_ms: self.wall_ms, logical },
            None => HlcTimestamp { wall_ms: self.wall_ms.saturating_add(1), logical: 0 },
        }
    }
}

/// The device's HLC state. Cheap to copy; the store persists `last()` with every event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HybridClock {
    last: HlcTimestamp,
}

impl HybridClock {
    /// Resumes from the last timestamp this device issued or observed.
    pub fn resume(last: HlcTimestamp) -> Self {
        Self { last }
    }

    pub fn last(&self) -> HlcTimestamp {
        self.last
    }

    /// Issues the timestamp of a new local event at physical time `physical_ms`.
    pub fn tick(&mut self, physical_ms: u64) -> HlcTimestamp {
        self.advance(self.last, physical_ms)
    }

    /// Merges a timestamp received from another replica, so that whatever this device records
    /// next sorts after it. Returns the new clock reading.
    pub fn observe(&mut self, remote: HlcTimestamp, physical_ms: u64) -> HlcTimestamp {
        self.advance(self.last.max(remote), physical_ms)
    }

    fn advance(&mut self, floor: HlcTimestamp, physical_ms: u64) -> HlcTimestamp {
        let next = if physical_ms > floor.wall_ms {
            HlcTimestamp { wall_ms: physical_ms, logical: 0 }
        } else {
            floor.successor()
        };
        self.last = next;
        next
    }
}

/// The device's wall clock, behind a trait so tests and simulations can set the time.
pub trait WallClock: Send + Sync {
    /// Local time with the device's current UTC offset.
    fn now(&self) -> DateTime<FixedOffset>;

    /// Physical milliseconds since the epoch for the HLC; a clock set before 1970 reads as 0.
    fn now_ms(&self) -> u64 {
        u64::try_from(self.now().timestamp_millis()).unwrap_or(0)
    }
}

/// The operating system's clock and time zone.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl WallClock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        Local::now().fixed_offset()
    }
}

/// A clock that only moves when told: for tests and simulations (skewed or jumping phone clocks).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<FixedOffset>>,
}

impl ManualClock {
    pub fn new(start: DateTime<FixedOffset>) -> Self {
        Self { now: Mutex::new(start) }
    }

    pub fn set(&self, to: DateTime<FixedOffset>) {
        *self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = to;
    }

    /// Moves the clock by `millis` (negative: the clock jumps backwards).
    pub fn advance_ms(&self, millis: i64) {
        let mut now = self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += chrono::Duration::milliseconds(millis);
    }
}

impl WallClock for ManualClock {
    fn now(&self) -> DateTime<FixedOffset> {
        *self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(wall_ms: u64, logical: u32) -> HlcTimestamp {
        HlcTimestamp { wall_ms, logical }
    }

    #[test]
    fn follows_physical_time_when_it_moves_forward() {
        let mut clock = HybridClock::resume(HlcTimestamp::ZERO);
        assert_eq!(clock.tick(1_000), ts(1_000, 0));
        assert_eq!(clock.tick(1_000), ts(1_000, 1));
        assert_eq!(clock.tick(2_000), ts(2_000, 0));
    }

    #[test]
    fn a_backwards_wall_clock_jump_does_not_go_backwards() {
        let mut clock = HybridClock::resume(HlcTimestamp::ZERO);
        clock.tick(5_000);
        assert_eq!(clock.tick(1_000), ts(5_000, 1));
        assert_eq!(clock.tick(4_999), ts(5_000, 2));
        assert_eq!(clock.tick(5_001), ts(5_001, 0));
    }

    #[test]
    fn observing_a_future_remote_moves_past_it() {
        let mut clock = HybridClock::resume(ts(1_000, 3));
        assert_eq!(clock.observe(ts(9_000, 7), 2_000), ts(9_000, 8));
        assert_eq!(clock.tick(2_000), ts(9_000, 9));
    }

    #[test]
    fn a_full_logical_counter_carries_into_the_next_millisecond() {
        let mut clock = HybridClock::resume(ts(7, u32::MAX));
        assert_eq!(clock.tick(0), ts(8, 0));
    }

    #[test]
    fn manual_clock_moves_both_ways() {
        let start = DateTime::parse_from_rfc3339("2026-11-23T08:00:00+08:00").expect("valid");
        let clock = ManualClock::new(start);
        clock.advance_ms(1_500);
        assert_eq!(clock.now_ms(), start.timestamp_millis() as u64 + 1_500);
        clock.advance_ms(-3_000);
        assert_eq!(clock.now_ms(), start.timestamp_millis() as u64 - 1_500);
    }

    /// A step of a simulated device: a local tick at some physical time, or the receipt of a
    /// timestamp from another replica.
    #[derive(Debug, Clone)]
    enum Step {
        Tick(u64),
        Observe(HlcTimestamp, u64),
    }

    fn step() -> impl Strategy<Value = Step> {
        // Small ranges make equal wall times (and so the logical counter) common.
        let physical = 0u64..50;
        prop_oneof![
            physical.clone().prop_map(Step::Tick),
            (0u64..60, 0u32..4, physical).prop_map(|(w, l, p)| Step::Observe(ts(w, l), p)),
        ]
    }

    proptest! {
        #[test]
        fn every_reading_is_strictly_greater_than_the_last(
            start in (0u64..50, 0u32..4),
            steps in prop::collection::vec(step(), 1..200),
        ) {
            let mut clock = HybridClock::resume(ts(start.0, start.1));
            let mut previous = clock.last();
            for step in steps {
                let next = match step {
                    Step::Tick(physical) => {
                        let next = clock.tick(physical);
                        prop_assert!(next.wall_ms >= physical, "reading below physical time");
                        next
                    }
                    Step::Observe(remote, physical) => {
                        let next = clock.observe(remote, physical);
                        prop_assert!(next > remote, "reading not after the observed remote");
                        next
                    }
                };
                prop_assert!(next > previous);
                prop_assert_eq!(clock.last(), next);
                previous = next;
            }
        }

        #[test]
        fn resuming_from_a_persisted_reading_stays_monotonic(
            before in prop::collection::vec(0u64..1_000, 1..50),
            after in prop::collection::vec(0u64..1_000, 1..50),
        ) {
            let mut clock = HybridClock::resume(HlcTimestamp::ZERO);
            let mut last = HlcTimestamp::ZERO;
            for physical in before {
                last = clock.tick(physical);
            }
            // "Restart": only the persisted reading survives.
            let mut restarted = HybridClock::resume(last);
            for physical in after {
                let next = restarted.tick(physical);
                prop_assert!(next > last);
                last = next;
            }
        }

        #[test]
        fn a_reply_sorts_after_the_message_it_answers_whatever_the_clocks(
            a_physical in 0u64..1_000_000,
            b_physical in 0u64..1_000_000,
            a_device in any::<u128>(),
            b_device in any::<u128>(),
        ) {
            // Device A records an event; device B receives it, then records its own. With any
            // skew between their wall clocks, B's event orders after A's.
            let mut a = HybridClock::resume(HlcTimestamp::ZERO);
            let mut b = HybridClock::resume(HlcTimestamp::ZERO);
            let sent = (a.tick(a_physical), a_device);
            b.observe(sent.0, b_physical);
            let reply = (b.tick(b_physical), b_device);
            prop_assert!(reply > sent);
        }

        #[test]
        fn the_device_id_makes_the_order_total(
            wall in 0u64..3, logical in 0u32..3, d1 in any::<u128>(), d2 in any::<u128>(),
        ) {
            let x = (ts(wall, logical), d1);
            let y = (ts(wall, logical), d2);
            prop_assert_eq!(x == y, d1 == d2);
            prop_assert_eq!(x.cmp(&y), d1.cmp(&d2));
        }
    }
}
