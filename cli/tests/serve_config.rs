//! `fieldtrace serve --config FILE` as an operator runs it: the file's settings are used, an
//! environment variable overrides the file, and a bad file stops the server before it starts
//! with the file and the key named.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(config: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fieldtrace"));
    command.args(["serve", "--config"]).arg(config).env_remove("FIELDTRACE_LISTEN").env_remove("FIELDTRACE_DB");
    command
}

#[test]
fn the_settings_file_is_used_and_an_environment_variable_overrides_it() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("from-file.db");
    let config = dir.path().join("fieldtrace.toml");
    let text = format!("db = {:?}\nlisten = \"127.0.0.1:1\"\nshutdown_grace = \"5s\"\n", db.display().to_string());
    std::fs::write(&config, text).expect("write");
    // The file's port 1 is not ours to bind: the environment moves the server to a free one.
    let child = serve(&config)
        .env("FIELDTRACE_LISTEN", "127.0.0.1:0")
        .env("FIELDTRACE_METRICS_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run fieldtrace serve");
    let mut server = Server(child);
    let stdout = server.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    assert!(first.contains(&format!("(database {})", db.display())), "the file's database: {first}");
    let address = first.split("http://").nth(1).and_then(|rest| rest.split(' ').next()).expect("address").to_owned();
    assert!(!address.ends_with(":1"), "the environment variable won over the file: {first}");
    let metrics = lines.next().expect("a second line").expect("utf-8");
    assert!(metrics.starts_with("metrics on http://127.0.0.1:"), "{metrics}");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let status = runtime
        .block_on(async { reqwest::get(format!("http://{address}/healthz")).await.expect("get").status().as_u16() });
    assert_eq!(status, 200);
    assert!(db.exists(), "the server opened the file's database");
}

#[test]
fn a_bad_settings_file_stops_the_server_naming_the_file_and_the_key() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("fieldtrace.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\nlisen = \"typo\"\n").expect("write");
    let out = serve(&config).output().expect("run fieldtrace serve");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("fieldtrace.toml") && stderr.contains("lisen"), "{stderr}");
    std::fs::write(&config, "unpaired_after = \"forever\"\n").expect("write");
    let out = serve(&config).output().expect("run fieldtrace serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("(unpaired_after)") && stderr.contains("forever"), "{stderr}");
}
