//! Syntax detection from a Content-Type, a URL and the first bytes of a body.
#![no_main]

use alzette_dcat::{detect_syntax, from_content_type, from_url, sniff};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sniff(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = from_content_type(text);
        let _ = from_url(text);
        let (content_type, url) = text.split_once('\n').unwrap_or((text, ""));
        let _ = detect_syntax(Some(content_type), url, data);
    }
});
