//! The closed vocabularies events are written in: business steps, dispositions, roles.
//!
//! Each value has a stable snake_case key used in the store, on the wire and in exports; the keys are
//! part of the data format and must never be renamed.

use serde::{Deserialize, Serialize};

/// A closed vocabulary whose values have stable keys; `ALL`, `key()` and `from_key()`.
macro_rules! keyed_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $key:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable key of this value (store, wire, exports).
            pub fn key(self) -> &'static str {
                match self {
                    $($name::$variant => $key),+
                }
            }

            /// The value with this stable key, if any.
            pub fn from_key(key: &str) -> Option<Self> {
                match key {
                    $($key => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use keyed_enum;

keyed_enum!(
    /// What happened to the goods, in the order produce normally flows from orchard to customer.
    BizStep {
        Harvesting = "harvesting",
        Packing = "packing",
        WarehouseIn = "warehouse_in",
        WarehouseOut = "warehouse_out",
        Loading = "loading",
        Transfer = "transfer",
        Receiving = "receiving",
        Delivering = "delivering",
        /// A condition check that does not move the goods along the chain.
        Inspecting = "inspecting",
    }
);

keyed_enum!(
    /// Why goods were reported abnormal; one large icon each on the phone.
    AbnormalReason {
        Bruised = "bruised",
        Rotten = "rotten",
        OverTemperature = "over_temperature",
        Wet = "wet",
        CrushedPackage = "crushed_package",
        Missing = "missing",
        WrongItem = "wrong_item",
        Other = "other",
    }
);

keyed_enum!(
    /// The role of the person using a device; it decides which steps they usually perform.
    Role {
        Farmer = "farmer",
        Assistant = "assistant",
        Driver = "driver",
        Manager = "manager",
    }
);

/// The condition of the goods as recorded by whoever handled them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum Disposition {
    Normal,
    Abnormal(AbnormalReason),
}

impl Disposition {
    pub fn is_abnormal(self) -> bool {
        matches!(self, Disposition::Abnormal(_))
    }

    /// `"normal"` or `"abnormal"`: the column value in the store.
    pub fn status_key(self) -> &'static str {
        match self {
            Disposition::Normal => "normal",
            Disposition::Abnormal(_) => "abnormal",
        }
    }

    pub fn reason(self) -> Option<AbnormalReason> {
        match self {
            Disposition::Normal => None,
            Disposition::Abnormal(reason) => Some(reason),
        }
    }

    /// Rebuilds a disposition from its two store columns.
    pub fn from_keys(status: &str, reason: Option<&str>) -> Option<Self> {
        match (status, reason) {
            ("normal", None) => Some(Disposition::Normal),
            ("abnormal", Some(reason)) => AbnormalReason::from_key(reason).map(Disposition::Abnormal),
            _ => None,
        }
    }
}

impl BizStep {
    /// Steps that move goods along the chain, in their usual order; `Inspecting` is not among them.
    const FLOW: &'static [BizStep] = &[
        BizStep::Harvesting,
        BizStep::Packing,
        BizStep::WarehouseIn,
        BizStep::WarehouseOut,
        BizStep::Loading,
        BizStep::Transfer,
        BizStep::Receiving,
        BizStep::Delivering,
    ];

    fn flow_position(self) -> Option<usize> {
        Self::FLOW.iter().position(|step| *step == self)
    }
}

