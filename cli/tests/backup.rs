//! `fieldtrace backup` of a serving database while phones keep pushing, then `fieldtrace restore`
//! into a fresh path and a fresh server on it: every push acknowledged before the backup began is
//! there, each co-op's events up to the backup's last sequence number are the original's (count
//! and SHA-256 over (seq, body), read from the original at the same seq), the photo comes back
//! through the photo API, and bad input is refused by name.

use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::*;
use fieldtrace_core::sync::wire;
use fieldtrace_server::secrets::{generate_secret, hash_secret};
use fieldtrace_server::storage::{prelude::*, NewEnrollmentToken};
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

const COOPS: [&str; 2] = ["coop-a", "coop-b"];

struct Device {
    id: DeviceId,
    auth: String,
    party: PartyId,
}

/// A server on loopback over the database `db`; the rate limit is lifted so the pusher never waits.
async fn serve(db: &Path) -> (String, Arc<SqliteStorage>) {
    let storage = Arc::new(SqliteStorage::open(db).expect("open"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let config = ServerConfig { rate_per_second: 1e6, rate_burst: 1e6, ..ServerConfig::default() };
    tokio::spawn(fieldtrace_dashboard::serve(listener, storage.clone(), config, std::future::pending()));
    (base, storage)
}

async fn enrolled(storage: &SqliteStorage, coop: &str, party: &str) -> Device {
    let (token, credential, id) =
        (generate_secret().expect("entropy"), generate_secret().expect("entropy"), DeviceId::new());
    let party = PartyId::new(party);
    let new = NewEnrollmentToken {
        token_hash: hash_secret(&token),
        coop: coop.into(),
        party: party.clone(),
        role: Role::Farmer,
        expires_at_ms: i64::MAX,
    };
    storage.create_enrollment_token(new).await.expect("token");
    storage.enroll(hash_secret(&token), id, hash_secret(&credential), 1_790_000_000_000).await.expect("enroll");
    Device { id, auth: format!("Bearer {id}:{credential}"), party }
}

fn report(device: &Device, n: u64, photos: &[String]) -> Event {
    Event {
        id: EventId::new(),
        kind: EventKind::Report,
        step: Some(BizStep::Harvesting),
        disposition: Some(if photos.is_empty() {
            Disposition::Normal
        } else {
            Disposition::Abnormal(AbnormalReason::Bruised)
        }),
        codes: vec![format!("KIWI-{n}")],
        lot: Some(LotId::new("LOT-1")),
        actor: Actor { party: device.party.clone(), role: Role::Farmer },
        recorder: Recorder { party: device.party.clone(), device: device.id },
        location: None,
        recorded_at: chrono::DateTime::parse_from_rfc3339("2026-11-23T08:00:00+08:00").expect("time"),
        hlc: HlcTimestamp { wall_ms: 1_795_420_800_000 + n, logical: 0 },
        note: None,
        photos: photos.iter().map(|sha| PhotoRef(sha.clone())).collect(),
        sensors: Vec::new(),
    }
}

async fn push(http: &reqwest::Client, base: &str, device: &Device, events: &[Event]) {
    let response = http
        .post(format!("{base}/v1/events"))
        .header("authorization", &device.auth)
        .header("content-type", wire::CONTENT_TYPE)
        .body(wire::encode_events(events))
        .send()
        .await
        .expect("push");
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
}

/// Every event id of the device's co-op, pulled page by page from the server at `base`.
async fn pulled_ids(http: &reqwest::Client, base: &str, device: &Device) -> HashSet<EventId> {
    let (mut ids, mut after) = (HashSet::new(), 0i64);
    loop {
        let response = http
            .get(format!("{base}/v1/events?after={after}&limit=5000"))
            .header("authorization", &device.auth)
            .send()
            .await
            .expect("pull");
        assert_eq!(response.status(), 200);
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let next: i64 = header("fieldtrace-next-after").and_then(|v| v.parse().ok()).expect("cursor");
        let more = header("fieldtrace-has-more").as_deref() == Some("true");
        let events = wire::decode_events(&response.bytes().await.expect("body")).expect("page");
        ids.extend(events.iter().map(|event| event.id));
        if !more {
            return ids;
        }
        after = next;
    }
}

/// (events, SHA-256 over each event's seq and body in seq order) of `coop` up to `last_seq`,
/// encoded as the backup's manifest documents it: seq and body length as 8 bytes big-endian.
fn content(db: &Path, coop: &str, last_seq: i64) -> (i64, String) {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut stmt =
        conn.prepare("SELECT seq, body FROM events WHERE coop_id = ?1 AND seq <= ?2 ORDER BY seq").expect("sql");
    let mut rows = stmt.query(rusqlite::params![coop, last_seq]).expect("query");
    let (mut count, mut hasher) = (0, Sha256::new());
    while let Some(row) = rows.next().expect("row") {
        let (seq, body): (i64, Vec<u8>) = (row.get(0).expect("seq"), row.get(1).expect("body"));
        hasher.update(seq.to_be_bytes());
        hasher.update((body.len() as u64).to_be_bytes());
        hasher.update(&body);
        count += 1;
    }
    (count, hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn last_seq(db: &Path, coop: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row("SELECT coalesce(max(seq), 0) FROM events WHERE coop_id = ?1", [coop], |row| row.get(0))
        .expect("max")
}

fn fieldtrace(args: &[&str]) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fieldtrace")).args(args).output().expect("runs");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("utf-8");
    (output.status.success(), text(output.stdout), text(output.stderr))
}

fn small_jpeg() -> Vec<u8> {
    let pixels: Vec<u8> = (0..16 * 16 * 3).map(|n| (n * 7 % 251) as u8).collect();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
        .encode(&pixels, 16, 16, image::ExtendedColorType::Rgb8)
        .expect("jpeg");
    jpeg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_pushes_restores_everything_acknowledged_before_it() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("server.db");
    let (base, storage) = serve(&db).await;
    let http = reqwest::Client::new();
    let mut devices = Vec::new();
    for coop in COOPS {
        storage.create_coop(coop, coop).await.expect("coop");
        devices.push(Arc::new(enrolled(&storage, coop, &format!("farmer-of-{coop}")).await));
    }
    // History enough that the snapshot takes a while: 12,000 events stored as pushes store them.
    for n in 0..24u64 {
        let k = (n % 2) as usize;
        let events: Vec<Event> = (0..500).map(|i| report(&devices[k], n * 500 + i, &[])).collect();
        storage.push(COOPS[k], devices[k].id, events, 1_790_000_000_000).await.expect("seed");
    }
    let photo = small_jpeg();
    let sha256 = fieldtrace_core::photo::sha256_hex(&photo);
    push(&http, &base, &devices[0], &[report(&devices[0], 1_000_000, std::slice::from_ref(&sha256))]).await;
    let response = http
        .put(format!("{base}/v1/photos/{sha256}?offset=0&size={}", photo.len()))
        .header("authorization", &devices[0].auth)
        .body(photo.clone())
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status(), 200);

    // Phones keep pushing, 20 events at a time, each push noted with the moment it was answered.
    let stop = Arc::new(AtomicBool::new(false));
    let pusher = {
        let (http, base, devices, stop) = (http.clone(), base.clone(), devices.clone(), stop.clone());
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for n in 0u64.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let device = &devices[(n % 2) as usize];
                let events: Vec<Event> = (0..20).map(|i| report(device, 2_000_000 + n * 20 + i, &[])).collect();
                push(&http, &base, device, &events).await;
                acknowledged.push((Instant::now(), events.iter().map(|e| e.id).collect::<Vec<_>>()));
            }
            acknowledged
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let file = dir.path().join("nightly.ftbackup");
    let started = Instant::now();
    let (db_text, file_text) = (db.to_str().expect("utf-8").to_owned(), file.to_str().expect("utf-8").to_owned());
    let (ok, out, err) =
        tokio::task::spawn_blocking(move || fieldtrace(&["backup", "--db", &db_text, "--to", &file_text]))
            .await
            .expect("backup ran");
    let finished = Instant::now();
    assert!(ok, "{err}");
    assert!(out.contains("photos: 1 ("), "{out}");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    let acknowledged = pusher.await.expect("pusher");
    let during = acknowledged.iter().filter(|(at, _)| *at > started && *at < finished).count();
    assert!(during > 0, "pushes went on while the backup ran");
    let before: Vec<EventId> =
        acknowledged.iter().filter(|(at, _)| *at < started).flat_map(|(_, ids)| ids.iter().copied()).collect();
    assert!(!before.is_empty());

    let restored = dir.path().join("restored.db");
    let (ok, out, err) =
        fieldtrace(&["restore", "--from", file.to_str().expect("utf-8"), "--db", restored.to_str().expect("utf-8")]);
    assert!(ok, "{err}");
    assert!(out.contains("verified"), "{out}");
    let (fresh, _fresh_storage) = serve(&restored).await;
    let mut present = HashSet::new();
    for device in &devices {
        present.extend(pulled_ids(&http, &fresh, device).await);
    }
    let missing = before.iter().filter(|id| !present.contains(id)).count();
    assert_eq!(missing, 0, "of {} events acknowledged before the backup began", before.len());
    for coop in COOPS {
        let backed_up = last_seq(&restored, coop);
        assert!(last_seq(&db, coop) > backed_up, "{coop}: pushes went on after the snapshot");
        let (count, hash) = content(&restored, coop, i64::MAX);
        assert!(count >= 6_000, "{coop}: {count}");
        assert_eq!((count, hash.clone()), content(&db, coop, backed_up), "{coop} up to seq {backed_up}");
        let line = format!("co-op {coop}: {count} events up to seq {backed_up}, sha256 {hash}");
        assert!(out.contains(&line), "the restore reports what it verified: {line}\n{out}");
    }
    let response = http
        .get(format!("{fresh}/v1/photos/{sha256}"))
        .header("authorization", &devices[0].auth)
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.expect("photo").as_ref(), photo.as_slice());
}

#[test]
fn bad_input_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("dir");
    let path = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_owned();
    std::fs::write(path("notes.txt"), "shopping list").expect("text");
    let (ok, _, err) = fieldtrace(&["backup", "--db", &path("nowhere.db"), "--to", &path("b.ftbackup")]);
    assert!(!ok && err.contains("nowhere.db: no such database file"), "{err}");
    let (ok, _, err) = fieldtrace(&["backup", "--db", &path("notes.txt"), "--to", &path("b.ftbackup")]);
    assert!(!ok && err.contains("notes.txt: not a FieldTrace server database"), "{err}");
    let (ok, _, err) = fieldtrace(&["restore", "--from", &path("nowhere.ftbackup"), "--db", &path("r.db")]);
    assert!(!ok && err.contains("nowhere.ftbackup: no such backup file"), "{err}");
    let (ok, _, err) = fieldtrace(&["restore", "--from", &path("notes.txt"), "--db", &path("r.db")]);
    assert!(!ok && err.contains("notes.txt: not a FieldTrace backup"), "{err}");

    drop(SqliteStorage::open(path("server.db")).expect("a database"));
    let (ok, _, err) = fieldtrace(&["restore", "--from", &path("server.db"), "--db", &path("r.db")]);
    assert!(!ok && err.contains("server.db: not a FieldTrace backup"), "{err}");
    let (ok, _, err) = fieldtrace(&["backup", "--db", &path("server.db"), "--to", &path("notes.txt")]);
    assert!(!ok && err.contains("notes.txt already exists"), "{err}");
    let (ok, out, err) = fieldtrace(&["backup", "--db", &path("server.db"), "--to", &path("b.ftbackup")]);
    assert!(ok && out.contains("no events"), "{err}");
    let (ok, _, err) = fieldtrace(&["restore", "--from", &path("b.ftbackup"), "--db", &path("server.db")]);
    assert!(!ok && err.contains("server.db already exists") && err.contains("--force"), "{err}");
    let (ok, _, err) = fieldtrace(&["restore", "--from", &path("b.ftbackup"), "--db", &path("server.db"), "--force"]);
    assert!(ok, "{err}");
    assert!(!Path::new(&path("r.db")).exists(), "no refused restore left a database behind");
}
