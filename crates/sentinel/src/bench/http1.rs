//! A minimal HTTP/1.1 client for the load generator: one keep-alive connection, one
//! request at a time, nothing else.
//!
//! The generator shares the machine's two cores with the server it measures, so every
//! microsecond it spends is taken from the server. A general client (connection pool,
//! redirects, header maps, body streams) cost about 40 µs of CPU per request here, a fifth
//! of the whole budget per event; writing the request head by hand and reading back only
//! the status and the body's length costs a fraction of that. It speaks only what our own
//! server answers: `Content-Length` or chunked bodies, keep-alive unless told to close.

use std::io;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Where requests go: `host:port` and the path, from an `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub authority: String,
    pub path: String,
}

impl Target {
    /// Parses `http://host:port/path`; other schemes are refused.
    pub fn parse(url: &str) -> io::Result<Self> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not an http:// URL: {url}"),
            )
        })?;
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        Ok(Self {
            authority: authority.to_string(),
            path: path.to_string(),
        })
    }
}

/// One keep-alive connection; reconnects after the server closes it.
pub struct Connection {
    target: Target,
    /// `POST … Host: …` and the fixed headers, up to the `Content-Length` value.
    head_prefix: Vec<u8>,
    stream: Option<TcpStream>,
    /// The request as sent (head and body), reused between requests.
    request: Vec<u8>,
    /// Bytes read from the server and not yet consumed.
    received: Vec<u8>,
}

impl Connection {
    /// A connection that posts to `target` with `headers` (`name: value` each, no CRLF).
    pub fn new(target: Target, headers: &[String]) -> Self {
        let mut head_prefix = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\n",
            target.path, target.authority
        );
        for header in headers {
            head_prefix.push_str(header);
            head_prefix.push_str("\r\n");
        }
        head_prefix.push_str("Content-Length: ");
        Self {
            target,
            head_prefix: head_prefix.into_bytes(),
            stream: None,
            request: Vec::new(),
            received: Vec::new(),
        }
    }

    /// Posts `body` and returns the response's status once its body has been read. On an
    /// error the connection is dropped, and the next request opens a new one.
    /// `extra` headers go with this request only (a signature over the body, a delivery id).
    pub async fn post_with(&mut self, body: &[u8], extra: &[String]) -> io::Result<u16> {
        let result = self.exchange(body, extra).await;
        if !matches!(result, Ok((_, true))) {
            self.stream = None;
        }
        result.map(|(status, _)| status)
    }

    /// Drops the connection (after a timed-out request, whose answer may still come).
    pub fn reset(&mut self) {
        self.stream = None;
    }

    /// Sends one request and reads its response: the status, and whether the connection
    /// may be kept.
    async fn exchange(&mut self, body: &[u8], extra: &[String]) -> io::Result<(u16, bool)> {
        let stream = match self.stream.as_mut() {
            Some(stream) => stream,
            None => {
                let stream = TcpStream::connect(&self.target.authority).await?;
                stream.set_nodelay(true)?;
                self.received.clear();
                self.stream.insert(stream)
            }
        };
        self.request.clear();
        // The prefix ends with `Content-Length: `, so the extra headers go in front of it.
        let (before_length, length_name) = self
            .head_prefix
            .split_at(self.head_prefix.len() - b"Content-Length: ".len());
        self.request.extend_from_slice(before_length);
        for header in extra {
            self.request.extend_from_slice(header.as_bytes());
            self.request.extend_from_slice(b"\r\n");
        }
        self.request.extend_from_slice(length_name);
        self.request
            .extend_from_slice(format!("{}\r\n\r\n", body.len()).as_bytes());
        self.request.extend_from_slice(body);
        stream.write_all(&self.request).await?;

        let head_end = loop {
            if let Some(at) = find(&self.received, b"\r\n\r\n") {
                break at + 4;
            }
            read_more(stream, &mut self.received).await?;
        };
        let head = Head::parse(&self.received[..head_end])?;
        self.received.drain(..head_end);
        match head.length {
            BodyLength::Exactly(length) => {
                while self.received.len() < length {
                    read_more(stream, &mut self.received).await?;
                }
                self.received.drain(..length);
            }
            BodyLength::Chunked => skip_chunked(stream, &mut self.received).await?,
        }
        Ok((head.status, head.keep_alive))
    }
}

/// What the generator needs of a response head.
struct Head {
    status: u16,
    length: BodyLength,
    keep_alive: bool,
}

enum BodyLength {
    Exactly(usize),
    Chunked,
}

impl Head {
    fn parse(head: &[u8]) -> io::Result<Self> {
        let text = std::str::from_utf8(head).map_err(|_| invalid("response head is not UTF-8"))?;
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| invalid("no HTTP/1.1 status line"))?;
        let mut length = None;
        let mut keep_alive = true;
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(BodyLength::Exactly(
                    value.parse().map_err(|_| invalid("bad Content-Length"))?,
                ));
            } else if name.eq_ignore_ascii_case("transfer-encoding")
                && value.eq_ignore_ascii_case("chunked")
            {
                length = Some(BodyLength::Chunked);
            } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close")
            {
                keep_alive = false;
            }
        }
        Ok(Self {
            status,
            // Every answer of ours has a body length; none means an empty body.
            length: length.unwrap_or(BodyLength::Exactly(0)),
            keep_alive,
        })
    }
}

