//! The `axum_two_step` example, driven over real HTTP on 127.0.0.1 with reqwest: the
//! example's own app code, a recording transport and a manual clock.

#[path = "common/web_app.rs"]
mod web_app;

#[path = "common/http.rs"]
mod http;
#[cfg(feature = "redis")]
#[path = "common/redis_env.rs"]
mod redis_env;

use http::{
    client, client_with_jar, csrf_of, fork, get, password_step, post, raw_client, submit_code,
};
use reqwest::header::{HOST, SET_COOKIE};
use reqwest::{Client, StatusCode};
use smsotp::policy::SpendCap;
use smsotp::transport::TransportErrorKind;
use smsotp::{Alphabet, Clock, CodeSpec};
use time::Duration;
use web_app::{DOMAIN, Running, start, start_with, wrong_code};

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
    let mut answers = Vec::new();
    // Five letters each, so the name typed back takes the same room on both pages.
    for (user, password) in [("alice", "wrong"), ("mallo", "correct-horse")] {
        let (status, path, page) = post(
            &c,
            &format!("{}/sign-in", app.base),
            &[("csrf", &csrf), ("username", user), ("password", password)],
        )
        .await;
        assert_eq!((status, path.as_str()), (StatusCode::OK, "/"));
        assert!(
            page.contains("That username and password don&#39;t match."),
            "{page}"
        );
        // The page, but for the name typed back and this response's CSP nonce.
        let nonce = page
            .split("nonce=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a nonce")
            .to_owned();
        answers.push(
            page.replace(&format!("value=\"{user}\""), "value=\"NAME\"")
                .replace(&nonce, "NONCE"),
        );
    }
    assert_eq!(answers[0], answers[1], "the same page, byte for byte");
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

    // A cross-site POST arrives without the session cookie: refused too, like every
    // form is answered (back to the form's page); and as it came without a session
    // cookie it gets none either, so another site cannot replace the person's session
    // (signing them out).
    let response = raw_client()
        .post(format!("{}/sign-in", app.base))
        .form(&[
            ("csrf", csrf_of(&home).as_str()),
            ("username", "alice"),
            ("password", "correct-horse"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[reqwest::header::LOCATION], "/");
    assert!(
        response.headers().get(SET_COOKIE).is_none(),
        "a cookie-less POST sets no cookie"
    );
    assert_eq!(app.sms.count(), 0);

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
        page.contains("This code has expired. Use &quot;Send a code&quot; below to get a new one."),
        "{page}"
    );
    // A new code from the page's button works; it is a new challenge, so the page
    // does not claim that earlier codes still work.
    let csrf = csrf_of(&page);
    let (_, path, page) = post(&c, &format!("{}/resend", app.base), &[("csrf", &csrf)]).await;
    assert_eq!(path, "/verify");
    assert!(page.contains("5 attempts left."));
    assert!(!page.contains("Earlier codes still work"), "{page}");
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
    assert_eq!(path, "/other-way");
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
    assert_eq!(path, "/other-way");
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
            "<strong class=\"nowrap\">+81 90-****-5678</strong> にSMSで認証コードを送信しました。"
        ),
        "{page}"
    );
    assert!(page.contains("あと5回入力できます。"));
    assert!(page.contains("60秒後に認証コードを再送信できます。"));
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
    let choice = response.text().await.expect("the choice page");
    let response = c
        .post(format!("{}/choose", app.base))
        .header(HOST, "evil.example")
        .form(&[("csrf", csrf_of(&choice).as_str()), ("method", "sms")])
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
    // Eight symbols appear twice in the SMS (text and origin line): the Japanese
    // message fits one segment only with a short domain, and the app would refuse to
    // build otherwise (see the next test).
    let app = start_with(|c| {
        c.code_spec = spec;
        c.domain = "ex.test".into();
    })
    .await;
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

