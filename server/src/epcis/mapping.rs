//! One FieldTrace event → EPCIS 2.0 JSON-LD event(s), with CBV vocabulary and GS1 Digital Link
//! identifiers. Kept as a pure function of the event, so an export is reproducible.

use super::ExportOptions;
use fieldtrace_core::model::{
    AbnormalReason, AggregationAction, BizStep, Disposition, Event, EventKind, PartyId, SensorKind,
};
use fieldtrace_core::payload::percent_encode;
use serde_json::{json, Map, Value};

/// Our extension namespace prefix; the document's `@context` binds it (see `super::context`).
pub const PREFIX: &str = "ft";

/// The EPCIS event for `event`, or `None` for events that are master data, not visibility data
/// (lot/party/trip register updates, which go to the header) or corrections (which become
/// `errorDeclaration`s of the event they void).
pub fn event_json(event: &Event, options: &ExportOptions) -> Option<Value> {
    let mut out = Map::new();
    match &event.kind {
        EventKind::Update(_) | EventKind::Correction { .. } => return None,
        EventKind::Aggregation { parent, action } => {
            out.insert("type".into(), json!("AggregationEvent"));
            out.insert("parentID".into(), json!(identifier(parent, options)));
            out.insert("childEPCs".into(), json!(epc_list(&event.codes, options)));
            let (action, step) = match action {
                AggregationAction::Pack => ("ADD", "packing"),
                AggregationAction::Unpack => ("DELETE", "unpacking"),
            };
            out.insert("action".into(), json!(action));
            out.insert("bizStep".into(), json!(step));
        }
        EventKind::Transformation { outputs } => {
            out.insert("type".into(), json!("TransformationEvent"));
            out.insert("inputEPCList".into(), json!(epc_list(&event.codes, options)));
            out.insert("outputEPCList".into(), json!(epc_list(outputs, options)));
            out.insert("bizStep".into(), json!(event.step.map_or("repackaging", cbv_step)));
        }
        _ => {
            out.insert("type".into(), json!("ObjectEvent"));
            // EPCIS requires what an ObjectEvent is about: its units, or, for lot-level records
            // (a spraying, a harvest weighed by the crate), the lot as a class with a quantity.
            match (&event.lot, event.codes.is_empty()) {
                (Some(lot), true) => {
                    out.insert("quantityList".into(), json!([lot_quantity(&lot.0, &event.kind)]));
                }
                _ => {
                    out.insert("epcList".into(), json!(epc_list(&event.codes, options)));
                }
            }
            // Harvest is when the traced units come into being: EPCIS `ADD` + `commissioning`.
            let action = if event.step == Some(BizStep::Harvesting) { "ADD" } else { "OBSERVE" };
            out.insert("action".into(), json!(action));
            if let Some(step) = object_step(event) {
                out.insert("bizStep".into(), json!(step));
            }
        }
    }
    out.insert("eventTime".into(), json!(event.recorded_at.to_rfc3339()));
    out.insert("eventTimeZoneOffset".into(), json!(event.recorded_at.format("%:z").to_string()));
    out.insert("eventID".into(), json!(format!("urn:uuid:{}", event.id)));
    if let Some(disposition) = event.disposition {
        out.insert("disposition".into(), json!(cbv_disposition(disposition)));
        if let Some(reason) = disposition.reason() {
            out.insert(ext("abnormalReason"), json!(reason.key()));
        }
    }
    if let Some(point) = read_point(event) {
        out.insert("readPoint".into(), json!({ "id": point }));
    }
    if let EventKind::Handover { from, to } = &event.kind {
        out.insert("sourceList".into(), json!([{ "type": "possessing_party", "source": party_uri(from) }]));
        out.insert("destinationList".into(), json!([{ "type": "possessing_party", "destination": party_uri(to) }]));
    }
    if let EventKind::FarmRecord(record) = &event.kind {
        out.insert(ext("farmRecord"), serde_json::to_value(record).unwrap_or(Value::Null));
    }
    if !event.sensors.is_empty() {
        out.insert("sensorElementList".into(), sensor_elements(event));
    }
    if let Some(lot) = &event.lot {
        out.insert(ext("lot"), json!(lot.0));
    }
    out.insert(ext("actor"), json!({ "party": event.actor.party.0, "role": event.actor.role.key() }));
    out.insert(
        ext("recorder"),
        json!({ "party": event.recorder.party.0, "device": event.recorder.device.to_string() }),
    );
    if let Some(note) = &event.note {
        out.insert(ext("note"), json!(note));
    }
    if !event.photos.is_empty() {
        out.insert(ext("photos"), json!(event.photos.iter().map(|p| &p.0).collect::<Vec<_>>()));
    }
    Some(Value::Object(out))
}

