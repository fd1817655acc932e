use super::*;
use crate::clock::{ManualClock, WallClock};
use crate::model::{AbnormalReason, Actor, PartyId, PhotoRef, Role};
use crate::{Session, Store};
use image::{ImageEncoder, RgbImage};
use std::sync::Arc;

/// A camera-like scene that compresses badly: gradients plus deterministic pixel noise.
fn noisy_scene(width: u32, height: u32, noise: u32) -> RgbImage {
    let mut state = 0x2545_f491_u32;
    RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = |shift: u32| (state >> shift) % (noise + 1);
        let base = |v: u32, span: u32| v * 200 / span.max(1);
        image::Rgb([
            (base(x, width) + n(0)).min(255) as u8,
            (base(y, height) + n(8)).min(255) as u8,
            ((base(x + y, width + height) + n(16)).min(255)) as u8,
        ])
    })
}

fn png(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgb8)
        .expect("png");
    out
}

fn jpeg_with_exif(image: &RgbImage, exif: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    if let Some(exif) = exif {
        encoder.set_exif_metadata(exif).expect("exif");
    }
    encoder.write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgb8).expect("jpeg");
    out
}

/// A big-endian TIFF block with one tag: Orientation (0x0112) = `value`.
fn exif_orientation(value: u8) -> Vec<u8> {
    let mut tiff = vec![0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8, 0, 1];
    tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0, value, 0, 0]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff
}

fn decoded(jpeg: &[u8]) -> image::DynamicImage {
    assert_eq!(image::guess_format(jpeg).expect("format"), image::ImageFormat::Jpeg);
    image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg).expect("a valid JPEG")
}

#[test]
fn a_large_noisy_photo_fits_the_bounds_and_is_a_valid_jpeg() {
    let input = png(&noisy_scene(3000, 2000, 90));
    assert!(input.len() > 2_000_000, "the input is hard to compress: {} bytes", input.len());
    let photo = compress_photo(&input).expect("compress");
    assert!(photo.jpeg.len() <= MAX_BYTES, "{} bytes", photo.jpeg.len());
    assert_eq!((photo.width, photo.height), (1280, 853));
    assert!(photo.quality < 85, "the noise forced a lower quality than the first try ({})", photo.quality);
    let back = decoded(&photo.jpeg);
    assert_eq!((back.width(), back.height()), (1280, 853));
    assert_eq!(photo.sha256, sha256_hex(&photo.jpeg));
}

#[test]
fn pure_noise_that_cannot_fit_at_1280_is_shrunk_until_it_does() {
    let input = png(&noisy_scene(1600, 1600, 255));
    let photo = compress_photo(&input).expect("compress");
    assert!(photo.jpeg.len() <= MAX_BYTES);
    assert!(photo.width < 1280 && photo.width == photo.height, "{}×{}", photo.width, photo.height);
    assert_eq!(decoded(&photo.jpeg).width(), photo.width);
}

#[test]
fn the_same_photo_gives_the_same_bytes_and_hash() {
    let input = jpeg_with_exif(&noisy_scene(1500, 1000, 40), None);
    let first = compress_photo(&input).expect("first");
    let second = compress_photo(&input).expect("second");
    assert_eq!(first.sha256, second.sha256);
    assert_eq!(first.jpeg, second.jpeg);
    assert_eq!(first.sha256.len(), 64);
}

#[test]
fn small_photos_are_not_enlarged() {
    let photo = compress_photo(&png(&noisy_scene(640, 480, 10))).expect("compress");
    assert_eq!((photo.width, photo.height), (640, 480));
    assert_eq!(photo.quality, 85);
}

