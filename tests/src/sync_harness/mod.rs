//! Building blocks for sync scenarios over real HTTP on loopback: a sync server (in this process,
//! or as a child process that can be SIGKILLed), a fault-injecting TCP proxy, and simulated phones
//! with real SQLite files and the real sync client.

mod phone;
mod proxy;
mod server;

pub use phone::push_all;
pub use phone::{test_sync_config, Phone};
pub use proxy::{Fault, FaultProxy};
pub use server::{enrollment_qr, ServerProcess, TestServer};