impl Role {
    /// The steps people in this role perform, in flow order.
    pub fn usual_steps(self) -> &'static [BizStep] {
        match self {
            Role::Farmer => &[BizStep::Harvesting, BizStep::Packing],
            Role::Assistant => &[BizStep::Harvesting, BizStep::Packing, BizStep::WarehouseIn],
            Role::Driver => &[BizStep::Loading, BizStep::Transfer, BizStep::Delivering],
            Role::Manager => &[BizStep::WarehouseIn, BizStep::WarehouseOut, BizStep::Receiving],
        }
    }

    /// The step a person in this role most likely performs next on goods whose last recorded step
    /// is `last` (None: never seen). It is the first of the role's usual steps that lies after
    /// `last` in the flow; when the goods are already past everything the role does, the role can
    /// only check them again (drivers: confirm delivery again).
    pub fn likely_next_step(self, last: Option<BizStep>) -> BizStep {
        let after = last.and_then(BizStep::flow_position);
        let next = self.usual_steps().iter().copied().find(|step| match (after, step.flow_position()) {
            (None, _) => true,
            (Some(last), Some(pos)) => pos > last,
            (Some(_), None) => false,
        });
        match (next, self) {
            (Some(step), _) => step,
            (None, Role::Driver) => BizStep::Delivering,
            (None, _) => BizStep::Inspecting,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_are_unique() {
        fn check<T: Copy + PartialEq + std::fmt::Debug>(
            all: &[T],
            key: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
        ) {
            let mut keys: Vec<_> = all.iter().map(|v| key(*v)).collect();
            for value in all {
                assert_eq!(parse(key(*value)), Some(*value));
            }
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), all.len(), "duplicate key");
        }
        check(BizStep::ALL, BizStep::key, BizStep::from_key);
        check(AbnormalReason::ALL, AbnormalReason::key, AbnormalReason::from_key);
        check(Role::ALL, Role::key, Role::from_key);
        assert_eq!(BizStep::from_key("Harvesting"), None);
    }

    #[test]
    fn serde_uses_the_same_keys() {
        for step in BizStep::ALL {
            let json = serde_json::to_string(step).expect("serialize");
            assert_eq!(json, format!("\"{}\"", step.key()));
        }
        let abnormal = Disposition::Abnormal(AbnormalReason::CrushedPackage);
        let json = serde_json::to_string(&abnormal).expect("serialize");
        assert_eq!(json, r#"{"status":"abnormal","reason":"crushed_package"}"#);
    }

    #[test]
    fn disposition_from_store_columns() {
        assert_eq!(Disposition::from_keys("normal", None), Some(Disposition::Normal));
        assert_eq!(Disposition::from_keys("abnormal", Some("wet")), Some(Disposition::Abnormal(AbnormalReason::Wet)));
        assert_eq!(Disposition::from_keys("abnormal", None), None);
        assert_eq!(Disposition::from_keys("normal", Some("wet")), None);
        assert_eq!(Disposition::from_keys("abnormal", Some("sad")), None);
    }

    #[test]
    fn next_step_follows_the_flow_for_each_role() {
        use BizStep::*;
        assert_eq!(Role::Farmer.likely_next_step(None), Harvesting);
        assert_eq!(Role::Farmer.likely_next_step(Some(Harvesting)), Packing);
        assert_eq!(Role::Farmer.likely_next_step(Some(Packing)), Inspecting);
        assert_eq!(Role::Assistant.likely_next_step(Some(Packing)), WarehouseIn);
        assert_eq!(Role::Driver.likely_next_step(None), Loading);
        assert_eq!(Role::Driver.likely_next_step(Some(WarehouseOut)), Loading);
        assert_eq!(Role::Driver.likely_next_step(Some(Loading)), Transfer);
        assert_eq!(Role::Driver.likely_next_step(Some(Receiving)), Delivering);
        assert_eq!(Role::Driver.likely_next_step(Some(Delivering)), Delivering);
        assert_eq!(Role::Manager.likely_next_step(Some(Packing)), WarehouseIn);
        assert_eq!(Role::Manager.likely_next_step(Some(WarehouseIn)), WarehouseOut);
        assert_eq!(Role::Manager.likely_next_step(Some(Transfer)), Receiving);
        assert_eq!(Role::Manager.likely_next_step(Some(Delivering)), Inspecting);
        // Callers pass the last step that moved the goods; an inspection alone says nothing about
        // where the goods are, so it is treated like no history.
        assert_eq!(Role::Manager.likely_next_step(Some(Inspecting)), WarehouseIn);
    }
}
