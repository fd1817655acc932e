//! Convergence, as a property: phones record and edit offline, sync in random orders through
//! proxies that drop answers and partition them from the server; once the network heals and each
//! phone syncs, every phone and the server hold the same events exactly once and compute the same
//! state digest — containment (packs, undone packs, box taps reaching their contents) included, and
//! each phone's materialized containment equals the server's fold. Real server on loopback, real
//! HTTP, real SQLite files.

use fieldtrace_core::model::{EntityKind, Role, Update};
use fieldtrace_server::state::coop_state;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_tests::sync_harness::{enrollment_qr, Fault, FaultProxy, Phone, TestServer};
use proptest::prelude::*;
use std::collections::HashSet;

const PHONES: [(&str, Role); 3] =
    [("farmer-li", Role::Farmer), ("assistant-wang", Role::Assistant), ("driver-zhao", Role::Driver)];
const CODES: [&str; 4] = ["t/KIWI-1", "t/KIWI-2", "t/MANGO-1", "t/APPLE-1"];
/// Containers the assistant packs codes into; taps on them reach their contents.
const BOXES: [&str; 2] = ["t/BOX-A", "t/BOX-B"];

#[derive(Debug, Clone)]
enum Op {
    Tap {
        phone: usize,
        code: usize,
    },
    /// The assistant packs a code into a box (moving it out of the other one, if there).
    Pack {
        code: usize,
        into: usize,
    },
    TapBox {
        phone: usize,
        into: usize,
    },
    /// The assistant edits a lot, the driver a trip (each role's own kind of metadata).
    Edit {
        editor_is_driver: bool,
        field: usize,
        value: u8,
    },
    Undo {
        phone: usize,
    },
    Sync {
        phone: usize,
    },
    Network {
        phone: usize,
        fault: Fault,
    },
    /// A phone's clock jumps (a user "fixing" the time by hours, either way).
    ClockJump {
        phone: usize,
        hours: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let fault = prop_oneof![Just(Fault::None), Just(Fault::Partition), Just(Fault::DropResponses)];
    prop_oneof![
        4 => (0..3usize, 0..CODES.len()).prop_map(|(phone, code)| Op::Tap { phone, code }),
        2 => (0..CODES.len(), 0..BOXES.len()).prop_map(|(code, into)| Op::Pack { code, into }),
        1 => (0..3usize, 0..BOXES.len()).prop_map(|(phone, into)| Op::TapBox { phone, into }),
        2 => (any::<bool>(), 0..3usize, 0..4u8).prop_map(|(editor_is_driver, field, value)| Op::Edit { editor_is_driver, field, value }),
        1 => (0..3usize).prop_map(|phone| Op::Undo { phone }),
        3 => (0..3usize).prop_map(|phone| Op::Sync { phone }),
        2 => (0..3usize, fault).prop_map(|(phone, fault)| Op::Network { phone, fault }),
        1 => (0..3usize, -30i64..30).prop_map(|(phone, hours)| Op::ClockJump { phone, hours }),
    ]
}

struct World {
    _dir: tempfile::TempDir,
    server: TestServer,
    proxies: Vec<FaultProxy>,
    phones: Vec<Phone>,
    last_receipt: Vec<Option<fieldtrace_core::model::EventId>>,
    recorded: usize,
}

async fn world() -> World {
    let dir = tempfile::tempdir().expect("dir");
    let server = TestServer::start(&dir.path().join("server.db")).await;
    let (mut proxies, mut phones) = (Vec::new(), Vec::new());
    for (name, role) in PHONES {
        let proxy = FaultProxy::start(server.addr).await;
        let phone = Phone::open(&dir.path().join(format!("{name}.db")), name, role, chrono::Duration::zero());
        let qr = enrollment_qr(&server.storage, &proxy.url(), "coop-zz", name, role).await;
        phone.client.enroll(&qr).await.expect("enroll");
        proxies.push(proxy);
        phones.push(phone);
    }
    World { _dir: dir, server, proxies, phones, last_receipt: vec![None; 3], recorded: 0 }
}

impl World {
    async fn apply(&mut self, op: &Op) {
        match *op {
            Op::Tap { phone, code } => {
                let receipt = self.phones[phone].tap_normal(CODES[code]);
                assert!(!receipt.duplicate, "taps are 2.5 s apart");
                self.last_receipt[phone] = Some(receipt.event_id);
                self.recorded += 1;
            }
            Op::Pack { code, into } => {
                let assistant = &mut self.phones[1];
                assistant.clock.advance_ms(1_000);
                let receipt = assistant.session.pack(BOXES[into], &[CODES[code].to_owned()]).expect("pack");
                if let Some(id) = receipt.event_id {
                    self.last_receipt[1] = Some(id);
                    self.recorded += 1;
                }
            }
            Op::TapBox { phone, into } => {
                let receipt = self.phones[phone].tap_normal(BOXES[into]);
                self.last_receipt[phone] = Some(receipt.event_id);
                self.recorded += 1;
            }
            Op::Edit { editor_is_driver, field, value } => {
                let (phone, entity, id) =
                    if editor_is_driver { (2, EntityKind::Trip, "trip-1") } else { (1, EntityKind::Lot, "K-0815") };
                let name = entity.fields()[field];
                let value = if name == "harvest_date" { format!("2026-11-2{value}") } else { format!("v{value}") };
                self.phones[phone].clock.advance_ms(1_000);
                self.phones[phone].session.update(Update::new(entity, id).set(name, value)).expect("edit");
                self.recorded += 1;
            }
            Op::Undo { phone } => {
                if let Some(id) = self.last_receipt[phone].take() {
                    if self.phones[phone].session.undo(id).is_ok() {
                        self.recorded += 1;
                    }
                }
            }
            Op::Sync { phone } => {
                // Failures here are the point (partitions, lost answers); the phone tries later.
                let _ = self.phones[phone].client.sync_now().await;
            }
            Op::Network { phone, fault } => self.proxies[phone].set(fault, 2),
            Op::ClockJump { phone, hours } => self.phones[phone].clock.advance_ms(hours * 3_600_000),
        }
    }

    /// The network heals; every phone syncs, then syncs again to pull what others pushed last.
    async fn heal_and_settle(&mut self) {
        for proxy in &self.proxies {
            proxy.set(Fault::None, 1);
        }
        for _round in 0..2 {
            for phone in &self.phones {
                phone.client.sync_now().await.expect("sync on a healthy network");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn every_replica_converges_to_the_same_digest(ops in prop::collection::vec(op(), 1..30)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
        runtime.block_on(async {
            let mut world = world().await;
            for op in &ops {
                world.apply(op).await;
            }
            world.heal_and_settle().await;
            let ids = world.server.storage.event_ids("coop-zz").await.expect("ids");
            let distinct: HashSet<_> = ids.iter().collect();
            prop_assert_eq!(ids.len(), world.recorded, "nothing lost");
            prop_assert_eq!(distinct.len(), ids.len(), "nothing duplicated");
            let server_state = coop_state(world.server.storage.as_ref(), "coop-zz").await.expect("state");
            let server = server_state.digest();
            for (phone, (name, _)) in world.phones.iter().zip(PHONES) {
                prop_assert_eq!(phone.store().outbox_pending_count().expect("pending"), 0);
                prop_assert_eq!(&phone.state().digest(), &server, "{} diverged", name);
                let containment: std::collections::BTreeMap<String, String> =
                    phone.store().containment().expect("containment").into_iter().collect();
                prop_assert_eq!(&containment, &server_state.containers, "{} containment", name);
            }
            Ok(())
        })?;
    }
}
