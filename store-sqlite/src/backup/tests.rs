//! Backup and restore on files: what a restore brings back, and every refusal naming its file.

use super::*;
use fieldtrace_core::model::DeviceId;
use fieldtrace_server_store::conformance::report_event;
use fieldtrace_server_store::prelude::*;

/// A server database with events in two co-ops and one photo (plus a thumbnail and a partial
/// upload, which a backup leaves out).
async fn seeded(dir: &Path) -> (PathBuf, String, Vec<u8>) {
    let db = dir.join("server.db");
    let storage = SqliteStorage::open(&db).expect("open");
    storage.create_coop("coop-a", "周至猕猴桃合作社").await.expect("coop a");
    storage.create_coop("coop-b", "田阳芒果合作社").await.expect("coop b");
    let device = DeviceId::new();
    for n in 0..40u64 {
        let coop = if n % 4 == 0 { "coop-b" } else { "coop-a" };
        let event = report_event(&format!("KIWI-{n}"), device, 1_790_000_000_000 + n, &[]);
        storage.push(coop, device, vec![event], 1_790_000_000_000).await.expect("push");
    }
    let photo = b"\xff\xd8\xff not really a jpeg, but named by its hash".to_vec();
    let sha256 = fieldtrace_core::photo::sha256_hex(&photo);
    let photos = dir.join("server.db-photos");
    let objects = photos.join("objects").join(&sha256[..2]);
    fs::create_dir_all(&objects).expect("objects");
    fs::write(objects.join(format!("{sha256}.jpg")), &photo).expect("photo");
    let thumbs = photos.join("thumbs").join(&sha256[..2]);
    fs::create_dir_all(&thumbs).expect("thumbs");
    fs::write(thumbs.join(format!("{sha256}-200.jpg")), b"thumb").expect("thumb");
    fs::create_dir_all(photos.join("partial")).expect("partial");
    fs::write(photos.join("partial").join(format!("{sha256}.00.part")), b"half").expect("partial");
    (db, sha256, photo)
}

async fn all_events(db: &Path, coop: &str) -> Vec<Vec<u8>> {
    let storage = SqliteStorage::open(db).expect("open");
    storage.pull(coop, 0, 1_000).await.expect("pull").encoded
}

#[tokio::test]
async fn a_restore_brings_back_events_and_photos_and_overwrites_only_when_forced() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, sha256, photo) = seeded(dir.path()).await;
    let file = dir.path().join("nightly.ftbackup");
    let manifest = backup(&db, &file).expect("backup");
    assert_eq!(
        manifest.coops.iter().map(|c| (c.coop.as_str(), c.events)).collect::<Vec<_>>(),
        [("coop-a", 30), ("coop-b", 10)]
    );
    assert_eq!((manifest.photos, manifest.photo_bytes), (1, photo.len() as u64));
    assert_eq!(manifest.schema_version, SCHEMA_VERSION);
    assert!(!suffixed(&file, ".partial").exists() && !suffixed(&file, "-wal").exists());
    assert_eq!(read_manifest(&file).expect("manifest"), manifest);

    let restored = dir.path().join("restored").join("server.db");
    fs::create_dir(restored.parent().expect("parent")).expect("mkdir");
    assert_eq!(restore(&file, &restored, false).expect("restore"), manifest);
    for coop in ["coop-a", "coop-b"] {
        assert_eq!(all_events(&restored, coop).await, all_events(&db, coop).await, "{coop}");
    }
    let photos = restored.with_file_name("server.db-photos");
    let object = photos.join("objects").join(&sha256[..2]).join(format!("{sha256}.jpg"));
    assert_eq!(fs::read(object).expect("restored photo"), photo);
    assert!(!photos.join("thumbs").exists() && !photos.join("partial").exists());
    let restored_conn = Connection::open(&restored).expect("open restored");
    assert!(!is_backup(&restored_conn).expect("tables"), "the backup tables are dropped");
    drop(restored_conn);

    // The restored database exists now: refused without --force, replaced with it.
    let err = restore(&file, &restored, false).expect_err("target exists");
    assert!(matches!(&err, BackupError::TargetExists { path, .. } if path == &restored), "{err}");
    assert!(err.to_string().contains("--force"), "{err}");
    SqliteStorage::open(&restored).expect("open").create_coop("coop-c", "later").await.expect("write after");
    restore(&file, &restored, true).expect("forced restore");
    let ids = SqliteStorage::open(&restored).expect("open").coop_ids().await.expect("ids");
    assert_eq!(ids, ["coop-a", "coop-b"], "the forced restore replaced the database");
}

