//! A test transport that keeps every message and fails on demand.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::{
    Call, Provider, Receipt, Sms, SmsTransport, TransportError, TransportErrorKind, VoiceTransport,
};
use crate::phone::PhoneNumber;

/// Keeps every SMS and call it is given, so tests can read the code that was "sent".
///
/// Queue failures with [`fail_next`](Self::fail_next); each queued error is returned by
/// one send, in order, and the message is not recorded.
#[derive(Debug, Default)]
pub struct RecordingTransport {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    sent: Vec<Sms>,
    calls: Vec<Call>,
    failures: VecDeque<TransportErrorKind>,
    fail_always: Option<TransportErrorKind>,
}

impl RecordingTransport {
    /// An empty recorder that accepts everything.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-updated.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes the next send fail with `kind`.
    pub fn fail_next(&self, kind: TransportErrorKind) {
        self.lock().failures.push_back(kind);
    }

    /// Makes every send fail with `kind` until [`recover`](Self::recover).
    pub fn fail_always(&self, kind: TransportErrorKind) {
        self.lock().fail_always = Some(kind);
    }

    /// Stops failing.
    pub fn recover(&self) {
        let mut inner = self.lock();
        inner.fail_always = None;
        inner.failures.clear();
    }

    /// Every message accepted so far, oldest first.
    #[must_use]
    pub fn messages(&self) -> Vec<Sms> {
        self.lock().sent.clone()
    }

    /// Removes and returns every message accepted so far.
    pub fn take_messages(&self) -> Vec<Sms> {
        std::mem::take(&mut self.lock().sent)
    }

    /// How many messages were accepted.
    #[must_use]
    pub fn count(&self) -> usize {
        self.lock().sent.len()
    }

    /// The code in the last message accepted for `to`.
    #[must_use]
    pub fn last_code(&self, to: &PhoneNumber) -> Option<String> {
        self.lock()
            .sent
            .iter()
            .rev()
            .find(|sms| sms.to() == to)
            .and_then(|sms| sms.body().code().map(str::to_owned))
    }

    /// Every call placed so far, oldest first.
    #[must_use]
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// The code the last call to `to` read out.
    #[must_use]
    pub fn last_spoken_code(&self, to: &PhoneNumber) -> Option<String> {
        self.lock()
            .calls
            .iter()
            .rev()
            .find(|call| call.to() == to)
            .map(|call| call.code().to_owned())
    }

    fn injected_failure(inner: &mut Inner) -> Option<TransportError> {
        let kind = inner.failures.pop_front().or(inner.fail_always)?;
        Some(TransportError::new(
            kind,
            "recording",
            "failure injected by the test",
        ))
    }

    /// Every code sent to `to`, oldest first.
    #[must_use]
    pub fn codes(&self, to: &PhoneNumber) -> Vec<String> {
        self.lock()
            .sent
            .iter()
            .filter(|sms| sms.to() == to)
            .filter_map(|sms| sms.body().code().map(str::to_owned))
            .collect()
    }
}

#[async_trait::async_trait]
impl SmsTransport for RecordingTransport {
    fn provider_name(&self) -> Option<Provider> {
        Some(Provider::new("recording"))
    }

    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        let mut inner = self.lock();
        if let Some(err) = Self::injected_failure(&mut inner) {
            return Err(err);
        }
        inner.sent.push(sms.clone());
        let id = format!("rec-{}", inner.sent.len());
        Ok(Receipt::new("recording", id))
    }
}

#[async_trait::async_trait]
impl VoiceTransport for RecordingTransport {
    fn provider_name(&self) -> Option<Provider> {
        Some(Provider::new("recording"))
    }

    async fn call(&self, call: &Call) -> Result<Receipt, TransportError> {
        let mut inner = self.lock();
        if let Some(err) = Self::injected_failure(&mut inner) {
            return Err(err);
        }
        inner.calls.push(call.clone());
        let id = format!("rec-call-{}", inner.calls.len());
        Ok(Receipt::new("recording", id))
    }
}
