//! E-mail over SMTP to a real listener on 127.0.0.1.

use std::time::Duration;

use base64::Engine;
use secrecy::SecretString;
use sentinel_integrations::testing::{ReceivedMail, SmtpScript, SmtpServer};
use sentinel_integrations::{
    DeliveryOutcome, EmailClient, EmailConfig, SmtpCredentials, SmtpOptions, SmtpTls,
};

use crate::support::{bounded, clock, closed_port, notification, shared, LINK};

fn config(port: u16, tls: SmtpTls) -> EmailConfig {
    EmailConfig {
        host: "127.0.0.1".to_owned(),
        port: Some(port),
        tls,
        credentials: None,
        from: "Sentinel <alerts@sentinel.test>".to_owned(),
        to: vec![
            "oncall@example.test".to_owned(),
            "lead@example.test".to_owned(),
        ],
    }
}

fn client(config: &EmailConfig) -> EmailClient {
    let options = SmtpOptions {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(10),
    };
    EmailClient::new(config, &options, shared(&clock())).unwrap()
}

#[tokio::test]
async fn email_silent_server_times_out_and_is_retried() {
    // Accepts connections but never sends the greeting.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let options = SmtpOptions {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_millis(500),
    };
    let client =
        EmailClient::new(&config(port, SmtpTls::None), &options, shared(&clock())).unwrap();
    let outcome = bounded(client.deliver(&notification(), "d")).await;
    assert!(
        matches!(outcome, DeliveryOutcome::Retry { .. }),
        "{outcome:?}"
    );
    holder.abort();
}

#[tokio::test]
async fn email_arrives_as_plain_and_escaped_html_alternatives() {
    let server = SmtpServer::start(SmtpScript::default()).await;
    let outcome =
        bounded(client(&config(server.port, SmtpTls::None)).deliver(&notification(), "01HFMAIL"))
            .await;
    assert_eq!(outcome, DeliveryOutcome::Delivered { status: 250 });

    let sessions = server.sessions();
    let session = sessions.iter().find(|s| s.data.is_some()).unwrap();
    assert_eq!(
        session.mail_from.as_deref(),
        Some("MAIL FROM:<alerts@sentinel.test>")
    );
    assert_eq!(
        session.rcpt_to,
        [
            "RCPT TO:<oncall@example.test>",
            "RCPT TO:<lead@example.test>"
        ]
    );
    let mail = ReceivedMail::parse(session.data.as_deref().unwrap());

    let subject = mail.header("subject").unwrap();
    assert_eq!(
        subject,
        "[Sentinel] [CRITICAL] TypeError: <script>alert(\"x\")</script> & 'friends' in checkout"
    );
    let to = mail.header("to").unwrap();
    assert!(
        to.contains("oncall@example.test") && to.contains("lead@example.test"),
        "{to}"
    );
    assert!(mail
        .header("from")
        .unwrap()
        .contains("alerts@sentinel.test"));
    assert_eq!(
        mail.header("message-id").unwrap(),
        "<01HFMAIL@sentinel.test>"
    );
    assert_eq!(
        mail.header("date").unwrap(),
        "Tue, 14 Nov 2023 22:13:20 +0000"
    );
    assert_eq!(mail.parts.len(), 2);

    let plain = mail.part("text/plain");
    assert!(
        plain.contains("TypeError: <script>alert(\"x\")</script> & 'friends'"),
        "{plain}"
    );
    assert!(plain.contains("Service: checkout"));
    assert!(plain.contains("release: 1.4.2"));
    assert!(plain.contains(&format!("View in Sentinel: {LINK}")));

    let html = mail.part("text/html");
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains(
            "TypeError: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;"
        ),
        "{html}"
    );
    assert!(html.contains("reading &#39;id&#39;"));
    assert!(html.contains(&format!("<a href=\"{LINK}\">")));
    assert!(html.contains("<td>unhandled_exception</td>"));
}

