//! The code tables of the mapping: ISO 639-2/B language codes, ISO 19115 code lists, and the
//! format labels that real records use, each to the IRI GeoDCAT-AP expects.

/// ISO 639-2/B (three letters, as ISO records write them) to the two-letter tag of an RDF
/// literal; other codes are used as they are.
pub(crate) fn language_tag(alpha3: &str) -> &str {
    match alpha3 {
        "bul" => "bg",
        "cze" | "ces" => "cs",
        "dan" => "da",
        "ger" | "deu" => "de",
        "gre" | "ell" => "el",
        "eng" => "en",
        "spa" => "es",
        "est" => "et",
        "fin" => "fi",
        "fre" | "fra" => "fr",
        "gle" => "ga",
        "hrv" => "hr",
        "ita" => "it",
        "lav" => "lv",
        "lit" => "lt",
        "hun" => "hu",
        "mlt" => "mt",
        "dut" | "nld" => "nl",
        "pol" => "pl",
        "por" => "pt",
        // The reference XSLT maps Romanian to "ru" (Russian); "ro" is right.
        "rum" | "ron" => "ro",
        "slo" | "slk" => "sk",
        "slv" => "sl",
        "swe" => "sv",
        "ltz" => "lb",
        other => other,
    }
}

/// ISO 639-2/B (bibliographic) codes to the ISO 639-2/T (terminology) codes the EU language
/// table names its concepts by (`fre` → `fra`); others are kept.
pub(crate) fn terminology_code(code: &str) -> String {
    let lower = code.to_lowercase();
    match lower.as_str() {
        "alb" => "sqi",
        "arm" => "hye",
        "baq" => "eus",
        "bur" => "mya",
        "chi" => "zho",
        "cze" => "ces",
        "dut" => "nld",
        "fre" => "fra",
        "geo" => "kat",
        "ger" => "deu",
        "gre" => "ell",
        "ice" => "isl",
        "mac" => "mkd",
        "mao" => "mri",
        "may" => "msa",
        "per" => "fas",
        "rum" => "ron",
        "slo" => "slk",
        "tib" => "bod",
        "wel" => "cym",
        other => return other.to_owned(),
    }
    .to_owned()
}

/// `gmd:MD_CharacterSetCode` to the IANA character set name.
pub(crate) fn character_set(code: &str) -> Option<&'static str> {
    Some(match code {
        "ucs2" => "ISO-10646-UCS-2",
        "ucs4" => "ISO-10646-UCS-4",
        "utf7" => "UTF-7",
        "utf8" => "UTF-8",
        "utf16" => "UTF-16",
        "8859part1" => "ISO-8859-1",
        "8859part2" => "ISO-8859-2",
        "8859part3" => "ISO-8859-3",
        "8859part4" => "ISO-8859-4",
        "8859part5" => "ISO-8859-5",
        "8859part6" => "ISO-8859-6",
        "8859part7" => "ISO-8859-7",
        "8859part8" => "ISO-8859-8",
        "8859part9" => "ISO-8859-9",
        "8859part10" => "ISO-8859-10",
        "8859part11" => "ISO-8859-11",
        "8859part12" => "ISO-8859-12",
        "8859part13" => "ISO-8859-13",
        "8859part14" => "ISO-8859-14",
        "8859part15" => "ISO-8859-15",
        "8859part16" => "ISO-8859-16",
        "jis" => "JIS_Encoding",
        "shiftJIS" => "Shift_JIS",
        "eucJP" => "EUC-JP",
        "usAscii" => "US-ASCII",
        "ebcdic" => "IBM037",
        "eucKR" => "EUC-KR",
        "big5" => "Big5",
        "GB2312" => "GB2312",
        _ => return None,
    })
}

/// `gmd:MD_MaintenanceFrequencyCode` to the EU frequency table (its local name).
pub(crate) fn frequency(code: &str) -> Option<&'static str> {
    Some(match code {
        "continual" => "CONT",
        "daily" => "DAILY",
        "weekly" => "WEEKLY",
        "fortnightly" => "BIWEEKLY",
        "semimonthly" => "MONTHLY_2",
        "monthly" => "MONTHLY",
        "quarterly" => "QUARTERLY",
        "biannually" => "ANNUAL_2",
        "annually" => "ANNUAL",
        "biennially" => "BIENNIAL",
        "periodic" => "OTHER",
        "asNeeded" => "AS_NEEDED",
        "irregular" => "IRREG",
        "notPlanned" => "NOT_PLANNED",
        "unknown" => "UNKNOWN",
        _ => return None,
    })
}

