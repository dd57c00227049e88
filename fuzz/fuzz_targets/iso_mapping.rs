//! One ISO 19139 document mapped to GeoDCAT-AP in both profiles. Errors are fine; panics and
//! hangs are not, and whatever comes out is well-formed RDF (it serialises as N-Triples).
#![no_main]

use alzette_iso19139::{Options, Profile, map_document};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for profile in [Profile::Extended, Profile::Core] {
        let options = Options {
            profile,
            ..Options::default()
        };
        let Ok(records) = map_document(data, &options) else {
            return;
        };
        for record in records {
            let mut out = oxrdfio::RdfSerializer::from_format(oxrdfio::RdfFormat::NTriples)
                .for_writer(Vec::new());
            for t in &record.triples {
                out.serialize_triple(t).expect("every mapped triple serialises");
            }
        }
    }
});