/// `event` as voided by a correction recorded at `declared`: EPCIS keeps the erroneous event and
/// adds a copy with the same `eventID` carrying an `errorDeclaration`.
pub fn error_declaration(original: &Value, correction: &Event) -> Value {
    let mut declared = original.clone();
    if let Value::Object(fields) = &mut declared {
        fields.insert(
            "errorDeclaration".into(),
            json!({
                "declarationTime": correction.recorded_at.to_rfc3339(),
                "reason": "incorrect_data",
                ext("correctionEvent"): format!("urn:uuid:{}", correction.id),
            }),
        );
    }
    declared
}

fn ext(name: &str) -> String {
    format!("{PREFIX}:{name}")
}

/// The CBV business step for a step of ours. CBV has no "harvesting": a harvest commissions the
/// traced units.
pub fn cbv_step(step: BizStep) -> &'static str {
    match step {
        BizStep::Harvesting => "commissioning",
        BizStep::Packing => "packing",
        BizStep::WarehouseIn => "storing",
        BizStep::WarehouseOut => "staging_outbound",
        BizStep::Loading => "loading",
        BizStep::Transfer => "transporting",
        BizStep::Receiving => "receiving",
        BizStep::Delivering => "arriving",
        BizStep::Inspecting => "inspecting",
    }
}

fn object_step(event: &Event) -> Option<String> {
    if let Some(step) = event.step {
        return Some(cbv_step(step).to_owned());
    }
    match &event.kind {
        EventKind::SensorReading => Some("sensor_reporting".to_owned()),
        EventKind::Handover { .. } => Some("transporting".to_owned()),
        // Farming activities have no CBV step: our own vocabulary URI, which CBV allows.
        EventKind::FarmRecord(record) => {
            Some(format!("https://fieldtrace.org/voc/BizStep-{}", percent_encode(&record.activity)))
        }
        _ => None,
    }
}

fn cbv_disposition(disposition: Disposition) -> &'static str {
    match disposition {
        Disposition::Normal => "conformant",
        Disposition::Abnormal(AbnormalReason::Bruised | AbnormalReason::CrushedPackage | AbnormalReason::Wet) => {
            "damaged"
        }
        Disposition::Abnormal(AbnormalReason::Missing) => "unavailable",
        Disposition::Abnormal(_) => "non_conformant",
    }
}

fn epc_list(codes: &[String], options: &ExportOptions) -> Vec<String> {
    let mut list: Vec<String> = Vec::with_capacity(codes.len());
    for code in codes {
        let uri = identifier(code, options);
        // EPCIS lists are sets (`uniqueItems`).
        if !list.contains(&uri) {
            list.push(uri);
        }
    }
    list
}

