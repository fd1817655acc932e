//! The goods' way from the village store to the cold store, the morning after packing, and the
//! cold store's spot checks after the season: the downstream half of the season, kept apart from
//! picking and packing so each half reads on its own.

use super::{Season, Shipment};
use crate::scale::cast::*;
use fieldtrace_core::model::*;

impl Season {
    /// Next morning: the manifest, the handover to the driver, loading, the road, delivery, the
    /// handover to the cold store, the logger read-out and the check-in of each pallet.
    pub(super) fn trip(&mut self, shipment: Shipment) {
        let Shipment { village, day, pallets, loggers, lot } = shipment;
        let d = village % DRIVERS;
        let (driver, manager) = (Cast::driver(d), Cast::manager());
        let morning = Self::at(day + 1, 0);
        let date = local_time(morning).format("%m%d");
        let trip = format!("trip-{date}-{d:02}-v{village:02}");
        self.info.trips += 1;
        let plan = Update::new(EntityKind::Trip, trip.clone())
            .set("driver", driver_party(d))
            .set("vehicle", format!("陕A·{:05}", 30_000 + d))
            .set("origin", COOP_PARTY)
            .set("destination", "西安朱雀冷库")
            .set("units", pallets.join(" "));
        self.update(manager, morning + 4 * HOUR_MS + village as u64 * 60_000, plan);

        let at = morning + 5 * HOUR_MS + village as u64 * 600_000;
        let assistant = self.cast.members[Cast::assistant(village)].party.clone();
        let driver_party = self.cast.members[driver].party.clone();
        let with_lot = |mut event: Event, step: BizStep| {
            event.step = Some(step);
            event.lot = Some(LotId::new(lot.as_str()));
            event
        };
        let take = EventKind::Handover { from: assistant.clone(), to: driver_party.clone() };
        let event = self.event(driver, None, at, take, pallets.clone());
        self.push(with_lot(event, BizStep::Loading));
        for (i, pallet) in pallets.iter().enumerate() {
            let kind = EventKind::Trip { trip: trip.clone(), stage: TripStage::Load { on_manifest: true } };
            let event = self.event(driver, None, at + 60_000 + i as u64 * 20_000, kind, vec![pallet.clone()]);
            self.push(with_lot(event, BizStep::Loading));
        }
        let n = u32::try_from(pallets.len()).unwrap_or(u32::MAX);
        let depart = TripStage::Depart { expected: n, loaded: n, missing: Vec::new(), off_manifest: Vec::new() };
        let kind = EventKind::Trip { trip: trip.clone(), stage: depart };
        let event = self.event(driver, None, at + 30 * 60_000, kind, pallets.clone());
        self.push(with_lot(event, BizStep::Transfer));
        let arrive = at + 4 * HOUR_MS;
        let deliver = TripStage::Deliver { recipient: "朱雀冷库 王主管".to_owned() };
        let event = self.event(driver, None, arrive, EventKind::Trip { trip, stage: deliver }, pallets.clone());
        self.push(with_lot(event, BizStep::Delivering));

        // The cold store has no phone of its own in this co-op: the manager's records it.
        let cold_store = Actor { party: PartyId::new(COLD_STORE), role: Role::Manager };
        let give = EventKind::Handover { from: driver_party.clone(), to: PartyId::new(COLD_STORE) };
        let event = self.event(manager, Some(cold_store.clone()), arrive + 600_000, give, pallets.clone());
        self.push(with_lot(event, BizStep::Receiving));
        for (i, (logger, logger_box)) in loggers.iter().enumerate() {
            self.logger_readings(driver, arrive + 900_000 + i as u64 * 30_000, day, logger, logger_box, &lot);
        }
        let handled_by = vec![farm_party(village), assistant.0, driver_party.0];
        for (i, pallet) in pallets.iter().enumerate() {
            let at = arrive + 1_800_000 + i as u64 * 20_000;
            let bruised = self.rng.chance(0.02);
            let disposition =
                if bruised { Disposition::Abnormal(AbnormalReason::Bruised) } else { Disposition::Normal };
            let check = self.report(
                manager,
                Some(cold_store.clone()),
                at,
                BizStep::Receiving,
                vec![pallet.clone()],
                &lot,
                disposition,
            );
            if bruised {
                self.push_finding(check, handled_by.clone());
            } else {
                self.push(check);
            }
        }
    }

    /// The night in the village store, read from the pallet's logger on arrival by the driver's
    /// phone: one event per hour, a reading every 30 minutes (docs/sensors.md); one logger in a
    /// hundred saw the door open for 45 minutes.
    fn logger_readings(&mut self, reader: usize, at: u64, day: u64, logger: &str, logger_box: &str, lot: &str) {
        let night = Self::at(day, 20);
        for hour in 0..8u64 {
            let mut event =
                self.event(reader, None, at + hour * 1_000, EventKind::SensorReading, vec![logger_box.to_owned()]);
            event.lot = Some(LotId::new(lot));
            event.note = Some(format!("logger {logger}"));
            for half in 0..2u64 {
                let when = Some(local_time(night + hour * HOUR_MS + half * 1_800_000));
                let temperature = 1.5 + self.rng.below(20) as f64 / 10.0;
                event.sensors.push(SensorValue { kind: SensorKind::TemperatureCelsius, value: temperature, at: when });
                let humidity = 88.0 + self.rng.below(60) as f64 / 10.0;
                event.sensors.push(SensorValue {
                    kind: SensorKind::RelativeHumidityPercent,
                    value: humidity,
                    at: when,
                });
            }
            self.push(event);
        }
        if self.rng.chance(0.01) {
            let start = local_time(night + 3 * HOUR_MS);
            let excursion = Excursion {
                logger: logger.to_owned(),
                sensor: SensorKind::TemperatureCelsius,
                bound: Bound::Above,
                threshold: 5.0,
                start,
                end: start + chrono::Duration::minutes(45),
                peak: 7.8,
            };
            let kind = EventKind::Excursion(excursion);
            let mut event = self.event(reader, None, at + 10_000, kind, vec![logger_box.to_owned()]);
            event.lot = Some(LotId::new(lot));
            event.disposition = Some(Disposition::Abnormal(AbnormalReason::OverTemperature));
            self.push_finding(event, vec![COOP_PARTY.to_owned(), MANAGER.to_owned()]);
        }
    }

    /// After the season, until `target`: the cold store's spot checks of stored boxes, up to
    /// 20,000 a day.
    pub(super) fn inspections(&mut self, day: u64) {
        let cold_store = Actor { party: PartyId::new(COLD_STORE), role: Role::Manager };
        let start = Self::at(day, 8);
        for i in 0..20_000u64 {
            if self.full() {
                return;
            }
            let code = sscc_code(0, self.rng.below(self.next_box.max(1)));
            let kind = EventKind::Report;
            let mut check = self.event(Cast::manager(), Some(cold_store.clone()), start + i * 2_000, kind, vec![code]);
            check.step = Some(BizStep::Inspecting);
            check.disposition = Some(Disposition::Normal);
            self.push(check);
        }
    }
}
