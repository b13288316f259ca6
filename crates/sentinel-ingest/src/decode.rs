//! Request body decompression with a hard bound on the decoded size.
//!
//! SDKs compress with gzip, deflate (zlib-wrapped per the HTTP spec, but raw deflate is seen
//! too, so both are detected), brotli or zstd. Decoding streams into a buffer and stops as
//! soon as the output passes the caller's bound, so a small "zip bomb" cannot make the
//! server allocate gigabytes.

use std::io::Read;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("decoded body exceeds {limit} bytes")]
    TooLarge { limit: usize },
    #[error("unsupported content encoding {0:?}")]
    Unsupported(String),
    #[error("corrupt compressed body: {0}")]
    Corrupt(String),
}

/// Largest zstd window accepted (16 MiB), bounding the decoder's memory per request.
const ZSTD_MAX_WINDOW_LOG: u32 = 24;

/// Decodes `body` per the `Content-Encoding` header (`None`, `identity`, `gzip`, `x-gzip`,
/// `deflate`, `br`, `zstd`, or a comma-separated list of them applied in order) into at most
/// `max_decoded` bytes.
pub fn decode_body(
    content_encoding: Option<&str>,
    body: &[u8],
    max_decoded: usize,
) -> Result<Vec<u8>, DecodeError> {
    let encodings: Vec<String> = content_encoding
        .unwrap_or("")
        .split(',')
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty() && e != "identity")
        .collect();
    // Encodings are listed in the order they were applied: undo them from the last.
    let mut current: Option<Vec<u8>> = None;
    for encoding in encodings.iter().rev() {
        let input = current.as_deref().unwrap_or(body);
        current = Some(decode_one(encoding, input, max_decoded)?);
    }
    match current {
        Some(decoded) => Ok(decoded),
        None if body.len() > max_decoded => Err(DecodeError::TooLarge { limit: max_decoded }),
        None => Ok(body.to_vec()),
    }
}

fn decode_one(encoding: &str, body: &[u8], max: usize) -> Result<Vec<u8>, DecodeError> {
    match encoding {
        "gzip" | "x-gzip" => read_bounded(flate2::read::MultiGzDecoder::new(body), max),
        "deflate" if is_zlib_header(body) => {
            read_bounded(flate2::read::ZlibDecoder::new(body), max)
        }
        "deflate" => read_bounded(flate2::read::DeflateDecoder::new(body), max),
        "br" => read_bounded(brotli::Decompressor::new(body, 4096), max),
        "zstd" => {
            let mut decoder = zstd::stream::read::Decoder::new(body)
                .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
            // A frame may ask for a window of up to 128 MiB; SDKs use a few MiB at most.
            decoder
                .window_log_max(ZSTD_MAX_WINDOW_LOG)
                .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
            read_bounded(decoder, max)
        }
        other => Err(DecodeError::Unsupported(other.to_string())),
    }
}

/// RFC 1950: compression method 8 in the low nibble and a header checksum divisible by 31.
fn is_zlib_header(body: &[u8]) -> bool {
    match body {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

fn read_bounded(reader: impl Read, max: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    let bound = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(bound)
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    if out.len() > max {
        return Err(DecodeError::TooLarge { limit: max });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::Write;

    const TEXT: &[u8] = b"{\"message\":\"hello world hello world hello world\"}";

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn every_supported_encoding_round_trips() {
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        zlib.write_all(TEXT).unwrap();
        let zlib = zlib.finish().unwrap();
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(TEXT).unwrap();
        let raw = raw.finish().unwrap();
        let mut br = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut br, 4096, 5, 22);
            w.write_all(TEXT).unwrap();
        }
        let zst = zstd::encode_all(TEXT, 3).unwrap();
        for (encoding, body) in [
            (None, TEXT.to_vec()),
            (Some("identity"), TEXT.to_vec()),
            (Some("gzip"), gzip(TEXT)),
            (Some("GZIP "), gzip(TEXT)),
            (Some("deflate"), zlib),
            (Some("deflate"), raw),
            (Some("br"), br),
            (Some("zstd"), zst),
        ] {
            assert_eq!(
                decode_body(encoding, &body, 1024).as_deref(),
                Ok(TEXT),
                "{encoding:?}"
            );
        }
    }

    #[test]
    fn stacked_encodings_are_undone_in_reverse() {
        let twice = gzip(&zstd::encode_all(TEXT, 1).unwrap());
        assert_eq!(
            decode_body(Some("zstd, gzip"), &twice, 1024).as_deref(),
            Ok(TEXT)
        );
    }

    #[test]
    fn decoding_stops_past_the_bound() {
        let bomb = gzip(&vec![b'a'; 10 * 1024 * 1024]);
        assert!(bomb.len() < 100 * 1024);
        assert_eq!(
            decode_body(Some("gzip"), &bomb, 1024 * 1024),
            Err(DecodeError::TooLarge { limit: 1024 * 1024 })
        );
        assert_eq!(
            decode_body(None, TEXT, 4),
            Err(DecodeError::TooLarge { limit: 4 })
        );
    }

    #[test]
    fn bad_input_is_reported_not_panicked() {
        assert_eq!(
            decode_body(Some("compress"), TEXT, 1024),
            Err(DecodeError::Unsupported("compress".into()))
        );
        for encoding in ["gzip", "deflate", "br", "zstd"] {
            assert!(
                matches!(
                    decode_body(Some(encoding), b"\x1f\x8b not really", 1024),
                    Err(DecodeError::Corrupt(_))
                ),
                "{encoding}"
            );
        }
    }
}
