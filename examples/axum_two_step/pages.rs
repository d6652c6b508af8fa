//! The HTML. Plain server-rendered pages that work without JavaScript; two small inline
//! scripts (the resend countdown and WebOTP autofill) only make them nicer. Nothing is
//! loaded from anywhere else, and the Content-Security-Policy allows only the inline
//! style and scripts that carry this response's nonce.

use std::fmt::Write as _;

use super::i18n::{Lang, Method, Msg};

/// A finished page: its status, its HTML and the nonce its CSP must allow.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub html: String,
    pub nonce: String,
}

/// What every page needs to know.
#[derive(Debug, Clone)]
pub struct Chrome<'a> {
    pub lang: Lang,
    pub brand: &'a str,
    pub nonce: &'a str,
}

/// A message shown above a form.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Notice {
    /// Something went wrong; announced at once to screen readers.
    Error(Msg),
    /// News, such as "a new code was sent".
    Info(Msg),
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root{color-scheme:light dark;--bg:#f4f5f7;--card:#fff;--fg:#1d2430;--muted:#5b6472;--line:#d5d9e0;--accent:#2456d6;--accent-fg:#fff;--err-bg:#fdecec;--err:#a61b1b;--ok-bg:#e8f3ec;--ok:#17603a;--focus:#f5b400}
@media (prefers-color-scheme:dark){:root{--bg:#14171c;--card:#1d2128;--fg:#e8ebf0;--muted:#a3acb9;--line:#39404b;--accent:#7ea2ff;--accent-fg:#0c1222;--err-bg:#3a1d1f;--err:#ffb4b0;--ok-bg:#173222;--ok:#9be0b4}}
*{box-sizing:border-box}
html{font-size:100%}
body{margin:0;min-height:100vh;display:flex;align-items:flex-start;justify-content:center;padding:8vh 1rem 2rem;background:var(--bg);color:var(--fg);font:1rem/1.55 system-ui,-apple-system,"Segoe UI","Hiragino Sans","Hiragino Kaku Gothic ProN","Noto Sans JP","Yu Gothic UI",Meiryo,sans-serif}
main{width:100%;max-width:26rem;background:var(--card);border:1px solid var(--line);border-radius:14px;padding:2rem 1.75rem;box-shadow:0 1px 2px rgba(0,0,0,.04),0 8px 24px rgba(0,0,0,.06)}
.brand{margin:0 0 .25rem;font-size:.8rem;font-weight:600;letter-spacing:.08em;text-transform:uppercase;color:var(--muted)}
h1{margin:0 0 .75rem;font-size:1.5rem;line-height:1.25}
h2{margin:1.5rem 0 .5rem;font-size:1.1rem}
p{margin:.5rem 0}
.lead{color:var(--muted)}
.nowrap{white-space:nowrap;color:var(--fg)}
form{margin:1rem 0 0}
label{display:block;font-weight:600;margin:1rem 0 .35rem}
input{display:block;width:100%;font:inherit;padding:.7rem .8rem;border:1px solid var(--line);border-radius:9px;background:transparent;color:inherit}
input.code{font:600 1.5rem/1.2 ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;letter-spacing:.3em;text-align:center;text-transform:uppercase}
input.code.numeric{text-transform:none}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.hint,.meta{font-size:.9rem;color:var(--muted);margin:.4rem 0 0}
.meta{margin-top:.75rem}
button{font:inherit;cursor:pointer;border-radius:9px}
.primary{display:block;width:100%;margin-top:1.25rem;padding:.75rem 1rem;border:0;background:var(--accent);color:var(--accent-fg);font-weight:600}
.primary:hover{filter:brightness(1.08)}
.secondary{margin-top:1.25rem;padding-top:1rem;border-top:1px solid var(--line)}
.link-button{padding:.5rem .9rem;border:1px solid var(--line);background:transparent;color:var(--accent);font-weight:600}
.link-button:disabled{color:var(--muted);cursor:not-allowed;opacity:.75}
.notice{padding:.7rem .85rem;border-radius:9px;margin:1rem 0 0}
.notice.error{background:var(--err-bg);color:var(--err)}
.notice.info{background:var(--ok-bg);color:var(--ok)}
.alt{margin-top:1.25rem;font-size:.95rem}
.footer{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:baseline;gap:.5rem 1rem;margin-top:1.5rem;font-size:.95rem}
.footer form{margin:0}
.text-button{border:0;background:none;padding:0;font-size:.95rem;color:var(--muted);text-decoration:underline}
a{color:var(--accent)}
.or{display:flex;align-items:center;gap:.75rem;margin:1.5rem 0 0;color:var(--muted);font-size:.85rem}
.or::before,.or::after{content:"";flex:1;border-top:1px solid var(--line)}
.delivery{margin-top:1rem}
.delivery .state{font-weight:600;margin:0}
.delivery[data-state=delivered] .state{color:var(--ok)}
.delivery[data-state=failed] .state{color:var(--err)}
.help{margin-top:.75rem;padding:.8rem .9rem;border:1px solid var(--line);border-radius:9px}
.help h2{margin:0 0 .4rem;font-size:1rem}
.help ul{margin:.25rem 0 .5rem;padding-left:1.2rem}
.help li{margin:.25rem 0}
.help form{margin:.5rem 0 0}
[hidden]{display:none!important}
.demo{margin-top:1.25rem;padding:.6rem .8rem;border:1px dashed var(--line);border-radius:9px;font-size:.85rem;color:var(--muted)}
@media (prefers-reduced-motion:no-preference){.primary,.link-button{transition:filter .15s}}
"#;

/// The resend countdown: counts the server's cooldown down and enables the button at
/// zero. The server refuses early resends anyway; this only saves a round trip.
const COUNTDOWN_JS: &str = r#"
(function(){
var b=document.getElementById('resend'),h=document.getElementById('resend-hint');
if(!b||!h)return;var left=parseInt(b.getAttribute('data-wait'),10);if(!(left>0))return;
var t=setInterval(function(){left-=1;
if(left<=0){clearInterval(t);b.disabled=false;h.textContent=h.getAttribute('data-ready');}
else{h.textContent=(left===1?h.getAttribute('data-one'):h.getAttribute('data-many').replace('{n}',left));}
},1000);})();
"#;

/// WebOTP: on Chrome for Android the browser reads the SMS (its last line names this
/// site) and offers the code; everywhere else this does nothing.
const WEBOTP_JS: &str = r#"
(function(){
if(!('OTPCredential' in window))return;var f=document.getElementById('code-form');if(!f)return;
var ac=new AbortController();f.addEventListener('submit',function(){ac.abort();});
navigator.credentials.get({otp:{transport:['sms']},signal:ac.signal}).then(function(o){
if(o&&o.code){document.getElementById('code').value=o.code;f.submit();}}).catch(function(){});})();
"#;

/// Refreshes the delivery state of the latest SMS without reloading the page, and
/// shows what to check when the server says so. Without JavaScript the page shows the
/// state as it was when it was rendered, with a "Check again" link.
const DELIVERY_JS: &str = r#"
(function(){
var d=document.getElementById('delivery');if(!d||!window.fetch)return;
var s=document.getElementById('delivery-state'),h=document.getElementById('delivery-help'),
t=document.getElementById('help-title'),c=document.getElementById('check-again');
if(c)c.hidden=true;
function tick(){fetch('/verify/delivery',{credentials:'same-origin',headers:{'Accept':'application/json'}})
.then(function(r){return r.ok?r.json():null;}).then(function(j){
if(!j){return;}d.setAttribute('data-state',j.state);s.textContent=j.text;
if(j.help){t.textContent=j.help_title;h.hidden=false;}
setTimeout(tick,2000);}).catch(function(){setTimeout(tick,5000);});}
setTimeout(tick,1000);})();
"#;

fn layout(chrome: &Chrome<'_>, status: u16, title: &str, body: &str, scripts: &[&str]) -> Page {
    let mut html = String::with_capacity(8 * 1024);
    let _ = write!(
        html,
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{title} · {brand}</title>\n<style nonce=\"{nonce}\">{CSS}</style>\n</head>\n<body>\n\
         <main aria-labelledby=\"title\">\n<p class=\"brand\">{brand}</p>\n<h1 id=\"title\">{title}</h1>\n{body}</main>\n",
        lang = chrome.lang.tag(),
        title = esc(title),
        brand = esc(chrome.brand),
        nonce = chrome.nonce,
    );
    for script in scripts {
        let _ = writeln!(html, "<script nonce=\"{}\">{script}</script>", chrome.nonce);
    }
    html.push_str("</body>\n</html>\n");
    Page {
        status,
        html,
        nonce: chrome.nonce.to_owned(),
    }
}

fn notice_html(lang: Lang, notice: Option<&Notice>) -> String {
    match notice {
        None => String::new(),
        Some(Notice::Error(m)) => format!(
            "<p class=\"notice error\" role=\"alert\" id=\"notice\">{}</p>\n",
            esc(&m.text(lang))
        ),
        Some(Notice::Info(m)) => format!(
            "<p class=\"notice info\" role=\"status\" id=\"notice\">{}</p>\n",
            esc(&m.text(lang))
        ),
    }
}

fn csrf_field(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">\n",
        esc(token)
    )
}

/// The password page.
pub fn sign_in(
    chrome: &Chrome<'_>,
    csrf: &str,
    username: &str,
    notice: Option<&Notice>,
    status: u16,
) -> Page {
    let l = chrome.lang;
    let body = format!(
        "<p class=\"lead\">{lead}</p>\n{notice}\
         <form method=\"post\" action=\"/sign-in\">\n{csrf}\
         <label for=\"username\">{user_label}</label>\n\
         <input id=\"username\" name=\"username\" value=\"{username}\" autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" required{autofocus_user}>\n\
         <label for=\"password\">{pass_label}</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required{autofocus_pass}>\n\
         <button class=\"primary\" type=\"submit\">{go}</button>\n</form>\n\
         <p class=\"demo\">{demo}</p>\n",
        lead = esc(&Msg::SignInLead.text(l)),
        notice = notice_html(l, notice),
        csrf = csrf_field(csrf),
        user_label = esc(&Msg::Username.text(l)),
        username = esc(username),
        autofocus_user = if username.is_empty() {
            " autofocus"
        } else {
            ""
        },
        pass_label = esc(&Msg::Password.text(l)),
        autofocus_pass = if username.is_empty() {
            ""
        } else {
            " autofocus"
        },
        go = esc(&Msg::Continue.text(l)),
        demo = esc(&Msg::DemoHint.text(l)),
    );
    layout(chrome, status, &Msg::SignInTitle.text(l), &body, &[])
}

/// "How do you want to confirm it's you?": asked after the password, before anything
/// is sent; the person's last choice comes first next time without asking.
/// `call`: whether a call can carry the code when the SMS does not arrive.
pub fn choose(
    chrome: &Chrome<'_>,
    csrf: &str,
    to: &str,
    call: bool,
    notice: Option<&Notice>,
    status: u16,
) -> Page {
    let l = chrome.lang;
    let option = |id: &str, value: &str, label: &Msg, hint: &Msg| {
        format!(
            "<button class=\"primary choice\" type=\"submit\" name=\"method\" value=\"{value}\" id=\"{id}\" aria-describedby=\"{id}-hint\">{label}</button>\n\
             <p class=\"hint\" id=\"{id}-hint\">{hint}</p>\n",
            label = esc(&label.text(l)),
            hint = esc(&hint.text(l)),
        )
    };
    let body = format!(
        "<p class=\"lead\">{lead}</p>\n{notice}\
         <form method=\"post\" action=\"/choose\" id=\"choose-form\">\n{csrf}{sms}{app}</form>\n\
         {footer}",
        lead = esc(&Msg::ChooseLead.text(l)),
        notice = notice_html(l, notice),
        csrf = csrf_field(csrf),
        sms = option(
            "choose-sms",
            "sms",
            &Msg::ChooseSms { to: to.to_owned() },
            &Msg::ChooseSmsHint { call }
        ),
        app = option("choose-app", "app", &Msg::ChooseApp, &Msg::ChooseAppHint),
        footer = footer(l, csrf, "/other-way", "other-way", &Msg::UseAppOrRecovery),
    );
    layout(chrome, status, &Msg::ChooseTitle.text(l), &body, &[])
}

/// How the code input should behave.
#[derive(Debug, Clone, Copy)]
pub struct CodeInput {
    pub length: usize,
    pub digits_only: bool,
}

/// A live challenge, as the code page shows it.
#[derive(Debug, Clone, Copy)]
pub struct Live {
    pub attempts_left: u32,
    pub expires_in_minutes: i64,
    /// Seconds until a resend is allowed; 0 when allowed now.
    pub resend_in: i64,
    pub sends_left: u32,
}

/// How the latest code reached the person, as far as the page knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Nothing yet: the page offers to send one.
    Nothing,
    /// By text message.
    Sms,
    /// Read out by a call.
    Call,
}

/// What the code page is about: where the code went, how it is typed, and the live
/// challenge if there is one.
#[derive(Debug, Clone, Copy)]
pub struct CodeView<'a> {
    pub to: &'a str,
    /// How the latest code came: the lead and the label say so, and nothing else.
    pub sent: Sent,
    pub input: CodeInput,
    pub live: Option<Live>,
    /// Where the latest SMS got to, when a challenge is live.
    pub delivery: Option<DeliveryView>,
}

