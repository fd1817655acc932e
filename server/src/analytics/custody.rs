//! Which drivers held a unit, and whether it was found abnormal while they did or right after.
//!
//! A driver takes custody with an event they record at loading or in transit (a loading scan, a
//! departure, a handover they accept). Custody ends at delivery, at receiving or warehouse-in by
//! someone else, or when another driver takes over. A check at a hand-off counts against the
//! giver: the receiver's acceptance (box by box) or arrival check judges what the driver held,
//! and a driver's own check when taking over judges the previous holder, not them. When custody
//! ends without a check (a delivery scan), the next check of the unit, by anyone, still counts
//! for that driver ("found right after").

use fieldtrace_core::model::{BizStep, Disposition, Event, EventKind, Role, TripStage};
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct Custody {
    holder: Option<String>,
    /// A driver whose custody ended with no check yet.
    released: Option<String>,
    drivers: BTreeMap<String, bool>,
}

impl Custody {
    pub fn apply(&mut self, event: &Event, disposition: Option<Disposition>) {
        if let Some(disposition) = disposition {
            let abnormal = disposition.is_abnormal();
            for driver in self.released.take().into_iter().chain(self.holder.clone()) {
                *self.drivers.entry(driver).or_default() |= abnormal;
            }
        }
        let by_driver = event.actor.role == Role::Driver;
        let trip_stage = match &event.kind {
            EventKind::Trip { stage, .. } => Some(stage),
            _ => None,
        };
        let delivered = matches!(trip_stage, Some(TripStage::Deliver { .. }))
            || event.step == Some(BizStep::Delivering)
            || (!by_driver && matches!(event.step, Some(BizStep::Receiving | BizStep::WarehouseIn)));
        let takes = by_driver
            && (matches!(event.step, Some(BizStep::Loading | BizStep::Transfer | BizStep::Receiving))
                || matches!(trip_stage, Some(TripStage::Load { .. } | TripStage::Depart { .. })));
        if delivered {
            if let Some(holder) = self.holder.take() {
                self.release(holder, disposition.is_some());
            }
        } else if takes {
            let me = &event.actor.party.0;
            if self.holder.as_ref() != Some(me) {
                if let Some(old) = self.holder.take() {
                    self.release(old, disposition.is_some());
                }
                self.holder = Some(me.clone());
                self.drivers.entry(me.clone()).or_default();
            }
        }
    }

    fn release(&mut self, driver: String, checked: bool) {
        if !checked {
            self.released = Some(driver);
        }
    }

    /// Per driver who held the unit: found abnormal while or right after they held it.
    pub fn into_drivers(self) -> BTreeMap<String, bool> {
        self.drivers
    }
}
