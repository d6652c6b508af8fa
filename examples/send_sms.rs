//! Sends one SMS, or places one call that reads a code, through a bundled provider
//! configured from the environment, and prints the provider's message or call id.
//!
//! ```text
//! cargo run --example send_sms --features twilio -- --provider twilio --to +819012345678 --text hello
//! cargo run --example send_sms --features twilio -- --provider twilio --voice --to +819012345678 --text 4KX7QP
//! ```
//!
//! With `--voice`, `--text` is the code to read (symbol by symbol, twice), `--lang`
//! picks `en` (default) or `ja`, and the providers are `twilio` (plus
//! TWILIO_VOICE_FROM when TWILIO_FROM is not a number), `vonage` (feature
//! `vonage-voice`: VONAGE_APPLICATION_ID, VONAGE_PRIVATE_KEY or
//! VONAGE_PRIVATE_KEY_PATH, VONAGE_VOICE_FROM) and `console` (prints the words).
//!
//! Providers: `twilio` (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM),
//! `vonage` (VONAGE_API_KEY, VONAGE_API_SECRET, VONAGE_FROM), `symworld`
//! (SYMWORLD_API_KEY, SYMWORLD_API_SECRET, SYMWORLD_FROM), `webhook`
//! (SMSOTP_WEBHOOK_URL, SMSOTP_WEBHOOK_SECRET); each also reads `<PREFIX>_BASE_URL`
//! where it has one. Each provider needs its cargo feature; the example builds with
//! any set of features and says which one is missing.

use std::process::ExitCode;

use smsotp::PhoneNumber;
use smsotp::message::{Body, Locale, Speech};
use smsotp::transport::{Call, Receipt, Sms, SmsTransport, TransportError, VoiceTransport};

const USAGE: &str = "usage: send_sms --provider <twilio|vonage|symworld|webhook|console> --to <+E164> --text <message or code> [--from <sender>] [--voice [--lang en|ja]]";

struct Args {
    provider: String,
    to: String,
    text: String,
    from: Option<String>,
    voice: bool,
    lang: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut provider = None;
    let mut to = None;
    let mut text = None;
    let mut from = None;
    let mut lang = None;
    let mut voice = false;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let slot = match flag.as_str() {
            "--provider" => &mut provider,
            "--to" => &mut to,
            "--text" => &mut text,
            "--from" => &mut from,
            "--lang" => &mut lang,
            "--voice" => {
                voice = true;
                continue;
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        };
        *slot = Some(
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?,
        );
    }
    Ok(Args {
        provider: provider.ok_or_else(|| format!("--provider is required\n{USAGE}"))?,
        to: to.ok_or_else(|| format!("--to is required\n{USAGE}"))?,
        text: text.ok_or_else(|| format!("--text is required\n{USAGE}"))?,
        from,
        voice,
        lang,
    })
}

/// The voice transport for `name`, if its feature is compiled in.
fn voice_transport(name: &str) -> Result<Box<dyn VoiceTransport>, String> {
    match name {
        "console" => Ok(Box::new(smsotp::transport::ConsoleTransport::new())),
        "twilio" => {
            #[cfg(feature = "twilio")]
            return smsotp::transport::TwilioTransport::from_env()
                .map(|t| Box::new(t) as Box<dyn VoiceTransport>)
                .map_err(|e| e.to_string());
            #[cfg(not(feature = "twilio"))]
            return Err("provider twilio needs the `twilio` feature".to_owned());
        }
        "vonage" => {
            #[cfg(feature = "vonage-voice")]
            return smsotp::transport::VonageVoiceTransport::from_env()
                .map(|t| Box::new(t) as Box<dyn VoiceTransport>)
                .map_err(|e| e.to_string());
            #[cfg(not(feature = "vonage-voice"))]
            return Err("voice through vonage needs the `vonage-voice` feature".to_owned());
        }
        other => Err(format!("no voice calls through {other}\n{USAGE}")),
    }
}

/// Places the call that reads `args.text`.
async fn place_call(args: &Args, to: PhoneNumber) -> Result<Receipt, String> {
    let locale = match args.lang.as_deref() {
        None | Some("en") => Locale::En,
        Some("ja") => Locale::Ja,
        Some(other) => return Err(format!("--lang must be en or ja, not {other}")),
    };
    let speech = Speech::render(&args.text, "smsotp", locale)
        .map_err(|e| format!("--text must be a code of digits and letters: {e}"))?;
    let key = format!("send-call-{:016x}", rand::random::<u64>());
    let call = Call::new(to, speech, &args.text, key);
    voice_transport(&args.provider)?
        .call(&call)
        .await
        .map_err(|e| failed("call", &e))
}

fn failed(what: &str, e: &TransportError) -> String {
    let hint = if e.is_retryable() {
        " (worth retrying)"
    } else {
        ""
    };
    format!("{what} failed{hint}: {e}")
}

/// The transport for `name`, if its feature is compiled in.
fn transport(name: &str) -> Result<Box<dyn SmsTransport>, String> {
    let missing = |feature: &str| {
        format!(
            "provider {name} needs the `{feature}` feature: cargo run --example send_sms --features {feature} -- ..."
        )
    };
    match name {
        "twilio" => {
            #[cfg(feature = "twilio")]
            return smsotp::transport::TwilioTransport::from_env()
                .map(|t| Box::new(t) as Box<dyn SmsTransport>)
                .map_err(|e| e.to_string());
            #[cfg(not(feature = "twilio"))]
            return Err(missing("twilio"));
        }
        "vonage" => {
            #[cfg(feature = "vonage")]
            return smsotp::transport::VonageTransport::from_env()
                .map(|t| Box::new(t) as Box<dyn SmsTransport>)
                .map_err(|e| e.to_string());
            #[cfg(not(feature = "vonage"))]
            return Err(missing("vonage"));
        }
        "symworld" => {
            #[cfg(feature = "symworld")]
            return smsotp::transport::SymworldTransport::from_env()
                .map(|t| Box::new(t) as Box<dyn SmsTransport>)
                .map_err(|e| e.to_string());
            #[cfg(not(feature = "symworld"))]
            return Err(missing("symworld"));
        }
        "webhook" => {
            #[cfg(feature = "webhook")]
            return smsotp::transport::WebhookTransport::from_env()
                .map(|t| Box::new(t) as Box<dyn SmsTransport>)
                .map_err(|e| e.to_string());
            #[cfg(not(feature = "webhook"))]
            return Err(missing("webhook"));
        }
        other => {
            let _ = missing;
            Err(format!("unknown provider {other}\n{USAGE}"))
        }
    }
}

async fn run() -> Result<String, String> {
    let args = parse_args()?;
    let to = PhoneNumber::parse_e164(&args.to)
        .map_err(|e| format!("--to must be an E.164 number like +819012345678: {e}"))?;
    if args.voice {
        let receipt = place_call(&args, to).await?;
        return Ok(format!("{} {}", receipt.provider(), receipt.message_id()));
    }
    let transport = transport(&args.provider)?;
    let key = format!("send-sms-{:016x}", rand::random::<u64>());
    let mut sms = Sms::new(to, Body::new(args.text), time::Duration::minutes(5), key);
    if let Some(from) = args.from {
        sms = sms.with_sender(from);
    }
    let receipt = transport.send(&sms).await.map_err(|e| failed("send", &e))?;
    Ok(format!("{} {}", receipt.provider(), receipt.message_id()))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
