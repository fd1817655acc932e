//! Per-device token buckets: a misbehaving phone (a retry loop gone wrong) cannot starve the
//! co-op's other devices.

use crate::ApiError;
use fieldtrace_core::model::DeviceId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<DeviceId, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_second: f64, burst: f64) -> Self {
        Self { per_second, burst, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token from the device's bucket, or says how long to wait.
    pub fn check(&self, device: DeviceId) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (tokens, last) = buckets.entry(device).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - *tokens) / self.per_second).ceil().max(1.0) as u64;
            Err(ApiError::RateLimited { retry_after_s: wait })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_per_device() {
        let limiter = RateLimiter::new(0.001, 3.0);
        let (a, b) = (DeviceId::new(), DeviceId::new());
        for _ in 0..3 {
            limiter.check(a).expect("within burst");
        }
        assert_eq!(limiter.check(a).expect_err("over").key(), "rate_limited");
        limiter.check(b).expect("another device has its own bucket");
    }
}
