//! The demo's farm story and lab reports: the manager's phone publishes farmer Li's story and a
//! photo of the orchard (drawn here, no binary files), and the co-op enters two lab reports — the
//! kiwis all within GB 2763 limits, the mangoes with one residue over its limit — through the
//! same CSV import `fieldtrace reports import` uses.

use fieldtrace_core::model::{EntityKind, Update};
use fieldtrace_core::Session;
use fieldtrace_server::reports::import_csv;
use fieldtrace_server::storage::Storage;
use image::{ImageFormat, Rgb, RgbImage};

const KIWI_REPORT: &str = "报告编号,检测机构,采样日期,签发日期,检测项目,检测结果,单位,下限,上限,标准
SX-NJ-2026-0915,陕西省农产品质量安全检测中心,2026-11-18,2026-11-20,多菌灵,0.02,mg/kg,,0.5,GB 2763-2021
SX-NJ-2026-0915,陕西省农产品质量安全检测中心,2026-11-18,2026-11-20,毒死蜱,未检出,mg/kg,,0.05,GB 2763-2021
SX-NJ-2026-0915,陕西省农产品质量安全检测中心,2026-11-18,2026-11-20,氯吡脲,0.008,mg/kg,,0.05,GB 2763-2021
SX-NJ-2026-0915,陕西省农产品质量安全检测中心,2026-11-18,2026-11-20,可溶性固形物,16.2,%,15,,NY/T 1794
SX-NJ-2026-0915,陕西省农产品质量安全检测中心,2026-11-18,2026-11-20,硬度,6.8,kg/cm²,5,12,
";

const MANGO_REPORT: &str = "Report No,Lab,Sampled On,Issued On,Analyte,Value,Unit,Limit Min,Limit Max,Standard
HN-2026-0707,海南省农产品检测中心,2026-11-17,2026-11-19,多菌灵,0.3,mg/kg,,2,GB 2763-2021
HN-2026-0707,海南省农产品检测中心,2026-11-17,2026-11-19,吡虫啉,0.35,mg/kg,,0.2,GB 2763-2021
HN-2026-0707,海南省农产品检测中心,2026-11-17,2026-11-19,可溶性固形物,14.5,%,14,,
";

const LI_STORY: &str = "李大爷在秦岭北麓种了三十年猕猴桃，果园在周至县马召镇，海拔六百米，山泉水灌溉。
果子自然成熟才采摘，不催熟、不打膨大剂；采摘后当天进合作社冷库。";

/// Farmer Li's story and orchard photo, recorded on the manager's phone (they sync with the rest).
pub fn farm_story(manager: &mut Session) -> Result<(), String> {
    let mut png = Vec::new();
    orchard_picture(800, 600)
        .write_to(&mut std::io::Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|e| format!("drawing the orchard: {e}"))?;
    let photo = manager.save_photo(&png).map_err(|e| format!("saving the orchard photo: {e}"))?;
    let update = Update::new(EntityKind::Party, "farmer-li").set("story", LI_STORY).set("photo", photo.0);
    manager.update(update).map_err(|e| format!("publishing the farm story: {e}"))?;
    Ok(())
}

/// The co-op's lab reports for the kiwi and mango lots.
pub async fn lab_reports<S: Storage>(storage: &S, coop: &str) -> Result<(), String> {
    for (lot, csv) in [("K-2026-0815", KIWI_REPORT), ("M-2026-0702", MANGO_REPORT)] {
        let summary = import_csv(storage, coop, lot, csv.as_bytes(), "demo").await.map_err(|e| e.to_string())?;
        if !summary.clean() {
            return Err(format!("demo report for {lot}: {:?}", summary.problems));
        }
    }
    Ok(())
}

/// A mango crate's code: its lab report has a value over its limit.
pub fn mango_trace_code() -> String {
    super::cast::demo_code(12)
}

/// Sky, sun, the Qinling foothills and rows of kiwi vines on trellises.
fn orchard_picture(width: u32, height: u32) -> RgbImage {
    let horizon = height * 2 / 5;
    RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let (sun_dx, sun_dy) = (fx - 0.78, fy - 0.14);
        if sun_dx * sun_dx + sun_dy * sun_dy < 0.004 {
            return Rgb([255, 214, 102]);
        }
        let ridge = horizon as f32 - 60.0 * (fx * 7.0).sin().abs() - 30.0 * (fx * 13.0 + 1.0).sin();
        if (y as f32) < ridge {
            let t = fy / 0.4;
            return Rgb([(120.0 + 80.0 * t) as u8, (175.0 + 50.0 * t) as u8, 235]);
        }
        if y < horizon + 20 {
            return Rgb([86, 120, 96]);
        }
        // Vine rows converge toward the horizon; leaves between, earth paths in the gaps.
        let depth = (y - horizon) as f32 / (height - horizon) as f32;
        let row = ((fx - 0.5) / (0.15 + depth) * 6.0).rem_euclid(1.0);
        let leaf = ((x as f32 * 0.9).sin() * (y as f32 * 1.3).cos() * 30.0) as i32;
        if row < 0.68 {
            let kiwi = (x * 7 + y * 3) % 97 == 0 && depth > 0.3;
            if kiwi {
                Rgb([139, 101, 56])
            } else {
                Rgb([(60 + leaf / 2).clamp(0, 255) as u8, (130 + leaf).clamp(0, 255) as u8, 52])
            }
        } else {
            Rgb([168, 134, 96])
        }
    })
}