#[tokio::test]
async fn bad_input_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, _, _) = seeded(dir.path()).await;
    let text = dir.path().join("notes.txt");
    fs::write(&text, "not a database at all").expect("text");
    let missing = dir.path().join("nowhere.db");
    let file = dir.path().join("b.ftbackup");

    let err = backup(&missing, &file).expect_err("missing database");
    assert!(matches!(err, BackupError::DatabaseMissing(_)) && err.to_string().contains("nowhere.db"), "{err}");
    let err = backup(&text, &file).expect_err("text file");
    assert!(matches!(err, BackupError::NotADatabase { .. }) && err.to_string().contains("notes.txt"), "{err}");
    let err = backup(&db, &text).expect_err("existing target");
    assert!(matches!(err, BackupError::TargetExists { .. }) && err.to_string().contains("notes.txt"), "{err}");
    assert_eq!(fs::read_to_string(&text).expect("text"), "not a database at all", "left alone");
    let err = backup(&db, &dir.path().join("no-folder").join("b.ftbackup")).expect_err("no folder");
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(!file.exists());

    let target = dir.path().join("fresh.db");
    let err = restore(&missing, &target, false).expect_err("missing backup");
    assert!(matches!(err, BackupError::BackupMissing(_)) && err.to_string().contains("nowhere.db"), "{err}");
    let err = restore(&text, &target, false).expect_err("text file");
    assert!(matches!(err, BackupError::NotABackup { .. }) && err.to_string().contains("notes.txt"), "{err}");
    let err = restore(&db, &target, false).expect_err("a live database is not a backup");
    assert!(matches!(err, BackupError::NotABackup { .. }) && err.to_string().contains("server.db"), "{err}");
    assert!(!target.exists());

    backup(&db, &file).expect("backup");
    let err = SqliteStorage::open(&file).err().expect("a backup is not served");
    assert!(err.to_string().contains("fieldtrace restore"), "{err}");
    let err = backup(&file, &dir.path().join("c.ftbackup")).expect_err("backup of a backup");
    assert!(err.to_string().contains("is a FieldTrace backup"), "{err}");
}

/// Edits a copy of the backup `file` with `sql` and restores it into a fresh path.
fn restore_tampered(dir: &Path, file: &Path, name: &str, sql: &str) -> (BackupError, PathBuf) {
    let copy = dir.join(format!("{name}.ftbackup"));
    fs::copy(file, &copy).expect("copy");
    Connection::open(&copy).expect("open copy").execute_batch(sql).expect("tamper");
    let target = dir.join(format!("{name}.db"));
    (restore(&copy, &target, false).expect_err(name), target)
}

#[tokio::test]
async fn a_damaged_or_newer_backup_is_refused_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("dir");
    let (db, sha256, _) = seeded(dir.path()).await;
    let file = dir.path().join("b.ftbackup");
    backup(&db, &file).expect("backup");

    let (err, target) = restore_tampered(
        dir.path(),
        &file,
        "edited-event",
        "UPDATE events SET body = x'00' WHERE coop_id = 'coop-a' AND seq = 3",
    );
    assert!(matches!(err, BackupError::Damaged { .. }) && err.to_string().contains("coop-a"), "{err}");
    assert!(!target.exists() && !suffixed(&target, ".restore-tmp").exists());

    let (err, target) =
        restore_tampered(dir.path(), &file, "lost-event", "DELETE FROM events WHERE coop_id = 'coop-b' AND seq = 10");
    assert!(err.to_string().contains("coop-b"), "{err}");
    assert!(!target.exists());

    let (err, target) =
        restore_tampered(dir.path(), &file, "edited-photo", "UPDATE fieldtrace_backup_photos SET bytes = x'ffd8ff00'");
    assert!(err.to_string().contains(&sha256), "{err}");
    assert!(!target.exists() && !target.with_file_name("edited-photo.db-photos").exists());

    let newer = SCHEMA_VERSION + 1;
    let (err, target) = restore_tampered(
        dir.path(),
        &file,
        "newer",
        &format!(
            "PRAGMA user_version = {newer};
             UPDATE fieldtrace_backup SET value = json_set(value, '$.schema_version', {newer});"
        ),
    );
    assert!(matches!(err, BackupError::SchemaTooNew { found, .. } if found == newer), "{err}");
    assert!(err.to_string().contains("newer fieldtrace"), "{err}");
    assert!(!target.exists());
}
