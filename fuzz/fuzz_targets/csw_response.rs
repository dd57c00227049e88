//! A CSW GetRecords response as a server sends it: its paging read and its records mapped in
//! one pass. Errors are fine; panics and hangs are not, and the page never claims records it
//! does not hold.
#![no_main]

use alzette_iso19139::{Options, map_csw_page, read_csw_page};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(page) = read_csw_page(data) else {
        return;
    };
    let (again, records) = map_csw_page(data, &Options::default()).expect("read once, read twice");
    assert_eq!(page, again);
    assert_eq!(page.records, records.len());
});
