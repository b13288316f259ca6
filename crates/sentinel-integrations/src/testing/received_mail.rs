//! Reading a message the test SMTP server received: unfolded headers and the decoded parts
//! of a multipart/alternative body.

/// A received message split into unfolded headers and decoded MIME parts.
#[derive(Debug)]
pub struct ReceivedMail {
    pub headers: Vec<(String, String)>,
    pub parts: Vec<(String, String)>,
}

impl ReceivedMail {
    /// Reads a message as received (CRLF line ends); panics on anything but a
    /// multipart/alternative message with quoted-printable parts.
    pub fn parse(data: &str) -> Self {
        let (head, body) = data
            .split_once("\r\n\r\n")
            .expect("a blank line after the headers");
        let headers = parse_headers(head);
        let content_type = header_in(&headers, "content-type").expect("a Content-Type header");
        assert!(
            content_type.starts_with("multipart/alternative"),
            "not multipart/alternative: {content_type}"
        );
        let boundary = content_type
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))
            .expect("a multipart boundary")
            .trim_matches('"')
            .to_owned();
        let delimiter = format!("--{boundary}");
        let mut parts = Vec::new();
        for chunk in body.split(delimiter.as_str()).skip(1) {
            if chunk.starts_with("--") {
                break;
            }
            let chunk = chunk.trim_start_matches("\r\n");
            let (part_head, part_body) = chunk
                .split_once("\r\n\r\n")
                .expect("a blank line after a part's headers");
            let part_headers = parse_headers(part_head);
            let part_type = header_in(&part_headers, "content-type").expect("a part's type");
            let encoding = header_in(&part_headers, "content-transfer-encoding")
                .expect("a part's transfer encoding");
            assert_eq!(encoding.to_ascii_lowercase(), "quoted-printable");
            let part_body = part_body.strip_suffix("\r\n").unwrap_or(part_body);
            parts.push((part_type, decode_quoted_printable(part_body)));
        }
        Self { headers, parts }
    }

    /// The first header called `name` (any case), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        header_in(&self.headers, name)
    }

    /// The decoded body of the part whose type starts with `mime`; panics when none does.
    pub fn part(&self, mime: &str) -> &str {
        &self
            .parts
            .iter()
            .find(|(content_type, _)| content_type.starts_with(mime))
            .unwrap_or_else(|| panic!("no {mime} part in {:?}", self.parts))
            .1
    }
}

fn parse_headers(head: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    headers
}

fn header_in(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("an ASCII escape");
            out.push(u8::from_str_radix(hex, 16).expect("a hexadecimal escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("a UTF-8 part")
}
