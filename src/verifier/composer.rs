//! Turns a code into the SMS that carries it.

use time::OffsetDateTime;

use crate::challenge::{Binding, ChallengeId};
use crate::code::{Code, CodeSpec};
use crate::error::Error;
use crate::message::{Locale, MessageTemplate, Speech};
use crate::transport::{Call, SendKey, Sms};

/// The code spec, the template and the sender id: everything that shapes a message.
#[derive(Debug)]
pub(super) struct Composer {
    pub(super) spec: CodeSpec,
    pub(super) template: MessageTemplate,
    pub(super) sender: Option<String>,
}

/// What carries a code: an SMS, or a call that reads it.
#[derive(Debug, Clone)]
pub(super) enum Outgoing {
    Sms(Sms),
    Call(Call),
}

/// Which channel a send uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Channel {
    Sms,
    Voice,
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
        let body = self
            .template
            .render(code.expose(), crate::message::minutes_left(left));
        let sms = Sms::keyed(
            binding.destination().clone(),
            body,
            left,
            SendKey::of_send(*send.id, send.number),
        );
        match &self.sender {
            Some(sender) => sms.with_sender(sender.clone()),
            None => sms,
        }
    }
}

impl Composer {
    /// The message for one send on `channel`.
    ///
    /// # Errors
    /// [`Error::NoVoiceRoute`] when the code has a symbol no voice can read (a custom
    /// alphabet).
    pub(super) fn compose_for(
        &self,
        channel: Channel,
        binding: &Binding,
        send: &SendNo<'_>,
        code: &Code,
    ) -> Result<Outgoing, Error> {
        Ok(match channel {
            Channel::Sms => Outgoing::Sms(self.compose(binding, send, code)),
            Channel::Voice => Outgoing::Call(self.compose_call(binding, send, code)?),
        })
    }

    /// The call for one send: the code read in the template's language (English for
    /// a custom template), under its brand.
    fn compose_call(
        &self,
        binding: &Binding,
        send: &SendNo<'_>,
        code: &Code,
    ) -> Result<Call, Error> {
        let locale = self.template.locale().unwrap_or(Locale::En);
        let brand = self.template.brand().unwrap_or("");
        let speech =
            Speech::render(code.expose(), brand, locale).map_err(|_| Error::NoVoiceRoute)?;
        Ok(Call::new(
            binding.destination().clone(),
            speech,
            code.expose(),
            SendKey::of_send(*send.id, send.number).as_str().to_owned(),
        )
        .valid_for(send.expires_at - send.now))
    }
}
