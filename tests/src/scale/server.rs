//! The measured server: the release `fieldtrace serve` binary as a child process on loopback, so
//! its pages, memory and start-up are those an operator gets (not a debug build, not sharing the
//! benchmark's allocator or runtime). Killed when dropped, also when a measurement fails.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace the benchmark was built from (this crate lives in its `tests/` folder).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The `fieldtrace` binary to measure: `explicit` if given (it must exist), else the workspace's
/// release build, built first with `cargo build --release -p fieldtrace-cli --bin fieldtrace`
/// (a no-op when it is up to date) so the server measured is the tree being benchmarked.
pub fn server_binary(explicit: Option<PathBuf>, progress: &dyn Fn(String)) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        return if path.is_file() { Ok(path) } else { Err(format!("--server-bin {}: no such file", path.display())) };
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace().join("target"), PathBuf::from);
    let binary = target.join("release").join("fieldtrace");
    progress("building the server: cargo build --release -p fieldtrace-cli --bin fieldtrace".to_owned());
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "fieldtrace-cli", "--bin", "fieldtrace"])
        .current_dir(workspace())
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("running cargo to build the server: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build --release -p fieldtrace-cli --bin fieldtrace failed ({status})"));
    }
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!("{} is missing after building it; pass --server-bin PATH", binary.display()))
    }
}

/// A running `fieldtrace serve`.
pub struct ServerChild {
    child: Child,
    pub base: String,
    pub log: PathBuf,
}

impl ServerChild {
    /// Starts `binary serve --db DB --listen 127.0.0.1:0`, its stderr to `log`, and waits for the
    /// line naming the address it bound.
    pub fn start(binary: &Path, db: &Path, log: &Path) -> Result<Self, String> {
        let log_file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut child = Command::new(binary)
            .arg("serve")
            .arg("--db")
            .arg(db)
            .args(["--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            return Err("the server's stdout was not captured".to_owned());
        };
        // Constructed before reading, so a server that prints nothing is still killed.
        let mut server = Self { child, base: String::new(), log: log.to_owned() };
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line).map_err(|e| format!("reading the server's first line: {e}"))?;
        // "fieldtrace sync server on http://127.0.0.1:PORT (database …)"
        let base = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .ok_or_else(|| format!("the server printed {:?}, not its address (log: {})", line.trim(), log.display()))?;
        server.base = base.trim_end_matches('/').to_owned();
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory (`VmHWM` of /proc/PID/status), in MiB.
    pub fn peak_rss_mb(&self) -> Result<f64, String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .map_err(|e| format!("reading the server's /proc status: {e}"))?;
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
            .ok_or("no VmHWM line in the server's /proc status")?;
        Ok(kib / 1024.0)
    }

    /// CPU time the server used so far, in clock ticks (utime + stime of /proc/PID/stat).
    fn cpu_ticks(&self) -> Result<u64, String> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))
            .map_err(|e| format!("reading the server's /proc stat: {e}"))?;
        // The command name may hold spaces; fields after its closing parenthesis are plain.
        let fields: Vec<&str> =
            stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
        let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
        // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
        match (field(11), field(12)) {
            (Some(user), Some(system)) => Ok(user + system),
            _ => Err(format!("unexpected /proc stat line {stat:?}")),
        }
    }

    /// Waits until the server is idle (under 5 % of a core over half a second: background work
    /// such as the alert task's start-up run has finished), at most `limit`. Returns how long it
    /// waited, so a measurement starts from a quiet server and the wait is reported.
    pub fn settle(&mut self, limit: Duration) -> Result<Duration, String> {
        let began = Instant::now();
        let window = Duration::from_millis(500);
        loop {
            self.check_running()?;
            let before = self.cpu_ticks()?;
            std::thread::sleep(window);
            // /proc counts in USER_HZ, 100 on Linux: 2 ticks in 0.5 s is 4 % of a core.
            if self.cpu_ticks()? - before <= 2 || began.elapsed() >= limit {
                return Ok(began.elapsed());
            }
        }
    }

    /// The last lines the server wrote to its log, for an error message.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// An error naming the log if the server has exited.
    pub fn check_running(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!("the server exited ({status}); see {}", self.log.display())),
            Err(e) => Err(format!("checking on the server: {e}")),
        }
    }
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
