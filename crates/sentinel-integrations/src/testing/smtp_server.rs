//! A minimal SMTP server on 127.0.0.1 (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT)
//! that records each session and answers RCPT and DATA as scripted. The script can change
//! while the server runs (a receiver that refuses for a while, then accepts); each
//! connection follows the script in force when it was accepted.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

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

/// A running server; it stops when dropped.
pub struct SmtpServer {
    pub port: u16,
    sessions: Arc<Mutex<Vec<SmtpSession>>>,
    script: Arc<Mutex<SmtpScript>>,
    task: tokio::task::JoinHandle<()>,
}

/// A poisoned lock only means another test thread panicked; its data is still what it saw.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SmtpServer {
    /// Listens on an ephemeral port of 127.0.0.1.
    pub async fn start(script: SmtpScript) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind an SMTP test server on 127.0.0.1");
        let port = listener
            .local_addr()
            .expect("the SMTP test server's address")
            .port();
        let sessions = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script));
        let (shared, current) = (sessions.clone(), script.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let index = {
                    let mut sessions = lock(&shared);
                    sessions.push(SmtpSession::default());
                    sessions.len() - 1
                };
                let script = lock(&current).clone();
                tokio::spawn(serve(stream, script, shared.clone(), index));
            }
        });
        Self {
            port,
            sessions,
            script,
            task,
        }
    }

    /// Every connection so far, in the order they were accepted.
    pub fn sessions(&self) -> Vec<SmtpSession> {
        lock(&self.sessions).clone()
    }

    /// The sessions that handed over a message.
    pub fn delivered(&self) -> Vec<SmtpSession> {
        self.sessions()
            .into_iter()
            .filter(|s| s.data.is_some())
            .collect()
    }

    /// Answers connections accepted from now on with `script`.
    pub fn set_script(&self, script: SmtpScript) {
        *lock(&self.script) = script;
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
    let record = |f: &dyn Fn(&mut SmtpSession)| {
        if let Some(session) = lock(&sessions).get_mut(index) {
            f(session);
        }
    };
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