/// Where the latest SMS got to, as the provider last reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Handed to the provider; no report (or only "sent") yet.
    Sending,
    /// The handset has it.
    Delivered,
    /// It will not arrive by that route.
    Failed,
}

impl DeliveryState {
    /// The name the page's `data-state` and the JSON use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sending => "sending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// The status line.
    pub fn msg(self) -> Msg {
        match self {
            Self::Sending => Msg::DeliverySending,
            Self::Delivered => Msg::DeliveryDelivered,
            Self::Failed => Msg::DeliveryFailed,
        }
    }
}

/// Why the page shows what to check, if it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Help {
    /// Nothing to check yet.
    Hidden,
    /// The provider reported the SMS undelivered.
    Failed,
    /// No delivery confirmed after a while.
    NotConfirmed,
    /// Delivered a while ago, and still no code typed: perhaps not this person's phone.
    DeliveredNotTyped,
}

impl Help {
    /// The heading of the panel.
    pub fn title(self) -> Msg {
        match self {
            Self::Failed => Msg::HelpTitleFailed,
            Self::DeliveredNotTyped => Msg::HelpTitleDeliveredNotTyped,
            Self::Hidden | Self::NotConfirmed => Msg::HelpTitleNotConfirmed,
        }
    }
}

/// The delivery line and the "what to check" panel.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryView {
    pub state: DeliveryState,
    pub help: Help,
    /// Whether this challenge may still send another SMS.
    pub can_resend: bool,
    /// Whether a call can carry the next code instead.
    pub can_call: bool,
}

