//! The second step by a code: the choice of how it comes, the code page, resends,
//! calls, and the lock after too many wrong codes.

use super::*;

/// The page that says the second step locked and the password is needed again.
pub(super) fn locked_page(state: &AppState, ctx: &Ctx, lock: Lock) -> Response {
    let (title, text) = lock.title_and_text();
    let page = pages::locked(&ctx.chrome(state), &ctx.csrf(state), title, text);
    respond(state, &ctx.session, page)
}

/// "How do you want to confirm it's you?", between the password and any SMS.
pub(super) async fn choose_page(State(state): State<Arc<AppState>>, ctx: SecondStep) -> Response {
    let user = &ctx.user;
    if let Some(lock) = state.second_step_locked(user) {
        return locked_page(&state, &ctx, lock);
    }
    let page = pages::choose(
        &ctx.chrome(&state),
        &ctx.csrf(&state),
        &state.masked_phone(user),
        state.voice,
        ctx.notice_for(None),
        ctx.status(),
    );
    respond(&state, &ctx.session, page)
}

pub(super) async fn choose_submit(
    State(state): State<Arc<AppState>>,
    ctx: SecondStep,
    Form(form): Form<ChooseForm>,
) -> Result<Response, Response> {
    ctx.check_csrf(&state, &form.csrf)?;
    Ok(match form.method.as_str() {
        "sms" => send_by_sms(&state, &ctx).await,
        "app" => redirect(&state, &ctx.session, "/other-way"),
        _ => redirect(&state, &ctx.session, "/choose"),
    })
}

/// Records the challenge and how its latest code went out.
pub(super) fn with_sent(session: &Session, id: ChallengeId, by_call: bool) -> Session {
    let mut session = session.clone();
    if let Stage::SecondStep {
        challenge, called, ..
    } = &mut session.stage
    {
        *challenge = Some(id);
        *called = by_call;
    }
    session
}

/// Why no code went out, as the person should hear it.
pub(super) struct SendFailure {
    pub(super) msg: Msg,
    pub(super) status: u16,
}

/// A code by SMS for this second step, unless it locked: a resend of its challenge
/// while that is pending, else a new challenge. Answers with a redirect to the code
/// page either way, which says what happened.
pub(super) async fn send_by_sms(state: &AppState, ctx: &SecondStep) -> Response {
    let (user, challenge) = (&ctx.user, &ctx.challenge);
    // A locked challenge stays locked: a fresh code needs the password again.
    if state.second_step_locked(user).is_some() {
        return redirect(state, &ctx.session, "/verify");
    }
    if let Some(id) = challenge
        && let Ok(Some(st)) = state.en.status(id).await
        && st.phase == Phase::Locked
    {
        return redirect(state, &ctx.session, "/verify");
    }
    match send_code(state, ctx, user, *challenge).await {
        Ok(sent) => {
            let session = with_sent(&ctx.session, sent.id(), false);
            let flash = sent.flash(state.masked_phone(user));
            redirect(state, &session.with_flash(flash), "/verify")
        }
        Err(failure) => ctx.back(state, "/verify", Flash::error(failure.msg, failure.status)),
    }
}

/// Sends a code: a resend of `existing` when it is still pending, else a new challenge.
pub(super) async fn send_code(
    state: &AppState,
    ctx: &Ctx,
    user: &str,
    existing: Option<ChallengeId>,
) -> Result<SentCode, SendFailure> {
    let Some(binding) = state.binding(user) else {
        return Err(SendFailure {
            msg: Msg::SessionEnded,
            status: 400,
        });
    };
    let verifier = state.verifier(ctx.lang);
    let options = StartOptions::client(ctx.client.clone());
    if let Some(id) = existing {
        match verifier.resend_with(&id, &binding, &options).await {
            Ok(pending) => return Ok(SentCode::Resent(pending.id)),
            // Expired or gone: a new challenge below. (A locked one never gets here.)
            Err(Error::NotPending) => {}
            Err(e) => return Err(send_failure(&e, ctx.now)),
        }
    }
    verifier
        .start_with(&binding, &options)
        .await
        .map(|pending| SentCode::New(pending.id))
        .map_err(|e| send_failure(&e, ctx.now))
}

