//! Photos end to end: a phone attaches a photo to an abnormal report, the report reaches the
//! server first, the photo follows in chunks, the signal drops in the middle of a chunk and the
//! upload resumes without re-sending what the server stored; a second phone with the same photo
//! sends nothing. Real server, real client, SQLite files, a loopback fault proxy.

use fieldtrace_core::model::{AbnormalReason, Role};
use fieldtrace_core::photo::sha256_hex;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_tests::sync_harness::{Fault, FaultProxy, Phone, TestServer};
use image::ImageEncoder;
use rusqlite::Connection;

const CHUNK: u64 = 64 * 1024;

/// A 12 MP camera JPEG of a busy scene (leaves, noise), so the stored photo is near 200 KB.
fn camera_jpeg() -> Vec<u8> {
    let (width, height) = (4000, 3000);
    let mut state = 0x9e37_79b9_u32;
    let scene = image::RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state & 0x7f) as u8;
        image::Rgb([((x / 16) as u8).wrapping_add(n), ((y / 12) as u8).wrapping_add(n / 2), n.wrapping_mul(2)])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92)
        .write_image(scene.as_raw(), width, height, image::ExtendedColorType::Rgb8)
        .expect("camera jpeg");
    jpeg
}

async fn enrolled_phone(server: &TestServer, proxy: &FaultProxy, dir: &std::path::Path, name: &str) -> Phone {
    let phone = Phone::open(&dir.join(format!("{name}.db")), name, Role::Farmer, chrono::Duration::zero());
    let qr =
        fieldtrace_tests::sync_harness::enrollment_qr(&server.storage, &proxy.url(), "coop-zz", name, Role::Farmer)
            .await;
    phone.client.enroll(&qr).await.expect("enroll");
    phone
}

