//! Farming records: the activities assistants record for farmers on paper or in a spreadsheet,
//! and the pre-harvest-interval rule over them. Pure functions over events, so the server, the
//! dashboard and the phones flag the same records.

mod activity;
mod phi;

pub use activity::Activity;
pub use phi::{phi_flags, PhiFlag};

#[cfg(test)]
mod tests;
