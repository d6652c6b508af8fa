//! Every send control, in the one order that `start` and `resend` share.
//!
//! [`Controls::admit`] runs them for a [`Send`] built once:
//!
//! 1. **send limits**: number, client, prefix, country, global, reserved in one
//!    atomic store step; a refusal says which and when to retry;
//! 2. **test numbers**: fixed codes, never sent (development mode only);
//! 3. **country policy**;
//! 4. **conversion guard**: a paused prefix;
//! 5. **risk check** (the app's; an error counts as a denial);
//! 6. **spend cap**: the SMS's cost (segments times the route's price) or the call's
//!    price, reserved.
//!
//! Steps 2 to 5 choose the [`Route`]; a refused destination gets a decoy: the same
//! limits, code, digest and store write as a real send, and the same answer, but no
//! SMS. What a decoy uses is chosen so the answer cannot tell it apart and the bill
//! cannot grow: it counts against the limits keyed on what the requester chooses
//! (number, client, prefix, country), because an allowed destination would; it gives
//! back its unit of the global limit and only *looks* at the spend cap (refused when the
//! SMS would not fit, exactly as a real one), because no money is spent.
//!
//! Nothing is charged before it is known to be needed: what admission reserved is
//! given back ([`Controls::release`]) when the store refuses the send (a racing resend,
//! a full store) or the transport fails without sending, so every counter equals what
//! was actually sent.

use std::sync::Arc;

use time::OffsetDateTime;

use super::composer::Outgoing;
use super::policy_keys::{LazyKeys, ScopedLimit, subject_key};
use crate::challenge::{Binding, Purpose};
use crate::code::Code;
use crate::digest::Keyring;
use crate::error::Error;
use crate::events::{DenyReason, Event, EventSink};
use crate::policy::{ConversionGuard, CountryPolicy, Limit, SendLimits, SpendCap};
use crate::risk::{RiskCheck, RiskRequest, RiskVerdict};
use crate::store::{RateDecision, RateLimit, Scope, SharedStore, SubjectCeiling, SubjectGuard};
use crate::test_numbers::TestNumbers;

/// One send, built once: who it is for, its code, and the SMS that would carry it.
pub(super) struct Send<'a> {
    pub(super) binding: &'a Binding,
    pub(super) client: Option<&'a str>,
    pub(super) keys: LazyKeys<'a>,
    pub(super) code: Code,
    pub(super) message: Outgoing,
    /// A test number's fixed code: never sent.
    pub(super) test: bool,
    pub(super) now: OffsetDateTime,
}

/// Where a send goes.
#[derive(Debug)]
pub(super) enum Route {
    /// To the transport.
    Send,
    /// A test number: nowhere.
    Test,
    /// Refused by policy: nowhere, with the same answer as a send.
    Decoy(DenyReason),
}

/// What admission decided and holds.
pub(super) struct Admission {
    pub(super) route: Route,
    /// What was reserved, to give back if the send does not happen.
    held: Vec<RateLimit>,
    /// The conversion guard's counts before this send: (sends, approvals).
    watch: Option<(u64, u64)>,
}

/// The send policy: values only; the counts live in the store.
#[derive(Debug)]
pub(super) struct Controls {
    pub(super) limits: SendLimits,
    pub(super) test_numbers: TestNumbers,
    pub(super) countries: CountryPolicy,
    /// Policies that replace `countries` for one purpose (stricter at enrolment).
    pub(super) countries_by_purpose: Vec<(Purpose, CountryPolicy)>,
    pub(super) conversion: Option<ConversionGuard>,
    pub(super) risk: Option<Arc<dyn RiskCheck>>,
    pub(super) spend: Option<SpendCap>,
    pub(super) subject_ceiling: Limit,
}

/// The store and the event sink, which every step may use.
#[derive(Clone, Copy)]
pub(super) struct Deps<'a> {
    pub(super) store: &'a SharedStore,
    pub(super) events: &'a dyn EventSink,
}

impl Deps<'_> {
    /// Builds and hands over an event, only if the sink wants events.
    pub(super) fn emit(&self, event: impl FnOnce() -> Event) {
        if self.events.wants_events() {
            hand_over_event(self.events, event);
        }
    }
}

/// Out of line, like the logging (see `log`): building an event is code that runs
/// only when someone listens, and it stays out of the hot path's instructions.
#[inline(never)]
fn hand_over_event(sink: &dyn EventSink, event: impl FnOnce() -> Event) {
    sink.emit(&event());
}

impl Controls {
    /// The country policy for `purpose`: its own if one was set, else the default.
    fn countries_for(&self, purpose: &Purpose) -> &CountryPolicy {
        self.countries_by_purpose
            .iter()
            .find(|(p, _)| p == purpose)
            .map_or(&self.countries, |(_, policy)| policy)
    }