/// Server time the report was stored and the photo upload began (first chunk).
fn server_times(db: &std::path::Path, hash: &str) -> (i64, i64) {
    let conn = Connection::open(db).expect("server db");
    let event: i64 = conn
        .query_row(
            "SELECT MIN(e.received_at_ms) FROM events e JOIN event_photos p ON p.event_id = e.id AND p.coop_id = e.coop_id
             WHERE p.sha256 = ?1",
            [hash],
            |r| r.get(0),
        )
        .expect("event time");
    let photo: i64 =
        conn.query_row("SELECT started_at_ms FROM photos WHERE sha256 = ?1", [hash], |r| r.get(0)).expect("photo time");
    (event, photo)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_upload_cut_in_the_middle_resumes_after_its_report_without_resending() {
    let dir = tempfile::tempdir().expect("dir");
    let server_db = dir.path().join("server.db");
    let server = TestServer::start(&server_db).await;
    let proxy = FaultProxy::start(server.addr).await;
    let mut li = enrolled_phone(&server, &proxy, dir.path(), "farmer-li").await;

    let camera = camera_jpeg();
    let photo = li.session.save_photo(&camera).expect("save photo");
    let size = li.store().photo_bytes(&photo).expect("bytes").len() as u64;
    assert!(size > 2 * CHUNK + 10_000 && size <= 200_000, "a photo of three or four chunks: {size} bytes");
    li.clock.advance_ms(2_500);
    li.session.scan("t/KIWI-0042").expect("scan");
    li.session
        .report_abnormal_with_photos(AbnormalReason::Bruised, Some("压伤".into()), vec![photo.clone()])
        .expect("report");

    // No signal: nothing moves; the photo waits behind its report.
    proxy.set(Fault::Partition, 1);
    li.client.sync_now().await.expect_err("partitioned");
    let queue = li.store().photo_queue_status().expect("queue");
    assert_eq!((queue.pending, queue.waiting_for_events), (1, 1));
    assert_eq!(li.client.status().photos_pending, 1);
    assert!(server.storage.photo("coop-zz", &photo.0).await.expect("row").is_none());

    // Signal returns, and drops again in the middle of the photo's second chunk: the server stores
    // that chunk but the phone never hears so.
    proxy.set(Fault::None, 1);
    let before = proxy.bytes_up();
    proxy.drop_response_after(CHUNK + CHUNK / 2);
    let report = li.client.sync_now().await.expect("sync");
    let sent_up = proxy.bytes_up() - before;
    assert_eq!(proxy.responses_dropped(), 1, "the cut happened");
    assert_eq!((report.accepted, report.photos_uploaded, report.photos_pending), (1, 1, 0));
    assert_eq!(report.photo_bytes_sent, size, "no chunk was sent twice");
    // Independent of the client's own count: everything that went up (report, pull, status
    // queries, chunks, headers) is less than the photo plus a few KB — re-sending the cut chunk
    // would add 64 KB.
    assert!(sent_up < size + 12_000, "{sent_up} bytes went up for a {size}-byte photo");

    let record = server.storage.photo("coop-zz", &photo.0).await.expect("row").expect("photo");
    assert!(record.complete());
    assert_eq!((record.size, record.received), (size, size));
    let stored =
        std::fs::read(dir.path().join("server.db-photos/objects").join(&photo.0[..2]).join(format!("{}.jpg", photo.0)))
            .expect("photo file on the server");
    assert_eq!(sha256_hex(&stored), photo.0);
    let (event_at, photo_at) = server_times(&server_db, &photo.0);
    assert!(event_at <= photo_at, "the report ({event_at}) reached the server before its photo ({photo_at})");
    let queue = li.store().photo_queue_status().expect("queue");
    assert_eq!((queue.pending, queue.uploaded), (0, 1));
    assert_eq!(li.client.status().photos_pending, 0);

    // Another phone of the co-op reports with the very same photo: the server has it; no bytes go.
    let mut wang = enrolled_phone(&server, &proxy, dir.path(), "farmer-wang").await;
    let same = wang.session.save_photo(&camera).expect("save");
    assert_eq!(same, photo, "same camera bytes, same stored photo, same hash");
    wang.clock.advance_ms(2_500);
    wang.session.scan("t/KIWI-0043").expect("scan");
    wang.session.report_abnormal_with_photos(AbnormalReason::Bruised, None, vec![same]).expect("report");
    let report = wang.client.sync_now().await.expect("sync");
    assert_eq!((report.photos_uploaded, report.photo_bytes_sent), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_byte_budget_spreads_a_photo_over_several_syncs_that_resume() {
    let dir = tempfile::tempdir().expect("dir");
    let server = TestServer::start(&dir.path().join("server.db")).await;
    let proxy = FaultProxy::start(server.addr).await;
    let mut li = enrolled_phone(&server, &proxy, dir.path(), "farmer-li").await;
    // The same store behind a client allowed one chunk per sync (a phone on a metered link).
    let config = fieldtrace_core::sync::SyncConfig {
        photo_bytes_per_sync: CHUNK,
        ..fieldtrace_tests::sync_harness::test_sync_config()
    };
    let frugal = fieldtrace_core::sync::SyncClient::with_clock(
        li.store().clone(),
        config,
        li.clock.clone() as std::sync::Arc<dyn fieldtrace_core::clock::WallClock>,
    )
    .expect("client");

    let photo = li.session.save_photo(&camera_jpeg()).expect("save");
    let size = li.store().photo_bytes(&photo).expect("bytes").len() as u64;
    li.clock.advance_ms(2_500);
    li.session.scan("t/KIWI-7").expect("scan");
    li.session.report_abnormal_with_photos(AbnormalReason::Rotten, None, vec![photo.clone()]).expect("report");

    let mut syncs = 0;
    let mut sent = 0;
    loop {
        let report = frugal.sync_now().await.expect("sync");
        syncs += 1;
        sent += report.photo_bytes_sent;
        assert!(report.photo_bytes_sent <= CHUNK);
        let held = server.storage.photo("coop-zz", &photo.0).await.expect("row").expect("started");
        if report.photos_pending == 0 {
            assert!(held.complete());
            break;
        }
        assert_eq!(held.received, sent, "the server holds exactly what was sent so far");
        assert!(syncs < 10, "the upload must finish");
    }
    assert_eq!((syncs, sent), (size.div_ceil(CHUNK), size));
}
