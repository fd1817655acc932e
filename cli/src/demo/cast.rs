//! The demo co-op's fixed cast: its id and name, its dashboard account, the codes on its crates
//! and the simulated phones. Every part of the demo names these; this module names nothing else.

use fieldtrace_core::model::Role;
use fieldtrace_core::payload::TraceCode;
use fieldtrace_core::sync::SyncClient;
use fieldtrace_core::Session;

pub const COOP_ID: &str = "coop-zhouzhi";
pub const COOP_NAME: &str = "周至猕猴桃合作社";
/// The demo's dashboard account; printed by `fieldtrace demo`. Never use demo credentials live.
pub const DEMO_MANAGER: &str = "chen";
pub const DEMO_MANAGER_PASSWORD: &str = "kiwi-demo-2026";

/// One simulated phone: its own store, session and sync client.
pub(super) struct DemoPhone {
    pub name: &'static str,
    pub role: Role,
    pub session: Session,
    pub client: SyncClient,
}

/// The trace code on the demo's `n`th crate.
pub fn demo_code(n: u64) -> String {
    TraceCode::from_value(0x5EED_0000 + n).map_or_else(|_| format!("DEMO-{n}"), TraceCode::canonical)
}

/// The label a box or fruit carries: our trace URL.
pub(super) fn label(n: u64) -> String {
    format!("https://trace.example.cn/t/{}", demo_code(n))
}

/// The code of a demo crate whose consumer page has a full journey (harvest to loading).
pub fn sample_trace_code() -> String {
    demo_code(0)
}
