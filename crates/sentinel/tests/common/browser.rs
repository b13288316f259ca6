//! Headless Chromium over WebDriver for the dashboard's browser tests: the chromedriver
//! child process, a browser session with the flags this machine's closed network needs, and
//! waiting for an element. Tests skip (and pass) when `chromedriver` is not installed.

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The chromedriver child process, killed (by its own PID) when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn find_chromedriver() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromedriver"))
        .find(|candidate| candidate.is_file())
}

pub fn start_driver(binary: &Path) -> Driver {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not start listening"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    driver
}

/// A headless Chromium session with a fresh profile (kept alive by the returned directory).
pub async fn open_browser(driver: &Driver) -> (Client, tempfile::TempDir) {
    let profile = tempfile::tempdir().unwrap();
    let mut chrome_options = serde_json::json!({
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            format!("--user-data-dir={}", profile.path().display()),
        ]
    });
    if Path::new("/usr/bin/chromium").is_file() {
        chrome_options["binary"] = "/usr/bin/chromium".into();
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".into(), chrome_options);
    let browser = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session");
    browser.set_window_size(1280, 1400).await.unwrap();
    (browser, profile)
}

/// Where screenshots go: target/test-artifacts.
pub fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("test-artifacts")
}

/// Logs in through the dashboard's form, starting from `path` (which the login returns to).
pub async fn log_in(browser: &Client, base: &str, path: &str, email: &str, password: &str) {
    browser.goto(&format!("{base}{path}")).await.unwrap();
    browser
        .find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    browser
        .find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    browser
        .find(Locator::Css("form.login button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The text of the element `css` on the page as it is now; empty while it is missing. A form
/// post replaces the page, so an element found on the old page can go stale before its text
/// is read: that too reads as empty, and the caller's loop asks again.
pub async fn text_now(browser: &Client, css: &str) -> String {
    match browser.find(Locator::Css(css)).await {
        Ok(element) => element.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

pub async fn wait_for(browser: &Client, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if browser.find(Locator::Css(css)).await.is_ok() {
            return;
        }
        assert!(Instant::now() < deadline, "{css} did not appear");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