fn delivery_html(l: Lang, csrf: &str, to: &str, view: DeliveryView) -> String {
    let items = [
        Msg::HelpOverseas,
        Msg::HelpSignal,
        Msg::HelpDataOnly,
        Msg::HelpNumber { to: to.to_owned() },
    ]
    .iter()
    .map(|m| format!("<li>{}</li>", esc(&m.text(l))))
    .collect::<String>();
    let call = if view.can_call {
        format!(
            "<form method=\"post\" action=\"/call\">\n{}\
             <button class=\"link-button\" type=\"submit\" id=\"call-me\">{}</button>\n</form>\n",
            csrf_field(csrf),
            esc(&Msg::CallMe.text(l))
        )
    } else {
        String::new()
    };
    let resend = if view.can_resend {
        format!(
            "<form method=\"post\" action=\"/resend\">\n{}\
             <button class=\"link-button\" type=\"submit\" id=\"resend-other-route\">{}</button>\n</form>\n",
            csrf_field(csrf),
            esc(&Msg::SendOtherRoute.text(l))
        )
    } else {
        String::new()
    };
    format!(
        "<section class=\"delivery\" id=\"delivery\" data-state=\"{state}\" aria-live=\"polite\">\n\
         <p class=\"state\" id=\"delivery-state\">{text}</p>\n\
         <p class=\"hint\"><a href=\"/verify\" id=\"check-again\">{again}</a></p>\n\
         <div class=\"help\" id=\"delivery-help\"{hidden}>\n<h2 id=\"help-title\">{title}</h2>\n\
         <ul>{items}</ul>\n{resend}{call}\
         <p class=\"hint\"><a href=\"/other-way\" id=\"help-other-way\">{other}</a></p>\n</div>\n</section>\n",
        state = view.state.as_str(),
        text = esc(&view.state.msg().text(l)),
        again = esc(&Msg::CheckAgain.text(l)),
        hidden = if view.help == Help::Hidden {
            " hidden"
        } else {
            ""
        },
        title = esc(&view.help.title().text(l)),
        other = esc(&Msg::UseAppOrRecovery.text(l)),
    )
}

