//! The `axum_two_step` example, driven over real HTTP on 127.0.0.1 with reqwest: the
//! example's own app code, a recording transport and a manual clock.

#[path = "common/web_app.rs"]
mod web_app;

#[cfg(feature = "redis")]
#[path = "common/redis_env.rs"]
mod redis_env;

use reqwest::header::{ACCEPT_LANGUAGE, HOST, SET_COOKIE};
use reqwest::{Client, Response, StatusCode, redirect};
use smsotp::policy::SpendCap;
use smsotp::transport::TransportErrorKind;
use smsotp::{Alphabet, Clock, CodeSpec};
use time::Duration;
use web_app::{DOMAIN, Running, start, start_with, wrong_code};

fn client(lang: &str) -> Client {
    // Plain HTTP only, but reqwest's rustls feature wants a provider installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(ACCEPT_LANGUAGE, lang.parse().expect("header value"));
    Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .expect("client")
}

/// A client that keeps no cookies and follows no redirects, to look at raw responses.
fn raw_client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .expect("client")
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("the page has a CSRF field") + marker.len();
    let end = html[start..].find('"').expect("closing quote") + start;
    html[start..end].to_owned()
}

async fn text(response: Response) -> (StatusCode, String, String) {
    let status = response.status();
    let path = response.url().path().to_owned();
    let body = response.text().await.expect("body");
    (status, path, body)
}

async fn get(client: &Client, url: &str) -> (StatusCode, String, String) {
    text(client.get(url).send().await.expect("GET")).await
}

async fn post(client: &Client, url: &str, form: &[(&str, &str)]) -> (StatusCode, String, String) {
    text(client.post(url).form(form).send().await.expect("POST")).await
}

/// Signs in as alice with her password; returns the code page.
async fn password_step(app: &Running, client: &Client) -> (StatusCode, String, String) {
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

async fn submit_code(
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

#[tokio::test]
async fn sign_in_with_one_wrong_code_then_the_right_one() {
    let app = start().await;
    let c = client("en-GB,en;q=0.9");

    let (status, path, page) = password_step(&app, &c).await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, "/verify"));
    assert!(
        page.contains(
            "We sent a code by text message to <strong class=\"nowrap\">+81 90-****-5678</strong>."
        ),
        "{page}"
    );
    assert!(page.contains("autocomplete=\"one-time-code\""));
    assert!(page.contains("inputmode=\"text\""));
    assert!(page.contains("autocapitalize=\"characters\""));
    assert!(page.contains("5 attempts left."));
    assert!(page.contains("The code expires in 5 minutes."));
    assert_eq!(app.sms.count(), 1);

    // The SMS is in English and ends with the origin-bound line for the configured domain.
    let code = app.last_code();
    let body = app.sms.messages()[0].body().expose().to_owned();
    assert!(
        body.starts_with(&format!("{code} is your Example code to sign in.")),
        "{body:?}"
    );
    assert!(body.ends_with(&format!("\n@{DOMAIN} #{code}")), "{body:?}");

    let (status, path, page) = submit_code(&app, &c, &page, &wrong_code(&code)).await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, "/verify"));
    assert!(
        page.contains("That code isn&#39;t right. You have 4 attempts left."),
        "{page}"
    );
    assert!(page.contains("4 attempts left."));

    // Typed sloppily: lower case, with a space.
    let sloppy = format!("{} {}", &code[..3], &code[3..]).to_lowercase();
    let (status, path, page) = submit_code(&app, &c, &page, &sloppy).await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, "/account"));
    assert!(page.contains("Welcome, alice."));
    assert!(page.contains("You signed in with a code sent by text message."));

    // Still signed in on the next visit; signed out after "Sign out".
    let (_, path, page) = get(&c, &format!("{}/", app.base)).await;
    assert_eq!(path, "/account");
    let csrf = csrf_of(&page);
    let (_, path, page) = post(&c, &format!("{}/sign-out", app.base), &[("csrf", &csrf)]).await;
    assert_eq!(path, "/");
    assert!(page.contains("You have signed out."));
    let (_, path, _) = get(&c, &format!("{}/account", app.base)).await;
    assert_eq!(path, "/");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer_and_no_sms() {
    let app = start().await;
    let c = client("en");
    let (_, _, home) = get(&c, &format!("{}/", app.base)).await;
    let csrf = csrf_of(&home);
    for (user, password) in [("alice", "wrong"), ("mallory", "correct-horse")] {
        let (status, path, page) = post(
            &c,
            &format!("{}/sign-in", app.base),
            &[("csrf", &csrf), ("username", user), ("password", password)],
        )
        .await;
        assert_eq!((status, path.as_str()), (StatusCode::OK, "/sign-in"));
        assert!(
            page.contains("That username and password don&#39;t match."),
            "{page}"
        );
    }
    assert_eq!(app.sms.count(), 0);
}

