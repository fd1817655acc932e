//! Many local events in one durable transaction (a spreadsheet import), and the piece count
//! read back from the store.

use super::{containment, events, insert_event, outbox, photos, settings, Inner, Origin, Store};
use crate::error::{Error, Result};
use crate::model::{Event, PartyId};
use crate::pieces::{piece_counts, Month, PieceCounts};
use rusqlite::{params, TransactionBehavior};

/// What `record_local_batch` did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchRecorded {
    /// Events stored now and queued for the server.
    pub added: u64,
    /// Events this device already held (same id): an earlier import of the same rows.
    pub known: u64,
    /// The events stored now, with their clock stamps, in the order given.
    pub events: Vec<Event>,
}

impl Store {
    /// Records `events` made on this device in one transaction (a spreadsheet import, a logger
    /// download): each is stamped with the next HLC reading, validated, stored unless its id is
    /// already held, and queued in the outbox, exactly as `record_local` does one event. Durable
    /// when it returns; all or nothing on error.
    pub fn record_local_batch(&self, physical_ms: u64, events: Vec<Event>) -> Result<BatchRecorded> {
        let mut inner = self.lock();
        let Inner { conn, clock } = &mut *inner;
        let mut next_clock = *clock;
        let mut stamped = Vec::with_capacity(events.len());
        for mut event in events {
            if event.recorder.device != self.device {
                return Err(Error::invalid_event("recorder.device", "a local event must carry this device's id"));
            }
            event.hlc = next_clock.tick(physical_ms);
            event.validate()?;
            stamped.push(event);
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut recorded = BatchRecorded::default();
        for event in stamped {
            match insert_event(&tx, &event, Origin::Local)? {
                Some(seq) => {
                    outbox::enqueue(&tx, seq, physical_ms)?;
                    photos::link(&tx, seq, &event.photos)?;
                    recorded.added += 1;
                    recorded.events.push(event);
                }
                None => recorded.known += 1,
            }
        }
        containment::settle(&tx)?;
        settings::set_clock(&tx, next_clock.last())?;
        tx.commit()?;
        *clock = next_clock;
        Ok(recorded)
    }

    /// `party`'s pieces in `month`, per day: the rule is [`crate::pieces`], shared with the server.
    pub fn piece_counts(&self, party: &PartyId, month: Month) -> Result<PieceCounts> {
        let (from_ms, to_ms) = month.wall_ms_bounds();
        let events = self.read(|conn| {
            // The party's events that may fall in the month, and the corrections voiding them.
            let mut stmt = conn.prepare_cached(
                "SELECT e.body FROM events e
                 WHERE e.recorder_party = ?1 AND e.hlc_wall >= ?2 AND e.hlc_wall < ?3 AND e.kind != 'correction'
                 UNION ALL
                 SELECT c.body FROM events e JOIN events c ON c.voids = e.id
                 WHERE e.recorder_party = ?1 AND e.hlc_wall >= ?2 AND e.hlc_wall < ?3 AND e.kind != 'correction'",
            )?;
            let bodies = stmt.query_map(params![party.as_str(), from_ms, to_ms], |row| row.get::<_, String>(0))?;
            bodies.map(|body| events::decode_body(&body?)).collect::<Result<Vec<Event>>>()
        })?;
        Ok(piece_counts(&events, party, month))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventId, EventKind, Recorder};
    use crate::test_support::report;

    /// 2026-11-03 09:00 in China, as UTC ms.
    const NOV_3_MS: u64 = 1_793_667_600_000;

    fn by_assistant(store: &Store, code: &str) -> Event {
        let mut event = report(code, store.device_id(), Default::default());
        event.recorder = Recorder { party: PartyId::new("assistant-wang"), device: store.device_id() };
        event
    }

    #[test]
    fn a_batch_is_stamped_stored_and_queued_once() {
        let store = Store::open_in_memory().expect("store");
        let events: Vec<Event> = (0..3).map(|i| by_assistant(&store, &format!("KIWI-{i}"))).collect();
        let first = store.record_local_batch(NOV_3_MS, events.clone()).expect("batch");
        assert_eq!((first.added, first.known, first.events.len()), (3, 0, 3));
        let again = store.record_local_batch(NOV_3_MS, events.clone()).expect("again");
        assert_eq!((again.added, again.known, again.events.len()), (0, 3, 0));
        assert_eq!(store.outbox_pending_count().expect("pending"), 3);
        let stored: Vec<_> = store.all_events().expect("all").into_iter().map(|s| s.event).collect();
        assert!(stored.windows(2).all(|w| w[0].hlc < w[1].hlc), "each event gets its own stamp");
        assert_eq!(stored.iter().map(|e| e.id).collect::<Vec<_>>(), events.iter().map(|e| e.id).collect::<Vec<_>>());

        let mut foreign = by_assistant(&store, "KIWI-9");
        foreign.recorder.device = crate::model::DeviceId::new();
        assert_eq!(store.record_local_batch(NOV_3_MS, vec![foreign]).expect_err("other device").key(), "event_invalid");
    }

    #[test]
    fn piece_counts_exclude_voided_records_and_corrections() {
        let store = Store::open_in_memory().expect("store");
        let events: Vec<Event> = (0..4).map(|i| by_assistant(&store, &format!("KIWI-{i}"))).collect();
        store.record_local_batch(NOV_3_MS, events.clone()).expect("batch");
        let mut undo = by_assistant(&store, "KIWI-0");
        undo.id = EventId::new();
        undo.kind = EventKind::Correction { voids: events[0].id };
        store.record_local_batch(NOV_3_MS + 1_000, vec![undo]).expect("undo");
        // Someone else's record on the same day does not count for the assistant.
        let other = report("KIWI-X", store.device_id(), Default::default());
        store.record_local_batch(NOV_3_MS, vec![other]).expect("other party");

        let month = Month::parse("2026-11").expect("month");
        let counts = store.piece_counts(&PartyId::new("assistant-wang"), month).expect("counts");
        assert_eq!(counts.total, 3);
        assert_eq!(counts.days.len(), 1);
        assert_eq!((counts.days[0].date.as_str(), counts.days[0].pieces), ("2026-11-03", 3));
        let all: Vec<Event> = store.all_events().expect("all").into_iter().map(|s| s.event).collect();
        assert_eq!(piece_counts(&all, &PartyId::new("assistant-wang"), month), counts, "store and pure rule agree");
        let october = store.piece_counts(&PartyId::new("assistant-wang"), Month::parse("2026-10").expect("m"));
        assert_eq!(october.expect("october").total, 0);
    }
}
