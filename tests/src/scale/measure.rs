//! The measurements over real HTTP against a freshly started server: each page cold (the first
//! requests after start) and warm, a phone's 100-event push, and how long an abnormal report
//! takes to show on the alerts page. Samples are returned raw; `report` turns them into figures.

use super::build::{Built, MANAGER_LOGIN};
use super::cast::{trace_path, unit_code, COOP};
use super::http::{url_encode, As, Http};
use super::phone::BenchPhone;
use super::season::BIG_LOT;
use super::server::ServerChild;
use std::path::Path;
use std::time::{Duration, Instant};

/// Request counts; the defaults suit a 2-core machine running pages that may still fold the log.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Cold requests per page (rounds over all pages right after start).
    pub cold: usize,
    /// Unrecorded requests per page before the warm ones.
    pub warmup: usize,
    /// Warm requests per page, at most.
    pub warm: usize,
    /// A page whose warm requests take longer than this stops early, once it has `min_warm`.
    pub warm_budget: Duration,
    pub min_warm: usize,
    /// Timed pushes of 100 events.
    pub pushes: usize,
    /// Abnormal reports timed until they show on the alerts page.
    pub alert_trials: usize,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            cold: 10,
            warmup: 3,
            warm: 100,
            warm_budget: Duration::from_secs(60),
            min_warm: 20,
            pushes: 10,
            alert_trials: 3,
        }
    }
}

/// One measured page: its key in the report, who asks, and the URLs its requests cycle through.
struct Page {
    key: &'static str,
    who: As,
    paths: Vec<String>,
}

impl Page {
    fn path(&self, i: usize) -> &str {
        self.paths.get(i % self.paths.len().max(1)).map_or("/", String::as_str)
    }
}

/// The pages, in the order each cold round asks for them.
fn pages(built: &Built) -> Vec<Page> {
    let codes: Vec<String> = built.info.sample_codes.iter().map(|(_, code)| trace_path(code)).collect();
    let lot = url_encode(BIG_LOT);
    let one = |path: String| vec![path];
    vec![
        Page { key: "trace", who: As::Anonymous, paths: codes },
        Page { key: "ui", who: As::Manager, paths: one("/ui".to_owned()) },
        Page { key: "lot", who: As::Manager, paths: one(format!("/ui/lots/{lot}")) },
        Page { key: "loss", who: As::Manager, paths: one("/ui/loss".to_owned()) },
        Page { key: "alerts", who: As::Manager, paths: one("/ui/alerts".to_owned()) },
        Page { key: "epcis_lot", who: As::Device, paths: one(format!("/v1/epcis?lot={lot}")) },
    ]
}

/// Samples of one page, in milliseconds.
#[derive(Debug, Default, Clone)]
pub struct PageSamples {
    pub key: &'static str,
    pub cold_ms: Vec<f64>,
    pub warm_ms: Vec<f64>,
    /// Body size of the last answer, to see what a page weighs.
    pub bytes: usize,
}