#[test]
fn an_sms_that_would_take_two_segments_is_refused_at_start_up() {
    let mut config = web_app::app::Config::new("signin.example.test");
    config.code_spec = CodeSpec::builder()
        .alphabet(Alphabet::digits())
        .length(8)
        .build()
        .expect("eight digits");
    match web_app::app::app(config) {
        Err(web_app::app::AppError::Config(smsotp::ConfigError::MessageTooLong {
            capacity: 70,
            over,
            ..
        })) => assert_eq!(over, 11),
        Err(other) => panic!("expected MessageTooLong, got {other}"),
        Ok(_) => panic!("a two-segment Japanese SMS was accepted"),
    }
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
async fn too_many_failures_pause_every_door_of_the_account() {
    let app = start_with(|c| c.tune = |b| b.subject_ceiling(3, Duration::hours(24))).await;
    let c = client("en");
    let (_, _, mut page) = password_step(&app, &c).await;
    let code = app.last_code();
    let wrong = wrong_code(&code);
    let paused = "Sign-in is paused for this account";
    let mut tries = 0;
    while !page.contains(paused) {
        tries += 1;
        assert!(tries <= 4, "the ceiling of 3 never tripped: {page}");
        (_, _, page) = submit_code(&app, &c, &page, &wrong).await;
    }
    // Not even the right code gets through now.
    let (status, _, page) = submit_code(&app, &c, &page, &code).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains(paused), "{page}");

    // Every door shares the ceiling: the authenticator app is refused too, unevaluated.
    let (_, _, other) = get(&c, &format!("{}/other-way", app.base)).await;
    let totp = app.alice().totp.generate(app.clock.now()).expect("code");
    let (status, path, _) = post(
        &c,
        &format!("{}/other-way/totp", app.base),
        &[("csrf", &csrf_of(&other)), ("code", totp.expose())],
    )
    .await;
    assert_eq!(path, "/other-way");
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // A day after the last failure the count is forgotten, and SMS codes work again.
    app.clock
        .advance(Duration::hours(24) + Duration::minutes(1));
    let c = client("en");
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

// ---- delivery of the latest SMS, and what to check ---------------------------------

#[tokio::test]
async fn the_code_page_says_what_to_check_when_no_delivery_is_confirmed() {
    let app = start().await;
    let c = client("en");
    let (_, _, page) = password_step(&app, &c).await;
    assert!(page.contains("data-state=\"sending\""), "{page}");
    assert!(page.contains("Text message: sending…"));
    // The panel is on the page for the script to reveal, hidden for now.
    assert!(page.contains("id=\"delivery-help\" hidden"), "{page}");
    // Without JavaScript, a link reloads the state.
    assert!(page.contains("<a href=\"/verify\" id=\"check-again\">Check again</a>"));
    let (status, _, json) = get(&c, &format!("{}/verify/delivery", app.base)).await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(json["state"], "sending");
    assert_eq!(json["help"], false);

    // A minute and a half with no confirmed delivery: what to check.
    app.clock.advance(Duration::seconds(91));
    let (_, _, page) = get(&c, &format!("{}/verify", app.base)).await;
    assert!(page.contains("id=\"delivery-help\">"), "{page}");
    assert!(
        page.contains("The text message hasn&#39;t arrived yet"),
        "{page}"
    );
    for needle in [
        "blocking text messages from unknown or overseas senders",
        "Your phone needs signal",
        "A data-only SIM cannot receive text messages.",
        "We sent it to +81 90-****-5678. If that isn&#39;t your number, sign in another way and change it.",
        "Send again by another route",
        "Use your authenticator app or a recovery code",
    ] {
        assert!(page.contains(needle), "{needle}: {page}");
    }
    let (_, _, json) = get(&c, &format!("{}/verify/delivery", app.base)).await;
    let json: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(json["help"], true);
    assert_eq!(json["help_title"], "The text message hasn't arrived yet");

    // In Japanese.
    let app = start().await;
    let c = client("ja");
    password_step(&app, &c).await;
    app.clock.advance(Duration::seconds(91));
    let (_, _, page) = get(&c, &format!("{}/verify", app.base)).await;
    for needle in [
        "SMSの状態：送信中…",
        "SMSがまだ届いていません",
        "海外や不明な送信元からのSMSを拒否する設定",
        "電波の届く場所で",
        "データ通信専用SIMではSMSを受信できません。",
        "送信先は +81 90-****-5678 です。",
        "別の経路で再送信する",
        "認証アプリまたはリカバリーコードを使う",
    ] {
        assert!(page.contains(needle), "{needle}: {page}");
    }
}

#[cfg(feature = "webhook")]
#[tokio::test]
async fn a_signed_delivery_report_changes_the_code_page() {
    use web_app::post_report;
    let app = start().await;
    let c = client("en");
    password_step(&app, &c).await;

    // A forged report is refused and changes nothing.
    assert_eq!(post_report(&app, "failed", Some([7; 32])).await, 403);
    let (_, _, page) = get(&c, &format!("{}/verify", app.base)).await;
    assert!(page.contains("data-state=\"sending\""), "{page}");

    // The provider reports the SMS undelivered: the page says so at once.
    assert_eq!(post_report(&app, "failed", None).await, 204);
    let (_, _, page) = get(&c, &format!("{}/verify", app.base)).await;
    assert!(page.contains("data-state=\"failed\""), "{page}");
    assert!(page.contains("Text message: not delivered."));
    assert!(page.contains("The text message could not be delivered"));
    assert!(page.contains("id=\"resend-other-route\""));
    let (_, _, json) = get(&c, &format!("{}/verify/delivery", app.base)).await;
    let json: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(json["state"], "failed");
    assert_eq!(json["text"], "Text message: not delivered.");

    // "Send again by another route": the new SMS is sending; the failure was about
    // the earlier one.
    app.clock.advance(Duration::seconds(60));
    let csrf = csrf_of(&page);
    let (_, path, page) = post(&c, &format!("{}/resend", app.base), &[("csrf", &csrf)]).await;
    assert_eq!(path, "/verify");
    assert_eq!(app.sms.count(), 2);
    assert!(page.contains("data-state=\"sending\""), "{page}");
    assert_eq!(post_report(&app, "delivered", None).await, 204);
    let (_, _, page) = get(&c, &format!("{}/verify", app.base)).await;
    assert!(
        page.contains("Text message: delivered to the phone."),
        "{page}"
    );
    assert!(page.contains("id=\"delivery-help\" hidden"));

    // Japanese.
    let app = start().await;
    let c = client("ja");
    password_step(&app, &c).await;
    assert_eq!(post_report(&app, "failed", None).await, 204);
    let (_, _, page) = get(&c, &format!("{}/verify", app.base)).await;
    assert!(page.contains("SMSの状態：届きませんでした。"), "{page}");
    assert!(page.contains("SMSを配信できませんでした"));
}

// ---- adding or changing the phone number -------------------------------------------

async fn signed_in(app: &Running, c: &Client) {
    let (_, _, page) = password_step(app, c).await;
    let (_, path, _) = submit_code(app, c, &page, &app.last_code()).await;
    assert_eq!(path, "/account");
}

#[tokio::test]
async fn change_the_phone_number_end_to_end() {
    let app = start().await;
    let c = client("en");
    signed_in(&app, &c).await;
    let (_, _, account) = get(&c, &format!("{}/account", app.base)).await;
    assert!(account.contains("href=\"/phone\" id=\"change-phone\""));
    let (status, _, page) = get(&c, &format!("{}/phone", app.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Codes are sent by text message to +81 90-****-5678."));

    // Numbers that cannot receive SMS, each with its reason.
    for (typed, reason) in [
        ("050-1234-5678", "050 numbers are IP phone numbers"),
        ("03-1234-5678", "That is a landline number"),
        ("020-1234-5678", "020 numbers are for machines (M2M)"),
        ("0120-123-456", "Toll-free, premium and shared-cost numbers"),
        ("090-12", "That doesn&#39;t look like a phone number."),
        (
            "+44 7700 900123",
            "we can only add Japanese mobile numbers (+81)",
        ),
        (
            "090 1234 5678",
            "That is already the number on your account.",
        ),
    ] {
        let csrf = csrf_of(&page);
        let (status, _, refused) = post(
            &c,
            &format!("{}/phone", app.base),
            &[("csrf", &csrf), ("phone", typed)],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        assert!(refused.contains(reason), "{typed}: {refused}");
    }
    assert_eq!(app.sms.count(), 1, "no SMS to a refused number");

    // A good number is shown back normalised and masked.
    let csrf = csrf_of(&page);
    let (_, _, confirm) = post(
        &c,
        &format!("{}/phone", app.base),
        &[("csrf", &csrf), ("phone", "０８０ー２３４５ー６７８９")],
    )
    .await;
    assert!(
        confirm.contains(
            "Is this <strong class=\"nowrap\" id=\"new-number\">+81 80-****-6789</strong>?"
        ),
        "{confirm}"
    );
    let csrf = csrf_of(&confirm);
    let (_, path, code_page) = post(
        &c,
        &format!("{}/phone/confirm", app.base),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(path, "/phone/verify");
    assert!(code_page.contains("+81 80-****-6789"));
    let new = smsotp::PhoneNumber::parse_e164("+818023456789").expect("E.164");
    let sent = app.sms.messages().last().expect("an SMS").clone();
    assert_eq!(sent.to(), &new);
    assert!(
        sent.body().expose().contains("code to confirm your number"),
        "{}",
        sent.body().expose()
    );
    assert_eq!(sent.segments(), 1);

    // The sign-in code does not confirm the number (another purpose); a wrong code is
    // told; the right one replaces the number.
    let sign_in_code = app.last_code();
    let csrf = csrf_of(&code_page);
    let (_, _, page) = post(
        &c,
        &format!("{}/phone/verify", app.base),
        &[("csrf", &csrf), ("code", &sign_in_code)],
    )
    .await;
    assert!(page.contains("That code isn&#39;t right."), "{page}");
    let code = app.sms.last_code(&new).expect("a code to the new number");
    let csrf = csrf_of(&page);
    let (_, path, account) = post(
        &c,
        &format!("{}/phone/verify", app.base),
        &[("csrf", &csrf), ("code", &code)],
    )
    .await;
    assert_eq!(path, "/account");
    assert!(
        account.contains(
            "Your phone number is now +81 80-****-6789. We told your old number about the change."
        ),
        "{account}"
    );
    // The old number is told.
    let notice = app.sms.messages().last().expect("an SMS").clone();
    assert_eq!(notice.to(), &app.alice().phone);
    assert!(
        notice
            .body()
            .expose()
            .contains("the phone number on your account was changed to +81 80-****-6789"),
        "{}",
        notice.body().expose()
    );

    // The next sign-in sends its code to the new number.
    let csrf = csrf_of(&account);
    post(&c, &format!("{}/sign-out", app.base), &[("csrf", &csrf)]).await;
    let (_, _, page) = password_step(&app, &c).await;
    assert!(page.contains("+81 80-****-6789"), "{page}");
    assert_eq!(app.sms.messages().last().expect("an SMS").to(), &new);
}

#[tokio::test]
async fn change_the_phone_number_in_japanese() {
    let app = start().await;
    let c = client("ja");
    signed_in(&app, &c).await;
    let (_, _, page) = get(&c, &format!("{}/phone", app.base)).await;
    let csrf = csrf_of(&page);
    let (_, _, refused) = post(
        &c,
        &format!("{}/phone", app.base),
        &[("csrf", &csrf), ("phone", "050-1234-5678")],
    )
    .await;
    assert!(refused.contains("050で始まる番号はIP電話の番号のため、SMSを受信できません。"));
    let (_, _, confirm) = post(
        &c,
        &format!("{}/phone", app.base),
        &[("csrf", &csrf), ("phone", "080-2345-6789")],
    )
    .await;
    assert!(
        confirm.contains("+81 80-****-6789</strong> でよろしいですか？"),
        "{confirm}"
    );
    let csrf = csrf_of(&confirm);
    post(
        &c,
        &format!("{}/phone/confirm", app.base),
        &[("csrf", &csrf)],
    )
    .await;
    let sent = app.sms.messages().last().expect("an SMS").clone();
    assert!(
        sent.body()
            .expose()
            .starts_with("【Example】番号確認用認証コード："),
        "{}",
        sent.body().expose()
    );
    assert_eq!(sent.segments(), 1);
}

/// Count before compare at the password door: 40 wrong passwords sent at once are
/// evaluated at most as many times as the limit (10); the rest are refused unevaluated.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_are_counted_before_they_are_compared() {
    let app = start().await;
    let (c, jar) = client_with_jar("en");
    let (_, _, home) = get(&c, &format!("{}/", app.base)).await;
    let csrf = csrf_of(&home);
    let url = format!("{}/sign-in", app.base);
    let (evaluated, refused) = race(40, |i| {
        let (c, url, csrf) = (fork(&jar, &app.base, "en"), url.clone(), csrf.clone());
        async move {
            let password = format!("wrong-password-{i}");
            let form = [
                ("csrf", csrf.as_str()),
                ("username", "alice"),
                ("password", &password),
            ];
            post(&c, &url, &form).await.0
        }
    })
    .await;
    assert!(
        evaluated <= 10,
        "{evaluated} wrong passwords were evaluated"
    );
    assert_eq!(evaluated + refused, 40);
}

/// Sends `n` requests at once and counts the answers: (evaluated 200s, refused 429s).
async fn race<F, Fut>(n: u32, request: F) -> (u32, u32)
where
    F: Fn(u32) -> Fut,
    Fut: std::future::Future<Output = StatusCode> + Send + 'static,
{
    let tries: Vec<_> = (0..n).map(|i| tokio::spawn(request(i))).collect();
    let (mut evaluated, mut refused) = (0, 0);
    for t in tries {
        match t.await.unwrap() {
            StatusCode::OK => evaluated += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    (evaluated, refused)
}

/// Signs in with the password, then sends `n` codes at once to the fallback door
/// `path`, each from its own tab of that session; counts the answers as [`race`] does.
async fn race_at_fallback_door(
    app: &Running,
    path: &str,
    n: u32,
    code: impl Fn(u32) -> String,
) -> (u32, u32) {
    let (c, jar) = client_with_jar("en");
    password_step(app, &c).await;
    let (_, _, page) = get(&c, &format!("{}/other-way", app.base)).await;
    let csrf = csrf_of(&page);
    let url = format!("{}{path}", app.base);
    race(n, |i| {
        let (c, url, csrf) = (fork(&jar, &app.base, "en"), url.clone(), csrf.clone());
        let code = code(i);
        async move { post(&c, &url, &[("csrf", &csrf), ("code", &code)]).await.0 }
    })
    .await
}

/// Count before compare at the recovery-code door too: 24 wrong codes sent at once
/// are evaluated (Argon2) at most as many times as the limit; the rest are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_recovery_codes_are_counted_before_they_are_compared() {
    let app = start().await;
    // Well-formed (10 symbols of the alphabet), and wrong.
    let (evaluated, refused) = race_at_fallback_door(&app, "/other-way/recovery", 24, |i| {
        format!("ZZZZZ{:05}", 22_222 + i)
            .replace('0', "2")
            .replace('1', "3")
    })
    .await;
    assert!(
        evaluated <= 10,
        "{evaluated} wrong recovery codes were evaluated"
    );
    assert_eq!(evaluated + refused, 24);
}

/// Count before compare at the authenticator door: 40 wrong codes sent at once are
/// evaluated at most as many times as the limit; the rest are refused (429).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_authenticator_codes_are_counted_before_they_are_compared() {
    let app = start().await;
    let right: u32 = app
        .alice()
        .totp
        .generate(app.clock.now())
        .expect("code")
        .expose()
        .parse()
        .expect("digits");
    // Well-formed, and never the code of this step or the ones beside it.
    let (evaluated, refused) = race_at_fallback_door(&app, "/other-way/totp", 40, |i| {
        format!("{:06}", (right + 500_000 + i) % 1_000_000)
    })
    .await;
    assert!(
        evaluated <= 10,
        "{evaluated} wrong authenticator codes were evaluated"
    );
    assert_eq!(evaluated + refused, 40);
}

/// The per-client limit's key: an IPv6 subscriber is one client across its /64 (not
/// 2^64 of them); IPv4, and IPv4 mapped into IPv6, by the address.
#[test]
fn clients_are_keyed_by_address_and_ipv6_by_its_64() {
    use web_app::app::client_key;
    let key = |s: &str| client_key(s.parse().unwrap());
    assert_eq!(
        key("2001:db8:1:2::1"),
        key("2001:db8:1:2:ffff:eeee:dddd:cccc")
    );
    assert_eq!(key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
    assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
    assert_eq!(key("203.0.113.7"), "203.0.113.7");
    assert_eq!(key("::ffff:203.0.113.7"), "203.0.113.7");
}

/// A form body larger than any form here is refused before it is read.
#[tokio::test]
async fn an_oversized_form_is_refused() {
    let app = start().await;
    let c = client("en");
    let (_, _, home) = get(&c, &format!("{}/", app.base)).await;
    let csrf = csrf_of(&home);
    let huge = "x".repeat(2 * 1024 * 1024);
    let (status, _, _) = post(
        &c,
        &format!("{}/sign-in", app.base),
        &[("csrf", &csrf), ("username", "alice"), ("password", &huge)],
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// A second step that locked stays locked for that sign-in: waiting for the locked
/// challenge to expire (or replaying an older cookie) never gives fresh attempts
/// without the password.
#[tokio::test]
async fn a_locked_second_step_needs_the_password_again() {
    let app = start().await;
    let c = client("en");
    let (_, _, mut page) = password_step(&app, &c).await;
    // The cookie as it was before any wrong code: an attacker's copy.
    let wrong = wrong_code(&app.last_code());
    for _ in 0..5 {
        let (_, _, next) = submit_code(&app, &c, &page, &wrong).await;
        page = next;
    }
    let sent = app.sms.count();
    // After the locked challenge is gone from the store (5 minutes to live, 5 kept),
    // while the second step's session (15 minutes) still holds.
    app.clock.advance(Duration::minutes(11));
    let (_, _, verify) = get(&c, &format!("{}/verify", app.base)).await;
    let csrf = csrf_of(&verify);
    let (_, _, page) = post(&c, &format!("{}/resend", app.base), &[("csrf", &csrf)]).await;
    assert_eq!(
        app.sms.count(),
        sent,
        "no new code without the password: {page}"
    );
    assert!(!page.contains("Earlier codes still work"), "{page}");
    let (_, _, page) = post(&c, &format!("{}/call", app.base), &[("csrf", &csrf)]).await;
    assert_eq!(app.sms.calls().len(), 0, "no call either: {page}");
    // The password opens a new challenge.
    let (_, path, _) = password_step(&app, &c).await;
    assert_eq!(path, "/verify");
    assert_eq!(app.sms.count(), sent + 1);
}

async fn wrong_sign_in(app: &Running, c: &Client, user: &str, from: Option<&str>) -> StatusCode {
    let (_, _, home) = get(c, &format!("{}/", app.base)).await;
    let csrf = csrf_of(&home);
    let mut request = c.post(format!("{}/sign-in", app.base)).form(&[
        ("csrf", csrf.as_str()),
        ("username", user),
        ("password", "not-the-password"),
    ]);
    if let Some(ip) = from {
        request = request.header("x-forwarded-for", ip);
    }
    request.send().await.expect("POST").status()
}

/// Alice's right password from an address no attacker used (behind the test's
/// trusted proxy header); the answer, redirects followed.
async fn owner_signs_in_from_elsewhere(app: &Running, owner: &Client) -> reqwest::Response {
    let (_, _, home) = get(owner, &format!("{}/", app.base)).await;
    owner
        .post(format!("{}/sign-in", app.base))
        .header("x-forwarded-for", "203.0.113.9")
        .form(&[
            ("csrf", csrf_of(&home).as_str()),
            ("username", "alice"),
            ("password", app.alice().password.as_str()),
        ])
        .send()
        .await
        .expect("POST")
}

/// The pause after wrong passwords names no account: a username that exists and one
/// that does not answer alike, attempt by attempt, over 20 attempts.
#[tokio::test]
async fn known_and_unknown_usernames_answer_alike() {
    let app = start().await;
    let (known, unknown) = (client("en"), client("en"));
    for attempt in 1..=20 {
        let a = wrong_sign_in(&app, &known, "alice", None).await;
        let b = wrong_sign_in(&app, &unknown, "nobody", None).await;
        assert_eq!(a, b, "attempt {attempt}");
    }
    assert_eq!(
        wrong_sign_in(&app, &known, "alice", None).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// An attacker elsewhere cannot lock the owner out: the pause is per client (here,
/// clients are told apart by a trusted proxy's header), and a header sent without a
/// configured proxy changes nothing.
#[tokio::test]
async fn wrong_passwords_elsewhere_do_not_lock_the_owner_out() {
    let app = start_with(|c| c.client_header = Some("x-forwarded-for".to_owned())).await;
    let attacker = client("en");
    for _ in 0..11 {
        wrong_sign_in(&app, &attacker, "alice", Some("198.51.100.7")).await;
    }
    assert_eq!(
        wrong_sign_in(&app, &attacker, "alice", Some("198.51.100.7")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    let owner = client("en");
    let response = owner_signs_in_from_elsewhere(&app, &owner).await;
    assert_eq!(response.url().path(), "/choose", "the owner signs in");

    // Without a configured proxy, the header is the client's own word: ignored.
    let app = start().await;
    let c = client("en");
    for _ in 0..11 {
        wrong_sign_in(&app, &c, "alice", Some("198.51.100.7")).await;
    }
    assert_eq!(
        wrong_sign_in(&app, &c, "alice", Some("203.0.113.9")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// Wrong passwords cannot pause the account's second factor: 110 of them from 11
/// addresses (past the account's ceiling of 100) leave the owner free to sign in,
/// authenticator app included. (The ceiling counts second-factor doors only, which
/// need the password first: counting wrong passwords would let anyone lock anyone out.)
#[tokio::test]
async fn wrong_passwords_from_many_addresses_do_not_lock_the_owner_out() {
    let app = start_with(|c| {
        c.client_header = Some("x-forwarded-for".to_owned());
        // The per-account slow-down is another test's; kept short here.
        c.password_delay_step = time::Duration::milliseconds(1);
    })
    .await;
    let attacker = client("en");
    for host in 0..11 {
        let ip = format!("198.51.100.{host}");
        for _ in 0..10 {
            wrong_sign_in(&app, &attacker, "alice", Some(&ip)).await;
        }
    }
    let owner = client("en");
    let response = owner_signs_in_from_elsewhere(&app, &owner).await;
    assert_eq!(response.url().path(), "/choose");
    let choice = response.text().await.expect("page");
    let (_, _, other) = post(
        &owner,
        &format!("{}/choose", app.base),
        &[("csrf", &csrf_of(&choice)), ("method", "app")],
    )
    .await;
    let code = app.alice().totp.generate(app.clock.now()).expect("code");
    let (_, path, page) = post(
        &owner,
        &format!("{}/other-way/totp", app.base),
        &[("csrf", &csrf_of(&other)), ("code", code.expose())],
    )
    .await;
    assert_eq!(path, "/account", "{page}");
}

/// The per-account part of the password throttle slows, never locks: past the free
/// failures for one username (from anywhere), each further attempt waits longer, for a
/// name that exists and one that does not alike, and the owner's right password still
/// gets through after the wait. (Lower bounds only: a loaded machine is slower, never
/// faster.)
#[tokio::test]
async fn guessing_one_account_from_many_addresses_is_slowed_not_locked() {
    let app = start_with(|c| {
        c.client_header = Some("x-forwarded-for".to_owned());
        c.password_delay_step = time::Duration::milliseconds(100);
    })
    .await;
    let attacker = client("en");
    for user in ["alice", "nobody"] {
        // Twenty free failures, each from its own address (no per-address pause).
        for i in 0..20 {
            let ip = format!("198.51.100.{i}");
            assert_eq!(
                wrong_sign_in(&app, &attacker, user, Some(&ip)).await,
                StatusCode::OK
            );
        }
        // Then the fifth failure past them waits half a second or more.
        for i in 20..24 {
            wrong_sign_in(&app, &attacker, user, Some(&format!("198.51.100.{i}"))).await;
        }
        // The slow-down is real time (the app sleeps), not the app's clock.
        #[allow(clippy::disallowed_methods)]
        let began = std::time::Instant::now();
        let status = wrong_sign_in(&app, &attacker, user, Some("198.51.100.99")).await;
        assert_eq!(status, StatusCode::OK, "{user}: slowed, not refused");
        assert!(
            began.elapsed() >= std::time::Duration::from_millis(500),
            "{user}: answered after {:?}",
            began.elapsed()
        );
    }
    // The owner, elsewhere, waits too, and gets in.
    let owner = client("en");
    let response = owner_signs_in_from_elsewhere(&app, &owner).await;
    assert_eq!(response.url().path(), "/choose");
}

/// Behind the trusted proxy, the client is the address the proxy itself appended (the
/// last one), not whatever a client put first in the header.
#[tokio::test]
async fn a_forged_first_forwarded_address_changes_nothing() {
    let app = start_with(|c| c.client_header = Some("x-forwarded-for".to_owned())).await;
    let attacker = client("en");
    for i in 0..11 {
        let forged = format!("10.0.{i}.1, 198.51.100.7");
        wrong_sign_in(&app, &attacker, "alice", Some(&forged)).await;
    }
    assert_eq!(
        wrong_sign_in(&app, &attacker, "alice", Some("10.9.9.9, 198.51.100.7")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// One client trying many usernames (credential stuffing) is paused across them all,
/// whichever exist; another client is not.
#[tokio::test]
async fn one_client_trying_many_usernames_is_paused() {
    let app = start_with(|c| c.client_header = Some("x-forwarded-for".to_owned())).await;
    let stuffer = client("en");
    for i in 0..30 {
        let status = wrong_sign_in(&app, &stuffer, &format!("user{i}"), Some("198.51.100.7")).await;
        assert_eq!(status, StatusCode::OK, "attempt {i}");
    }
    for user in ["someone-new", "alice"] {
        assert_eq!(
            wrong_sign_in(&app, &stuffer, user, Some("198.51.100.7")).await,
            StatusCode::TOO_MANY_REQUESTS,
            "{user}"
        );
    }
    let other = client("en");
    assert_eq!(
        wrong_sign_in(&app, &other, "someone-new", Some("203.0.113.9")).await,
        StatusCode::OK
    );
}

/// Inputs accept everything the server accepts: no `pattern` on the code fields (a
/// browser would refuse full-width digits before the server could fold them), and a
/// full-width authenticator code with a hyphen signs in.
#[tokio::test]
async fn full_width_codes_are_not_blocked_by_the_page() {
    let app = start().await;
    let c = client("ja");
    let (_, _, code_page) = password_step(&app, &c).await;
    assert!(!code_page.contains("pattern="), "{code_page}");
    let (_, _, page) = get(&c, &format!("{}/other-way", app.base)).await;
    assert!(!page.contains("pattern="), "{page}");
    let csrf = csrf_of(&page);
    let right = app.alice().totp.generate(app.clock.now()).expect("code");
    let full_width: String = right
        .expose()
        .chars()
        .enumerate()
        .flat_map(|(i, d)| {
            let wide = char::from_u32(u32::from(d) - u32::from('0') + 0xFF10).unwrap();
            if i == 3 {
                vec!['ー', wide]
            } else {
                vec![wide]
            }
        })
        .collect();
    let (_, path, _) = post(
        &c,
        &format!("{}/other-way/totp", app.base),
        &[("csrf", &csrf), ("code", &full_width)],
    )
    .await;
    assert_eq!(path, "/account", "typed as {full_width}");
}

/// GET on a POST-only address, and an oversized or unreadable form, get the site's
/// own page (with its security headers), not a bare status.
#[tokio::test]
async fn wrong_methods_and_bad_bodies_get_the_sites_pages() {
    let app = start().await;
    let c = client("ja");
    let response = c
        .get(format!("{}/sign-in", app.base))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(response.headers().contains_key("content-security-policy"));
    let page = response.text().await.expect("body");
    assert!(page.contains("このページは直接開けません"), "{page}");
    assert!(page.contains("href=\"/\""), "a way back: {page}");

    // To a form every visitor may post (the forms of later stages send a visitor who
    // is not at that stage to the start before reading anything).
    let response = c
        .post(format!("{}/sign-in", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 64 * 1024])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(response.text().await.expect("body").contains("<html"));

    let response = c
        .post(format!("{}/sign-in", app.base))
        .header("content-type", "text/plain")
        .body("csrf=x")
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(response.text().await.expect("body").contains("<html"));
}

/// One ceiling for the account across every door, kept in the library's store: the
/// authenticator door's own pause (10, then 15 minutes) no longer starts again from
/// zero forever; at most 100 failures in a row are evaluated, then even the right
/// code is refused without being compared.
#[tokio::test]
async fn fallback_failures_hit_the_accounts_ceiling() {
    let app = start().await;
    let c = client("en");
    let mut evaluated = 0;
    let mut paused = false;
    'cycles: for _ in 0..12 {
        password_step(&app, &c).await;
        let (_, _, page) = get(&c, &format!("{}/other-way", app.base)).await;
        let csrf = csrf_of(&page);
        let url = format!("{}/other-way/totp", app.base);
        for _ in 0..10 {
            let right = app.alice().totp.generate(app.clock.now()).expect("code");
            let wrong = format!(
                "{:06}",
                (right.expose().parse::<u32>().expect("digits") + 1) % 1_000_000
            );
            let (_, _, page) = post(&c, &url, &[("csrf", &csrf), ("code", &wrong)]).await;
            if page.contains("so sign-in is paused") {
                paused = true;
                break 'cycles;
            }
            if page.contains("That code isn&#39;t right.") {
                evaluated += 1;
            }
        }
        // Past the door's own 15-minute pause (and the second step's 15 minutes).
        app.clock.advance(Duration::minutes(16));
    }
    assert!(paused, "the ceiling was reached");
    assert!(evaluated <= 100, "{evaluated} wrong codes were evaluated");
    let right = app.alice().totp.generate(app.clock.now()).expect("code");
    let (_, _, page) = get(&c, &format!("{}/other-way", app.base)).await;
    let csrf = csrf_of(&page);
    let (_, path, page) = post(
        &c,
        &format!("{}/other-way/totp", app.base),
        &[("csrf", &csrf), ("code", right.expose())],
    )
    .await;
    assert_ne!(
        path, "/account",
        "the right code is refused unevaluated: {page}"
    );
}