/// What [`send_code`] did: a code for the same challenge (earlier codes still work),
/// or a new challenge (they do not).
pub(super) enum SentCode {
    Resent(ChallengeId),
    New(ChallengeId),
}

impl SentCode {
    fn id(&self) -> ChallengeId {
        match self {
            Self::Resent(id) | Self::New(id) => *id,
        }
    }

    /// The code page's notice for it.
    fn flash(&self, to: String) -> Flash {
        match self {
            Self::Resent(_) => Flash::info(Msg::NewCodeSent { to }),
            Self::New(_) => Flash::info(Msg::CodeSentTo { to }),
        }
    }
}

pub(super) fn send_failure(error: &Error, now: OffsetDateTime) -> SendFailure {
    // The crate's errors carry no code and only masked numbers: safe to log.
    tracing::warn!(error = %error, "no code sent");
    let (msg, status) = match error {
        Error::ResendTooSoon { resend_at } => (
            Msg::ResendTooSoon {
                seconds: seconds_ceil(*resend_at - now).max(1),
            },
            429,
        ),
        Error::SendLimit => (Msg::SendLimit, 429),
        Error::RateLimited { retry_at, .. } => (
            Msg::RateLimited {
                minutes: minutes_ceil(*retry_at - now).max(1),
            },
            429,
        ),
        Error::SpendCap { .. } => (Msg::SpendCap, 503),
        Error::Transport(_) => (Msg::SendFailed, 502),
        Error::NoVoiceRoute => (Msg::NoCall, 409),
        Error::NotPending => (Msg::ChallengeGone, 409),
        _ => (Msg::StoreDown, 503),
    };
    SendFailure { msg, status }
}

/// The code page for the session's challenge as it stands now, with what the form
/// before it had to say.
pub(super) async fn verify_page(State(state): State<Arc<AppState>>, ctx: SecondStep) -> Response {
    let (user, challenge, called) = (&ctx.user, &ctx.challenge, ctx.called);
    if let Some(lock) = state.second_step_locked(user) {
        return locked_page(&state, &ctx, lock);
    }
    let to = state.masked_phone(user);
    let mut delivery = None;
    let (live, own_notice, status) = match challenge {
        None => (None, Some(Notice::Info(Msg::NotSent)), 200),
        Some(id) => match state.en.status(id).await {
            Ok(Some(st)) => match st.phase {
                Phase::Pending => {
                    delivery = Some(delivery_view(
                        &st,
                        state.reported_at(id),
                        ctx.now,
                        state.voice,
                    ));
                    let live = Live {
                        attempts_left: st.attempts_left,
                        expires_in_minutes: i64::from(minutes_left(st.expires_at - ctx.now)),
                        resend_in: seconds_ceil(st.resend_at - ctx.now),
                        sends_left: st.sends_left,
                    };
                    (Some(live), None, 200)
                }
                Phase::Locked => return locked_page(&state, &ctx, Lock::WrongCodes),
                _ => (None, Some(Notice::Error(Msg::CodeExpired)), 200),
            },
            Ok(None) => (None, Some(Notice::Error(Msg::ChallengeGone)), 200),
            Err(e) => {
                tracing::warn!(error = %e, "challenge status unavailable");
                (None, Some(Notice::Error(Msg::StoreDown)), 503)
            }
        },
    };
    let sent = match (challenge, called) {
        (None, _) => Sent::Nothing,
        (Some(_), true) => Sent::Call,
        (Some(_), false) => Sent::Sms,
    };
    // The form's own notice comes first; the page's note about the challenge otherwise.
    let (notice, status) = match (ctx.notice_for(None), own_notice) {
        (Some(notice), _) => (Some(notice.clone()), ctx.status()),
        (None, own) => (own, status),
    };
    let view = pages::CodeView {
        to: &to,
        sent,
        input: state.input,
        live,
        delivery,
    };
    let page = pages::verify(
        &ctx.chrome(&state),
        &ctx.csrf(&state),
        view,
        notice.as_ref(),
        status,
    );
    respond(&state, &ctx.session, page)
}

