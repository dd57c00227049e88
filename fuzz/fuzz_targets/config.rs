//! `harvest-sources.toml`: any text gives a configuration or an error naming file, line and key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = alzette_config::Config::parse(text, Path::new("fuzz.toml")) {
            // Errors render: they are what the operator reads.
            let message = e.to_string();
            assert!(message.starts_with("fuzz.toml"), "{message}");
        }
    }
});
