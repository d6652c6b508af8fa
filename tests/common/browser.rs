//! Headless Chromium driven through chromedriver (WebDriver), for browser tests.
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` a browser test prints why
//! and passes, except under `CI=true`, where missing browsers are a failure (CI
//! installs them).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Whether the browser test `test` can run; see the module docs.
///
/// # Panics
/// Under `CI=true` when Chromium or chromedriver is missing.
pub fn available(test: &str) -> bool {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: CI=true but {CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)"
    );
    // Straight to stderr, past the test harness's capture, so the skip is seen.
    let _ = std::io::Write::write_fmt(
        &mut std::io::stderr(),
        format_args!(
            "SKIPPED {test} (no browser): {CHROMIUM} or {CHROMEDRIVER} is not installed (apt-get install chromium chromium-driver)\n"
        ),
    );
    false
}

/// A chromedriver on a free local port with one headless Chromium session.
pub struct Browser {
    pub client: Client,
    driver: tokio::process::Child,
    profile: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

impl Browser {
    /// Starts chromedriver and a fresh headless Chromium with an empty profile.
    pub async fn launch() -> Self {
        Self::launch_in("en-US").await
    }

    /// [`launch`](Self::launch), with the browser asking for pages in `lang` (its
    /// `Accept-Language`), such as `"ja"`.
    pub async fn launch_in(lang: &str) -> Self {
        let port = free_port();
        let driver = tokio::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        // Ready when it accepts connections: 20 s at most.
        let mut ready = false;
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not listen on port {port}");

        let profile =
            std::env::temp_dir().join(format!("smsotp-chromium-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&profile).expect("profile directory");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--window-size=900,1000",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--lang={lang}"),
                ],
                "prefs": { "intl.accept_languages": lang },
            },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!("a JSON object literal")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session in headless Chromium");
        Self {
            client,
            driver,
            profile,
        }
    }

    /// Ends the session (Chromium exits), stops chromedriver and removes the profile.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Waits (10 s at most) until the element at `css` exists and its text contains
/// `needle`; returns that text.
///
/// # Panics
/// When it does not happen, showing the page's text.
pub async fn until_text(client: &Client, css: &str, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(element) = client.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
        {
            if text.contains(needle) {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = match client.find(Locator::Css("body")).await {
        Ok(body) => body.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    panic!("{css} never showed {needle:?}; last {last:?}; page: {page}");
}