/// The code page. Without a live challenge it offers to send one.
pub fn verify(
    chrome: &Chrome<'_>,
    csrf: &str,
    view: CodeView<'_>,
    notice: Option<&Notice>,
    status: u16,
) -> Page {
    let CodeView {
        to,
        sent,
        input,
        live,
        delivery,
    } = view;
    let l = chrome.lang;
    let mut body = String::new();
    let placeholder = "\u{0}".to_owned();
    let (lead, label) = match (sent, live.is_some()) {
        (Sent::Call, true) => (Msg::CodeCalled { to: placeholder }, Msg::CodeLabelHeard),
        (Sent::Sms, true) => (Msg::CodeSentTo { to: placeholder }, Msg::CodeLabel),
        // No live code: whatever was sent is spent, and the page offers a new one.
        _ => (Msg::CodeWillGoTo { to: placeholder }, Msg::CodeLabel),
    };
    // The number is kept on one line: a phone number broken mid-way misleads.
    let lead = esc(&lead.text(l)).replace(
        '\u{0}',
        &format!("<strong class=\"nowrap\">{}</strong>", esc(to)),
    );
    let _ = write!(
        body,
        "<p class=\"lead\">{lead}</p>\n{}",
        notice_html(l, notice)
    );
    let mut scripts = Vec::new();
    match live {
        Some(live) => {
            let (inputmode, class, extra) = if input.digits_only {
                // No `pattern`: the server folds full-width digits, spaces and hyphens,
                // and the browser must not refuse what the server accepts.
                ("numeric", "code numeric", "")
            } else {
                ("text", "code", " autocapitalize=\"characters\"")
            };
            let _ = write!(
                body,
                "<form method=\"post\" action=\"/verify\" id=\"code-form\">\n{csrf}\
                 <label for=\"code\">{label}</label>\n\
                 <input id=\"code\" name=\"code\" class=\"{class}\" autocomplete=\"one-time-code\" inputmode=\"{inputmode}\"{extra} \
                 spellcheck=\"false\" autocorrect=\"off\" maxlength=\"{max}\" required autofocus aria-describedby=\"code-hint attempts\">\n\
                 <p class=\"hint\" id=\"code-hint\">{hint}</p>\n\
                 <p class=\"meta\" id=\"attempts\">{attempts}{gap}{expires}</p>\n\
                 <button class=\"primary\" type=\"submit\">{verify}</button>\n</form>\n",
                csrf = csrf_field(csrf),
                label = esc(&label.text(l)),
                // Room for separators people type between groups.
                max = input.length * 3,
                hint = esc(&Msg::CodeHint {
                    length: input.length,
                    digits_only: input.digits_only
                }
                .text(l)),
                // Japanese sentences follow each other without a space.
                gap = if l == Lang::Ja { "" } else { " " },
                attempts = esc(&Msg::AttemptsLeft {
                    n: live.attempts_left
                }
                .text(l)),
                expires = esc(&Msg::ExpiresIn {
                    minutes: live.expires_in_minutes
                }
                .text(l)),
                verify = esc(&Msg::Verify.text(l)),
            );
            body.push_str(&resend_form(l, csrf, live));
            // The SMS delivery line is about an SMS: after a call it would mislead.
            if let Some(delivery) = delivery.filter(|_| sent == Sent::Sms) {
                body.push_str(&delivery_html(l, csrf, to, delivery));
                scripts.push(DELIVERY_JS);
            }
            scripts.push(COUNTDOWN_JS);
            scripts.push(WEBOTP_JS);
        }
        None => {
            let _ = write!(
                body,
                "<form method=\"post\" action=\"/resend\" class=\"secondary\">\n{}\
                 <button class=\"primary\" type=\"submit\" id=\"resend\">{}</button>\n</form>\n",
                csrf_field(csrf),
                esc(&Msg::SendCode.text(l)),
            );
        }
    }
    body.push_str(&footer(
        l,
        csrf,
        "/other-way",
        "other-way",
        &Msg::UseAnotherWay,
    ));
    layout(chrome, status, &Msg::CodeTitle.text(l), &body, &scripts)
}