/// Everything measured against one server.
#[derive(Debug, Default, Clone)]
pub struct Measured {
    pub pages: Vec<PageSamples>,
    pub push_100_ms: Vec<f64>,
    pub alert_delays_ms: Vec<f64>,
    /// How long each poll of the alerts list took: the delays include one, so a slow list page
    /// shows up as alert delay too.
    pub alert_polls_ms: Vec<f64>,
    pub alert_note: Option<String>,
    /// Seconds spent waiting for the server to go idle before the warm and alert measurements.
    pub settle_s: f64,
    pub rss_mb: f64,
    /// The server's peak RSS after each phase (it only grows), to see which request raised it.
    pub rss_mb_after: Vec<(String, f64)>,
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// Runs every measurement against `server`, which was started on `built`'s database just now.
pub async fn run(
    server: &mut ServerChild,
    built: &Built,
    plan: &Plan,
    phone_dir: &Path,
    progress: &dyn Fn(String),
) -> Result<Measured, String> {
    let mut http = Http::new(&server.base, built.manager_device.bearer.clone())?;
    http.sign_in(MANAGER_LOGIN, &built.manager_password).await?;
    let pages = pages(built);
    if pages.iter().any(|page| page.paths.is_empty()) {
        return Err("the season has no sample codes to trace".to_owned());
    }
    let mut measured = Measured::default();
    let mut samples: Vec<PageSamples> =
        pages.iter().map(|page| PageSamples { key: page.key, ..PageSamples::default() }).collect();

    progress(format!("  cold: {} rounds over {} pages", plan.cold, pages.len()));
    for round in 0..plan.cold {
        for (page, sample) in pages.iter().zip(samples.iter_mut()) {
            let (elapsed, body) = http.get(page.path(round), page.who).await?;
            sample.cold_ms.push(ms(elapsed));
            sample.bytes = body.len();
            if round == 0 {
                measured.rss_mb_after.push((format!("cold_first_{}", page.key), server.peak_rss_mb()?));
            }
        }
    }

    // Warm: the trace page last, because every look-up nudges the alert task, whose run would
    // otherwise share the CPU with the next page's requests.
    measured.settle_s += server.settle(Duration::from_secs(300))?.as_secs_f64();
    measured.rss_mb_after.push(("cold".to_owned(), server.peak_rss_mb()?));
    let order = (1..pages.len()).chain([0]);
    for index in order {
        let (page, sample) = (&pages[index], &mut samples[index]);
        for i in 0..plan.warmup {
            http.get(page.path(plan.cold + i), page.who).await?;
        }
        let began = Instant::now();
        for i in 0..plan.warm {
            if sample.warm_ms.len() >= plan.min_warm && began.elapsed() > plan.warm_budget {
                break;
            }
            let (elapsed, body) = http.get(page.path(plan.cold + plan.warmup + i), page.who).await?;
            sample.warm_ms.push(ms(elapsed));
            sample.bytes = body.len();
        }
        progress(format!(
            "  warm {}: {} requests in {:.1} s",
            page.key,
            sample.warm_ms.len(),
            began.elapsed().as_secs_f64()
        ));
        measured.rss_mb_after.push((format!("warm_{}", page.key), server.peak_rss_mb()?));
    }
    measured.pages = samples;

    let mut phone = BenchPhone::enroll(
        &phone_dir.join("phone.db"),
        &built.phone.party,
        built.phone.role,
        &format!("{}/", server.base),
        &built.phone.token,
    )
    .await?;
    measured.push_100_ms = pushes(&mut phone, built, plan).await?;
    progress(format!("  pushed {} × 100 events", measured.push_100_ms.len()));
    measured.rss_mb_after.push(("push".to_owned(), server.peak_rss_mb()?));

    measured.settle_s += server.settle(Duration::from_secs(300))?.as_secs_f64();
    alert_delays(&mut phone, &http, server, built, plan, &mut measured).await?;
    server.check_running()?;
    measured.rss_mb = server.peak_rss_mb()?;
    measured.rss_mb_after.push(("alert".to_owned(), measured.rss_mb));
    Ok(measured)
}

/// One unrecorded push (connection, first-push work), then `plan.pushes` timed pushes of 100
/// fresh crates each.
async fn pushes(phone: &mut BenchPhone, built: &Built, plan: &Plan) -> Result<Vec<f64>, String> {
    let mut next = built.info.next_unit;
    let mut times = Vec::with_capacity(plan.pushes);
    for round in 0..=plan.pushes {
        for _ in 0..100 {
            phone.tap_normal(&unit_code(next))?;
            next += 1;
        }
        let elapsed = phone.push(100).await?;
        if round > 0 {
            times.push(ms(elapsed));
        }
    }
    Ok(times)
}

/// Reports crates that were already handed over and delivered abnormal (the abnormal → upstream
/// rule fires for each, docs/alerts.md) and times each from the push until the alerts page lists
/// it. Crates come from the middle of the season: long downstream, and tapped normal before.
async fn alert_delays(
    phone: &mut BenchPhone,
    http: &Http,
    server: &mut ServerChild,
    built: &Built,
    plan: &Plan,
    measured: &mut Measured,
) -> Result<(), String> {
    const LIST: &str = "/ui/alerts?kind=abnormal&status=open";
    let codes = &built.info.sample_codes;
    let limit = Duration::from_secs(900);
    for trial in 0..plan.alert_trials {
        let Some((_, code)) = codes.get(codes.len() / 2 + trial * 7) else { break };
        // The page shows the code key (`t/…`); its tail is unique and needs no escaping.
        let needle = code.trim_start_matches("t/");
        let (_, before) = http.get(LIST, As::Manager).await?;
        if before.contains(needle) {
            return Err(format!("{code} is already on the alerts page of {COOP} before it was reported"));
        }
        phone.tap_abnormal(code)?;
        let started = Instant::now();
        phone.push(1).await?;
        loop {
            let (poll, page) = http.get(LIST, As::Manager).await?;
            measured.alert_polls_ms.push(ms(poll));
            if page.contains(needle) {
                measured.alert_delays_ms.push(ms(started.elapsed()));
                break;
            }
            if started.elapsed() > limit {
                measured.alert_note = Some(format!("the alert on {code} did not show within {} s", limit.as_secs()));
                return Ok(());
            }
            server.check_running()?;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    Ok(())
}
