//! A development transport that prints each SMS to stderr.

use std::sync::atomic::{AtomicU64, Ordering};

use super::{Call, Provider, Receipt, Sms, SmsTransport, TransportError, VoiceTransport};
use crate::message::{Encoding, encoded_units};

/// Prints each SMS, and the words of each call, to stderr instead of sending them: for
/// running an app on a laptop.
///
/// It prints the body, code included, and the full number: never use it in production.
#[derive(Debug, Default)]
pub struct ConsoleTransport {
    sent: AtomicU64,
}

impl ConsoleTransport {
    /// A console transport.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait::async_trait]
impl SmsTransport for ConsoleTransport {
    fn provider_name(&self) -> Option<Provider> {
        Some(Provider::new("console"))
    }

    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        let n = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        #[allow(clippy::print_stderr)] // printing is this transport's whole job
        {
            // The units and the one-segment capacity, so a developer sees at once
            // when a template spills into a second (billed) segment.
            let (name, capacity) = match sms.encoding() {
                Encoding::Gsm7 => ("GSM-7", Encoding::Gsm7.single_capacity()),
                _ => ("UCS-2", Encoding::Ucs2.single_capacity()),
            };
            let parts = sms.segments();
            eprintln!(
                "--- SMS #{n} to {} ({name}, {} of {capacity} units: {parts} segment{}) ---\n{}\n---",
                sms.to().as_e164(),
                encoded_units(sms.body().expose()),
                if parts == 1 { "" } else { "s" },
                sms.body().expose()
            );
        }
        Ok(Receipt::new("console", format!("console-{n}")))
    }
}

#[async_trait::async_trait]
impl VoiceTransport for ConsoleTransport {
    fn provider_name(&self) -> Option<Provider> {
        Some(Provider::new("console"))
    }

    async fn call(&self, call: &Call) -> Result<Receipt, TransportError> {
        let n = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        #[allow(clippy::print_stderr)] // printing is this transport's whole job
        {
            eprintln!(
                "--- call #{n} to {} ({}, played {} time(s)) ---\n{}\n---",
                call.to().as_e164(),
                call.language_tag(),
                call.repeat(),
                call.speech().expose_plain()
            );
        }
        Ok(Receipt::new("console", format!("console-call-{n}")))
    }
}