#[tokio::test]
async fn email_trigger_and_resolve_share_a_thread_but_not_a_message_id() {
    let server = SmtpServer::start(SmtpScript::default()).await;
    let client = client(&config(server.port, SmtpTls::None));
    let trigger = notification();
    let mut resolve = notification();
    resolve.kind = sentinel_integrations::NotificationKind::Resolve;
    assert!(bounded(client.deliver(&trigger, "01HFA"))
        .await
        .is_delivered());
    assert!(bounded(client.deliver(&resolve, "01HFB"))
        .await
        .is_delivered());

    let mails: Vec<ReceivedMail> = server
        .sessions()
        .iter()
        .filter_map(|s| s.data.as_deref().map(ReceivedMail::parse))
        .collect();
    assert_eq!(mails.len(), 2);
    assert_ne!(mails[0].header("message-id"), mails[1].header("message-id"));
    assert_eq!(mails[0].header("references"), mails[1].header("references"));
    assert!(mails[1]
        .header("subject")
        .unwrap()
        .starts_with("[Sentinel] [RESOLVED] "));
}

#[tokio::test]
async fn email_smtp_replies_are_classified() {
    for (rcpt_reply, data_reply, permanent) in [
        ("550 5.1.1 No such user", "250 2.0.0 Ok", true),
        ("451 4.3.0 Try again later", "250 2.0.0 Ok", false),
        ("250 2.1.5 Ok", "552 5.3.4 Message too big", true),
        ("250 2.1.5 Ok", "421 4.7.0 Closing", false),
    ] {
        let server = SmtpServer::start(SmtpScript {
            rcpt_reply,
            data_reply,
            ..SmtpScript::default()
        })
        .await;
        let outcome =
            bounded(client(&config(server.port, SmtpTls::None)).deliver(&notification(), "d"))
                .await;
        match (&outcome, permanent) {
            (DeliveryOutcome::Permanent { reason }, true)
            | (DeliveryOutcome::Retry { reason, .. }, false) => {
                let code = if rcpt_reply.starts_with('2') {
                    data_reply
                } else {
                    rcpt_reply
                };
                assert!(reason.contains(&code[..3]), "{reason} lacks {code}");
            }
            _ => panic!("RCPT {rcpt_reply} / DATA {data_reply}: unexpected {outcome:?}"),
        }
    }
}

#[tokio::test]
async fn email_connection_refused_is_retried() {
    let port = closed_port().await;
    let outcome = bounded(client(&config(port, SmtpTls::None)).deliver(&notification(), "d")).await;
    assert!(
        matches!(outcome, DeliveryOutcome::Retry { .. }),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn email_required_tls_never_sends_in_plain_text() {
    // The server does not offer STARTTLS.
    let server = SmtpServer::start(SmtpScript::default()).await;
    let outcome =
        bounded(client(&config(server.port, SmtpTls::Required)).deliver(&notification(), "d"))
            .await;
    assert!(
        matches!(outcome, DeliveryOutcome::Retry { .. }),
        "{outcome:?}"
    );
    let sessions = server.sessions();
    assert!(!sessions.is_empty(), "the client connected");
    for session in sessions {
        assert!(session.mail_from.is_none(), "{session:?}");
        assert!(session.data.is_none(), "{session:?}");
    }
}

#[tokio::test]
async fn email_opportunistic_starttls_falls_back_and_logs_in() {
    let server = SmtpServer::start(SmtpScript {
        advertise_auth: true,
        ..SmtpScript::default()
    })
    .await;
    let mut config = config(server.port, SmtpTls::Starttls);
    config.credentials = Some(SmtpCredentials {
        username: "sentinel".to_owned(),
        password: SecretString::from("hunter2"),
    });
    let client = client(&config);
    assert!(!format!("{client:?}").contains("hunter2"));
    let outcome = bounded(client.deliver(&notification(), "d")).await;
    assert_eq!(outcome, DeliveryOutcome::Delivered { status: 250 });

    let session = server
        .sessions()
        .into_iter()
        .find(|s| s.data.is_some())
        .unwrap();
    let auth = session.auth.unwrap();
    let encoded = auth.strip_prefix("AUTH PLAIN ").unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    assert_eq!(decoded, b"\0sentinel\0hunter2");
}