pub(super) async fn verify_code(
    State(state): State<Arc<AppState>>,
    ctx: SecondStep,
    Form(form): Form<CodeForm>,
) -> Result<Response, Response> {
    ctx.check_csrf(&state, &form.csrf)?;
    let (user, Some(id)) = (&ctx.user, &ctx.challenge) else {
        return Ok(redirect(&state, &ctx.session, "/verify"));
    };
    let Some(binding) = state.binding(user) else {
        return Ok(ended(&state, &ctx));
    };
    let back = |msg: Msg, status: u16| ctx.back(&state, "/verify", Flash::error(msg, status));
    Ok(match state.en.check(id, &binding, &form.code).await {
        Ok(Verdict::Approved) => {
            let method = if ctx.called {
                Method::Call
            } else {
                Method::Sms
            };
            finish(&state, &ctx, user, method)
        }
        Ok(Verdict::Rejected { attempts_left: 0 }) | Ok(Verdict::Locked) => {
            // The last attempt is spent: the second step is locked from here, and the
            // code page says so.
            state.lock_second_step(user, Lock::WrongCodes);
            redirect(&state, &ctx.session, "/verify")
        }
        Ok(Verdict::Rejected { attempts_left }) => back(Msg::WrongCode { attempts_left }, 200),
        Ok(Verdict::Malformed) => back(
            Msg::MalformedCode {
                length: state.input.length,
                digits_only: state.input.digits_only,
            },
            200,
        ),
        Ok(Verdict::Expired) => back(Msg::CodeExpired, 200),
        Ok(Verdict::TooManyFailures) => {
            state.lock_second_step(user, Lock::AccountPaused);
            redirect(&state, &ctx.session, "/verify")
        }
        Ok(_) => back(Msg::ChallengeGone, 200),
        Err(e) => {
            tracing::warn!(error = %e, "code check failed");
            back(Msg::StoreDown, 503)
        }
    })
}

/// The second step is passed: a new signed-in session, and the way it was passed is
/// remembered for next time.
pub(super) fn finish(state: &AppState, ctx: &Ctx, user: &str, method: Method) -> Response {
    let epoch = {
        let mut accounts = state.accounts();
        let Some(account) = accounts.get_mut(user) else {
            return ended(state, ctx);
        };
        account.preferred = match method {
            Method::Sms | Method::Totp => Some(method),
            // The code came by a call because the SMS did not: ask next time rather
            // than text unasked.
            Method::Call => None,
            // A one-off: it says nothing of how they want the next code.
            Method::Recovery => account.preferred,
        };
        account.epoch
    };
    tracing::info!(client = %ctx.client, method = method.as_str(), "signed in");
    let session = Session::fresh(
        ctx.now,
        Stage::SignedIn {
            user: user.to_owned(),
            epoch,
            method,
        },
    );
    redirect(state, &session, "/account")
}

pub(super) async fn resend(
    State(state): State<Arc<AppState>>,
    ctx: SecondStep,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, Response> {
    ctx.check_csrf(&state, &form.csrf)?;
    Ok(send_by_sms(&state, &ctx).await)
}

/// "Call me with the code instead": the challenge's next code by a voice call, a
/// resend like any other (same attempts, cooldown, send cap and limits).
pub(super) async fn call_me(
    State(state): State<Arc<AppState>>,
    ctx: SecondStep,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, Response> {
    ctx.check_csrf(&state, &form.csrf)?;
    let (user, Some(id)) = (&ctx.user, &ctx.challenge) else {
        return Ok(redirect(&state, &ctx.session, "/verify"));
    };
    if state.second_step_locked(user).is_some() {
        return Ok(redirect(&state, &ctx.session, "/verify"));
    }
    let Some(binding) = state.binding(user) else {
        return Ok(ended(&state, &ctx));
    };
    let options = StartOptions::client(ctx.client.clone());
    Ok(
        match state
            .verifier(ctx.lang)
            .resend_by_voice_with(id, &binding, &options)
            .await
        {
            Ok(pending) => {
                let session = with_sent(&ctx.session, pending.id, true);
                let flash = Flash::info(Msg::Calling {
                    to: state.masked_phone(user),
                });
                redirect(&state, &session.with_flash(flash), "/verify")
            }
            Err(e) => {
                let failure = send_failure(&e, ctx.now);
                ctx.back(&state, "/verify", Flash::error(failure.msg, failure.status))
            }
        },
    )
}