/// Reads and drops a chunked body, trailers included.
async fn skip_chunked(stream: &mut TcpStream, received: &mut Vec<u8>) -> io::Result<()> {
    loop {
        let line_end = loop {
            if let Some(at) = find(received, b"\r\n") {
                break at;
            }
            read_more(stream, received).await?;
        };
        let size_text =
            std::str::from_utf8(&received[..line_end]).map_err(|_| invalid("bad chunk size"))?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
        received.drain(..line_end + 2);
        if size == 0 {
            // Trailers, if any, end with an empty line.
            loop {
                let at = loop {
                    if let Some(at) = find(received, b"\r\n") {
                        break at;
                    }
                    read_more(stream, received).await?;
                };
                received.drain(..at + 2);
                if at == 0 {
                    return Ok(());
                }
            }
        }
        while received.len() < size + 2 {
            read_more(stream, received).await?;
        }
        received.drain(..size + 2);
    }
}

async fn read_more(stream: &mut TcpStream, received: &mut Vec<u8>) -> io::Result<()> {
    let mut chunk = [0u8; 8192];
    let n = stream.read(&mut chunk).await?;
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        ));
    }
    received.extend_from_slice(&chunk[..n]);
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn urls_split_into_authority_and_path() {
        let target = Target::parse("http://127.0.0.1:8080/api/1/envelope/").unwrap();
        assert_eq!(target.authority, "127.0.0.1:8080");
        assert_eq!(target.path, "/api/1/envelope/");
        assert_eq!(Target::parse("http://[::1]:9").unwrap().path, "/");
        assert!(Target::parse("https://example.test/").is_err());
    }

    /// A server that answers each request with the next canned response, after checking
    /// the request it got, and closes when told to.
    async fn canned_server(
        responses: Vec<&'static str>,
    ) -> (String, tokio::task::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/1/envelope/", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let mut requests = Vec::new();
            let mut responses = responses.into_iter();
            'connections: loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut buffer = Vec::new();
                loop {
                    let Some(head_end) = find(&buffer, b"\r\n\r\n").map(|at| at + 4) else {
                        let mut chunk = [0u8; 4096];
                        let n = socket.read(&mut chunk).await.unwrap();
                        if n == 0 {
                            continue 'connections;
                        }
                        buffer.extend_from_slice(&chunk[..n]);
                        continue;
                    };
                    let head = String::from_utf8(buffer[..head_end].to_vec()).unwrap();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .unwrap()
                        .trim()
                        .parse()
                        .unwrap();
                    while buffer.len() < head_end + length {
                        let mut chunk = [0u8; 4096];
                        let n = socket.read(&mut chunk).await.unwrap();
                        buffer.extend_from_slice(&chunk[..n]);
                    }
                    let body =
                        String::from_utf8(buffer[head_end..head_end + length].to_vec()).unwrap();
                    buffer.drain(..head_end + length);
                    requests.push(format!("{head}{body}"));
                    let Some(response) = responses.next() else {
                        return requests;
                    };
                    socket.write_all(response.as_bytes()).await.unwrap();
                    if response.contains("Connection: close") {
                        continue 'connections;
                    }
                }
            }
        });
        (url, server)
    }

    #[tokio::test]
    async fn statuses_and_bodies_are_read_across_kept_and_closed_connections() {
        let (url, server) = canned_server(vec![
            "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n{\"id\":1}",
            "HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
            "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}",
        ])
        .await;
        let target = Target::parse(&url).unwrap();
        let mut connection =
            Connection::new(target, &["X-Sentry-Auth: Sentry sentry_key=k".into()]);
        let mut statuses = Vec::new();
        for (i, body) in ["first", "second", "third", "fourth"].iter().enumerate() {
            let extra = [format!("X-Request: {i}")];
            statuses.push(connection.post_with(body.as_bytes(), &extra).await.unwrap());
        }
        assert_eq!(statuses, vec![200, 429, 413, 200]);
        // A fifth request finds the server gone and reports it rather than hanging.
        assert!(connection.post_with(b"fifth", &[]).await.is_err());
        let requests = server.await.unwrap();
        assert_eq!(requests.len(), 5);
        assert!(requests[0].starts_with("POST /api/1/envelope/ HTTP/1.1\r\nHost: 127.0.0.1:"));
        assert!(requests[0].contains("X-Sentry-Auth: Sentry sentry_key=k\r\n"));
        assert!(requests[0].ends_with("Content-Length: 5\r\n\r\nfirst"));
        assert!(requests[3].ends_with("fourth"));
        // Each request carries its own extra header once, and only its own.
        assert!(requests[1].contains("X-Request: 1\r\nContent-Length: 6\r\n\r\nsecond"));
        assert_eq!(requests[2].matches("X-Request:").count(), 1);
        assert!(!requests[4].contains("X-Request:"));
    }
}
