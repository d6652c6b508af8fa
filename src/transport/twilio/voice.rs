//! Twilio Programmable Voice: a call whose inline TwiML reads the code.
//!
//! `POST {base}/2010-04-01/Accounts/{AccountSid}/Calls.json`, form-encoded, HTTP Basic
//! auth, with `To`, `From` (a number of the account: an alphanumeric sender id cannot
//! call), `Twiml` (`<Response><Say language=… loop=…>` with the speech's SSML
//! elements inside, which Twilio's `<Say>` accepts) and, when configured,
//! `StatusCallback`. Errors are classified as for SMS.

use super::super::{Call, Provider, Receipt, TransportError, TransportErrorKind, VoiceTransport};
use super::{PROVIDER, TwilioTransport};

/// The TwiML for `call`: the speech inside one `<Say>`, played `repeat` times. The
/// SSML's `<speak>` root is dropped, since `<Say>` takes its elements directly.
pub(super) fn twiml(call: &Call) -> String {
    let ssml = call.speech().expose_ssml();
    let inner = ssml
        .strip_prefix("<speak>")
        .and_then(|s| s.strip_suffix("</speak>"))
        .unwrap_or(ssml);
    format!(
        "<Response><Say language=\"{}\" loop=\"{}\">{inner}</Say></Response>",
        call.language_tag(),
        call.repeat()
    )
}

#[async_trait::async_trait]
impl VoiceTransport for TwilioTransport {
    fn provider_name(&self) -> Option<Provider> {
        Some(Provider::new(PROVIDER))
    }

    async fn call(&self, call: &Call) -> Result<Receipt, TransportError> {
        let Some(from) = &self.voice_from else {
            return Err(TransportError::new(
                TransportErrorKind::Rejected,
                PROVIDER,
                "no voice caller number is configured (TWILIO_VOICE_FROM)",
            ));
        };
        let twiml = twiml(call);
        let form = vec![
            ("To", call.to().as_e164()),
            ("From", from.as_str()),
            ("Twiml", twiml.as_str()),
        ];
        self.post_form(&self.calls_endpoint, form).await
    }
}