/// A code key (see `Payload::code_key`) as a URI: GS1 keys become Digital Link URIs on
/// `options.digital_link_base`, our trace codes the trace page URL, anything else a URN.
pub fn identifier(code: &str, options: &ExportOptions) -> String {
    if code.starts_with('/') && code.len() > 1 {
        format!("{}{}", options.digital_link_base.trim_end_matches('/'), uri_path(code))
    } else if let Some(trace) = code.strip_prefix("t/") {
        format!("{}/t/{}", options.trace_base.trim_end_matches('/'), percent_encode(trace))
    } else {
        format!("urn:fieldtrace:code:{}", percent_encode(code))
    }
}

/// The lot as an EPC class, with the harvested amount when it is a weight UN/ECE knows.
fn lot_quantity(lot: &str, kind: &EventKind) -> Value {
    let mut element = json!({ "epcClass": format!("urn:fieldtrace:lot:{}", percent_encode(lot)) });
    let amount = match kind {
        EventKind::FarmRecord(record) if record.activity == "harvest" => record.amount.as_ref(),
        _ => None,
    };
    let uom = amount.and_then(|q| match q.unit.to_lowercase().as_str() {
        "kg" | "公斤" | "千克" => Some(("KGM", 1.0)),
        "t" | "吨" => Some(("TNE", 1.0)),
        "斤" => Some(("KGM", 0.5)),
        "g" | "克" => Some(("GRM", 1.0)),
        _ => None,
    });
    if let (Some(quantity), Some((uom, factor)), Value::Object(fields)) = (amount, uom, &mut element) {
        fields.insert("quantity".into(), json!(quantity.value * factor));
        fields.insert("uom".into(), json!(uom));
    }
    element
}

fn party_uri(party: &PartyId) -> String {
    format!("urn:fieldtrace:party:{}", percent_encode(&party.0))
}

fn read_point(event: &Event) -> Option<String> {
    let location = event.location.as_ref()?;
    if let Some(place) = &location.place {
        return Some(format!("urn:fieldtrace:place:{}", percent_encode(&place.0)));
    }
    location.gps.map(|gps| format!("geo:{},{}", gps.lat, gps.lon))
}

fn sensor_elements(event: &Event) -> Value {
    let reports: Vec<Value> = event
        .sensors
        .iter()
        .map(|s| {
            let (kind, uom) = match s.kind {
                SensorKind::TemperatureCelsius => ("Temperature", "CEL"),
                SensorKind::RelativeHumidityPercent => ("RelativeHumidity", "P1"),
            };
            let mut report = json!({ "type": kind, "value": s.value, "uom": uom });
            if let (Some(at), Value::Object(fields)) = (s.at, &mut report) {
                fields.insert("time".into(), json!(at.to_rfc3339()));
            }
            report
        })
        .collect();
    json!([{ "sensorMetadata": { "time": event.recorded_at.to_rfc3339() }, "sensorReport": reports }])
}

/// A Digital Link path keeps its slashes; each segment is encoded.
fn uri_path(path: &str) -> String {
    path.split('/').map(percent_encode).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> ExportOptions {
        ExportOptions { digital_link_base: "https://id.gs1.org".into(), trace_base: "https://trace.example/".into() }
    }

    #[test]
    fn identifiers_are_uris() {
        let o = options();
        assert_eq!(identifier("/01/09506000134352/21/A1", &o), "https://id.gs1.org/01/09506000134352/21/A1");
        assert_eq!(identifier("/00/106141412345678908", &o), "https://id.gs1.org/00/106141412345678908");
        assert_eq!(identifier("t/K7Q2-MX4P", &o), "https://trace.example/t/K7Q2-MX4P");
        assert_eq!(identifier("猕猴桃 1", &o), "urn:fieldtrace:code:%E7%8C%95%E7%8C%B4%E6%A1%83%201");
        assert_eq!(identifier("/01/x y", &o), "https://id.gs1.org/01/x%20y");
    }

    #[test]
    fn every_step_maps_to_a_cbv_value() {
        for step in BizStep::ALL {
            assert!(!cbv_step(*step).is_empty());
        }
        assert_eq!(cbv_step(BizStep::Harvesting), "commissioning");
    }
}