fn resend_form(l: Lang, csrf: &str, live: Live) -> String {
    if live.sends_left == 0 {
        return format!(
            "<div class=\"secondary\"><p class=\"hint\" id=\"resend-hint\">{}</p></div>\n",
            esc(&Msg::NoMoreSends.text(l))
        );
    }
    let wait = live.resend_in.max(0);
    let hint = if wait > 0 {
        Msg::ResendIn { seconds: wait }.text(l)
    } else {
        Msg::ResendReady.text(l)
    };
    // The "many" form with a placeholder the countdown script fills in.
    let many = Msg::ResendIn { seconds: 999_999 }
        .text(l)
        .replace("999999", "{n}");
    format!(
        "<form method=\"post\" action=\"/resend\" class=\"secondary\">\n{csrf}\
         <button class=\"link-button\" type=\"submit\" id=\"resend\" data-wait=\"{wait}\"{disabled}>{label}</button>\n\
         <p class=\"hint\" id=\"resend-hint\" aria-live=\"polite\" data-one=\"{one}\" data-many=\"{many}\" data-ready=\"{ready}\">{hint}</p>\n</form>\n",
        csrf = csrf_field(csrf),
        disabled = if wait > 0 { " disabled" } else { "" },
        label = esc(&Msg::Resend.text(l)),
        one = esc(&Msg::ResendIn { seconds: 1 }.text(l)),
        many = esc(&many),
        ready = esc(&Msg::ResendReady.text(l)),
        hint = esc(&hint),
    )
}