#[test]
fn exif_orientation_turns_the_photo_upright() {
    // Orientation 6: the camera held sideways; the stored pixels must be turned 90° clockwise.
    let mut scene = RgbImage::from_pixel(200, 100, image::Rgb([0, 0, 0]));
    for y in 0..100 {
        for x in 0..20 {
            scene.put_pixel(x, y, image::Rgb([255, 255, 255])); // a white band on the left
        }
    }
    let photo = compress_photo(&jpeg_with_exif(&scene, Some(exif_orientation(6)))).expect("compress");
    assert!(photo.rotated);
    assert_eq!((photo.width, photo.height), (100, 200));
    let back = decoded(&photo.jpeg).into_luma8();
    // Turned clockwise, the left band is now along the top.
    assert!(back.get_pixel(50, 5).0[0] > 200, "top is white");
    assert!(back.get_pixel(50, 195).0[0] < 50, "bottom is black");
    let plain = compress_photo(&jpeg_with_exif(&scene, None)).expect("compress");
    assert!(!plain.rotated);
    assert_eq!((plain.width, plain.height), (200, 100));
}

#[test]
fn garbage_and_truncated_photos_are_clear_errors() {
    let err = compress_photo(b"definitely not a photo").expect_err("garbage");
    assert_eq!(err.key(), "photo_unreadable", "{err}");
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
    assert_eq!(compress_photo(gif).expect_err("gif").key(), "photo_unsupported_format");
    let jpeg = jpeg_with_exif(&noisy_scene(300, 200, 40), None);
    for cut in [2, 20] {
        let err = compress_photo(&jpeg[..cut]).map(|p| p.jpeg.len()).expect_err("truncated header");
        assert_eq!(err.key(), "photo_unreadable", "cut at {cut}: {err}");
    }
    // Cut inside the scan data, the decoder keeps what arrived (grey below): still a bounded photo.
    for cut in [jpeg.len() / 3, jpeg.len() / 2] {
        if let Ok(photo) = compress_photo(&jpeg[..cut]) {
            assert!(photo.jpeg.len() <= MAX_BYTES && (photo.width, photo.height) == (300, 200));
        }
    }
    assert_eq!(compress_photo(&[]).expect_err("empty").key(), "photo_unreadable");
}

#[test]
fn a_header_claiming_a_huge_image_is_refused_before_decoding() {
    let mut jpeg = jpeg_with_exif(&noisy_scene(16, 16, 10), None);
    // Patch the SOF0 frame's height and width to 65000×65000.
    let sof = jpeg.windows(2).position(|w| w == [0xff, 0xc0]).expect("SOF0");
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xfd, 0xe8, 0xfd, 0xe8]);
    let err = compress_photo(&jpeg).expect_err("too large");
    assert!(matches!(err.key(), "photo_too_large" | "photo_unreadable"), "{err}");
}

fn farmer(store: Arc<Store>) -> (Session, Arc<ManualClock>) {
    let now = chrono::DateTime::parse_from_rfc3339("2025-06-01T08:00:00+08:00").expect("time");
    let clock = Arc::new(ManualClock::new(now));
    let actor = Actor { party: PartyId::new("farmer-li"), role: Role::Farmer };
    (Session::new(store, actor, clock.clone() as Arc<dyn WallClock>), clock)
}

#[test]
fn a_saved_photo_is_a_file_named_by_its_hash_and_uploads_only_after_its_report() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("phone.db");
    let store = Arc::new(Store::open(&db).expect("open"));
    let (mut session, clock) = farmer(store.clone());
    let photo = session.save_photo(&jpeg_with_exif(&noisy_scene(2000, 1500, 30), None)).expect("save");
    let file = dir.path().join("phone.db-photos").join(format!("{}.jpg", photo.0));
    let bytes = std::fs::read(&file).expect("the photo is a file beside the database");
    assert_eq!(sha256_hex(&bytes), photo.0);
    assert_eq!(store.photo_bytes(&photo).expect("read"), bytes);
    assert_eq!(session.save_photo(&jpeg_with_exif(&noisy_scene(2000, 1500, 30), None)).expect("again"), photo);

    // Not referenced by any report yet: nothing pending, nothing due.
    assert_eq!(store.photo_pending_count().expect("count"), 0);
    session.scan("ZZ-0001").expect("scan");
    let receipt =
        session.report_abnormal_with_photos(AbnormalReason::Bruised, None, vec![photo.clone()]).expect("report");
    let now = clock.now_ms();
    let status = store.photo_queue_status().expect("status");
    assert_eq!((status.pending, status.waiting_for_events), (1, 1));
    assert!(store.photos_due(10, now).expect("due").is_empty(), "the report is still in the outbox");

    store.outbox_acknowledge(&[receipt.event_id]).expect("ack");
    let due = store.photos_due(10, now).expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].photo.clone(), due[0].size), (photo.clone(), bytes.len() as u64));

    store.photo_upload_failed(&photo, "network_unavailable", now, now + 60_000).expect("failed");
    assert!(store.photos_due(10, now).expect("due").is_empty(), "not before its retry time");
    assert_eq!(store.photo_queue_status().expect("status").last_error.as_deref(), Some("network_unavailable"));
    store.photo_uploaded(&photo, now).expect("uploaded");
    assert!(store.photos_due(10, now + 120_000).expect("due").is_empty());
    let status = store.photo_queue_status().expect("status");
    assert_eq!((status.pending, status.uploaded, status.last_error), (0, 1, None));

    // Reopening finds the same queue (the rows and files are durable).
    drop(session);
    drop(store);
    let store = Store::open(&db).expect("reopen");
    assert_eq!(store.photo_queue_status().expect("status").uploaded, 1);
}

