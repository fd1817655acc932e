//! The benchmark co-op's fixed cast and vocabulary: a seeded PRNG, deterministic ids, trace codes,
//! SSCC box and pallet labels, the members (300 farmers in 10 villages, an assistant per village,
//! 10 drivers, one manager device) and the season's calendar. Everything here is a pure function
//! of the seed, so two runs of the benchmark store byte-identical seasons.

use chrono::{DateTime, FixedOffset};
use fieldtrace_core::clock::{HlcTimestamp, HybridClock};
use fieldtrace_core::model::{DeviceId, EventId, PartyId, Role};
use fieldtrace_core::payload::{gs1_check_digit, TraceCode};

pub const COOP: &str = "coop-scale";
pub const COOP_NAME: &str = "秦岭猕猴桃合作社（规模测试）";
/// The co-op's own party (the register `kind = coop`: its alert contacts).
pub const COOP_PARTY: &str = "coop-qinling";
pub const MANAGER: &str = "manager-chen";
pub const COLD_STORE: &str = "coldstore-xian";
pub const VILLAGES: usize = 10;
pub const FARMERS_PER_VILLAGE: usize = 30;
pub const DRIVERS: usize = 10;
/// The season: 100 days from 2026-08-15 00:00 China Standard Time, in the past of any run (a
/// season in the future would make every timestamp a skewed clock).
pub const SEASON_DAYS: u64 = 100;
/// 2026-08-15T00:00:00+08:00 in Unix milliseconds (checked against chrono in the tests below).
pub const SEASON_START_MS: u64 = 1_786_723_200_000;
pub const DAY_MS: u64 = 86_400_000;
pub const HOUR_MS: u64 = 3_600_000;

/// China Standard Time, the offset the co-op's phones stamp their events with.
pub const CHINA: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// splitmix64: tiny, fast and good enough to spread a season's events deterministically.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0; 0 is treated as 1).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// A UUIDv7 for time `ms` (what phones make), its random bits from this generator rather than
    /// the OS, so ids repeat from run to run.
    fn uuid_v7(&mut self, ms: u64) -> uuid::Uuid {
        let mut bytes = [0u8; 10];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes()[..2]);
        uuid::Builder::from_unix_timestamp_millis(ms, &bytes).into_uuid()
    }

    pub fn event_id(&mut self, ms: u64) -> EventId {
        EventId(self.uuid_v7(ms))
    }

    pub fn device_id(&mut self, ms: u64) -> DeviceId {
        DeviceId(self.uuid_v7(ms))
    }
}

/// `ms` as a phone in China shows it. Any millisecond count of this century is representable
/// (chrono refuses only times beyond ±262,000 years), so the fallback is never taken.
pub fn local_time(ms: u64) -> DateTime<FixedOffset> {
    DateTime::from_timestamp_millis(i64::try_from(ms).unwrap_or(i64::MAX)).unwrap_or_default().with_timezone(&CHINA)
}

/// The trace code on unit `n` (`t/…`, as events file it). Multiplying by an odd constant and
/// xoring modulo 2^50 is a bijection, so codes never collide yet look random, as printed ones do.
pub fn unit_code(n: u64) -> String {
    let value = n.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x2_A5A5_5A5A_A5A5;
    // `from_random_bytes` keeps the low 50 bits: the same value modulo 2^50.
    format!("t/{}", TraceCode::from_random_bytes(value.to_le_bytes()).canonical())
}

/// The path of unit `code`'s consumer trace page (`t/ABC…` → `/t/ABC…`).
pub fn trace_path(code: &str) -> String {
    format!("/{code}")
}

/// An SSCC label's code key, `/00/{sscc}`: extension digit `extension` (0 boxes, 1 pallets),
/// company prefix 6901234, 9-digit `serial`.
pub fn sscc_code(extension: u8, serial: u64) -> String {
    let body = format!("{}6901234{:09}", extension % 10, serial % 1_000_000_000);
    format!("/00/{body}{}", gs1_check_digit(&body))
}

