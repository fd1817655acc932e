//! `fieldtrace serve` stopped by SIGTERM (what systemd sends) while a push is in flight: the
//! listener closes at once, the push still gets its 200 and is stored, and the process exits 0.

#![cfg(unix)]

use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::*;
use fieldtrace_core::sync::wire;
use fieldtrace_server::secrets::{generate_secret, hash_secret};
use fieldtrace_server::storage::{prelude::*, NewEnrollmentToken};
use fieldtrace_store_sqlite::SqliteStorage;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the server if the test fails before it exits on its own.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn report(device: DeviceId, party: &PartyId) -> Event {
    Event {
        id: EventId::new(),
        kind: EventKind::Report,
        step: Some(BizStep::Harvesting),
        disposition: Some(Disposition::Normal),
        codes: vec!["KIWI-1".into()],
        lot: Some(LotId::new("LOT-1")),
        actor: Actor { party: party.clone(), role: Role::Farmer },
        recorder: Recorder { party: party.clone(), device },
        location: None,
        recorded_at: chrono::DateTime::parse_from_rfc3339("2026-11-23T08:00:00+08:00").expect("time"),
        hlc: HlcTimestamp { wall_ms: 1_795_420_800_000, logical: 0 },
        note: None,
        photos: Vec::new(),
        sensors: Vec::new(),
    }
}

/// Reads one whole HTTP/1.1 answer (the server closes the connection after it while stopping).
fn answer(stream: &mut TcpStream) -> String {
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("an answer before the connection closed");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_push_in_flight_finish_and_store() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("server.db");
    let (device, credential, party) = (DeviceId::new(), generate_secret().expect("entropy"), PartyId::new("farmer-li"));
    {
        let storage = SqliteStorage::open(&db).expect("open");
        storage.create_coop("coop-a", "周至猕猴桃合作社").await.expect("coop");
        let token = generate_secret().expect("entropy");
        let new = NewEnrollmentToken {
            token_hash: hash_secret(&token),
            coop: "coop-a".into(),
            party: party.clone(),
            role: Role::Farmer,
            expires_at_ms: i64::MAX,
        };
        storage.create_enrollment_token(new).await.expect("token");
        storage.enroll(hash_secret(&token), device, hash_secret(&credential), 1_790_000_000_000).await.expect("enroll");
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_fieldtrace"))
        .args(["serve", "--db", db.to_str().expect("utf-8"), "--listen", "127.0.0.1:0", "--shutdown-grace", "20s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut first_line = String::new();
    // Kept open to the end: a server printing into a closed pipe would fail.
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    stdout.read_line(&mut first_line).expect("banner");
    let mut server = Server(child);
    let address = first_line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {first_line:?}"))
        .to_owned();

    // The server answers, then a push starts: its head and half its body are sent.
    let mut probe = TcpStream::connect(&address).expect("connect");
    probe.write_all(b"GET /healthz HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n").expect("probe");
    assert!(answer(&mut probe).starts_with("HTTP/1.1 200"));
    let event = report(device, &party);
    let body = wire::encode_events(std::slice::from_ref(&event));
    let mut push = TcpStream::connect(&address).expect("connect");
    let head = format!(
        "POST /v1/events HTTP/1.1\r\nhost: test\r\nauthorization: Bearer {device}:{credential}\r\n\
         content-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        wire::CONTENT_TYPE,
        body.len()
    );
    push.write_all(head.as_bytes()).expect("head");
    let half = body.len() / 2;
    push.write_all(&body[..half]).expect("first half");
    std::thread::sleep(Duration::from_millis(500));

    let killed = Command::new("kill").args(["-TERM", &server.0.id().to_string()]).status().expect("kill runs");
    assert!(killed.success());
    // Shutdown has begun once the listener is gone: a new connection is refused.
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(&address).is_ok() {
        assert!(Instant::now() < deadline, "the listener stays open after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    push.write_all(&body[half..]).expect("the push in flight is still being read");
    let answered = answer(&mut push);
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    assert!(answered.contains("\"accepted\":1"), "{answered}");

    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = server.0.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not exit after its last request");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = server.0.stderr.take() {
        pipe.read_to_string(&mut stderr).expect("stderr");
    }
    drop(stdout);
    assert!(status.success(), "{status}: {stderr}");
    assert!(stderr.contains("finishing requests in flight"), "{stderr}");

    let stored = SqliteStorage::open(&db).expect("reopen").pull("coop-a", 0, 10).await.expect("pull");
    let ids: Vec<EventId> = wire::decode_stored_events(stored.encoded.iter().map(Vec::as_slice))
        .expect("decode")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, [event.id]);
}