/// A way onward on the left, "Start over" (back to the password) on the right.
fn footer(l: Lang, csrf: &str, href: &str, id: &str, text: &Msg) -> String {
    format!(
        "<div class=\"footer\"><a href=\"{href}\" id=\"{id}\">{text}</a>\n\
         <form method=\"post\" action=\"/sign-out\">\n{csrf}\
         <button class=\"text-button\" type=\"submit\" id=\"start-over\">{label}</button>\n</form></div>\n",
        text = esc(&text.text(l)),
        csrf = csrf_field(csrf),
        label = esc(&Msg::StartOver.text(l)),
    )
}

/// The page after a locked challenge or a locked account.
pub fn locked(chrome: &Chrome<'_>, csrf: &str, title: Msg, text: Msg) -> Page {
    let l = chrome.lang;
    let body = format!(
        "<p class=\"notice error\" role=\"alert\" id=\"notice\">{text}</p>\n\
         {footer}",
        text = esc(&text.text(l)),
        footer = footer(l, csrf, "/other-way", "other-way", &Msg::UseAnotherWay),
    );
    layout(chrome, 429, &title.text(l), &body, &[])
}

/// Which fallback form a notice belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Fallback {
    Totp,
    Recovery,
}

/// The authenticator-app and recovery-code page. A notice about one of its forms
/// stands above that form; any other, above both.
pub fn other_way(
    chrome: &Chrome<'_>,
    csrf: &str,
    notice: Option<&Notice>,
    form: Option<Fallback>,
    status: u16,
) -> Page {
    let l = chrome.lang;
    let notice_for = |which: Option<Fallback>| {
        notice
            .filter(|_| form == which)
            .map(|n| notice_html(l, Some(n)))
            .unwrap_or_default()
    };
    let body = format!(
        "<p class=\"lead\">{lead}</p>\n{page_notice}\
         <h2 id=\"totp-heading\">{totp_heading}</h2>\n{totp_notice}\
         <form method=\"post\" action=\"/other-way/totp\" aria-labelledby=\"totp-heading\">\n{csrf}\
         <label for=\"totp\">{totp_label}</label>\n\
         <input id=\"totp\" name=\"code\" class=\"code numeric\" autocomplete=\"one-time-code\" inputmode=\"numeric\" maxlength=\"12\" spellcheck=\"false\" required aria-describedby=\"totp-hint\">\n\
         <p class=\"hint\" id=\"totp-hint\">{totp_hint}</p>\n\
         <button class=\"primary\" type=\"submit\" id=\"totp-submit\">{verify}</button>\n</form>\n\
         <p class=\"or\">{or}</p>\n\
         <h2 id=\"recovery-heading\">{rec_heading}</h2>\n{rec_notice}\
         <form method=\"post\" action=\"/other-way/recovery\" aria-labelledby=\"recovery-heading\">\n{csrf}\
         <label for=\"recovery\">{rec_label}</label>\n\
         <input id=\"recovery\" name=\"code\" class=\"code\" autocomplete=\"off\" inputmode=\"text\" autocapitalize=\"characters\" maxlength=\"40\" spellcheck=\"false\" autocorrect=\"off\" required aria-describedby=\"recovery-hint\">\n\
         <p class=\"hint\" id=\"recovery-hint\">{rec_hint}</p>\n\
         <button class=\"primary\" type=\"submit\" id=\"recovery-submit\">{verify}</button>\n</form>\n\
         <p class=\"alt\"><a href=\"/choose\" id=\"choose\">{choose}</a></p>\n\
         {footer}",
        choose = esc(&Msg::ChooseOtherLink.text(l)),
        lead = esc(&Msg::OtherWayLead.text(l)),
        totp_heading = esc(&Msg::TotpHeading.text(l)),
        page_notice = notice_for(None),
        totp_notice = notice_for(Some(Fallback::Totp)),
        csrf = csrf_field(csrf),
        totp_label = esc(&Msg::TotpLabel.text(l)),
        totp_hint = esc(&Msg::TotpHint.text(l)),
        verify = esc(&Msg::Verify.text(l)),
        or = esc(&Msg::Skip.text(l)),
        rec_heading = esc(&Msg::RecoveryHeading.text(l)),
        rec_notice = notice_for(Some(Fallback::Recovery)),
        rec_label = esc(&Msg::RecoveryLabel.text(l)),
        rec_hint = esc(&Msg::RecoveryHint.text(l)),
        footer = footer(l, csrf, "/verify", "back", &Msg::BackToSms),
    );
    layout(chrome, status, &Msg::OtherWayTitle.text(l), &body, &[])
}

