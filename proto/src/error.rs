//! Why an event was refused by [`crate::model::Event::validate`].

/// A malformed event: the field path (`codes`, `kind.trip`, `location.gps`…) and why. The message
/// is the one `fieldtrace_core::Error::InvalidEvent` shows, so converting loses nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid event: {field}: {reason}")]
pub struct InvalidEvent {
    pub field: &'static str,
    pub reason: String,
}

impl InvalidEvent {
    pub(crate) fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self { field, reason: reason.into() }
    }
}