#[tokio::test]
async fn posts_without_the_sessions_csrf_token_are_refused() {
    let app = start().await;
    let c = client("en");

    // No token at all, a made-up one, and another session's token.
    let (_, _, home) = get(&c, &format!("{}/", app.base)).await;
    let other = client("en");
    let (_, _, other_home) = get(&other, &format!("{}/", app.base)).await;
    let foreign = csrf_of(&other_home);
    assert_ne!(foreign, csrf_of(&home));
    for token in [None, Some("AAAA"), Some(foreign.as_str())] {
        let mut form = vec![("username", "alice"), ("password", "correct-horse")];
        if let Some(t) = token {
            form.push(("csrf", t));
        }
        let (status, _, page) = post(&c, &format!("{}/sign-in", app.base), &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(page.contains("didn&#39;t come from this site"), "{page}");
    }
    assert_eq!(app.sms.count(), 0, "no refused form may send an SMS");

    // A cross-site POST arrives without the session cookie: refused too.
    let (status, _, _) = text(
        raw_client()
            .post(format!("{}/sign-in", app.base))
            .form(&[
                ("csrf", csrf_of(&home).as_str()),
                ("username", "alice"),
                ("password", "correct-horse"),
            ])
            .send()
            .await
            .expect("POST"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // On the code page, a check without the token costs no attempt.
    let (_, _, page) = password_step(&app, &c).await;
    let code = app.last_code();
    let (status, _, _) = post(&c, &format!("{}/verify", app.base), &[("code", &code)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post(&c, &format!("{}/resend", app.base), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.sms.count(), 1);
    let (_, _, page_now) = get(&c, &format!("{}/verify", app.base)).await;
    assert!(page_now.contains("5 attempts left."));

    // The token of the anonymous session dies at sign-in (session id renewed).
    assert_ne!(csrf_of(&home), csrf_of(&page));
    let (status, _, _) = submit_code(&app, &c, &home, &code).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, path, _) = submit_code(&app, &c, &page, &code).await;
    assert_eq!(path, "/account");
}

#[tokio::test]
async fn resend_waits_for_the_cooldown_and_earlier_codes_keep_working() {
    let app = start().await;
    let c = client("en");
    let (_, _, page) = password_step(&app, &c).await;
    let first = app.last_code();
    assert!(
        page.contains("id=\"resend\" data-wait=\"60\" disabled"),
        "{page}"
    );
    assert!(page.contains("You can ask for a new code in 60 seconds."));

    // The server refuses an early resend whatever the button said.
    let csrf = csrf_of(&page);
    let (status, _, page) = post(&c, &format!("{}/resend", app.base), &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        page.contains("Please wait 60 seconds before asking for a new code."),
        "{page}"
    );
    assert_eq!(app.sms.count(), 1);

    app.clock.advance(Duration::seconds(45));
    let (_, _, page) = get(&c, &format!("{}/verify", app.base)).await;
    assert!(
        page.contains("You can ask for a new code in 15 seconds."),
        "{page}"
    );

    app.clock.advance(Duration::seconds(15));
    let (_, _, page) = get(&c, &format!("{}/verify", app.base)).await;
    assert!(page.contains("id=\"resend\" data-wait=\"0\">"), "{page}");
    let (status, path, page) = post(&c, &format!("{}/resend", app.base), &[("csrf", &csrf)]).await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, "/verify"));
    assert!(
        page.contains("We sent a new code to +81 90-****-5678. Earlier codes still work."),
        "{page}"
    );
    assert!(page.contains("You can ask for a new code in 60 seconds."));
    assert_eq!(app.sms.count(), 2);
    assert_ne!(app.last_code(), first);

    // Three sends per challenge: after the third, the page says so.
    app.clock.advance(Duration::seconds(60));
    let (_, _, _) = post(&c, &format!("{}/resend", app.base), &[("csrf", &csrf)]).await;
    assert_eq!(app.sms.count(), 3);
    app.clock.advance(Duration::seconds(60));
    let (_, _, page) = get(&c, &format!("{}/verify", app.base)).await;
    assert!(
        page.contains("We have sent all the codes we can for this sign-in."),
        "{page}"
    );
    let (status, _, page) = post(&c, &format!("{}/resend", app.base), &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("We have already sent the most codes we can for this sign-in."));
    assert_eq!(app.sms.count(), 3);

    // The first SMS, delayed by the carrier, still signs in.
    let (_, path, _) = submit_code(&app, &c, &page, &first).await;
    assert_eq!(path, "/account");
}

#[tokio::test]
async fn five_wrong_codes_lock_the_sign_in() {
    let app = start().await;
    let c = client("en");
    let (_, _, mut page) = password_step(&app, &c).await;
    let code = app.last_code();
    let wrong = wrong_code(&code);
    for left in (1..=4).rev() {
        let (status, _, next) = submit_code(&app, &c, &page, &wrong).await;
        assert_eq!(status, StatusCode::OK);
        let attempts = if left == 1 {
            "1 attempt left.".to_owned()
        } else {
            format!("{left} attempts left.")
        };
        assert!(next.contains(&attempts), "{next}");
        page = next;
    }
    let (status, _, locked) = submit_code(&app, &c, &page, &wrong).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        locked.contains("<h1 id=\"title\">Too many wrong codes</h1>"),
        "{locked}"
    );
    assert!(locked.contains("href=\"/other-way\""));

    // Locked means locked: the right code, a reload and a resend all land here.
    let (status, _, again) = submit_code(&app, &c, &locked, &code).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(again.contains("Too many wrong codes"));
    let (_, _, again) = get(&c, &format!("{}/verify", app.base)).await;
    assert!(again.contains("Too many wrong codes"));
    app.clock.advance(Duration::seconds(61));
    let csrf = csrf_of(&locked);
    let (_, _, again) = post(&c, &format!("{}/resend", app.base), &[("csrf", &csrf)]).await;
    assert!(again.contains("Too many wrong codes"));
    assert_eq!(app.sms.count(), 1);

    // Starting over asks for the password again.
    let (_, path, page) = post(&c, &format!("{}/sign-out", app.base), &[("csrf", &csrf)]).await;
    assert_eq!(path, "/");
    assert!(page.contains("name=\"password\""));
}

#[tokio::test]
async fn malformed_and_expired_codes_are_explained() {
    let app = start().await;
    let c = client("en");
    let (_, _, page) = password_step(&app, &c).await;
    let (_, _, page) = submit_code(&app, &c, &page, "12").await;
    assert!(
        page.contains("A code is 6 letters and digits, like 7KQ4MP."),
        "{page}"
    );
    assert!(
        page.contains("5 attempts left."),
        "malformed input costs no attempt"
    );

    let code = app.last_code();
    app.clock
        .advance(Duration::minutes(5) + Duration::seconds(1));
    let (_, _, page) = submit_code(&app, &c, &page, &code).await;
    assert!(
        page.contains("This code has expired. Ask for a new one."),
        "{page}"
    );
    // A new code from the page's button works.
    let csrf = csrf_of(&page);
    let (_, path, page) = post(&c, &format!("{}/resend", app.base), &[("csrf", &csrf)]).await;
    assert_eq!(path, "/verify");
    assert!(page.contains("5 attempts left."));
    let (_, path, _) = submit_code(&app, &c, &page, &app.last_code()).await;
    assert_eq!(path, "/account");
}

#[tokio::test]
async fn authenticator_app_code_signs_in_once() {
    let app = start().await;
    let c = client("en");
    password_step(&app, &c).await;
    let (status, _, page) = get(&c, &format!("{}/other-way", app.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("inputmode=\"numeric\""));
    let csrf = csrf_of(&page);
    let url = format!("{}/other-way/totp", app.base);

    let (_, _, page) = post(&c, &url, &[("csrf", &csrf), ("code", "12ab")]).await;
    assert!(
        page.contains("Enter the 6 digits your authenticator app shows."),
        "{page}"
    );
    let now = app.clock.now();
    let right = app.alice().totp.generate(now).expect("code");
    let wrong = format!(
        "{:06}",
        (right.expose().parse::<u32>().expect("digits") + 1) % 1_000_000
    );
    let (_, _, page) = post(&c, &url, &[("csrf", &csrf), ("code", &wrong)]).await;
    assert!(page.contains("That code isn&#39;t right."), "{page}");

    let (_, path, page) = post(&c, &url, &[("csrf", &csrf), ("code", right.expose())]).await;
    assert_eq!(path, "/account");
    assert!(page.contains("You signed in with your authenticator app."));

    // The same code again, in a new sign-in: a replay, refused.
    let csrf = csrf_of(&page);
    post(&c, &format!("{}/sign-out", app.base), &[("csrf", &csrf)]).await;
    password_step(&app, &c).await;
    let (_, _, page) = get(&c, &format!("{}/other-way", app.base)).await;
    let csrf = csrf_of(&page);
    let (_, path, page) = post(&c, &url, &[("csrf", &csrf), ("code", right.expose())]).await;
    assert_eq!(path, "/other-way/totp");
    assert!(page.contains("That code isn&#39;t right."));
    app.clock.advance(Duration::seconds(30));
    let next = app.alice().totp.generate(app.clock.now()).expect("code");
    let (_, path, _) = post(&c, &url, &[("csrf", &csrf), ("code", next.expose())]).await;
    assert_eq!(path, "/account");
}

#[tokio::test]
async fn recovery_code_signs_in_once() {
    let app = start().await;
    let c = client("en");
    password_step(&app, &c).await;
    let (_, _, page) = get(&c, &format!("{}/other-way", app.base)).await;
    let csrf = csrf_of(&page);
    let url = format!("{}/other-way/recovery", app.base);

    let (_, _, page) = post(&c, &url, &[("csrf", &csrf), ("code", "0000")]).await;
    assert!(
        page.contains("A recovery code is 10 letters and digits"),
        "{page}"
    );
    let code = app.alice().recovery_codes[3].clone();
    let typed = code.to_lowercase().replace('-', " ");
    let (_, path, page) = post(&c, &url, &[("csrf", &csrf), ("code", &typed)]).await;
    assert_eq!(path, "/account");
    assert!(page.contains("You signed in with a recovery code."));
    assert!(page.contains("You have 9 recovery codes left."));

    let csrf = csrf_of(&page);
    post(&c, &format!("{}/sign-out", app.base), &[("csrf", &csrf)]).await;
    password_step(&app, &c).await;
    let (_, _, page) = get(&c, &format!("{}/other-way", app.base)).await;
    let csrf = csrf_of(&page);
    let (_, path, page) = post(&c, &url, &[("csrf", &csrf), ("code", &code)]).await;
    assert_eq!(path, "/other-way/recovery");
    assert!(page.contains("That recovery code isn&#39;t right, or it was already used."));
}

#[tokio::test]
async fn japanese_pages_and_sms_for_accept_language_ja() {
    let app = start().await;
    let c = client("ja,en-US;q=0.8");
    let (_, _, home) = get(&c, &format!("{}/", app.base)).await;
    assert!(home.contains("<html lang=\"ja\">"));
    assert!(home.contains("<h1 id=\"title\">ログイン</h1>"));
    let csrf = csrf_of(&home);
    let (_, _, page) = post(
        &c,
        &format!("{}/sign-in", app.base),
        &[("csrf", &csrf), ("username", "alice"), ("password", "nope")],
    )
    .await;
    assert!(page.contains("ユーザー名またはパスワードが正しくありません。"));

    let (_, _, page) = password_step(&app, &c).await;
    assert!(
        page.contains(
            "<strong class=\"nowrap\">+81 90-****-5678</strong> にSMSで確認コードを送信しました。"
        ),
        "{page}"
    );
    assert!(page.contains("あと5回入力できます。"));
    assert!(page.contains("60秒後にコードを再送信できます。"));
    let code = app.last_code();
    let body = app.sms.messages()[0].body().expose().to_owned();
    assert!(
        body.starts_with(&format!("【Example】ログイン用認証コード：{code}")),
        "{body}"
    );
    assert!(body.ends_with(&format!("@{DOMAIN} #{code}")));

    let (_, _, page) = submit_code(&app, &c, &page, &wrong_code(&code)).await;
    assert!(
        page.contains("コードが正しくありません。あと4回入力できます。"),
        "{page}"
    );
    let csrf = csrf_of(&page);
    let (_, _, page) = post(&c, &format!("{}/resend", app.base), &[("csrf", &csrf)]).await;
    assert!(
        page.contains("再送信できるまであと60秒お待ちください。"),
        "{page}"
    );
    // A full-width code from a Japanese IME is accepted.
    let wide: String = code
        .chars()
        .map(|ch| char::from_u32(ch as u32 + 0xFEE0).expect("full-width form"))
        .collect();
    let (_, path, page) = submit_code(&app, &c, &page, &wide).await;
    assert_eq!(path, "/account");
    assert!(page.contains("ようこそ、aliceさん。"));
}

#[tokio::test]
async fn language_follows_accept_language_weights() {
    let app = start().await;
    for (header, lang) in [
        ("fr-FR, en;q=0.5", "en"),
        ("en;q=0.5, ja;q=0.9", "ja"),
        ("ja-JP", "ja"),
        ("ja;q=0, en", "en"),
        ("de", "en"),
        ("ja;q=bogus", "en"),
    ] {
        let (_, _, page) = get(&client(header), &format!("{}/", app.base)).await;
        assert!(
            page.contains(&format!("<html lang=\"{lang}\">")),
            "{header} → {lang}"
        );
    }
}

#[tokio::test]
async fn cookies_are_signed_http_only_and_die_at_sign_out() {
    let app = start().await;
    let raw = raw_client();
    let response = raw.get(format!("{}/", app.base)).send().await.expect("GET");
    let set_cookie = response.headers()[SET_COOKIE]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(set_cookie.starts_with("session="), "{set_cookie}");
    assert!(set_cookie.contains("; HttpOnly") && set_cookie.contains("; SameSite=Lax"));
    assert!(!set_cookie.contains("Secure"));
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    let page = response.text().await.expect("body");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("nonce");
    assert!(page.contains(&format!("<style nonce=\"{nonce}\">")));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "nothing fetched from elsewhere"
    );

    // Sign in with a cookie-keeping client, then replay its signed-in cookie by hand.
    let c = client("en");
    let (_, _, page) = password_step(&app, &c).await;
    let (_, _, _) = submit_code(&app, &c, &page, &app.last_code()).await;
    let cookie = {
        let response = c
            .get(format!("{}/account", app.base))
            .send()
            .await
            .expect("GET");
        response.headers()[SET_COOKIE]
            .to_str()
            .expect("ascii")
            .split(';')
            .next()
            .expect("pair")
            .to_owned()
    };
    let replay = |cookie: String| {
        let raw = raw.clone();
        let url = format!("{}/account", app.base);
        async move {
            raw.get(url)
                .header("cookie", cookie)
                .send()
                .await
                .expect("GET")
                .status()
        }
    };
    assert_eq!(replay(cookie.clone()).await, StatusCode::OK);

    // One flipped character and the signature fails: treated as no session at all.
    let mut tampered = cookie.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    assert_eq!(
        replay(String::from_utf8(tampered).expect("ascii")).await,
        StatusCode::SEE_OTHER
    );

    let (_, _, page) = get(&c, &format!("{}/account", app.base)).await;
    post(
        &c,
        &format!("{}/sign-out", app.base),
        &[("csrf", &csrf_of(&page))],
    )
    .await;
    assert_eq!(
        replay(cookie).await,
        StatusCode::SEE_OTHER,
        "signed out everywhere"
    );

    // Behind HTTPS: Secure, and the __Host- prefix.
    let secure = start_with(|c| c.cookie_secure = true).await;
    let response = raw
        .get(format!("{}/", secure.base))
        .send()
        .await
        .expect("GET");
    let set_cookie = response.headers()[SET_COOKIE].to_str().expect("ascii");
    assert!(
        set_cookie.starts_with("__Host-session=") && set_cookie.contains("; Secure"),
        "{set_cookie}"
    );
}

#[tokio::test]
async fn origin_line_names_the_configured_domain_whatever_the_host_header() {
    let app = start().await;
    let c = client("en");
    let (_, _, home) = get(&c, &format!("{}/", app.base)).await;
    let csrf = csrf_of(&home);
    let response = c
        .post(format!("{}/sign-in", app.base))
        .header(HOST, "evil.example")
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "alice"),
            ("password", "correct-horse"),
        ])
        .send()
        .await
        .expect("POST");
    assert!(response.status().is_success(), "{}", response.status());
    let body = app.sms.messages()[0].body().expose().to_owned();
    assert!(
        body.ends_with(&format!("\n@{DOMAIN} #{}", app.last_code())),
        "{body:?}"
    );
    assert!(!body.contains("evil"));
}