    /// The fixed code of a test number, if `binding` is one at `now`.
    pub(super) fn test_code(&self, binding: &Binding, now: OffsetDateTime) -> Option<&str> {
        self.test_numbers.code_for(binding.destination(), now)
    }

    /// Runs every control in the written order; see the module docs.
    pub(super) async fn admit(&self, send: &Send<'_>, deps: Deps<'_>) -> Result<Admission, Error> {
        let mut admission = Admission {
            route: Route::Send,
            held: Vec::new(),
            watch: None,
        };
        // 1. Send limits.
        let limits = if self.limits.is_empty() {
            Vec::new()
        } else {
            send.keys.get().send_limits(&self.limits)
        };
        self.reserve_limits(send, &limits, deps).await?;
        admission.held = limits.into_iter().map(|l| l.limit).collect();
        // 2 to 5. The route.
        match self.route(send, deps).await {
            Ok((route, watch)) => {
                admission.route = route;
                admission.watch = watch;
            }
            Err(e) => {
                self.release(&admission, send.now, deps).await;
                return Err(e);
            }
        }
        if !matches!(admission.route, Route::Send) {
            // Not a send: its unit of the global limit goes back (the answer was
            // already the same as a send's, since that state is shared).
            let (global, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut admission.held)
                .into_iter()
                .partition(|l| l.key.scope() == Scope::Global);
            admission.held = kept;
            give_back(&global, send.now, deps).await;
        }
        // 6. Spend cap.
        if let Err(e) = self.reserve_spend(send, &mut admission, deps).await {
            self.release(&admission, send.now, deps).await;
            return Err(e);
        }
        Ok(admission)
    }

    /// Gives back what `admission` reserved at `at`, for a send that did not happen.
    /// Best effort: a failure is logged, and the counters then over-count, which can
    /// only refuse a send, never allow one.
    pub(super) async fn release(&self, admission: &Admission, at: OffsetDateTime, deps: Deps<'_>) {
        give_back(&admission.held, at, deps).await;
    }

    /// What follows a send that happened: the conversion guard's count, and a pause
    /// when the prefix converts too poorly.
    pub(super) async fn after_send(&self, send: &Send<'_>, admission: &Admission, deps: Deps<'_>) {
        let (Some(guard), Some((sends, approvals))) = (&self.conversion, admission.watch) else {
            return;
        };
        let keys = send.keys.get();
        let sends = sends + 1;
        let mut hits = vec![RateLimit::new(keys.sends.clone(), u64::MAX, guard.window)];
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let ratio = approvals as f64 / sends as f64;
        let pause = sends >= guard.min_sends && ratio < guard.floor;
        if pause {
            hits.push(RateLimit::new(
                keys.paused.clone(),
                u64::MAX,
                guard.cool_off,
            ));
        }
        if let Err(e) = deps.store.reserve(&hits, send.now).await {
            tracing::warn!(error = %e, "could not update the conversion guard");
            return;
        }
        if pause {
            let prefix = masked_prefix(send.binding, keys.prefix_tag());
            tracing::warn!(%prefix, sends, approvals, "conversion guard paused a prefix");
            deps.emit(|| Event::PrefixPaused {
                prefix,
                sends,
                approvals,
            });
        }
    }

    /// Feeds the conversion guard an approval; a failure here must not undo it.
    pub(super) async fn after_approval(
        &self,
        keys: &Keyring,
        binding: &Binding,
        now: OffsetDateTime,
        deps: Deps<'_>,
    ) {
        let Some(guard) = &self.conversion else {
            return;
        };
        // The keys are dropped before the await, so they stay out of check's future.
        let approvals = {
            let keys = LazyKeys::new(keys, binding, None);
            RateLimit::new(keys.get().approvals.clone(), u64::MAX, guard.window)
        };
        if let Err(e) = deps.store.reserve(&[approvals], now).await {
            tracing::warn!(error = %e, "could not count an approval for the conversion guard");
        }
    }

    /// The per-subject failure ceiling for a check.
    pub(super) fn subject_guard(&self, keys: &Keyring, binding: &Binding) -> SubjectGuard {
        let ceiling = self.subject_ceiling();
        SubjectGuard::new(
            subject_key(keys, binding),
            ceiling.max_failures,
            ceiling.window,
        )
    }

    /// The per-subject failure ceiling's numbers, for a store that keeps the subject.
    pub(super) fn subject_ceiling(&self) -> SubjectCeiling {
        SubjectCeiling::new(
            u32::try_from(self.subject_ceiling.count).unwrap_or(100),
            self.subject_ceiling.window,
        )
    }

    async fn reserve_limits(
        &self,
        send: &Send<'_>,
        limits: &[ScopedLimit],
        deps: Deps<'_>,
    ) -> Result<(), Error> {
        if limits.is_empty() {
            return Ok(());
        }
        let plain: Vec<RateLimit> = limits.iter().map(|l| l.limit.clone()).collect();
        match deps.store.reserve(&plain, send.now).await? {
            RateDecision::Allowed => Ok(()),
            RateDecision::Denied { limit, retry_at } => {
                let scope = limits.get(limit).map_or("send", |l| l.scope);
                Err(refused(
                    send,
                    scope,
                    deps,
                    Error::RateLimited { scope, retry_at },
                ))
            }
        }
    }

