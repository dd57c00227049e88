//! Bytes as lower-case hexadecimal text and back: record keys, content hashes, and the
//! digests the harvest keeps (page bodies, configurations, reports).

use std::fmt::Write;

/// `bytes` as lower-case hexadecimal, two digits a byte.
///
/// ```
/// assert_eq!(alzette_dcat::hex(&[0x0f, 0xa0]), "0fa0");
/// ```
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Exactly `2 * N` hexadecimal digits (either case) as `N` bytes.
pub(crate) fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut bytes = [0; N];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let bytes = [0u8, 0x7f, 0x80, 0xff];
        assert_eq!(from_hex::<4>(&hex(&bytes)), Some(bytes));
        assert_eq!(from_hex::<2>("A0ff"), Some([0xa0, 0xff]));
        assert_eq!(from_hex::<2>("a0f"), None);
        assert_eq!(from_hex::<2>("+a0f"), None);
        assert_eq!(from_hex::<2>("a0fg"), None);
        assert_eq!(from_hex::<2>("é0f"), None);
    }
}