#[tokio::test]
async fn a_digits_only_code_gets_the_numeric_keyboard() {
    let spec = CodeSpec::builder()
        .alphabet(Alphabet::digits())
        .length(8)
        .build()
        .expect("eight digits (no 0 or 1) are strong enough");
    let app = start_with(|c| c.code_spec = spec).await;
    let c = client("en");
    let (_, _, page) = password_step(&app, &c).await;
    assert!(page.contains("inputmode=\"numeric\""), "{page}");
    assert!(!page.contains("autocapitalize=\"characters\""));
    assert!(page.contains("8 digits."));
    let code = app.last_code();
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    let (_, path, _) = submit_code(&app, &c, &page, &code).await;
    assert_eq!(path, "/account");
}

#[tokio::test]
async fn failed_and_limited_sends_are_explained_and_can_be_retried() {
    let app = start_with(|c| c.tune = |b| b.destination_limit(1, Duration::minutes(10))).await;
    let c = client("en");

    // The provider is down: the password was right, so the page offers to try again.
    app.sms.fail_next(TransportErrorKind::Unavailable);
    let (status, _, page) = password_step(&app, &c).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(
        page.contains(
            "We couldn&#39;t send the text message. Try again in a moment, or use another way."
        ),
        "{page}"
    );
    assert!(
        !page.contains("id=\"code\""),
        "no code field without a code"
    );
    assert_eq!(app.sms.count(), 0);

    // The failed send used none of the number's one send per 10 minutes: the same
    // button sends a code at once.
    let csrf = csrf_of(&page);
    let (_, path, sent) = post(&c, &format!("{}/resend", app.base), &[("csrf", &csrf)]).await;
    assert_eq!(path, "/verify");
    assert!(sent.contains("5 attempts left."), "{sent}");
    assert_eq!(app.sms.count(), 1);

    // That send used the number's limit: another, after the cooldown, is refused with
    // the limit's message (its window opened with that send, a minute ago).
    app.clock.advance(Duration::seconds(61));
    let (status, _, page) = post(&c, &format!("{}/resend", app.base), &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        page.contains("Too many codes were requested. Try again in 9 minutes, or use another way."),
        "{page}"
    );
    assert_eq!(app.sms.count(), 1);

    // The code that did arrive still works.
    let (_, path, _) = submit_code(&app, &c, &sent, &app.last_code()).await;
    assert_eq!(path, "/account");
}

