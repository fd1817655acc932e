//! The demo co-op's alerts (placeholder, filled below).
