//! OAI-PMH requests as a query string: checked or refused with a protocol error; a resumption
//! token that reads back re-encodes to itself.
#![no_main]

use alzette_oai::{ListArgs, Request, parse_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let args: Vec<(String, String)> = url::form_urlencoded::parse(data).into_owned().collect();
    match parse_request(&args) {
        Err(e) => assert!(!e.code.is_empty() && !e.message.is_empty()),
        Ok(Request::List { list, .. }) => {
            if let Some(cursor) = &list.after {
                let token = list.token(cursor);
                assert_eq!(ListArgs::from_token(&token).as_ref(), Ok(&list), "{token}");
            }
        }
        Ok(_) => {}
    }
    // Tokens straight from bytes, too.
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(list) = ListArgs::from_token(text) {
            let cursor = list.after.clone().expect("a token carries a cursor");
            assert_eq!(ListArgs::from_token(&list.token(&cursor)), Ok(list));
        }
    }
});
