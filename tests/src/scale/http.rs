//! Timed HTTP requests to the measured server, as a browser (signed-in manager, session cookie)
//! or a device (bearer credential). A page that answers anything but 2xx fails the benchmark
//! with its URL and status: an error page is fast, and timing it would flatter the server.

use reqwest::header::{HeaderValue, AUTHORIZATION, COOKIE, ORIGIN, SET_COOKIE};
use reqwest::redirect::Policy;
use std::time::{Duration, Instant};

/// Who a request is made as.
#[derive(Debug, Clone, Copy)]
pub enum As {
    /// Nobody: a consumer scanning a label.
    Anonymous,
    /// The signed-in manager's browser.
    Manager,
    /// The manager's phone (EPCIS export).
    Device,
}

pub struct Http {
    client: reqwest::Client,
    pub base: String,
    cookie: Option<String>,
    bearer: String,
}

impl Http {
    /// A client for `base` (`http://127.0.0.1:PORT`). Redirects are not followed: a dashboard
    /// page that sends us to the sign-in page must fail, not be timed as the sign-in page.
    pub fn new(base: &str, bearer: String) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .no_proxy()
            // Pages that still fold the whole log can take long at millions of events.
            .timeout(Duration::from_secs(600))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self { client, base: base.to_owned(), cookie: None, bearer })
    }

    /// Signs the manager in through the form (with this server as Origin, as a browser sends it)
    /// and keeps the session cookie.
    pub async fn sign_in(&mut self, name: &str, password: &str) -> Result<(), String> {
        let url = format!("{}/ui/login", self.base);
        let response = self
            .client
            .post(&url)
            .header(ORIGIN, &self.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("name={}&password={}&code=", url_encode(name), url_encode(password)))
            .send()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        if response.status().as_u16() != 303 {
            return Err(format!("POST {url}: status {} (expected 303 to the dashboard)", response.status()));
        }
        let cookie = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter_map(|value| value.split(';').next())
            .find(|pair| pair.starts_with("ft_session="))
            .ok_or_else(|| format!("POST {url}: no session cookie in the answer"))?;
        self.cookie = Some(cookie.to_owned());
        Ok(())
    }

    /// GETs `path` as `who`, reads the whole body; returns the time from sending to the body's
    /// last byte, and the body. Any status but 2xx is an error naming the URL.
    pub async fn get(&self, path: &str, who: As) -> Result<(Duration, String), String> {
        let url = format!("{}{path}", self.base);
        let mut request = self.client.get(&url);
        match who {
            As::Anonymous => {}
            As::Manager => {
                let cookie = self.cookie.as_deref().ok_or("not signed in")?;
                request = request.header(COOKIE, cookie);
            }
            As::Device => {
                let value = HeaderValue::from_str(&format!("Bearer {}", self.bearer))
                    .map_err(|e| format!("bearer header: {e}"))?;
                request = request.header(AUTHORIZATION, value);
            }
        }
        let started = Instant::now();
        let response = request.send().await.map_err(|e| format!("GET {url}: {e}"))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| format!("GET {url}: reading the body: {e}"))?;
        let elapsed = started.elapsed();
        if !status.is_success() {
            let excerpt: String = body.chars().take(300).collect();
            return Err(format!("GET {url}: status {status}: {excerpt}"));
        }
        Ok((elapsed, body))
    }
}

/// Percent-encoding of a path segment, query value or form field (lot ids are ASCII here, but
/// need not be).
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