/// The signed-in page.
pub fn account(
    chrome: &Chrome<'_>,
    csrf: &str,
    user: &str,
    method: Method,
    recovery_left: Option<usize>,
    notice: Option<&Notice>,
) -> Page {
    let l = chrome.lang;
    let recovery = recovery_left
        .map(|n| {
            format!(
                "<p class=\"notice info\" role=\"status\">{}</p>\n",
                esc(&Msg::RecoveryLeft { n }.text(l))
            )
        })
        .unwrap_or_default();
    let body = format!(
        "{notice}<p id=\"welcome\">{welcome}</p>\n<p class=\"lead\" id=\"method\">{method}</p>\n{recovery}\
         <p class=\"alt\"><a href=\"/phone\" id=\"change-phone\">{change_phone}</a></p>\n\
         <form method=\"post\" action=\"/sign-out\">\n{csrf}\
         <button class=\"primary\" type=\"submit\" id=\"sign-out\">{sign_out}</button>\n</form>\n",
        welcome = esc(&Msg::Welcome {
            user: user.to_owned()
        }
        .text(l)),
        method = esc(&Msg::SignedInWith { method }.text(l)),
        csrf = csrf_field(csrf),
        sign_out = esc(&Msg::SignOut.text(l)),
        notice = notice_html(l, notice),
        change_phone = esc(&Msg::ChangePhoneLink.text(l)),
    );
    layout(chrome, 200, &Msg::AccountTitle.text(l), &body, &[])
}

/// "Add or change your phone number": the number, typed as people type it.
pub fn phone_form(
    chrome: &Chrome<'_>,
    csrf: &str,
    current: &str,
    typed: &str,
    notice: Option<&Notice>,
    status: u16,
) -> Page {
    let l = chrome.lang;
    let body = format!(
        "<p class=\"lead\">{lead}</p>\n{notice}\
         <form method=\"post\" action=\"/phone\" id=\"phone-form\">\n{csrf}\
         <label for=\"phone\">{label}</label>\n\
         <input id=\"phone\" name=\"phone\" type=\"tel\" autocomplete=\"tel\" inputmode=\"tel\" value=\"{typed}\" maxlength=\"40\" required autofocus aria-describedby=\"phone-hint\">\n\
         <p class=\"hint\" id=\"phone-hint\">{hint}</p>\n\
         <button class=\"primary\" type=\"submit\" id=\"phone-submit\">{go}</button>\n</form>\n\
         <p class=\"alt\"><a href=\"/account\" id=\"back\">{back}</a></p>\n",
        lead = esc(&Msg::PhoneLead {
            current: current.to_owned()
        }
        .text(l)),
        notice = notice_html(l, notice),
        csrf = csrf_field(csrf),
        label = esc(&Msg::PhoneLabel.text(l)),
        typed = esc(typed),
        hint = esc(&Msg::PhoneHint.text(l)),
        go = esc(&Msg::PhoneSubmit.text(l)),
        back = esc(&Msg::BackHome.text(l)),
    );
    layout(chrome, status, &Msg::PhoneTitle.text(l), &body, &[])
}

