//! The consumer page's words, Chinese first (buyers are mostly in China) and English.

use fieldtrace_core::model::{AbnormalReason, BizStep};

pub struct Words {
    pub lang: &'static str,
    pub title: &'static str,
    pub switch_label: &'static str,
    pub switch_lang: &'static str,
    pub product: &'static str,
    pub variety: &'static str,
    pub grade: &'static str,
    pub harvest_date: &'static str,
    pub farm: &'static str,
    pub coop: &'static str,
    pub journey: &'static str,
    pub authenticity: &'static str,
    pub first_scan: &'static str,
    pub first_scan_detail: &'static str,
    /// "scanned {n} times, first on {date}"
    pub repeat_scan: &'static str,
    pub repeat_warning: &'static str,
    pub places: &'static str,
    pub condition_ok: &'static str,
    pub condition_bad: &'static str,
    pub unknown_title: &'static str,
    pub unknown_body: &'static str,
    pub invalid_title: &'static str,
    pub invalid_body: &'static str,
    pub your_code: &'static str,
    pub two_coops: &'static str,
}

pub const ZH: Words = Words {
    lang: "zh-CN",
    title: "产品溯源",
    switch_label: "English",
    switch_lang: "en",
    product: "产品",
    variety: "品种",
    grade: "等级",
    harvest_date: "采摘日期",
    farm: "果园",
    coop: "合作社",
    journey: "从果园到您手中",
    authenticity: "真伪查询",
    first_scan: "首次查询",
    first_scan_detail: "这是此码第一次被查询，请放心食用。",
    repeat_scan: "此码已被查询 {n} 次，首次查询于 {first}",
    repeat_warning: "如果您是第一次扫描此标签，可能是仿冒品，请联系商家。",
    places: "查询地点",
    condition_ok: "检查正常",
    condition_bad: "发现问题",
    unknown_title: "未找到此码",
    unknown_body: "此溯源码尚无记录。产品可能刚采摘，记录正在上传，请稍后再查。",
    invalid_title: "溯源码无效",
    invalid_body: "此码不是有效的溯源码，可能印刷或输入有误。请核对标签。",
    your_code: "您查询的码",
    two_coops: "注意：此码在多个合作社出现过，请联系商家核实。",
};

pub const EN: Words = Words {
    lang: "en",
    title: "Product trace",
    switch_label: "中文",
    switch_lang: "zh",
    product: "Product",
    variety: "Variety",
    grade: "Grade",
    harvest_date: "Harvested",
    farm: "Farm",
    coop: "Co-op",
    journey: "From the orchard to you",
    authenticity: "Authenticity",
    first_scan: "First scan",
    first_scan_detail: "This is the first time this code has been looked up.",
    repeat_scan: "This code has been looked up {n} times, first on {first}",
    repeat_warning: "If this is your first scan of this label, it may be a copy: please contact the seller.",
    places: "Looked up from",
    condition_ok: "checked, fine",
    condition_bad: "problem found",
    unknown_title: "Code not found",
    unknown_body: "There is no record for this code yet. The produce may just have been harvested and its records are still uploading; please try again later.",
    invalid_title: "Not a valid trace code",
    invalid_body: "This is not a valid trace code; it may have been misprinted or mistyped. Please check the label.",
    your_code: "The code you looked up",
    two_coops: "Note: this code appears at more than one co-op; please check with the seller.",
};

pub fn for_lang(lang: Option<&str>) -> &'static Words {
    match lang {
        Some(l) if l.starts_with("en") => &EN,
        _ => &ZH,
    }
}

impl Words {
    pub fn step(&self, step: BizStep) -> &'static str {
        let zh = self.lang.starts_with("zh");
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

    pub fn reason(&self, reason: AbnormalReason) -> &'static str {
        let zh = self.lang.starts_with("zh");
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
}
