//! The `axum_two_step` example's forms and what its pages say after them: every form
//! answers with a redirect to a page (Post/Redirect/Get), the person chooses how the
//! second factor comes before any SMS is sent, and the words are true and consistent
//! (the code's one name in Japanese, time left, the channel the code came by).

#[path = "common/http.rs"]
mod http;
#[path = "common/web_app.rs"]
mod web_app;

use http::{choose, client, csrf_of, get, password_only, password_step, post, stepping_client};
use reqwest::header::LOCATION;
use reqwest::{Client, StatusCode};
use smsotp::Clock;
use smsotp::recovery::RecoveryCodes;
use time::Duration;
use web_app::{Running, start, start_with, wrong_code};

/// Posts a form with a client that follows no redirect, and holds it to
/// Post/Redirect/Get: the answer is a 303 to a page of this site and carries no page
/// itself, so Back and Reload never post the form again. Returns where it led (the
/// path, query included) and that page as the browser then shows it.
async fn post_then_get(
    app: &Running,
    c: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> (String, StatusCode, String) {
    let response = c
        .post(format!("{}{path}", app.base))
        .form(form)
        .send()
        .await
        .expect("POST");
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.text().await.expect("body");
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "POST {path} answered {status} instead of a redirect: {body}"
    );
    let location = location.expect("a 303 says where to");
    assert!(location.starts_with('/'), "{location}");
    let (status, _, page) = get(c, &format!("{}{location}", app.base)).await;
    (location, status, page)
}

fn path_of(location: &str) -> &str {
    location.split('?').next().unwrap_or(location)
}

/// The authenticator app's code for now, and one that is wrong.
fn totp_codes(app: &Running) -> (String, String) {
    let right = app
        .alice()
        .totp
        .generate(app.clock.now())
        .expect("a TOTP code")
        .expose()
        .to_owned();
    let wrong = format!(
        "{:06}",
        (right.parse::<u32>().expect("digits") + 1) % 1_000_000
    );
    (right, wrong)
}

