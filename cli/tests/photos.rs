//! The photo endpoints over real HTTP on loopback with a SQLite file and a photo folder:
//! resumable upload, hash mismatch, de-duplication, thumbnails, limits, co-op scoping.

use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::*;
use fieldtrace_core::photo::{compress_photo, sha256_hex};
use fieldtrace_core::sync::wire;
use fieldtrace_server::secrets::{generate_secret, hash_secret};
use fieldtrace_server::storage::{prelude::*, NewEnrollmentToken};
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

struct Server {
    base: String,
    storage: Arc<SqliteStorage>,
    photo_dir: PathBuf,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

struct Device {
    id: DeviceId,
    credential: String,
    party: PartyId,
}

async fn start() -> Server {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("server.db");
    let storage = Arc::new(SqliteStorage::open(&db).expect("open"));
    storage.create_coop("coop-a", "周至猕猴桃合作社").await.expect("coop a");
    storage.create_coop("coop-b", "田阳芒果合作社").await.expect("coop b");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(fieldtrace_dashboard::serve(
        listener,
        storage.clone(),
        ServerConfig::default(),
        std::future::pending(),
    ));
    let photo_dir = dir.path().join("server.db-photos");
    Server { base, storage, photo_dir, _dir: dir, http: reqwest::Client::new() }
}

/// A realistic photo: a noisy 2000×1500 scene compressed the way phones do (≈ 100–200 KB).
fn photo_bytes(seed: u32) -> Vec<u8> {
    let mut state = seed | 1;
    let scene = image::RgbImage::from_fn(2000, 1500, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        image::Rgb([
            (x / 8) as u8 ^ (state as u8 & 0x3f),
            (y / 6) as u8,
            ((x + y) / 14) as u8 ^ (state >> 8) as u8 & 0x1f,
        ])
    });
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        scene.as_raw(),
        2000,
        1500,
        image::ExtendedColorType::Rgb8,
    )
    .expect("png");
    compress_photo(&png).expect("compress").jpeg
}

impl Server {
    async fn enroll(&self, coop: &str, party: &str) -> Device {
        let token = generate_secret().expect("entropy");
        let new = NewEnrollmentToken {
            token_hash: hash_secret(&token),
            coop: coop.into(),
            party: PartyId::new(party),
            role: Role::Farmer,
            expires_at_ms: i64::MAX,
        };
        self.storage.create_enrollment_token(new).await.expect("token");
        let (id, credential) = (DeviceId::new(), generate_secret().expect("entropy"));
        let body = serde_json::json!({ "token": token, "device_id": id.to_string(), "credential": credential });
        let response = self
            .http
            .post(format!("{}/v1/enroll", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("enroll");
        assert_eq!(response.status(), 200);
        Device { id, credential, party: PartyId::new(party) }
    }

    fn auth(device: &Device) -> String {
        format!("Bearer {}:{}", device.id, device.credential)
    }

    /// Pushes an abnormal report carrying `photos`.
    async fn report_with(&self, device: &Device, photos: &[&str]) {
        let event = Event {
            id: EventId::new(),
            kind: EventKind::Report,
            step: Some(BizStep::Harvesting),
            disposition: Some(Disposition::Abnormal(AbnormalReason::Bruised)),
            codes: vec!["KIWI-1".into()],
            lot: None,
            actor: Actor { party: device.party.clone(), role: Role::Farmer },
            recorder: Recorder { party: device.party.clone(), device: device.id },
            location: None,
            recorded_at: chrono::DateTime::parse_from_rfc3339("2026-11-23T08:00:00+08:00").expect("time"),
            hlc: HlcTimestamp { wall_ms: 1_795_420_800_000, logical: 0 },
            note: None,
            photos: photos.iter().map(|p| PhotoRef((*p).to_owned())).collect(),
            sensors: Vec::new(),
        };
        let response = self
            .http
            .post(format!("{}/v1/events", self.base))
            .header("authorization", Self::auth(device))
            .header("content-type", wire::CONTENT_TYPE)
            .body(wire::encode_events(&[event]))
            .send()
            .await
            .expect("push");
        assert_eq!(response.status(), 200);
    }

    async fn status(&self, device: &Device, hash: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}/v1/photos/{hash}/status", self.base))
            .header("authorization", Self::auth(device))
            .send()
            .await
            .expect("status");
        (response.status().as_u16(), json(response).await)
    }

    async fn put(&self, device: &Device, hash: &str, offset: usize, size: usize, chunk: &[u8]) -> (u16, Value) {
        let response = self
            .http
            .put(format!("{}/v1/photos/{hash}?offset={offset}&size={size}", self.base))
            .header("authorization", Self::auth(device))
            .body(chunk.to_vec())
            .send()
            .await
            .expect("put");
        (response.status().as_u16(), json(response).await)
    }

    async fn get(&self, device: &Device, path: &str) -> (u16, Vec<u8>) {
        let response = self
            .http
            .get(format!("{}/v1/photos/{path}", self.base))
            .header("authorization", Self::auth(device))
            .send()
            .await
            .expect("get");
        (response.status().as_u16(), response.bytes().await.expect("body").to_vec())
    }

    /// Files under the photo folder's `sub` directory (recursively).
    fn files_in(&self, sub: &str) -> usize {
        fn count(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir).map_or(0, |entries| {
                entries.flatten().map(|e| if e.path().is_dir() { count(&e.path()) } else { 1 }).sum()
            })
        }
        count(&self.photo_dir.join(sub))
    }
}

