//! The event vocabulary's names in Chinese and English, as people read them: the trace page, the
//! dashboard and alert texts all say "碰伤" / "bruised" for the same reason code.

use fieldtrace_core::model::{AbnormalReason, BizStep};

/// What happened at a business step, as a trace page's journey line says it.
pub fn step_name(step: BizStep, zh: bool) -> &'static str {
    match (step, zh) {
        (BizStep::Harvesting, true) => "采摘",
        (BizStep::Harvesting, false) => "Harvested",
        (BizStep::Packing, true) => "装箱",
        (BizStep::Packing, false) => "Packed",
        (BizStep::WarehouseIn, true) => "入库",
        (BizStep::WarehouseIn, false) => "Into the cold store",
        (BizStep::WarehouseOut, true) => "出库",
        (BizStep::WarehouseOut, false) => "Out of the cold store",
        (BizStep::Loading, true) => "装车",
        (BizStep::Loading, false) => "Loaded",
        (BizStep::Transfer, true) => "运输交接",
        (BizStep::Transfer, false) => "Handed over in transit",
        (BizStep::Receiving, true) => "到货验收",
        (BizStep::Receiving, false) => "Received",
        (BizStep::Delivering, true) => "送达",
        (BizStep::Delivering, false) => "Delivered",
        (BizStep::Inspecting, true) => "质量检查",
        (BizStep::Inspecting, false) => "Inspected",
    }
}

/// An abnormal reason, as a report or an alert names it.
pub fn reason_name(reason: AbnormalReason, zh: bool) -> &'static str {
    match (reason, zh) {
        (AbnormalReason::Bruised, true) => "碰伤",
        (AbnormalReason::Bruised, false) => "bruised",
        (AbnormalReason::Rotten, true) => "腐烂",
        (AbnormalReason::Rotten, false) => "rotten",
        (AbnormalReason::OverTemperature, true) => "温度超标",
        (AbnormalReason::OverTemperature, false) => "too warm",
        (AbnormalReason::Wet, true) => "受潮",
        (AbnormalReason::Wet, false) => "wet",
        (AbnormalReason::CrushedPackage, true) => "包装压坏",
        (AbnormalReason::CrushedPackage, false) => "package crushed",
        (AbnormalReason::Missing, true) => "缺失",
        (AbnormalReason::Missing, false) => "missing",
        (AbnormalReason::WrongItem, true) => "错货",
        (AbnormalReason::WrongItem, false) => "wrong item",
        (AbnormalReason::Other, true) => "其他问题",
        (AbnormalReason::Other, false) => "other problem",
    }
}