#[tokio::test]
async fn every_form_answers_with_a_redirect_to_a_page() {
    let app = start().await;
    let c = stepping_client("en");
    let (_, _, home) = get(&c, &format!("{}/", app.base)).await;

    // A wrong password: back to the sign-in page, which says so once and keeps the name.
    let csrf = csrf_of(&home);
    let wrong = [
        ("csrf", csrf.as_str()),
        ("username", "alice"),
        ("password", "not-it"),
    ];
    let (to, status, page) = post_then_get(&app, &c, "/sign-in", &wrong).await;
    assert_eq!((path_of(&to), status), ("/", StatusCode::OK));
    assert!(page.contains("don&#39;t match"), "{page}");
    assert!(page.contains("value=\"alice\""), "{page}");
    let (_, _, again) = get(&c, &format!("{}/", app.base)).await;
    assert!(
        !again.contains("don&#39;t match"),
        "a reload shows the page afresh"
    );

    // A form that did not come from this site: refused, by way of a page as well.
    let forged = [("csrf", "forged"), ("username", "alice"), ("password", "x")];
    let (_, status, page) = post_then_get(&app, &c, "/sign-in", &forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("didn&#39;t come from this site"), "{page}");

    // The right password leads to the choice of method, and the choice to the code page.
    let csrf = csrf_of(&page);
    let right = [
        ("csrf", csrf.as_str()),
        ("username", "alice"),
        ("password", app.alice().password.as_str()),
    ];
    let (to, _, page) = post_then_get(&app, &c, "/sign-in", &right).await;
    assert_eq!(path_of(&to), "/choose");
    let csrf = csrf_of(&page);
    let (to, _, page) =
        post_then_get(&app, &c, "/choose", &[("csrf", &csrf), ("method", "sms")]).await;
    assert_eq!(path_of(&to), "/verify");
    assert_eq!(app.sms.count(), 1);

    // The code page's forms: a wrong code, a malformed one, a resend and a call too soon.
    let csrf = csrf_of(&page);
    let bad = wrong_code(&app.last_code());
    let (to, _, page) =
        post_then_get(&app, &c, "/verify", &[("csrf", &csrf), ("code", &bad)]).await;
    assert_eq!(path_of(&to), "/verify");
    assert!(page.contains("You have 4 attempts left."), "{page}");
    let (_, _, page) = post_then_get(&app, &c, "/verify", &[("csrf", &csrf), ("code", "12")]).await;
    assert!(
        page.contains("this didn&#39;t count as an attempt"),
        "{page}"
    );
    for form in ["/resend", "/call"] {
        let (to, status, page) = post_then_get(&app, &c, form, &[("csrf", &csrf)]).await;
        assert_eq!(path_of(&to), "/verify");
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(page.contains("Please wait"), "{form}: {page}");
    }
    assert_eq!(app.sms.count(), 1);

    // The other way in: a wrong authenticator code, a malformed recovery code, then the
    // right authenticator code.
    let (wrong_totp, right_totp) = {
        let (right, wrong) = totp_codes(&app);
        (wrong, right)
    };
    let (to, _, page) = post_then_get(
        &app,
        &c,
        "/other-way/totp",
        &[("csrf", &csrf), ("code", &wrong_totp)],
    )
    .await;
    assert_eq!(path_of(&to), "/other-way");
    assert!(page.contains("Check the app"), "{page}");
    let (to, _, page) = post_then_get(
        &app,
        &c,
        "/other-way/recovery",
        &[("csrf", &csrf), ("code", "x")],
    )
    .await;
    assert_eq!(path_of(&to), "/other-way");
    assert!(page.contains("A recovery code is 10"), "{page}");
    let (to, _, page) = post_then_get(
        &app,
        &c,
        "/other-way/totp",
        &[("csrf", &csrf), ("code", &right_totp)],
    )
    .await;
    assert_eq!(path_of(&to), "/account");

    // Changing the number: a refused number (kept in the field), a good one, its
    // confirmation, a wrong code for it.
    let csrf = csrf_of(&page);
    let (to, status, page) = post_then_get(
        &app,
        &c,
        "/phone",
        &[("csrf", &csrf), ("phone", "050-1234-5678")],
    )
    .await;
    assert_eq!(
        (path_of(&to), status),
        ("/phone", StatusCode::UNPROCESSABLE_ENTITY)
    );
    assert!(page.contains("050 numbers are IP phone numbers"), "{page}");
    // Not typed back: a full number does not ride in the cookie to the next page.
    assert!(!page.contains("050-1234-5678"), "{page}");
    let (to, _, page) = post_then_get(
        &app,
        &c,
        "/phone",
        &[("csrf", &csrf), ("phone", "080-2345-6789")],
    )
    .await;
    assert_eq!(path_of(&to), "/phone/confirm");
    assert!(page.contains("+81 80-****-6789"), "{page}");
    let (to, _, _) = post_then_get(&app, &c, "/phone/confirm", &[("csrf", &csrf)]).await;
    assert_eq!(path_of(&to), "/phone/verify");
    let (to, _, page) = post_then_get(
        &app,
        &c,
        "/phone/verify",
        &[("csrf", &csrf), ("code", &wrong_code(&app.last_code()))],
    )
    .await;
    assert_eq!(path_of(&to), "/phone/verify");
    assert!(page.contains("That code isn&#39;t right"), "{page}");
    let (to, _, page) = post_then_get(&app, &c, "/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(path_of(&to), "/");
    assert!(page.contains("You have signed out."), "{page}");
}

async fn sign_in_with_the_app(app: &Running, c: &Client, page: &str) -> String {
    let (code, _) = totp_codes(app);
    let (_, path, page) = post(
        c,
        &format!("{}/other-way/totp", app.base),
        &[("csrf", &csrf_of(page)), ("code", &code)],
    )
    .await;
    assert_eq!(path, "/account", "{page}");
    page
}

async fn sign_out(app: &Running, c: &Client, page: &str) {
    post(
        c,
        &format!("{}/sign-out", app.base),
        &[("csrf", &csrf_of(page))],
    )
    .await;
}

/// The password alone sends no SMS: the person first says how the second factor
/// should come, and the next sign-in remembers it. Someone who uses the app can try the
/// demo again and again without a single SMS (so without hitting the number's limit).
#[tokio::test]
async fn the_second_factor_is_chosen_before_any_sms_and_remembered() {
    let app = start().await;
    let c = client("en");
    let (_, path, page) = password_only(&app, &c).await;
    assert_eq!(path, "/choose");
    assert_eq!(app.sms.count(), 0, "no SMS before the person chose one");
    assert!(page.contains("+81 90-****-5678"), "{page}");
    assert!(page.contains("Authenticator app"), "{page}");
    let (_, path, page) = choose(&app, &c, &page, "app").await;
    assert_eq!(path, "/other-way");
    let account = sign_in_with_the_app(&app, &c, &page).await;
    sign_out(&app, &c, &account).await;

    for _ in 0..6 {
        // A new TOTP step each time: a code is accepted once.
        app.clock.advance(Duration::seconds(30));
        let (_, path, page) = password_only(&app, &c).await;
        assert_eq!(path, "/other-way", "the app, as last time");
        let account = sign_in_with_the_app(&app, &c, &page).await;
        sign_out(&app, &c, &account).await;
    }
    assert_eq!(app.sms.count(), 0);

    // Changing one's mind: the choice page is a link away, and a text message chosen
    // there is what the next sign-in sends straight away.
    let (_, _, page) = password_only(&app, &c).await;
    assert!(page.contains("href=\"/choose\""), "{page}");
    let (_, _, choice) = get(&c, &format!("{}/choose", app.base)).await;
    let (_, path, page) = choose(&app, &c, &choice, "sms").await;
    assert_eq!(path, "/verify");
    assert_eq!(app.sms.count(), 1);
    let (_, path, account) = post(
        &c,
        &format!("{}/verify", app.base),
        &[("csrf", &csrf_of(&page)), ("code", &app.last_code())],
    )
    .await;
    assert_eq!(path, "/account");
    sign_out(&app, &c, &account).await;
    let (_, path, _) = password_only(&app, &c).await;
    assert_eq!(path, "/verify", "a text message, as last time");
    assert_eq!(app.sms.count(), 2);
}

/// Japanese pages about the SMS code call it 認証コード throughout (as the SMS does),
/// put no half-width space after a Japanese sentence, and tell the person how to get a
/// new code rather than asking them to send one.
#[tokio::test]
async fn japanese_pages_name_the_code_one_way_and_read_naturally() {
    fn check(page: &str, what: &str) {
        let rest = page
            .replace("認証コード", "")
            .replace("リカバリーコード", "");
        assert!(
            !rest.contains("コード"),
            "{what}: another word for the code: {page}"
        );
        for gap in ["。 ", "？ ", "！ ", "、 "] {
            assert!(!page.contains(gap), "{what}: {gap:?} in {page}");
        }
    }
    let app = start().await;
    let c = client("ja");
    let (_, _, page) = password_only(&app, &c).await;
    check(&page, "choice");
    let (_, _, page) = choose(&app, &c, &page, "sms").await;
    check(&page, "code page");
    let sms = app.sms.messages()[0].body().expose().to_owned();
    assert!(sms.contains("認証コード"), "{sms}");
    let csrf = csrf_of(&page);
    let verify = format!("{}/verify", app.base);
    let (_, _, page) = post(
        &c,
        &verify,
        &[("csrf", &csrf), ("code", &wrong_code(&app.last_code()))],
    )
    .await;
    check(&page, "wrong code");
    app.clock.advance(Duration::seconds(61));
    let (_, _, page) = get(&c, &verify).await;
    check(&page, "resend ready");
    app.clock.advance(Duration::minutes(5));
    let (_, _, page) = get(&c, &verify).await;
    check(&page, "expired");
    assert!(page.contains("有効期限が切れました"), "{page}");
    assert!(!page.contains("送信してください"), "{page}");

    // Locked after wrong codes: the page says the password is needed again.
    let (_, _, mut page) = password_step(&app, &c).await;
    let bad = wrong_code(&app.last_code());
    for _ in 0..5 {
        let (_, _, next) = post(&c, &verify, &[("csrf", &csrf_of(&page)), ("code", &bad)]).await;
        page = next;
    }
    check(&page, "locked");
    assert!(page.contains("パスワード"), "{page}");
}

/// Minutes in the SMS's "expires in" and on the page, read at the same moment.
fn minutes_said(text: &str, before: &str, after: &str) -> i64 {
    let start = text
        .find(before)
        .unwrap_or_else(|| panic!("{before:?} in {text}"))
        + before.len();
    let end = text[start..].find(after).expect("unit") + start;
    text[start..end].trim().parse().expect("minutes")
}

/// The SMS and the page round the time left the same way: a resend 90 seconds in
/// says the same number of minutes in both.
#[tokio::test]
async fn time_left_reads_the_same_in_the_sms_and_on_the_page() {
    for (lang, sms_words, page_words) in [
        (
            "en",
            ("expires in", " minute"),
            ("The code expires in", " minute"),
        ),
        ("ja", ("有効期限", "分"), ("有効期限は残り", "分")),
    ] {
        let app = start().await;
        let c = client(lang);
        let (_, _, page) = password_step(&app, &c).await;
        app.clock.advance(Duration::seconds(90));
        let (_, _, page) = post(
            &c,
            &format!("{}/resend", app.base),
            &[("csrf", &csrf_of(&page))],
        )
        .await;
        let sms = app
            .sms
            .messages()
            .last()
            .expect("a resend")
            .body()
            .expose()
            .to_owned();
        let in_sms = minutes_said(&sms, sms_words.0, sms_words.1);
        let on_page = minutes_said(&page, page_words.0, page_words.1);
        assert_eq!(in_sms, on_page, "{lang}: SMS {sms:?}, page {page}");
    }
}

/// After "call me", the code page speaks of the call, in both languages, and after a
/// reload too: the code did not come by text message.
#[tokio::test]
async fn after_a_call_the_code_page_speaks_of_the_call() {
    for (lang, by_sms, by_call) in [
        ("en", "text message", "We called"),
        ("ja", "SMSで認証コードを送信しました", "お電話"),
    ] {
        let app = start().await;
        let c = client(lang);
        let (_, _, page) = password_step(&app, &c).await;
        app.clock.advance(Duration::seconds(61));
        let (_, path, _) = post(
            &c,
            &format!("{}/call", app.base),
            &[("csrf", &csrf_of(&page))],
        )
        .await;
        assert_eq!(path, "/verify");
        assert_eq!(app.sms.calls().len(), 1);
        let (_, _, page) = get(&c, &format!("{}/verify", app.base)).await;
        let lead = page
            .split("<p class=\"lead\">")
            .nth(1)
            .and_then(|s| s.split("</p>").next())
            .expect("a lead");
        assert!(lead.contains(by_call), "{lang}: {lead}");
        assert!(!lead.contains(by_sms), "{lang}: {lead}");
        let label = page
            .split("<label for=\"code\">")
            .nth(1)
            .and_then(|s| s.split("</label>").next())
            .expect("a label");
        assert!(
            !label.contains("text message") && !label.contains("SMS"),
            "{lang}: {label}"
        );
    }
}

/// The last recovery codes come with a warning to make new ones, in both languages.
#[tokio::test]
async fn the_last_recovery_code_comes_with_a_warning_in_both_languages() {
    for (lang, left, warning) in [
        ("en", "1 recovery code left", "Make new ones"),
        ("ja", "残り1個", "新しいリカバリーコードを"),
    ] {
        let app = start_with(|c| c.recovery = RecoveryCodes::new().count(2)).await;
        let c = client(lang);
        let (_, _, page) = password_only(&app, &c).await;
        let (_, _, page) = choose(&app, &c, &page, "app").await;
        let (_, path, page) = post(
            &c,
            &format!("{}/other-way/recovery", app.base),
            &[
                ("csrf", &csrf_of(&page)),
                ("code", &app.alice().recovery_codes[0]),
            ],
        )
        .await;
        assert_eq!(path, "/account", "{page}");
        assert!(page.contains(left), "{lang}: {page}");
        assert!(page.contains(warning), "{lang}: {page}");
    }
}

/// A form refused for its CSRF token always leads to a page that says why, whatever
/// the page and stage: the fallback page, the number's confirmation, and "Sign out"
/// while signed in (which leads back to the account page, still signed in).
#[tokio::test]
async fn a_refused_form_always_says_why() {
    let app = start().await;
    let c = client("en");
    let why = "didn&#39;t come from this site";
    let (_, _, page) = password_only(&app, &c).await;
    let (_, path, page) = choose(&app, &c, &page, "app").await;
    assert_eq!(path, "/other-way");
    let (status, path, refused) = post(
        &c,
        &format!("{}/other-way/totp", app.base),
        &[("csrf", "forged"), ("code", "123456")],
    )
    .await;
    assert_eq!(
        (status, path.as_str()),
        (StatusCode::FORBIDDEN, "/other-way")
    );
    assert!(refused.contains(why), "{refused}");
    let account = sign_in_with_the_app(&app, &c, &page).await;

    let (_, _, phone) = get(&c, &format!("{}/phone", app.base)).await;
    let (_, path, confirm) = post(
        &c,
        &format!("{}/phone", app.base),
        &[("csrf", &csrf_of(&phone)), ("phone", "080-2345-6789")],
    )
    .await;
    assert_eq!(path, "/phone/confirm");
    let (status, path, refused) = post(
        &c,
        &format!("{}/phone/confirm", app.base),
        &[("csrf", "forged")],
    )
    .await;
    assert_eq!(
        (status, path.as_str()),
        (StatusCode::FORBIDDEN, "/phone/confirm")
    );
    assert!(refused.contains(why), "{refused}");
    assert!(confirm.contains("+81 80-****-6789"));

    let (status, path, refused) =
        post(&c, &format!("{}/sign-out", app.base), &[("csrf", "forged")]).await;
    assert_eq!((status, path.as_str()), (StatusCode::FORBIDDEN, "/account"));
    assert!(refused.contains(why), "{refused}");
    assert!(account.contains("Welcome, alice."));
}

/// Signed in with the code a call read out: the account page says so, and the next
/// sign-in does not send a text message unasked to someone whose SMS did not arrive.
#[tokio::test]
async fn a_sign_in_by_call_is_not_remembered_as_a_text_message() {
    let app = start().await;
    let c = client("en");
    let (_, _, page) = password_step(&app, &c).await;
    app.clock.advance(Duration::seconds(61));
    let (_, _, page) = post(
        &c,
        &format!("{}/call", app.base),
        &[("csrf", &csrf_of(&page))],
    )
    .await;
    let spoken = app
        .sms
        .last_spoken_code(&app.alice().phone)
        .expect("a call read the code");
    let (_, path, account) = post(
        &c,
        &format!("{}/verify", app.base),
        &[("csrf", &csrf_of(&page)), ("code", &spoken)],
    )
    .await;
    assert_eq!(path, "/account");
    assert!(account.contains("read out in a call"), "{account}");
    sign_out(&app, &c, &account).await;
    let sent = app.sms.count();
    let (_, path, _) = password_only(&app, &c).await;
    assert_eq!(path, "/choose", "asked again, not texted");
    assert_eq!(app.sms.count(), sent);
}

/// Changing the number in Japanese: the same one word for the code; a code locked by
/// wrong guesses says what to do on this page (type the number again), and a store
/// that is down answers 503 rather than blaming the input.
#[tokio::test]
async fn changing_the_number_speaks_plainly_when_the_code_locks() {
    let app = start().await;
    let c = client("ja");
    let (_, _, page) = password_only(&app, &c).await;
    let (_, _, page) = choose(&app, &c, &page, "app").await;
    let account = sign_in_with_the_app(&app, &c, &page).await;
    let _ = account;
    let (_, _, phone) = get(&c, &format!("{}/phone", app.base)).await;
    let (_, _, confirm) = post(
        &c,
        &format!("{}/phone", app.base),
        &[("csrf", &csrf_of(&phone)), ("phone", "080-2345-6789")],
    )
    .await;
    for page in [&phone, &confirm] {
        let rest = page.replace("認証コード", "");
        assert!(!rest.contains("コード"), "{page}");
    }
    let (_, _, mut page) = post(
        &c,
        &format!("{}/phone/confirm", app.base),
        &[("csrf", &csrf_of(&confirm))],
    )
    .await;
    let rest = page.replace("認証コード", "");
    assert!(!rest.contains("コード"), "{page}");
    let new = smsotp::PhoneNumber::parse_e164("+818023456789").expect("E.164");
    let bad = wrong_code(&app.sms.last_code(&new).expect("a code"));
    for _ in 0..5 {
        (_, _, page) = post(
            &c,
            &format!("{}/phone/verify", app.base),
            &[("csrf", &csrf_of(&page)), ("code", &bad)],
        )
        .await;
    }
    assert!(page.contains("電話番号をもう一度入力"), "{page}");
    assert!(!page.contains("最初からやり直す"), "{page}");
}

/// A flash never makes the session cookie too long to come back: a username of 64
/// characters that JSON escapes six bytes each still leaves the person's session (and
/// its sign-in page) intact.
#[tokio::test]
async fn a_long_typed_value_never_breaks_the_session() {
    let app = start().await;
    let c = client("en");
    let (_, _, home) = get(&c, &format!("{}/", app.base)).await;
    let csrf = csrf_of(&home);
    let name: String = std::iter::repeat_n('\u{1}', 64).collect();
    let (status, path, page) = post(
        &c,
        &format!("{}/sign-in", app.base),
        &[("csrf", &csrf), ("username", &name), ("password", "x")],
    )
    .await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, "/"));
    assert!(
        page.contains("don&#39;t match"),
        "the notice came through: {page}"
    );
    assert_eq!(csrf_of(&page), csrf, "the same session");
}

/// Without a voice route, the choice page promises no call.
#[tokio::test]
async fn the_choice_promises_a_call_only_when_there_is_one() {
    for (voice, promised) in [(true, true), (false, false)] {
        let app = start_with(|c| {
            if !voice {
                c.voice = None;
            }
        })
        .await;
        let c = client("en");
        let (_, _, page) = password_only(&app, &c).await;
        assert_eq!(page.contains("call you"), promised, "{page}");
    }
}