async fn json(response: reqwest::Response) -> Value {
    serde_json::from_slice(&response.bytes().await.expect("body")).unwrap_or(Value::Null)
}

const CHUNK: usize = 64 * 1024;

#[tokio::test]
async fn an_interrupted_upload_resumes_from_the_servers_offset() {
    let server = start().await;
    let phone = server.enroll("coop-a", "farmer-li").await;
    let bytes = photo_bytes(7);
    let hash = sha256_hex(&bytes);
    assert!(bytes.len() > 2 * CHUNK, "the photo spans several chunks: {}", bytes.len());
    server.report_with(&phone, &[&hash]).await;

    let (code, body) = server.status(&phone, &hash).await;
    assert_eq!((code, body["received"].as_u64(), body["complete"].as_bool()), (200, Some(0), Some(false)));
    let (code, body) = server.put(&phone, &hash, 0, bytes.len(), &bytes[..CHUNK]).await;
    assert_eq!((code, body["received"].as_u64()), (200, Some(CHUNK as u64)), "{body}");

    // The connection dropped here; the phone asks where to resume.
    let (_, body) = server.status(&phone, &hash).await;
    assert_eq!(body["received"].as_u64(), Some(CHUNK as u64));
    assert_eq!(body["size"].as_u64(), Some(bytes.len() as u64));
    // Re-sending the stored chunk (or skipping ahead) is refused with where to resume.
    for wrong in [0, 2 * CHUNK] {
        let (code, body) = server.put(&phone, &hash, wrong, bytes.len(), &bytes[wrong..wrong + 10]).await;
        assert_eq!((code, body["error"].as_str()), (409, Some("photo_offset_mismatch")), "{body}");
        assert!(body["message"].as_str().is_some_and(|m| m.contains(&CHUNK.to_string())), "{body}");
    }
    let mut offset = CHUNK;
    while offset < bytes.len() {
        let end = (offset + CHUNK).min(bytes.len());
        let (code, body) = server.put(&phone, &hash, offset, bytes.len(), &bytes[offset..end]).await;
        assert_eq!(code, 200, "{body}");
        assert_eq!(body["complete"].as_bool(), Some(end == bytes.len()));
        offset = end;
    }
    let (code, full) = server.get(&phone, &hash).await;
    assert_eq!((code, sha256_hex(&full)), (200, hash.clone()));
    let record = server.storage.photo("coop-a", &hash).await.expect("record").expect("row");
    assert!(record.complete());
    assert_eq!((record.size, record.received, record.uploader), (bytes.len() as u64, bytes.len() as u64, phone.id));
    assert_eq!((server.files_in("objects"), server.files_in("partial")), (1, 0));
}

#[tokio::test]
async fn a_hash_mismatch_discards_the_partial_and_says_so() {
    let server = start().await;
    let phone = server.enroll("coop-a", "farmer-li").await;
    let (right, wrong) = (photo_bytes(1), photo_bytes(2));
    let hash = sha256_hex(&right);
    server.report_with(&phone, &[&hash]).await;
    let size = wrong.len();
    let (code, _) = server.put(&phone, &hash, 0, size, &wrong[..CHUNK]).await;
    assert_eq!(code, 200);
    let mut last = (0, Value::Null);
    for offset in (CHUNK..size).step_by(CHUNK) {
        last = server.put(&phone, &hash, offset, size, &wrong[offset..(offset + CHUNK).min(size)]).await;
    }
    assert_eq!((last.0, last.1["error"].as_str()), (422, Some("photo_hash_mismatch")), "{}", last.1);
    let (_, status) = server.status(&phone, &hash).await;
    assert_eq!((status["received"].as_u64(), status["complete"].as_bool()), (Some(0), Some(false)));
    assert_eq!(server.files_in("partial") + server.files_in("objects"), 0);
    assert_eq!(server.get(&phone, &hash).await.0, 404);

    // Starting again with the right bytes works (here in one request: within the chunk limit).
    assert!(right.len() <= 256 * 1024);
    let (code, body) = server.put(&phone, &hash, 0, right.len(), &right).await;
    assert_eq!((code, body["complete"].as_bool()), (200, Some(true)), "{body}");
    assert_eq!(server.status(&phone, &hash).await.1["complete"], true);
}

