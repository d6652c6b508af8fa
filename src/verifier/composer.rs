//! Turns a code into the SMS that carries it.

use time::OffsetDateTime;

use crate::challenge::{Binding, ChallengeId};
use crate::code::{Code, CodeSpec};
use crate::message::MessageTemplate;
use crate::transport::Sms;

/// The code spec, the template and the sender id: everything that shapes a message.
#[derive(Debug)]
pub(super) struct Composer {
    pub(super) spec: CodeSpec,
    pub(super) template: MessageTemplate,
    pub(super) sender: Option<String>,
}

/// Which send of which challenge, and until when its codes live.
pub(super) struct SendNo<'a> {
    pub(super) id: &'a ChallengeId,
    /// 1 for the first SMS of the challenge.
    pub(super) number: u32,
    pub(super) now: OffsetDateTime,
    pub(super) expires_at: OffsetDateTime,
}

impl Composer {
    /// The SMS for one send of a challenge. Its idempotency key is the challenge and
    /// send number, so a retried hand-off to the provider never doubles the SMS.
    pub(super) fn compose(&self, binding: &Binding, send: &SendNo<'_>, code: &Code) -> Sms {
        let left = send.expires_at - send.now;
        let minutes = u32::try_from(left.whole_minutes().max(1)).unwrap_or(u32::MAX);
        let body = self.template.render(code.expose(), minutes);
        let sms = Sms::new(
            binding.destination().clone(),
            body,
            left,
            format!("{}-{}", send.id, send.number),
        );
        match &self.sender {
            Some(sender) => sms.with_sender(sender.clone()),
            None => sms,
        }
    }
}
