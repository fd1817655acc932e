//! Piece counts: village assistants are paid per record they make, so the count must be right and
//! the same on the phone, the server and the dashboard. One pure function decides.
//!
//! A **piece** is one event that
//! - was recorded by the party (`recorder.party`; the farmer it was made for may be the actor),
//! - is not a correction (an undo is not work), and
//! - is not voided by any correction held (an undone or corrected record does not count).
//!
//! It is counted on the calendar day of its HLC wall time — when it was recorded, not the date the
//! activity happened (an imported paper record of last month counts on the day it was imported) —
//! in the UTC offset of the device that recorded it (`recorded_at`'s offset). Every event has a
//! unique id, so a re-imported file or a replayed push adds nothing.

use crate::clock::HlcTimestamp;
use crate::model::{Event, EventId, PartyId};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A calendar month, e.g. `2026-11`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// `None` unless `month` is 1–12 and the year is 1970–9999.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        ((1970..=9999).contains(&year) && (1..=12).contains(&month)).then_some(Self { year, month })
    }

    /// Reads `YYYY-MM`.
    pub fn parse(text: &str) -> Option<Self> {
        let (year, month) = text.trim().split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        Self::new(year.parse().ok()?, month.parse().ok()?)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    /// Bounds of the month's day keys (`YYYY-MM-DD`, which sort as text), for range look-ups.
    pub fn day_key_range(self) -> (String, String) {
        (format!("{self}-01"), format!("{self}-31"))
    }

    fn contains(self, date: NaiveDate) -> bool {
        date.year() == self.year && date.month() == self.month
    }

    /// HLC wall times (UTC ms) that can fall in this month in some UTC offset (−12 h to +14 h).
    pub(crate) fn wall_ms_bounds(self) -> (i64, i64) {
        let first = NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default();
        let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
        let ms = |date: NaiveDate| date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp_millis();
        (ms(first) - 14 * 3_600_000, ms(next) + 12 * 3_600_000)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// One party's pieces in one month, per day (days without pieces are left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PieceCounts {
    pub party: String,
    /// `YYYY-MM`.
    pub month: String,
    pub days: Vec<DayPieces>,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayPieces {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub pieces: u64,
}

/// The day a piece counts on: the HLC wall time's date in the recording device's offset.
pub fn piece_day(event: &Event) -> Option<NaiveDate> {
    let HlcTimestamp { wall_ms, .. } = event.hlc;
    let offset_ms = i64::from(event.recorded_at.offset().local_minus_utc()) * 1_000;
    let local_ms = i64::try_from(wall_ms).ok()?.checked_add(offset_ms)?;
    chrono::DateTime::from_timestamp_millis(local_ms).map(|t| t.date_naive())
}

/// Counts `party`'s pieces in `month` among `events` (any order, duplicates allowed; the
/// corrections that void them must be among `events` to be honoured).
pub fn piece_counts<'a>(events: impl IntoIterator<Item = &'a Event>, party: &PartyId, month: Month) -> PieceCounts {
    let mut by_id: BTreeMap<EventId, &Event> = BTreeMap::new();
    for event in events {
        by_id.entry(event.id).or_insert(event);
    }
    let voided: BTreeSet<EventId> = by_id.values().filter_map(|e| e.kind.voids()).collect();
    let mut days: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    for event in by_id.values() {
        if event.recorder.party != *party || event.kind.voids().is_some() || voided.contains(&event.id) {
            continue;
        }
        if let Some(day) = piece_day(event).filter(|day| month.contains(*day)) {
            *days.entry(day).or_default() += 1;
        }
    }
    PieceCounts {
        party: party.0.clone(),
        month: month.to_string(),
        total: days.values().sum(),
        days: days.into_iter().map(|(date, pieces)| DayPieces { date: date.to_string(), pieces }).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DeviceId, EventKind, Recorder};
    use crate::test_support::report;
    use chrono::DateTime;

    fn by(party: &str, at: &str) -> Event {
        let time = DateTime::parse_from_rfc3339(at).expect("time");
        let wall_ms = u64::try_from(time.timestamp_millis()).expect("after 1970");
        let mut event = report("KIWI", DeviceId::new(), HlcTimestamp { wall_ms, logical: 0 });
        event.recorder = Recorder { party: PartyId::new(party), device: event.recorder.device };
        event.recorded_at = time;
        event
    }

    #[test]
    fn counts_per_local_day_and_skips_corrections_voided_others_and_other_months() {
        let month = Month::parse("2026-11").expect("month");
        let a = by("assistant-wang", "2026-11-03T09:00:00+08:00");
        let b = by("assistant-wang", "2026-11-03T23:59:00+08:00");
        // 00:30 on Dec 1 in China: December, though it is still Nov 30 in UTC.
        let december = by("assistant-wang", "2026-12-01T00:30:00+08:00");
        // 07:00 on Nov 1 in China is Oct 31 23:00 UTC: November.
        let first = by("assistant-wang", "2026-11-01T07:00:00+08:00");
        let voided = by("assistant-wang", "2026-11-04T10:00:00+08:00");
        let mut undo = by("assistant-wang", "2026-11-04T10:00:05+08:00");
        undo.kind = EventKind::Correction { voids: voided.id };
        let other = by("assistant-zhao", "2026-11-04T10:00:00+08:00");
        let events = [&a, &b, &b, &december, &first, &voided, &undo, &other];
        let counts = piece_counts(events, &PartyId::new("assistant-wang"), month);
        let days: Vec<_> = counts.days.iter().map(|d| (d.date.as_str(), d.pieces)).collect();
        assert_eq!(days, [("2026-11-01", 1), ("2026-11-03", 2)]);
        assert_eq!(counts.total, 3);
        assert_eq!(counts.month, "2026-11");
    }

    #[test]
    fn the_day_is_when_it_was_recorded_not_when_the_activity_happened() {
        let mut imported = by("assistant-wang", "2026-11-20T15:00:00+08:00");
        imported.recorded_at = DateTime::parse_from_rfc3339("2026-10-02T12:00:00+08:00").expect("time");
        let november = piece_counts([&imported], &PartyId::new("assistant-wang"), Month::parse("2026-11").expect("m"));
        assert_eq!(november.total, 1);
        assert_eq!(november.days[0].date, "2026-11-20");
    }

    #[test]
    fn months_parse_strictly() {
        assert_eq!(Month::parse("2026-02").map(|m| (m.year(), m.month())), Some((2026, 2)));
        for bad in ["2026-13", "2026-00", "26-01", "2026-1", "2026/01", "", "abcd-ef"] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        let (from, to) = Month::parse("2026-12").expect("m").wall_ms_bounds();
        assert!(to - from > 31 * 86_400_000);
    }
}
