//! The error of the packing, loading and delivery flows: the core's errors plus the refusals only
//! these flows make, each with a stable key the shells localize (like `crate::Error::key`).

use crate::Error;

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    Core(#[from] Error),
    #[error("{item} cannot be packed into {container}: {container} is {item} or is inside it")]
    ContainmentCycle { container: String, item: String },
    #[error("{item} is not in {container}{}", match .actually_in { Some(c) => format!(" (it is in {c})"), None => String::new() })]
    NotInContainer { container: String, item: String, actually_in: Option<String> },
    #[error("{0} holds nothing to unpack")]
    ContainerEmpty(String),
    #[error("scan at least one unit to pack into or unpack from {0}")]
    NoUnits(String),
    #[error("trip {0} has no manifest: build it (scan its units) or sync to receive it")]
    NoManifest(String),
    #[error("trip {trip}: manifest entry {position} ({entry:?}) is not a code: {reason}")]
    ManifestEntry { trip: String, position: usize, entry: String, reason: String },
    #[error("trip {0}: nothing is loaded yet, so there is nothing to depart with")]
    NothingLoaded(String),
    #[error("trip {0} has already departed")]
    AlreadyDeparted(String),
    #[error("trip {0}: no units to deliver (none departed, none listed, none scanned)")]
    NothingToDeliver(String),
    #[error("the recipient's name is empty or longer than {max} characters")]
    Recipient { max: usize },
    #[error("photo {position} is not a SHA-256 reference (64 lower-case hex digits)")]
    PhotoRef { position: usize },
}

impl FlowError {
    /// Stable key for localization; never renamed once shipped.
    pub fn key(&self) -> &'static str {
        match self {
            FlowError::Core(inner) => inner.key(),
            FlowError::ContainmentCycle { .. } => "pack_cycle",
            FlowError::NotInContainer { .. } => "unpack_not_inside",
            FlowError::ContainerEmpty(_) => "unpack_container_empty",
            FlowError::NoUnits(_) => "pack_no_units",
            FlowError::NoManifest(_) => "trip_no_manifest",
            FlowError::ManifestEntry { .. } => "trip_manifest_entry",
            FlowError::NothingLoaded(_) => "trip_nothing_loaded",
            FlowError::AlreadyDeparted(_) => "trip_already_departed",
            FlowError::NothingToDeliver(_) => "trip_nothing_to_deliver",
            FlowError::Recipient { .. } => "delivery_recipient",
            FlowError::PhotoRef { .. } => "delivery_photo_ref",
        }
    }
}

impl From<crate::payload::PayloadError> for FlowError {
    fn from(err: crate::payload::PayloadError) -> Self {
        FlowError::Core(Error::Payload(err))
    }
}

pub type FlowResult<T> = std::result::Result<T, FlowError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_snake_case_and_distinct_from_core_keys() {
        let s = String::new;
        let all = [
            FlowError::ContainmentCycle { container: s(), item: s() },
            FlowError::NotInContainer { container: s(), item: s(), actually_in: None },
            FlowError::ContainerEmpty(s()),
            FlowError::NoUnits(s()),
            FlowError::NoManifest(s()),
            FlowError::ManifestEntry { trip: s(), position: 0, entry: s(), reason: s() },
            FlowError::NothingLoaded(s()),
            FlowError::AlreadyDeparted(s()),
            FlowError::NothingToDeliver(s()),
            FlowError::Recipient { max: 0 },
            FlowError::PhotoRef { position: 0 },
        ];
        let mut keys: Vec<_> = all.iter().map(FlowError::key).collect();
        assert!(keys.iter().all(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), all.len());
        assert_eq!(FlowError::from(Error::NothingScanned).key(), "nothing_scanned");
    }
}
