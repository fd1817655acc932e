//! Last-writer-wins registers, kept up to date as update events arrive (see `model::update`).
//!
//! Applying an update is a compare-and-set per field on the causal stamp, so any arrival order
//! gives the same registers. Voiding an update (a correction, which may arrive before or after
//! it) recomputes that entity from its remaining updates. The lot and party caches are then
//! rewritten from the registers, so a scan shows the merged metadata.

use super::events::decode_body;
use super::Store;
use crate::error::Result;
use crate::model::{EntityKind, Event, EventId, EventKind, Lot, LotId, Party, PartyId, PartyKind, Update};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeMap;

/// A field's current value and the update that set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Register {
    pub value: Option<String>,
    pub set_by: EventId,
}

/// Keeps registers in step with a newly inserted event (`seq` is its row).
pub(super) fn on_insert(conn: &Connection, event: &Event, seq: i64) -> Result<()> {
    match &event.kind {
        EventKind::Update(update) => {
            conn.prepare_cached("INSERT INTO update_targets (event_seq, entity_kind, entity_id) VALUES (?1, ?2, ?3)")?
                .execute(params![seq, update.entity.key(), update.id])?;
            if !is_voided(conn, event.id)? {
                apply(conn, event, update)?;
                materialize(conn, update.entity, &update.id)?;
            }
        }
        EventKind::Correction { voids } => {
            if let Some((entity, id)) = target_of(conn, *voids)? {
                recompute(conn, entity, &id)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn is_voided(conn: &Connection, id: EventId) -> Result<bool> {
    let found = conn
        .prepare_cached("SELECT 1 FROM events WHERE voids = ?1 LIMIT 1")?
        .query_row([id.to_string()], |_| Ok(()))
        .optional()?;
    Ok(found.is_some())
}

fn target_of(conn: &Connection, update: EventId) -> Result<Option<(EntityKind, String)>> {
    let row: Option<(String, String)> = conn
        .prepare_cached(
            "SELECT t.entity_kind, t.entity_id FROM update_targets t JOIN events e ON e.seq = t.event_seq
             WHERE e.id = ?1",
        )?
        .query_row([update.to_string()], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    Ok(row.and_then(|(kind, id)| Some((EntityKind::from_key(&kind)?, id))))
}

/// Sets each field the update names unless a causally later update already set it.
fn apply(conn: &Connection, event: &Event, update: &Update) -> Result<()> {
    // Row-value comparison is the causal order; UUID text sorts like its bytes.
    let mut stmt = conn.prepare_cached(
        "INSERT INTO registers (entity_kind, entity_id, field, value, hlc_wall, hlc_logical, device_id, event_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (entity_kind, entity_id, field) DO UPDATE SET
            value = excluded.value, hlc_wall = excluded.hlc_wall, hlc_logical = excluded.hlc_logical,
            device_id = excluded.device_id, event_id = excluded.event_id
         WHERE (excluded.hlc_wall, excluded.hlc_logical, excluded.device_id, excluded.event_id)
             > (registers.hlc_wall, registers.hlc_logical, registers.device_id, registers.event_id)",
    )?;
    let wall = i64::try_from(event.hlc.wall_ms).unwrap_or(i64::MAX);
    for field in &update.fields {
        stmt.execute(params![
            update.entity.key(),
            update.id,
            field.field,
            field.value,
            wall,
            event.hlc.logical,
            event.recorder.device.to_string(),
            event.id.to_string(),
        ])?;
    }
    Ok(())
}

/// Rebuilds one entity's registers from its updates that still count.
fn recompute(conn: &Connection, entity: EntityKind, id: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM registers WHERE entity_kind = ?1 AND entity_id = ?2")?
        .execute(params![entity.key(), id])?;
    let bodies: Vec<String> = conn
        .prepare_cached(
            "SELECT e.body FROM update_targets t JOIN events e ON e.seq = t.event_seq
             WHERE t.entity_kind = ?1 AND t.entity_id = ?2
               AND NOT EXISTS (SELECT 1 FROM events c WHERE c.voids = e.id)",
        )?
        .query_map(params![entity.key(), id], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for body in bodies {
        let event = decode_body(&body)?;
        if let EventKind::Update(update) = &event.kind {
            apply(conn, &event, update)?;
        }
    }
    materialize(conn, entity, id)
}

pub(super) fn read(conn: &Connection, entity: EntityKind, id: &str) -> Result<BTreeMap<String, Register>> {
    let rows = conn
        .prepare_cached("SELECT field, value, event_id FROM registers WHERE entity_kind = ?1 AND entity_id = ?2")?
        .query_map(params![entity.key(), id], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?, row.get::<_, String>(2)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(field, value, event)| Some((field, Register { value, set_by: EventId::parse(&event)? })))
        .collect())
}

/// Writes the registers over the cached lot or party row, so reads see the merged metadata.
fn materialize(conn: &Connection, entity: EntityKind, id: &str) -> Result<()> {
    let fields = read(conn, entity, id)?;
    let value = |name: &str| fields.get(name).map(|r| r.value.clone());
    match entity {
        EntityKind::Lot => {
            let mut lot = super::catalog::read_lot(conn, &LotId::new(id))?.unwrap_or_else(|| Lot {
                id: LotId::new(id),
                product: String::new(),
                variety: None,
                farm: PartyId::new(""),
                plot: None,
                harvest_date: None,
                grade: None,
            });
            if let Some(product) = value("product") {
                lot.product = product.unwrap_or_default();
            }
            if let Some(farm) = value("farm") {
                lot.farm = PartyId(farm.unwrap_or_default());
            }
            for (name, slot) in [("variety", &mut lot.variety), ("plot", &mut lot.plot), ("grade", &mut lot.grade)] {
                if let Some(v) = value(name) {
                    *slot = v;
                }
            }
            if let Some(date) = value("harvest_date") {
                // Checked when the update was recorded (`Update::problem`).
                lot.harvest_date = date.and_then(|d| d.parse().ok());
            }
            super::catalog::write_lot(conn, &lot)
        }
        EntityKind::Party => {
            let mut party = super::catalog::read_party(conn, &PartyId::new(id))?.unwrap_or_else(|| Party {
                id: PartyId::new(id),
                kind: PartyKind::Farm,
                name: String::new(),
                region: None,
            });
            if let Some(kind) = value("kind").flatten().and_then(|k| PartyKind::from_key(&k)) {
                party.kind = kind;
            }
            if let Some(name) = value("name") {
                party.name = name.unwrap_or_default();
            }
            if let Some(region) = value("region") {
                party.region = region;
            }
            super::catalog::write_party(conn, &party)
        }
        // Trips are read straight from their registers (the driver's manifest screen).
        // Loggers too (the sensor import reads which box a logger is in).
        EntityKind::Trip | EntityKind::Logger => Ok(()),
    }
}

impl Store {
    /// The current fields of a lot, party or trip, as merged from every update this device holds.
    pub fn registers(&self, entity: EntityKind, id: &str) -> Result<BTreeMap<String, Register>> {
        self.read(|conn| read(conn, entity, id))
    }
}