/// "Is this +81 90-****-5678?": the number as parsed, normalised and masked.
pub fn phone_confirm(
    chrome: &Chrome<'_>,
    csrf: &str,
    masked: &str,
    notice: Option<&Notice>,
    status: u16,
) -> Page {
    let l = chrome.lang;
    let question = esc(&Msg::PhoneConfirm { to: "\u{0}".into() }.text(l)).replace(
        '\u{0}',
        &format!(
            "<strong class=\"nowrap\" id=\"new-number\">{}</strong>",
            esc(masked)
        ),
    );
    let body = format!(
        "<p class=\"lead\" id=\"confirm-question\">{question}</p>\n<p>{lead}</p>\n{notice}\
         <form method=\"post\" action=\"/phone/confirm\">\n{csrf}\
         <button class=\"primary\" type=\"submit\" id=\"phone-confirm\">{yes}</button>\n</form>\n\
         <p class=\"alt\"><a href=\"/phone\" id=\"phone-retype\">{no}</a></p>\n",
        lead = esc(&Msg::PhoneConfirmLead.text(l)),
        notice = notice_html(l, notice),
        csrf = csrf_field(csrf),
        yes = esc(&Msg::PhoneConfirmYes.text(l)),
        no = esc(&Msg::PhoneConfirmNo.text(l)),
    );
    layout(chrome, status, &Msg::PhoneConfirmTitle.text(l), &body, &[])
}

/// The code sent to the new number.
pub fn phone_code(
    chrome: &Chrome<'_>,
    csrf: &str,
    masked: &str,
    input: CodeInput,
    notice: Option<&Notice>,
    status: u16,
) -> Page {
    let l = chrome.lang;
    let lead = esc(&Msg::PhoneCodeLead { to: "\u{0}".into() }.text(l)).replace(
        '\u{0}',
        &format!("<strong class=\"nowrap\">{}</strong>", esc(masked)),
    );
    let body = format!(
        "<p class=\"lead\">{lead}</p>\n{notice}\
         <form method=\"post\" action=\"/phone/verify\" id=\"code-form\">\n{csrf}\
         <label for=\"code\">{label}</label>\n\
         <input id=\"code\" name=\"code\" class=\"code\" autocomplete=\"one-time-code\" inputmode=\"text\" autocapitalize=\"characters\" \
         spellcheck=\"false\" autocorrect=\"off\" maxlength=\"{max}\" required autofocus aria-describedby=\"code-hint\">\n\
         <p class=\"hint\" id=\"code-hint\">{hint}</p>\n\
         <button class=\"primary\" type=\"submit\">{verify}</button>\n</form>\n\
         <p class=\"alt\"><a href=\"/phone\" id=\"phone-retype\">{no}</a></p>\n",
        notice = notice_html(l, notice),
        csrf = csrf_field(csrf),
        label = esc(&Msg::CodeLabel.text(l)),
        max = input.length * 3,
        hint = esc(&Msg::CodeHint {
            length: input.length,
            digits_only: input.digits_only
        }
        .text(l)),
        verify = esc(&Msg::Verify.text(l)),
        no = esc(&Msg::PhoneConfirmNo.text(l)),
    );
    layout(
        chrome,
        status,
        &Msg::PhoneCodeTitle.text(l),
        &body,
        &[WEBOTP_JS],
    )
}

/// A short error page with a way back.
pub fn error(chrome: &Chrome<'_>, status: u16, title: Msg, text: Msg) -> Page {
    let l = chrome.lang;
    let body = format!(
        "<p class=\"notice error\" role=\"alert\" id=\"notice\">{}</p>\n<p class=\"alt\"><a href=\"/\">{}</a></p>\n",
        esc(&text.text(l)),
        esc(&Msg::BackHome.text(l))
    );
    layout(chrome, status, &title.text(l), &body, &[])
}
