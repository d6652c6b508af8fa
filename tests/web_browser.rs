//! The `axum_two_step` example in headless Chromium through WebDriver: a person types
//! into the real pages, with the example's own app code behind them.

#[path = "common/browser.rs"]
mod browser;
#[path = "common/web_app.rs"]
mod web_app;

use std::time::Duration;

use browser::{Browser, until_text};
use fantoccini::{Client, Locator};
use web_app::{Running, start, wrong_code};

/// Saves a screenshot when `SMSOTP_SCREENSHOTS` names a directory (for looking at the
/// pages; the test does not depend on it).
async fn snapshot(c: &Client, name: &str) {
    if let Some(dir) = std::env::var_os("SMSOTP_SCREENSHOTS")
        && let Ok(png) = c.screenshot().await
    {
        let _ = std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png);
    }
}

/// The element `#id`, waiting for it (up to 20 s) while a page loads: on a loaded
/// machine, a click's navigation can still be under way when the next step looks.
async fn field(c: &Client, id: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"))
}

async fn sign_in_with_password(c: &Client, app: &Running) {
    c.goto(&format!("{}/", app.base))
        .await
        .expect("open the sign-in page");
    until_text(c, "h1", "Sign in").await;
    snapshot(c, "1-sign-in").await;
    submit_password(c, app).await;
    by_text_message(c).await;
    until_text(c, "h1", "Enter the code").await;
}

/// After the password: the first time, the person is asked how the code should come
/// and picks a text message; later, the text message they chose before just comes.
async fn by_text_message(c: &Client) {
    let next = c
        .wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(Locator::Css("#choose-sms, #code, #resend"))
        .await
        .expect("the choice or the code page");
    if next.attr("id").await.expect("attr").as_deref() == Some("choose-sms") {
        snapshot(c, "1b-choose").await;
        next.click().await.expect("choose a text message");
    }
}

/// Types alice's username and password into the open sign-in page and continues.
async fn submit_password(c: &Client, app: &Running) {
    field(c, "username")
        .await
        .send_keys("alice")
        .await
        .expect("type");
    field(c, "password")
        .await
        .send_keys(&app.alice().password)
        .await
        .expect("type");
    c.find(Locator::Css("form[action='/sign-in'] button[type=submit]"))
        .await
        .expect("the Continue button")
        .click()
        .await
        .expect("click");
}

async fn type_code(c: &Client, code: &str) {
    let input = field(c, "code").await;
    input.send_keys(code).await.expect("type the code");
    c.find(Locator::Css("#code-form button[type=submit]"))
        .await
        .expect("the Verify button")
        .click()
        .await
        .expect("click");
}

/// Seconds in the resend hint ("… in 58 seconds.").
fn seconds_in(text: &str) -> u32 {
    text.split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no number in {text:?}"))
}

