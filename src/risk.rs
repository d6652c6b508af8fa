//! A hook for the app's own risk signals, asked before every SMS.

use crate::challenge::Purpose;
use crate::phone::PhoneNumber;

/// What the app knows about a send request.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RiskRequest<'a> {
    /// The destination.
    pub destination: &'a PhoneNumber,
    /// What the code is for.
    pub purpose: &'a Purpose,
    /// The client key the app gave (IP, session), if any.
    pub client_key: Option<&'a str>,
}

/// The answer of a [`RiskCheck`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RiskVerdict {
    /// Send.
    Allow,
    /// Do not send; the reason goes to events and logs, never to the person.
    Deny {
        /// Why (for operators).
        reason: String,
    },
}

/// An app's risk check: a CAPTCHA score, a SIM-swap or number-porting lookup, a
/// known-fraud list. It runs before every send; a denial (or an error, which counts as
/// a denial) stops the SMS, and the person sees the same answer as for a good number.
#[async_trait::async_trait]
pub trait RiskCheck: Send + Sync + std::fmt::Debug + 'static {
    /// Judges one send request.
    ///
    /// # Errors
    /// Any error; the verifier treats it as a denial (fail closed).
    async fn assess(
        &self,
        request: &RiskRequest<'_>,
    ) -> Result<RiskVerdict, Box<dyn std::error::Error + Send + Sync>>;
}
