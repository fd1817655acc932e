//! The core's closed vocabularies as uniffi enums (Kotlin `enum class`, Swift `enum`).
//!
//! Mirrors rather than uniffi derives on the core types, so the core stays free of FFI concerns
//! (matrix-sdk-ffi does the same). Both `From` directions match exhaustively: a value added to the
//! core fails to compile here until the mirror has it too.

use fieldtrace_core::model as core;

/// Declares a fieldless mirror enum and its conversions from and to the core enum of that name.
macro_rules! mirror_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum $name {
            $($variant),+
        }

        impl From<core::$name> for $name {
            fn from(value: core::$name) -> Self {
                match value {
                    $(core::$name::$variant => $name::$variant),+
                }
            }
        }

        impl From<$name> for core::$name {
            fn from(value: $name) -> Self {
                match value {
                    $($name::$variant => core::$name::$variant),+
                }
            }
        }
    };
}

mirror_enum!(
    /// The role of the person using the phone; it decides which step a tap records.
    Role { Farmer, Assistant, Driver, Manager }
);

mirror_enum!(
    /// What happened to the goods, in flow order; `Inspecting` checks without moving them.
    BizStep { Harvesting, Packing, WarehouseIn, WarehouseOut, Loading, Transfer, Receiving, Delivering, Inspecting }
);

mirror_enum!(
    /// Why goods were reported abnormal: one large icon each in the reason picker.
    AbnormalReason { Bruised, Rotten, OverTemperature, Wet, CrushedPackage, Missing, WrongItem, Other }
);

/// The condition of the goods as recorded: 正常, or 异常 with a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Disposition {
    Normal,
    Abnormal { reason: AbnormalReason },
}

impl From<core::Disposition> for Disposition {
    fn from(value: core::Disposition) -> Self {
        match value {
            core::Disposition::Normal => Disposition::Normal,
            core::Disposition::Abnormal(reason) => Disposition::Abnormal { reason: reason.into() },
        }
    }
}

/// The stable snake_case key of a role (`farmer`, …), as stored and sent on the wire; shells use
/// it for analytics and resource names so they never depend on enum ordinals.
#[uniffi::export]
pub fn role_key(role: Role) -> String {
    core::Role::from(role).key().to_owned()
}

/// The stable key of a step (`warehouse_in`, …): the shells' string-resource names.
#[uniffi::export]
pub fn biz_step_key(step: BizStep) -> String {
    core::BizStep::from(step).key().to_owned()
}

/// The stable key of an abnormal reason (`crushed_package`, …): the shells' icon and string names.
#[uniffi::export]
pub fn abnormal_reason_key(reason: AbnormalReason) -> String {
    core::AbnormalReason::from(reason).key().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_value_round_trips_through_its_mirror() {
        for role in core::Role::ALL {
            assert_eq!(core::Role::from(Role::from(*role)), *role);
            assert_eq!(role_key((*role).into()), role.key());
        }
        for step in core::BizStep::ALL {
            assert_eq!(core::BizStep::from(BizStep::from(*step)), *step);
            assert_eq!(biz_step_key((*step).into()), step.key());
        }
        for reason in core::AbnormalReason::ALL {
            assert_eq!(core::AbnormalReason::from(AbnormalReason::from(*reason)), *reason);
            assert_eq!(abnormal_reason_key((*reason).into()), reason.key());
            let abnormal = Disposition::from(core::Disposition::Abnormal(*reason));
            assert_eq!(abnormal, Disposition::Abnormal { reason: (*reason).into() });
        }
        assert_eq!(Disposition::from(core::Disposition::Normal), Disposition::Normal);
    }
}
