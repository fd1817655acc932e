//! The local cache of lots, trace units and parties this device knows (from sync or set-up), so a
//! scan can name the product, lot and farm with no network.

use super::Store;
use crate::error::{Error, Result};
use crate::model::{Lot, LotId, Party, PartyId, PartyKind, TraceUnit, UnitLevel};
use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};

fn corrupt(what: &str, value: &str) -> Error {
    Error::Corrupt(format!("stored {what} {value:?} is not valid"))
}

pub(super) fn write_party(conn: &Connection, party: &Party) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO parties (id, kind, name, region) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, region = excluded.region",
    )?
    .execute(params![party.id.as_str(), party.kind.key(), party.name, party.region])?;
    Ok(())
}

pub(super) fn read_party(conn: &Connection, id: &PartyId) -> Result<Option<Party>> {
    let row = conn
        .prepare_cached("SELECT kind, name, region FROM parties WHERE id = ?1")?
        .query_row([id.as_str()], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, Option<String>>(2)?))
        })
        .optional()?;
    row.map(|(kind, name, region)| {
        let kind = PartyKind::from_key(&kind).ok_or_else(|| corrupt("party kind", &kind))?;
        Ok(Party { id: id.clone(), kind, name, region })
    })
    .transpose()
}

pub(super) fn write_lot(conn: &Connection, lot: &Lot) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO lots (id, product, variety, farm_id, plot, harvest_date, grade)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET product = excluded.product, variety = excluded.variety,
            farm_id = excluded.farm_id, plot = excluded.plot, harvest_date = excluded.harvest_date,
            grade = excluded.grade",
    )?
    .execute(params![
        lot.id.as_str(),
        lot.product,
        lot.variety,
        lot.farm.as_str(),
        lot.plot,
        lot.harvest_date.map(|d| d.to_string()),
        lot.grade,
    ])?;
    Ok(())
}

pub(super) fn read_lot(conn: &Connection, id: &LotId) -> Result<Option<Lot>> {
    let row = conn
        .prepare_cached("SELECT product, variety, farm_id, plot, harvest_date, grade FROM lots WHERE id = ?1")?
        .query_row([id.as_str()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, Option<String>>(5)?,
            ))
        })
        .optional()?;
    row.map(|(product, variety, farm, plot, harvest_date, grade)| {
        let harvest_date =
            harvest_date.map(|d| d.parse::<NaiveDate>().map_err(|_| corrupt("harvest date", &d))).transpose()?;
        Ok(Lot { id: id.clone(), product, variety, farm: PartyId(farm), plot, harvest_date, grade })
    })
    .transpose()
}

impl Store {
    /// Caches a party known from set-up. Fields later set by update events take precedence when
    /// those arrive (see `registers`).
    pub fn upsert_party(&self, party: &Party) -> Result<()> {
        self.write(|tx| write_party(tx, party))
    }

    pub fn party(&self, id: &PartyId) -> Result<Option<Party>> {
        self.read(|conn| read_party(conn, id))
    }

    /// Caches a lot known from set-up (see `upsert_party`).
    pub fn upsert_lot(&self, lot: &Lot) -> Result<()> {
        self.write(|tx| write_lot(tx, lot))
    }

    pub fn lot(&self, id: &LotId) -> Result<Option<Lot>> {
        self.read(|conn| read_lot(conn, id))
    }

    pub fn upsert_unit(&self, unit: &TraceUnit) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO units (code, level, lot_id, parent_code) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (code) DO UPDATE SET level = excluded.level, lot_id = excluded.lot_id,
                    parent_code = excluded.parent_code",
            )?
            .execute(params![
                unit.code,
                unit.level.key(),
                unit.lot.as_ref().map(LotId::as_str),
                unit.parent
            ])?;
            Ok(())
        })
    }

    pub fn unit(&self, code: &str) -> Result<Option<TraceUnit>> {
        self.read(|conn| {
            let row = conn
                .prepare_cached(
                    // Packing events say where a unit is now; the set-up row may predate them.
                    "SELECT level, lot_id, COALESCE((SELECT parent FROM containment WHERE child = ?1), parent_code)
                     FROM units WHERE code = ?1",
                )?
                .query_row([code], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?, row.get::<_, Option<String>>(2)?))
                })
                .optional()?;
            row.map(|(level, lot, parent)| {
                let level = UnitLevel::from_key(&level).ok_or_else(|| corrupt("unit level", &level))?;
                Ok(TraceUnit { code: code.to_owned(), level, lot: lot.map(LotId), parent })
            })
            .transpose()
        })
    }
}