#[tokio::test]
async fn a_photo_the_coop_has_is_not_sent_again_and_other_coops_cannot_see_it() {
    let server = start().await;
    let (li, wang) = (server.enroll("coop-a", "farmer-li").await, server.enroll("coop-a", "farmer-wang").await);
    let stranger = server.enroll("coop-b", "farmer-zhou").await;
    let bytes = photo_bytes(3);
    let hash = sha256_hex(&bytes);
    server.report_with(&li, &[&hash]).await;
    for offset in (0..bytes.len()).step_by(CHUNK) {
        server.put(&li, &hash, offset, bytes.len(), &bytes[offset..(offset + CHUNK).min(bytes.len())]).await;
    }
    // Another phone of the co-op took the same photo (same bytes, same hash): nothing to send.
    let (_, status) = server.status(&wang, &hash).await;
    assert_eq!((status["complete"].as_bool(), status["received"].as_u64()), (Some(true), Some(bytes.len() as u64)));
    let (code, body) = server.put(&wang, &hash, 0, bytes.len(), &bytes[..CHUNK]).await;
    assert_eq!((code, body["complete"].as_bool()), (200, Some(true)), "already have it");
    assert_eq!((server.files_in("objects"), server.files_in("partial")), (1, 0), "nothing written");
    assert_eq!(server.get(&wang, &hash).await.0, 200);

    // Another co-op: not visible, and it cannot claim the photo by hash without an event naming it.
    assert_eq!(server.get(&stranger, &hash).await.0, 404);
    assert_eq!(server.get(&stranger, &format!("{hash}/thumb")).await.0, 404);
    assert_eq!(server.status(&stranger, &hash).await.1["complete"], false);
    let (code, body) = server.put(&stranger, &hash, 0, bytes.len(), &bytes[..CHUNK]).await;
    assert_eq!((code, body["error"].as_str()), (409, Some("photo_unreferenced")));
    // With its own report it must upload the bytes itself (proof it has them); storage is shared.
    server.report_with(&stranger, &[&hash]).await;
    for offset in (0..bytes.len()).step_by(CHUNK) {
        let (code, _) =
            server.put(&stranger, &hash, offset, bytes.len(), &bytes[offset..(offset + CHUNK).min(bytes.len())]).await;
        assert_eq!(code, 200);
    }
    assert_eq!(server.get(&stranger, &hash).await.0, 200);
    assert_eq!(server.files_in("objects"), 1, "one copy on disk for both co-ops");
}

#[tokio::test]
async fn thumbnails_are_256_px_jpegs_made_once() {
    let server = start().await;
    let phone = server.enroll("coop-a", "farmer-li").await;
    let bytes = photo_bytes(4);
    let hash = sha256_hex(&bytes);
    server.report_with(&phone, &[&hash]).await;
    for offset in (0..bytes.len()).step_by(CHUNK) {
        server.put(&phone, &hash, offset, bytes.len(), &bytes[offset..(offset + CHUNK).min(bytes.len())]).await;
    }
    let (code, thumb) = server.get(&phone, &format!("{hash}/thumb")).await;
    assert_eq!(code, 200);
    let image = image::load_from_memory_with_format(&thumb, image::ImageFormat::Jpeg).expect("a JPEG");
    assert_eq!((image.width(), image.height()), (256, 192), "1280×960 scaled to 256 on the long edge");
    assert_eq!(server.files_in("thumbs"), 1);
    let cached = std::fs::read(server.photo_dir.join("thumbs").join(&hash[..2]).join(format!("{hash}-256.jpg")));
    assert_eq!(cached.expect("cached thumbnail"), thumb);
    assert_eq!(server.get(&phone, &format!("{hash}/thumb")).await.1, thumb);
}

#[tokio::test]
async fn limits_and_bad_requests_get_clear_errors() {
    let server = start().await;
    let phone = server.enroll("coop-a", "farmer-li").await;
    let hash = sha256_hex(b"x");
    server.report_with(&phone, &[&hash]).await;
    let (code, body) = server.put(&phone, &hash, 0, 500 * 1024, &[0; 10]).await;
    assert_eq!((code, body["error"].as_str()), (413, Some("photo_too_large")));
    assert!(body["message"].as_str().is_some_and(|m| m.contains("409600")), "{body}");
    let (code, body) = server.put(&phone, &hash, 0, 300 * 1024, &vec![0; 300 * 1024]).await;
    assert_eq!((code, body["error"].as_str()), (413, Some("photo_chunk_too_large")));
    let (code, body) = server.put(&phone, &hash, 5, 10, &[0; 10]).await;
    assert_eq!((code, body["error"].as_str()), (400, Some("photo_chunk_invalid")));
    let (code, body) = server.put(&phone, "../../etc/passwd", 0, 10, &[0; 10]).await;
    assert!(code == 400 || code == 404, "{code} {body}");
    let (code, body) = server.status(&phone, &"AB".repeat(32)).await;
    assert_eq!((code, body["error"].as_str()), (400, Some("photo_hash_invalid")));
    // Not a JPEG: refused at completion even though the hash matches.
    let (code, body) = server.put(&phone, &hash, 0, 1, b"x").await;
    assert_eq!((code, body["error"].as_str()), (422, Some("photo_not_jpeg")), "{body}");
    // No credential.
    let response = server.http.get(format!("{}/v1/photos/{hash}/status", server.base)).send().await.expect("send");
    assert_eq!(response.status(), 401);
}