/// Where a recognised format label points: the EU file-type table, or an IANA (or INSPIRE)
/// media type.
pub(crate) enum FormatIri {
    /// A local name in the EU file-type table.
    FileType(&'static str),
    /// An IANA media type.
    Iana(&'static str),
    /// A media type the INSPIRE registry has and IANA does not.
    Inspire(&'static str),
}

/// A free-text format name (`gmd:MD_Format/gmd:name`) to a vocabulary IRI, for the labels
/// the European data portal sees most (the reference XSLT's table, as published).
pub(crate) fn format(label: &str) -> Option<FormatIri> {
    use FormatIri::{FileType as F, Iana as M, Inspire as I};
    let label = label.trim();
    let lower = label
        .strip_prefix("http://publications.europa.eu/resource/authority/file-type/")
        .unwrap_or(label)
        .to_lowercase();
    Some(match lower.as_str() {
        "aaigrid" | "grid_ascii" => F("GRID_ASCII"),
        "aig" | "grid" => F("GRID"),
        "atom" => F("ATOM"),
        "csv" | "gtfs" => F("CSV"),
        "csw" | "gpx" | "ogc:csw" | "ogc:sos" | "ogc:wmc" | "sos" | "vcard-xml" | "xbrl"
        | "xml" | "wmc" => F("XML"),
        "dbf" => F("DBF"),
        "dgn" => F("BIN"),
        "djvu" => M("image/vn.djvu"),
        "doc" => F("DOC"),
        "docx" => F("DOCX"),
        "dxf" => M("image/vn.dxf"),
        "dwg" => M("image/vn.dwg"),
        "ecw" | "ecwp" => F("ECW"),
        "elp" => F("EXE"),
        "epub" => F("EPUB"),
        "fgeo" | "gdb" => F("GDB"),
        "geojson" => F("GEOJSON"),
        "geopackage" | "gpkg" => F("GPKG"),
        "georss" | "rss" => F("RSS"),
        "geotiff" | "gtiff" | "tiff" | "ogc:wcs" | "wcs" => F("TIFF"),
        "gif" => F("GIF"),
        "gml" | "ogc:wfs" | "ogc:wfs-g" | "ogc:wps" | "wfs" | "wfs-g" | "wps" => F("GML"),
        "gmz" => F("GMZ"),
        "gzip" => F("GZIP"),
        "html" => F("HTML"),
        "jpeg" | "jpg" => F("JPEG"),
        "json" | "vcard-json" => F("JSON"),
        "json-ld" | "json_ld" | "jsonld" => F("JSON_LD"),
        "kml" => F("KML"),
        "kmz" => F("KMZ"),
        "las" => F("LAS"),
        "laz" => F("LAZ"),
        "marc" => M("application/marc"),
        "mdb" | "pgeo" => F("MDB"),
        "mxd" => F("MXD"),
        "n-triples" | "rdf_n_triples" => F("RDF_N_TRIPLES"),
        "n3" | "rdf-n3" | "rdf_n3" => F("N3"),
        "netcdf" => F("NETCDF"),
        "ods" => F("ODS"),
        "odt" => F("ODT"),
        "ogc:wms" | "ogc:wmts" | "png" | "wms" | "wmts" => F("PNG"),
        "oracledump" => I("application/x-oracledump"),
        "pc-axis" | "text" | "txt" => F("TXT"),
        "pdf" => F("PDF"),
        "rar" => F("RAR"),
        "rdf/xml" | "rdf-xml" | "rdf_xml" => F("RDF_XML"),
        "rdf-turtle" | "rdf_turtle" | "ttl" | "turtle" => F("RDF_TURTLE"),
        "rtf" => F("RTF"),
        "scorm" | "zip" => F("ZIP"),
        "shp" => F("SHP"),
        "spatialite" | "sqlite" | "sqlite3" => M("application/vnd.sqlite3"),
        "svg" => F("SVG"),
        "tmx" => F("TMX"),
        "tsv" => F("TSV"),
        "xhtml" => F("XHTML"),
        "xls" => F("XLS"),
        "xlsx" => F("XLSX"),
        _ => return None,
    })
}

/// An OGC service protocol named by a URL query (`service=wms`) or a protocol
/// (`OGC:WMS`), to its OGC standard page.
pub(crate) fn service_protocol(url: &str, protocol: &str) -> Option<&'static str> {
    const SERVICES: [(&str, &str); 8] = [
        ("csw", "http://www.opengeospatial.org/standards/cat"),
        ("sos", "http://www.opengeospatial.org/standards/sos"),
        ("sps", "http://www.opengeospatial.org/standards/sps"),
        ("wcs", "http://www.opengeospatial.org/standards/wcs"),
        ("wfs", "http://www.opengeospatial.org/standards/wfs"),
        ("wms", "http://www.opengeospatial.org/standards/wms"),
        ("wmts", "http://www.opengeospatial.org/standards/wmts"),
        ("wps", "http://www.opengeospatial.org/standards/wps"),
    ];
    let query = url
        .to_lowercase()
        .split_once('?')
        .map(|(_, q)| q.to_owned())
        .unwrap_or_default();
    let protocol = protocol.to_lowercase();
    SERVICES.iter().find_map(|(code, iri)| {
        (query.contains(&format!("service={code}")) || protocol == format!("ogc:{code}"))
            .then_some(*iri)
    })
}
