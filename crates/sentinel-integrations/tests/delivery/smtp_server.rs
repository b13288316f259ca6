//! A minimal SMTP server on 127.0.0.1 (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT)
//! that records each session and answers RCPT and DATA as scripted.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct SmtpScript {
    pub advertise_auth: bool,
    pub rcpt_reply: &'static str,
    pub data_reply: &'static str,
}

impl Default for SmtpScript {
    fn default() -> Self {
        Self {
            advertise_auth: false,
            rcpt_reply: "250 2.1.5 Recipient ok",
            data_reply: "250 2.0.0 Queued as 1",
        }
    }
}

/// What one client connection did.
#[derive(Debug, Clone, Default)]
pub struct SmtpSession {
    pub commands: Vec<String>,
    pub auth: Option<String>,
    pub mail_from: Option<String>,
    pub rcpt_to: Vec<String>,
    /// The message as received, dot-stuffing removed, CRLF line ends kept.
    pub data: Option<String>,
}

pub struct SmtpServer {
    pub port: u16,
    sessions: Arc<Mutex<Vec<SmtpSession>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpServer {
    pub async fn start(script: SmtpScript) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let sessions = Arc::new(Mutex::new(Vec::new()));
        let shared = sessions.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let index = {
                    let mut sessions = shared.lock().unwrap();
                    sessions.push(SmtpSession::default());
                    sessions.len() - 1
                };
                tokio::spawn(serve(stream, script.clone(), shared.clone(), index));
            }
        });
        Self {
            port,
            sessions,
            task,
        }
    }

    pub fn sessions(&self) -> Vec<SmtpSession> {
        self.sessions.lock().unwrap().clone()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    stream: TcpStream,
    script: SmtpScript,
    sessions: Arc<Mutex<Vec<SmtpSession>>>,
    index: usize,
) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let record = |f: &dyn Fn(&mut SmtpSession)| f(&mut sessions.lock().unwrap()[index]);
    if write
        .write_all(b"220 localhost ESMTP test\r\n")
        .await
        .is_err()
    {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_owned();
        record(&|s| s.commands.push(command.clone()));
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply = match verb.as_str() {
            "EHLO" | "HELO" => {
                if script.advertise_auth {
                    "250-localhost\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME".to_owned()
                } else {
                    "250-localhost\r\n250 8BITMIME".to_owned()
                }
            }
            "AUTH" => {
                record(&|s| s.auth = Some(command.clone()));
                "235 2.7.0 Authentication successful".to_owned()
            }
            "MAIL" => {
                record(&|s| s.mail_from = Some(command.clone()));
                "250 2.1.0 Sender ok".to_owned()
            }
            "RCPT" => {
                record(&|s| s.rcpt_to.push(command.clone()));
                script.rcpt_reply.to_owned()
            }
            "DATA" => {
                if write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let mut data = String::new();
                loop {
                    line.clear();
                    match reader.read_line(&mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                    data.push_str(unstuffed);
                }
                record(&|s| s.data = Some(data.clone()));
                script.data_reply.to_owned()
            }
            "RSET" | "NOOP" => "250 2.0.0 Ok".to_owned(),
            "QUIT" => {
                let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
                return;
            }
            _ => "502 5.5.2 Command not recognised".to_owned(),
        };
        if write
            .write_all(format!("{reply}\r\n").as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}

/// A received message split into unfolded headers and decoded MIME parts.
#[derive(Debug)]
pub struct ReceivedMail {
    pub headers: Vec<(String, String)>,
    pub parts: Vec<(String, String)>,
}

impl ReceivedMail {
    pub fn parse(data: &str) -> Self {
        let (head, body) = data.split_once("\r\n\r\n").unwrap();
        let headers = parse_headers(head);
        let content_type = header_in(&headers, "content-type").unwrap();
        assert!(
            content_type.starts_with("multipart/alternative"),
            "not multipart/alternative: {content_type}"
        );
        let boundary = content_type
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))
            .unwrap()
            .trim_matches('"')
            .to_owned();
        let delimiter = format!("--{boundary}");
        let mut parts = Vec::new();
        for chunk in body.split(delimiter.as_str()).skip(1) {
            if chunk.starts_with("--") {
                break;
            }
            let chunk = chunk.trim_start_matches("\r\n");
            let (part_head, part_body) = chunk.split_once("\r\n\r\n").unwrap();
            let part_headers = parse_headers(part_head);
            let part_type = header_in(&part_headers, "content-type").unwrap();
            let encoding = header_in(&part_headers, "content-transfer-encoding").unwrap();
            assert_eq!(encoding.to_ascii_lowercase(), "quoted-printable");
            let part_body = part_body.strip_suffix("\r\n").unwrap_or(part_body);
            parts.push((part_type, decode_quoted_printable(part_body)));
        }
        Self { headers, parts }
    }

    pub fn header(&self, name: &str) -> Option<String> {
        header_in(&self.headers, name)
    }

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
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}