/// One enrolled phone of the cast.
#[derive(Debug, Clone)]
pub struct Member {
    pub party: PartyId,
    pub role: Role,
    pub device: DeviceId,
}

/// Everyone in the co-op. Members are numbered: farmers first (village-major), then assistants,
/// drivers and the manager, so a member's number indexes per-device state.
pub struct Cast {
    pub members: Vec<Member>,
}

impl Cast {
    pub fn new(rng: &mut Rng) -> Self {
        // Phones were enrolled a month before the season.
        let enrolled = SEASON_START_MS - 30 * DAY_MS;
        let mut members = Vec::new();
        let mut add = |party: String, role: Role, rng: &mut Rng| {
            members.push(Member { party: PartyId::new(party), role, device: rng.device_id(enrolled) });
        };
        for v in 0..VILLAGES {
            for j in 0..FARMERS_PER_VILLAGE {
                add(farmer_party(v, j), Role::Farmer, rng);
            }
        }
        for v in 0..VILLAGES {
            add(assistant_party(v), Role::Assistant, rng);
        }
        for d in 0..DRIVERS {
            add(driver_party(d), Role::Driver, rng);
        }
        add(MANAGER.to_owned(), Role::Manager, rng);
        Self { members }
    }

    pub fn farmer(v: usize, j: usize) -> usize {
        v * FARMERS_PER_VILLAGE + j
    }

    pub fn assistant(v: usize) -> usize {
        VILLAGES * FARMERS_PER_VILLAGE + v
    }

    pub fn driver(d: usize) -> usize {
        VILLAGES * FARMERS_PER_VILLAGE + VILLAGES + d
    }

    pub fn manager() -> usize {
        VILLAGES * FARMERS_PER_VILLAGE + VILLAGES + DRIVERS
    }

    /// A fresh clock per member, for stamping their events in causal order.
    pub fn clocks(&self) -> Vec<HybridClock> {
        self.members.iter().map(|_| HybridClock::resume(HlcTimestamp::default())).collect()
    }
}

pub fn farmer_party(v: usize, j: usize) -> String {
    format!("farmer-{v:02}-{j:02}")
}

pub fn assistant_party(v: usize) -> String {
    format!("assistant-v{v:02}")
}

pub fn driver_party(d: usize) -> String {
    format!("driver-{d:02}")
}

/// The village collective farm that lots of village `v` come from.
pub fn farm_party(v: usize) -> String {
    format!("farm-v{v:02}")
}

pub const VILLAGE_NAMES: [&str; VILLAGES] =
    ["马召", "楼观", "哑柏", "终南", "集贤", "尚村", "九峰", "司竹", "富仁", "竹峪"];
pub const VARIETIES: [&str; 4] = ["徐香", "翠香", "海沃德", "红阳"];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_season_starts_at_midnight_in_china() {
        let start = DateTime::parse_from_rfc3339("2026-08-15T00:00:00+08:00").map(|t| t.timestamp_millis());
        assert_eq!(start, Ok(SEASON_START_MS as i64));
        assert_eq!(local_time(SEASON_START_MS).to_rfc3339(), "2026-08-15T00:00:00+08:00");
    }

    #[test]
    fn codes_are_distinct_and_well_formed() {
        let codes: HashSet<String> = (0..100_000).map(unit_code).collect();
        assert_eq!(codes.len(), 100_000);
        for code in codes.iter().take(100) {
            let parsed = fieldtrace_core::payload::parse_payload(code).map(|p| p.code_key());
            assert_eq!(parsed.as_deref(), Ok(code.as_str()), "{code}");
        }
        let label = sscc_code(0, 1);
        assert_eq!(label.len(), 4 + 18);
        let parsed = fieldtrace_core::payload::parse_payload(&label).map(|p| p.code_key());
        assert_eq!(parsed.as_deref(), Ok(label.as_str()));
    }

    #[test]
    fn ids_repeat_for_a_seed() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(a.event_id(SEASON_START_MS), b.event_id(SEASON_START_MS));
        assert_eq!(a.event_id(SEASON_START_MS).0.get_version_num(), 7);
    }
}
