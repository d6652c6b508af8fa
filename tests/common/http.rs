//! An HTTP client's view of the `axum_two_step` example: cookies kept, forms posted
//! with the page's CSRF token, the person's steps (password, method, code).
#![allow(dead_code)] // each test file uses its own share of these

use reqwest::header::ACCEPT_LANGUAGE;
use reqwest::{Client, Response, StatusCode, redirect};

use super::web_app::Running;

/// A browser-like client: keeps cookies, follows redirects, asks for `lang`.
pub fn client(lang: &str) -> Client {
    builder(lang).build().expect("client")
}

/// Keeps cookies like [`client`] but follows no redirect, to see each form's own answer.
pub fn stepping_client(lang: &str) -> Client {
    builder(lang)
        .redirect(redirect::Policy::none())
        .build()
        .expect("client")
}

fn builder(lang: &str) -> reqwest::ClientBuilder {
    // Plain HTTP only, but reqwest's rustls feature wants a provider installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(ACCEPT_LANGUAGE, lang.parse().expect("header value"));
    Client::builder()
        .cookie_store(true)
        .default_headers(headers)
}

/// A client that keeps no cookies and follows no redirects, to look at raw responses.
pub fn raw_client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .expect("client")
}

pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("the page has a CSRF field") + marker.len();
    let end = html[start..].find('"').expect("closing quote") + start;
    html[start..end].to_owned()
}

/// Status, final path and body.
pub async fn text(response: Response) -> (StatusCode, String, String) {
    let status = response.status();
    let path = response.url().path().to_owned();
    let body = response.text().await.expect("body");
    (status, path, body)
}

pub async fn get(client: &Client, url: &str) -> (StatusCode, String, String) {
    text(client.get(url).send().await.expect("GET")).await
}

pub async fn post(
    client: &Client,
    url: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    text(client.post(url).form(form).send().await.expect("POST")).await
}

/// Alice's password on the sign-in page; returns the page it leads to (the choice
/// of method the first time, else the one she used last).
pub async fn password_only(app: &Running, client: &Client) -> (StatusCode, String, String) {
    let (_, _, home) = get(client, &format!("{}/", app.base)).await;
    let csrf = csrf_of(&home);
    post(
        client,
        &format!("{}/sign-in", app.base),
        &[
            ("csrf", &csrf),
            ("username", "alice"),
            ("password", &app.alice().password),
        ],
    )
    .await
}

/// Chooses `method` (`sms` or `app`) on the open choice page.
pub async fn choose(
    app: &Running,
    client: &Client,
    page: &str,
    method: &str,
) -> (StatusCode, String, String) {
    let csrf = csrf_of(page);
    post(
        client,
        &format!("{}/choose", app.base),
        &[("csrf", &csrf), ("method", method)],
    )
    .await
}

/// Signs in as alice with her password and, asked how she wants her code, picks a text
/// message; returns the code page.
pub async fn password_step(app: &Running, client: &Client) -> (StatusCode, String, String) {
    let answer = password_only(app, client).await;
    if answer.1 == "/choose" {
        return choose(app, client, &answer.2, "sms").await;
    }
    answer
}

pub async fn submit_code(
    app: &Running,
    client: &Client,
    page: &str,
    code: &str,
) -> (StatusCode, String, String) {
    let csrf = csrf_of(page);
    post(
        client,
        &format!("{}/verify", app.base),
        &[("csrf", &csrf), ("code", code)],
    )
    .await
}

/// A browser-like client and its cookie jar, so the session can be handed to
/// [`fork`]ed clients.
pub fn client_with_jar(lang: &str) -> (Client, std::sync::Arc<reqwest::cookie::Jar>) {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let client = builder(lang)
        .cookie_provider(jar.clone())
        .build()
        .expect("client");
    (client, jar)
}

/// Another tab of the same browser at the moment of forking: the same session cookie,
/// in a jar of its own, so that concurrent requests each see the page their own form
/// led to (a notice rides in the cookie from a form to the page after it).
pub fn fork(jar: &reqwest::cookie::Jar, base: &str, lang: &str) -> Client {
    use reqwest::cookie::CookieStore as _;
    let url: reqwest::Url = base.parse().expect("base URL");
    let own = std::sync::Arc::new(reqwest::cookie::Jar::default());
    if let Some(cookies) = jar.cookies(&url) {
        for pair in cookies.to_str().expect("ASCII cookies").split("; ") {
            own.add_cookie_str(pair, &url);
        }
    }
    builder(lang).cookie_provider(own).build().expect("client")
}