async fn scenario(c: Client, app: Running) {
    // Password, then the code page with its input set up for SMS autofill.
    sign_in_with_password(&c, &app).await;
    let lead = c
        .find(Locator::Css("p.lead"))
        .await
        .expect("lead")
        .text()
        .await
        .expect("text");
    assert!(lead.contains("+81 90-****-5678"), "{lead}");
    let input = field(&c, "code").await;
    assert_eq!(
        input.attr("autocomplete").await.expect("attr").as_deref(),
        Some("one-time-code")
    );
    assert_eq!(
        input.attr("inputmode").await.expect("attr").as_deref(),
        Some("text")
    );
    snapshot(&c, "2-code").await;

    // The resend button waits out the cooldown, and the script counts it down.
    let resend = field(&c, "resend").await;
    assert_eq!(
        resend.prop("disabled").await.expect("prop").as_deref(),
        Some("true")
    );
    let hint = field(&c, "resend-hint").await.text().await.expect("text");
    assert!(hint.starts_with("You can ask for a new code in"), "{hint}");
    let first = seconds_in(&hint);
    assert!((58..=60).contains(&first), "{hint}");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let later = seconds_in(&field(&c, "resend-hint").await.text().await.expect("text"));
    assert!(later < first, "the countdown moved: {first} → {later}");

    // One wrong code, then the right one.
    let code = app.last_code();
    type_code(&c, &wrong_code(&code)).await;
    until_text(&c, "#notice", "You have 4 attempts left.").await;
    snapshot(&c, "3-wrong-code").await;
    type_code(&c, &code.to_lowercase()).await;
    let welcome = until_text(&c, "#welcome", "Welcome, alice.").await;
    assert_eq!(welcome, "Welcome, alice.");
    snapshot(&c, "4-signed-in").await;
    field(&c, "sign-out").await.click().await.expect("sign out");
    until_text(&c, "#notice", "You have signed out.").await;

    // Five wrong codes lock the sign-in.
    sign_in_with_password(&c, &app).await;
    let wrong = wrong_code(&app.last_code());
    for left in [
        "4 attempts left",
        "3 attempts left",
        "2 attempts left",
        "1 attempt left",
    ] {
        type_code(&c, &wrong).await;
        until_text(&c, "#notice", left).await;
    }
    type_code(&c, &wrong).await;
    until_text(&c, "h1", "Too many wrong codes").await;
    snapshot(&c, "5-locked").await;
    assert!(
        c.find(Locator::Id("code")).await.is_err(),
        "no code field on the lockout page"
    );

    // "Use another way" leads to the authenticator form, which signs in.
    field(&c, "other-way").await.click().await.expect("click");
    until_text(&c, "h1", "Use another way").await;
    snapshot(&c, "6-other-way").await;
    let totp = app
        .alice()
        .totp
        .generate(smsotp::Clock::now(&app.clock))
        .expect("code");
    field(&c, "totp")
        .await
        .send_keys(totp.expose())
        .await
        .expect("type");
    field(&c, "totp-submit").await.click().await.expect("click");
    until_text(&c, "#method", "authenticator app").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_step_sign_in_in_headless_chromium() {
    if !browser::available("two_step_sign_in_in_headless_chromium") {
        return;
    }
    let app = start().await;
    let browser = Browser::launch().await;
    // Run the steps apart, so the browser is closed even when one fails.
    let outcome = tokio::spawn(scenario(browser.client.clone(), app)).await;
    browser.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[cfg(feature = "webhook")]
/// Password step in any language: waits for the code field rather than a heading.
async fn password_then_code_page(c: &Client, app: &Running) {
    c.goto(&format!("{}/", app.base))
        .await
        .expect("open the sign-in page");
    submit_password(c, app).await;
    by_text_message(c).await;
    field(c, "code").await;
}

#[cfg(feature = "webhook")]
/// Texts of the delivery line and panel, per language.
struct Said {
    lang: &'static str,
    sending: &'static str,
    failed: &'static str,
    failed_title: &'static str,
    overseas: &'static str,
    calling: &'static str,
    welcome: &'static str,
}

#[cfg(feature = "webhook")]
const EN: Said = Said {
    lang: "en",
    sending: "Text message: sending",
    failed: "Text message: not delivered.",
    failed_title: "The text message could not be delivered",
    overseas: "unknown or overseas senders",
    calling: "We are calling +81 90-****-5678 now.",
    welcome: "Welcome, alice.",
};

#[cfg(feature = "webhook")]
const JA: Said = Said {
    lang: "ja",
    sending: "SMSの状態：送信中",
    failed: "SMSの状態：届きませんでした。",
    failed_title: "SMSを配信できませんでした",
    overseas: "海外や不明な送信元からのSMSを拒否する設定",
    calling: "+81 90-****-5678 にお電話しています。",
    welcome: "alice",
};

/// A delivery report posted to the receipt endpoint changes what the open code page
/// shows, without a reload; the page then says what to check.
#[cfg(feature = "webhook")]
async fn delivery_report_scenario(c: Client, app: Running, said: Said) {
    password_then_code_page(&c, &app).await;
    until_text(&c, "#delivery-state", said.sending).await;
    let help = field(&c, "delivery-help").await;
    assert!(
        !help.is_displayed().await.expect("displayed?"),
        "the panel waits"
    );
    // Marks this page load: a reload would lose the mark.
    c.execute(
        "document.body.setAttribute('data-mark', 'same-page');",
        vec![],
    )
    .await
    .expect("run a script");
    assert_eq!(web_app::post_report(&app, "failed", None).await, 204);
    until_text(&c, "#delivery-state", said.failed).await;
    until_text(&c, "#help-title", said.failed_title).await;
    let help = field(&c, "delivery-help").await;
    assert!(help.is_displayed().await.expect("displayed?"));
    let text = help.text().await.expect("text");
    assert!(text.contains(said.overseas), "{text}");
    assert!(text.contains("+81 90-****-5678"), "{text}");
    let mark = c
        .execute("return document.body.getAttribute('data-mark');", vec![])
        .await
        .expect("run a script");
    assert_eq!(
        mark,
        serde_json::json!("same-page"),
        "changed without a reload"
    );
    // The panel in view for the screenshot.
    c.execute(
        "document.getElementById('delivery').scrollIntoView({block: 'start'});",
        vec![],
    )
    .await
    .expect("run a script");
    snapshot(&c, &format!("7-delivery-failed-{}", said.lang)).await;
}

#[cfg(feature = "webhook")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_report_changes_the_code_page_in_english_and_japanese() {
    if !browser::available("a_delivery_report_changes_the_code_page_in_english_and_japanese") {
        return;
    }
    for said in [EN, JA] {
        let app = start().await;
        let browser = Browser::launch_in(said.lang).await;
        let outcome =
            tokio::spawn(delivery_report_scenario(browser.client.clone(), app, said)).await;
        browser.close().await;
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

/// The SMS did not arrive: the person asks for a call instead, hears the code (read
/// back here from the recording transport) and signs in with it.
#[cfg(feature = "webhook")]
async fn call_me_scenario(c: Client, app: Running, said: Said) {
    password_then_code_page(&c, &app).await;
    assert_eq!(web_app::post_report(&app, "failed", None).await, 204);
    until_text(&c, "#help-title", said.failed_title).await;
    // A call is a resend: after the cooldown, like any other.
    app.clock.advance(time::Duration::seconds(61));
    field(&c, "call-me").await.click().await.expect("click");
    until_text(&c, "#notice", said.calling).await;
    snapshot(&c, &format!("11-calling-{}", said.lang)).await;
    let spoken = app
        .sms
        .last_spoken_code(&app.alice().phone)
        .expect("a call read the code");
    type_code(&c, &spoken).await;
    until_text(&c, "#welcome", said.welcome).await;
}

#[cfg(feature = "webhook")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_whose_sms_failed_signs_in_with_the_code_read_by_a_call() {
    if !browser::available("a_person_whose_sms_failed_signs_in_with_the_code_read_by_a_call") {
        return;
    }
    for said in [EN, JA] {
        let app = start().await;
        let browser = Browser::launch_in(said.lang).await;
        let outcome = tokio::spawn(call_me_scenario(browser.client.clone(), app, said)).await;
        browser.close().await;
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

async fn change_number_scenario(c: Client, app: Running) {
    sign_in_with_password(&c, &app).await;
    type_code(&c, &app.last_code()).await;
    until_text(&c, "#welcome", "Welcome, alice.").await;
    field(&c, "change-phone")
        .await
        .click()
        .await
        .expect("click");
    until_text(&c, "h1", "Your phone number").await;
    // A refused number, with its reason.
    field(&c, "phone")
        .await
        .send_keys("050-1234-5678")
        .await
        .expect("type");
    field(&c, "phone-submit")
        .await
        .click()
        .await
        .expect("click");
    until_text(&c, "#notice", "050 numbers are IP phone numbers").await;
    snapshot(&c, "8-phone-refused").await;
    let input = field(&c, "phone").await;
    input.clear().await.expect("clear");
    input.send_keys("080-2345-6789").await.expect("type");
    field(&c, "phone-submit")
        .await
        .click()
        .await
        .expect("click");
    until_text(&c, "#confirm-question", "Is this +81 80-****-6789?").await;
    snapshot(&c, "9-phone-confirm").await;
    field(&c, "phone-confirm")
        .await
        .click()
        .await
        .expect("click");
    until_text(&c, "h1", "Confirm your new number").await;
    let new = smsotp::PhoneNumber::parse_e164("+818023456789").expect("E.164");
    let code = app.sms.last_code(&new).expect("a code to the new number");
    type_code(&c, &code).await;
    until_text(&c, "#notice", "Your phone number is now +81 80-****-6789.").await;
    snapshot(&c, "10-phone-changed").await;
    let told = app.sms.messages().last().expect("an SMS").clone();
    assert_eq!(told.to(), &app.alice().phone, "the old number is told");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_the_phone_number_in_headless_chromium() {
    if !browser::available("change_the_phone_number_in_headless_chromium") {
        return;
    }
    let app = start().await;
    let browser = Browser::launch().await;
    let outcome = tokio::spawn(change_number_scenario(browser.client.clone(), app)).await;
    browser.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// After a form: Back, Forward and Reload each show one of the site's pages (never
/// the browser's "Confirm Form Resubmission" or its error page) and send nothing again.
async fn history_is_safe(c: &Client, app: &Running, after: &str) {
    let sent = (app.sms.count(), app.sms.calls().len());
    let ours = |what: &'static str| async move {
        let url = c.current_url().await.expect("URL");
        assert!(
            url.as_str().starts_with(&app.base),
            "{after}, {what}: left the site for {url}"
        );
        // Every page of the site has the brand line; Chrome's error pages do not.
        c.wait()
            .at_most(std::time::Duration::from_secs(20))
            .for_element(Locator::Css("p.brand"))
            .await
            .unwrap_or_else(|e| panic!("{after}, {what}: not one of our pages ({url}): {e}"));
    };
    // A reload makes a new document: the mark on this one must be gone, or the reload
    // did not happen (a prompt to resubmit, say) and the old page only stayed.
    c.execute("document.documentElement.dataset.old = '1';", vec![])
        .await
        .expect("mark the page");
    c.refresh().await.expect("reload");
    c.wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(Locator::Css("html:not([data-old]) p.brand"))
        .await
        .unwrap_or_else(|e| panic!("{after}: the reload showed no new page of ours: {e}"));
    ours("reload").await;
    c.back().await.expect("back");
    ours("back").await;
    c.forward().await.expect("forward");
    ours("forward").await;
    assert_eq!(
        (app.sms.count(), app.sms.calls().len()),
        sent,
        "{after}: history sent something again"
    );
}

/// Clicks `#id` and waits for `#wait` on the page it leads to.
async fn click_then(c: &Client, id: &str, wait: &str) {
    field(c, id).await.click().await.expect("click");
    field(c, wait).await;
}

/// Types `text` into `#id`, clears it first.
async fn type_into(c: &Client, id: &str, text: &str) {
    let input = field(c, id).await;
    input.clear().await.expect("clear");
    input.send_keys(text).await.expect("type");
}

/// Every form of the example, in one language: the method chosen before any SMS (and
/// remembered), a full-width authenticator code, and Back, Forward and Reload after
/// every form.
async fn every_form_scenario(c: Client, app: Running, lang: &'static str) {
    let lang_of = |c: &Client| {
        let c = c.clone();
        async move {
            c.find(Locator::Css("html"))
                .await
                .expect("html")
                .attr("lang")
                .await
                .expect("attr")
        }
    };
    c.goto(&format!("{}/", app.base)).await.expect("open");
    assert_eq!(lang_of(&c).await.as_deref(), Some(lang));

    // A wrong password, then the right one.
    type_into(&c, "username", "alice").await;
    type_into(&c, "password", "not-the-password").await;
    c.find(Locator::Css("form[action='/sign-in'] button[type=submit]"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
    field(&c, "notice").await;
    history_is_safe(&c, &app, "wrong password").await;
    c.goto(&format!("{}/", app.base)).await.expect("open");
    submit_password(&c, &app).await;
    field(&c, "choose-app").await;
    assert_eq!(app.sms.count(), 0, "nothing sent before the choice");
    snapshot(&c, &format!("12-choose-{lang}")).await;
    history_is_safe(&c, &app, "password").await;

    // The app, with its code typed in full-width digits and a hyphen, as a Japanese
    // keyboard gives them: the page lets it through and the server folds it.
    click_then(&c, "choose-app", "totp").await;
    history_is_safe(&c, &app, "choice of the app").await;
    let code = app
        .alice()
        .totp
        .generate(smsotp::Clock::now(&app.clock))
        .expect("code");
    let code = code.expose();
    let wide: String = code
        .chars()
        .map(|d| char::from_u32(u32::from(d) - u32::from('0') + 0xFF10).expect("full-width"))
        .collect();
    type_into(&c, "totp", &format!("{}-{}", &wide[..9], &wide[9..])).await;
    click_then(&c, "totp-submit", "welcome").await;
    history_is_safe(&c, &app, "authenticator code").await;
    assert_eq!(app.sms.count(), 0);

    // The phone number forms.
    click_then(&c, "change-phone", "phone").await;
    type_into(&c, "phone", "050-1234-5678").await;
    click_then(&c, "phone-submit", "notice").await;
    history_is_safe(&c, &app, "refused number").await;
    type_into(&c, "phone", "080-2345-6789").await;
    click_then(&c, "phone-submit", "phone-confirm").await;
    history_is_safe(&c, &app, "number typed").await;
    click_then(&c, "phone-confirm", "code").await;
    history_is_safe(&c, &app, "number confirmed").await;
    let new = smsotp::PhoneNumber::parse_e164("+818023456789").expect("E.164");
    let code = app.sms.last_code(&new).expect("a code to the new number");
    type_code(&c, &wrong_code(&code)).await;
    field(&c, "notice").await;
    history_is_safe(&c, &app, "wrong code for the new number").await;
    type_code(&c, &code).await;
    field(&c, "change-phone").await;
    history_is_safe(&c, &app, "number changed").await;

    // Signed out, and in again: the app comes first, as last time; a text message is
    // one link away.
    click_then(&c, "sign-out", "username").await;
    history_is_safe(&c, &app, "sign-out").await;
    c.goto(&format!("{}/", app.base)).await.expect("open");
    submit_password(&c, &app).await;
    field(&c, "totp").await;
    assert_eq!(app.sms.count(), 2, "no SMS for someone who uses the app");
    click_then(&c, "choose", "choose-sms").await;
    click_then(&c, "choose-sms", "code").await;
    assert_eq!(app.sms.count(), 3);
    history_is_safe(&c, &app, "choice of a text message").await;
    // Codes now go to the new number.
    let code = app.sms.last_code(&new).expect("a code");
    type_code(&c, &wrong_code(&code)).await;
    field(&c, "notice").await;
    history_is_safe(&c, &app, "wrong code").await;
    // The resend button waits out the cooldown: the clock moves, the page reloads.
    app.clock.advance(time::Duration::seconds(61));
    c.refresh().await.expect("reload");
    click_then(&c, "resend", "notice").await;
    assert_eq!(app.sms.count(), 4);
    history_is_safe(&c, &app, "resend").await;
    type_code(&c, &app.sms.last_code(&new).expect("a code")).await;
    field(&c, "welcome").await;
    history_is_safe(&c, &app, "code").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_form_survives_back_and_reload_in_english_and_japanese() {
    if !browser::available("every_form_survives_back_and_reload_in_english_and_japanese") {
        return;
    }
    for lang in ["en", "ja"] {
        let app = start().await;
        let browser = Browser::launch_in(lang).await;
        let outcome = tokio::spawn(every_form_scenario(browser.client.clone(), app, lang)).await;
        browser.close().await;
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}