#[test]
fn a_damaged_photo_file_is_reported_not_returned() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path().join("phone.db")).expect("open");
    let photo = store.save_photo(&png(&noisy_scene(300, 300, 20)), 1).expect("save");
    let path = store.photo_folder().expect("folder").path_of(&photo).expect("path");
    let mut bytes = std::fs::read(&path).expect("read");
    let last = bytes.len() - 3;
    bytes[last] ^= 0xff;
    std::fs::write(&path, bytes).expect("damage");
    assert_eq!(store.photo_bytes(&photo).expect_err("damaged").key(), "photo_damaged");
}

#[test]
fn a_report_cannot_name_a_photo_this_phone_does_not_hold() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Arc::new(Store::open(dir.path().join("phone.db")).expect("open"));
    let (mut session, _) = farmer(store);
    session.scan("ZZ-0002").expect("scan");
    let stranger = PhotoRef("ab".repeat(32));
    let err = session.report_abnormal_with_photos(AbnormalReason::Rotten, None, vec![stranger]).expect_err("unknown");
    assert_eq!(err.key(), "event_invalid");
    assert!(err.to_string().contains("not on this phone"), "{err}");
    let malformed = PhotoRef("../../etc/passwd".into());
    let err = session.report_abnormal_with_photos(AbnormalReason::Rotten, None, vec![malformed]).expect_err("bad");
    assert_eq!(err.key(), "event_invalid");
    let memory = Store::open_in_memory().expect("memory");
    assert_eq!(memory.save_photo(&[1, 2, 3], 0).expect_err("no folder").key(), "photo_no_folder");
}

#[test]
fn a_published_photo_travels_with_the_update_that_names_it() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Arc::new(Store::open(dir.path().join("phone.db")).expect("open"));
    let actor = Actor { party: PartyId::new("manager-chen"), role: Role::Manager };
    let now = chrono::DateTime::parse_from_rfc3339("2025-06-01T08:00:00+08:00").expect("time");
    let clock = Arc::new(ManualClock::new(now));
    let mut session = Session::new(store.clone(), actor, clock as Arc<dyn WallClock>);
    let stranger =
        crate::model::Update::new(crate::model::EntityKind::Party, "farmer-li").set("photo", "ab".repeat(32));
    let err = session.update(stranger).expect_err("not on this phone");
    assert!(err.to_string().contains("not on this phone"), "{err}");
    let junk = crate::model::Update::new(crate::model::EntityKind::Party, "farmer-li").set("photo", "orchard.jpg");
    assert_eq!(session.update(junk).expect_err("not a hash").key(), "event_invalid");

    let photo = session.save_photo(&png(&noisy_scene(300, 200, 10))).expect("save");
    let story = crate::model::Update::new(crate::model::EntityKind::Party, "farmer-li")
        .set("story", "李大爷种了三十年猕猴桃。")
        .set("photo", photo.0.clone());
    let event = session.update(story).expect("publish");
    assert_eq!(event.photos, vec![photo]);
    assert_eq!(store.photo_queue_status().expect("status").pending, 1, "queued to upload after the update");
}
