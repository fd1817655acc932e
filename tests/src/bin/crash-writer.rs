//! Child process for the crash test: records one-tap reports as fast as it can and prints each
//! event id on its own line only after `report_normal` has returned (that is, after the durable
//! commit). The parent kills it with SIGKILL at random moments.
//!
//! Usage: crash-writer DB_PATH RUN_ID

use std::io::Write;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(db), Some(run)) = (args.next(), args.next()) else {
        eprintln!("usage: crash-writer DB_PATH RUN_ID");
        std::process::exit(2);
    };
    let mut session = match fieldtrace_tests::farmer_session(std::path::Path::new(&db), "farmer-crash") {
        Ok(session) => session,
        Err(err) => {
            eprintln!("crash-writer: cannot open {db}: {err}");
            std::process::exit(1);
        }
    };
    let stdout = std::io::stdout();
    for n in 0u64.. {
        let result = session.scan(&format!("CRASH-{run}-{n}")).and_then(|_| session.report_normal());
        match result {
            Ok(receipt) => {
                let mut out = stdout.lock();
                if writeln!(out, "{}", receipt.event_id).and_then(|_| out.flush()).is_err() {
                    return;
                }
            }
            Err(err) => {
                eprintln!("crash-writer: report {n} failed: {err}");
                std::process::exit(1);
            }
        }
    }
}