#[tokio::test]
async fn rate_limit_message_in_japanese() {
    let app = start_with(|c| c.tune = |b| b.destination_limit(1, Duration::minutes(10))).await;
    let c = client("ja");
    let (_, _, page) = password_step(&app, &c).await;
    // Start over and sign in again: the second SMS within 10 minutes is refused.
    post(
        &c,
        &format!("{}/sign-out", app.base),
        &[("csrf", &csrf_of(&page))],
    )
    .await;
    let (status, _, page) = password_step(&app, &c).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        page.contains("コードの送信依頼が多すぎます。10分後にもう一度お試しいただくか、別の方法をお使いください。"),
        "{page}"
    );
    assert_eq!(app.sms.count(), 1);
}

#[tokio::test]
async fn spend_cap_stops_sms_with_a_clear_message() {
    let app =
        start_with(|c| c.tune = |b| b.spend_cap(SpendCap::new(1, Duration::hours(1), 1))).await;
    let c = client("en");
    let (_, _, page) = password_step(&app, &c).await;
    assert_eq!(app.sms.count(), 1);
    app.clock.advance(Duration::seconds(60));
    let (status, _, page) = post(
        &c,
        &format!("{}/resend", app.base),
        &[("csrf", &csrf_of(&page))],
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        page.contains(
            "We can&#39;t send text messages right now. Try again later, or use another way."
        ),
        "{page}"
    );
    assert_eq!(app.sms.count(), 1);
    // The code already sent still works.
    let (_, path, _) = submit_code(&app, &c, &page, &app.last_code()).await;
    assert_eq!(path, "/account");
}

