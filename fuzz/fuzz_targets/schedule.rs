//! Cron expressions: parsed or refused, and a parsed one computes its next firing.
#![no_main]

use alzette_config::Schedule;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(schedule) = text.parse::<Schedule>() {
            let now = chrono::DateTime::from_timestamp(1_790_000_000, 0).expect("a valid time");
            if let Some(next) = schedule.next_after(&now) {
                assert!(next > now);
            }
        }
    }
});