    /// Steps 2 to 5: test numbers, country policy, conversion guard, risk check.
    async fn route(
        &self,
        send: &Send<'_>,
        deps: Deps<'_>,
    ) -> Result<(Route, Option<(u64, u64)>), Error> {
        if send.test {
            return Ok((Route::Test, None));
        }
        let destination = send.binding.destination();
        if !self
            .countries_for(send.binding.purpose())
            .permits(destination.calling_code())
        {
            return Ok((Route::Decoy(DenyReason::Country), None));
        }
        let mut watch = None;
        if self.conversion.is_some() {
            let keys = send.keys.get();
            let read = [
                keys.paused.clone(),
                keys.sends.clone(),
                keys.approvals.clone(),
            ];
            let counts = deps.store.counts(&read, send.now).await?;
            let get = |i: usize| counts.get(i).copied().unwrap_or(0);
            if get(0) > 0 {
                return Ok((Route::Decoy(DenyReason::PrefixPaused), None));
            }
            watch = Some((get(1), get(2)));
        }
        if let Some(risk) = &self.risk {
            let request = RiskRequest {
                destination,
                purpose: send.binding.purpose(),
                client_key: send.client,
            };
            match risk.assess(&request).await {
                Ok(RiskVerdict::Allow) => {}
                Ok(RiskVerdict::Deny { reason }) => {
                    return Ok((Route::Decoy(DenyReason::Risk(reason)), None));
                }
                Err(_) => {
                    // The app's error text may quote the number (a lookup URL); the
                    // app logs its own errors, we only record that the check failed.
                    let reason = DenyReason::Risk("risk check failed".to_owned());
                    return Ok((Route::Decoy(reason), None));
                }
            }
        }
        Ok((Route::Send, watch))
    }

    /// Step 6: reserves the SMS's cost for a send; for a decoy or test number, refuses
    /// exactly when a send would be refused, and reserves nothing.
    async fn reserve_spend(
        &self,
        send: &Send<'_>,
        admission: &mut Admission,
        deps: Deps<'_>,
    ) -> Result<(), Error> {
        let Some(cap) = &self.spend else {
            return Ok(());
        };
        let calling_code = send.binding.destination().calling_code();
        let cost = match &send.message {
            Outgoing::Sms(sms) => cap.cost(calling_code, sms.segments()),
            Outgoing::Call(_) => cap.call_cost(calling_code),
        };
        let key = send.keys.get().spend.clone();
        let sends = matches!(admission.route, Route::Send);
        let limit = if sends {
            RateLimit::new(key, cap.budget, cap.window).with_cost(cost)
        } else {
            // Room for `cost` more, asked as "is there room for nothing under a budget
            // `cost` smaller": the same refusal and retry time, and nothing counted.
            RateLimit::new(key, cap.budget.saturating_sub(cost), cap.window).with_cost(0)
        };
        let decision = if cost > cap.budget {
            // Never affordable: refused like a send, whose window then opens now.
            RateDecision::Denied {
                limit: 0,
                retry_at: send.now + cap.window,
            }
        } else {
            deps.store
                .reserve(std::slice::from_ref(&limit), send.now)
                .await?
        };
        match decision {
            RateDecision::Allowed => {
                if sends {
                    admission.held.push(limit);
                }
                Ok(())
            }
            RateDecision::Denied { retry_at, .. } => {
                Err(refused(send, "spend", deps, Error::SpendCap { retry_at }))
            }
        }
    }
}

/// Logs and reports a refusal by a limit, and returns `error`.
fn refused(send: &Send<'_>, scope: &'static str, deps: Deps<'_>, error: Error) -> Error {
    tracing::warn!(to = %send.binding.destination(), scope, "send denied by a limit");
    deps.emit(|| Event::RateLimited {
        to: send.binding.destination().masked(),
        scope,
    });
    error
}

async fn give_back(limits: &[RateLimit], at: OffsetDateTime, deps: Deps<'_>) {
    if limits.is_empty() {
        return;
    }
    if let Err(e) = deps.store.release(limits, at).await {
        tracing::warn!(error = %e, "could not give back a reservation");
    }
}

/// The prefix as operators may see it: the masked number's visible head plus a short
/// keyed id of the prefix, so alerts about one prefix can be told apart without
/// revealing more digits than the masked number already shows.
fn masked_prefix(binding: &Binding, tag: &str) -> String {
    let masked = binding.destination().masked();
    let head = masked.split('-').next().unwrap_or("+");
    format!("{head}-… (prefix #{tag})")
}