#[tokio::test]
async fn too_many_failures_pause_sms_until_another_way_succeeds() {
    let app = start_with(|c| c.tune = |b| b.subject_ceiling(3, Duration::hours(24))).await;
    let c = client("en");
    let (_, _, mut page) = password_step(&app, &c).await;
    let code = app.last_code();
    let wrong = wrong_code(&code);
    let paused = "Text codes are paused for this account";
    let mut tries = 0;
    while !page.contains(paused) {
        tries += 1;
        assert!(tries <= 4, "the ceiling of 3 never tripped: {page}");
        (_, _, page) = submit_code(&app, &c, &page, &wrong).await;
    }
    assert!(page.contains("Use your authenticator app or a recovery code instead."));
    // Not even the right code gets through now.
    let (status, _, page) = submit_code(&app, &c, &page, &code).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains(paused), "{page}");

    // The authenticator app gets in, and clears the count.
    let (_, _, other) = get(&c, &format!("{}/other-way", app.base)).await;
    let totp = app.alice().totp.generate(app.clock.now()).expect("code");
    let (_, path, page) = post(
        &c,
        &format!("{}/other-way/totp", app.base),
        &[("csrf", &csrf_of(&other)), ("code", totp.expose())],
    )
    .await;
    assert_eq!(path, "/account");
    post(
        &c,
        &format!("{}/sign-out", app.base),
        &[("csrf", &csrf_of(&page))],
    )
    .await;
    let (_, _, page) = password_step(&app, &c).await;
    let (_, path, _) = submit_code(&app, &c, &page, &app.last_code()).await;
    assert_eq!(path, "/account", "SMS codes work again");
}

/// The same flow with challenges in Redis (`REDIS_URL`, feature `redis`), as the
/// example runs with `REDIS_URL` set.
#[cfg(feature = "redis")]
#[tokio::test]
async fn the_flow_works_with_challenges_in_redis() {
    let Some(url) = redis_env::redis_url().await else {
        return;
    };
    let store = redis_env::store(&url).await;
    let app = start_with(move |c| c.store = std::sync::Arc::new(store)).await;
    let c = client("en");
    let (_, _, page) = password_step(&app, &c).await;
    let code = app.last_code();
    let (_, _, page) = submit_code(&app, &c, &page, &wrong_code(&code)).await;
    assert!(page.contains("You have 4 attempts left."), "{page}");
    let (status, _, page) = post(
        &c,
        &format!("{}/resend", app.base),
        &[("csrf", &csrf_of(&page))],
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("Please wait 60 seconds"), "{page}");
    let (_, path, page) = submit_code(&app, &c, &page, &code).await;
    assert_eq!(path, "/account");
    assert!(page.contains("Welcome, alice."));
}
