//! Another way in: the authenticator app and recovery codes.

use super::*;

pub(super) async fn other_way_page(
    State(state): State<Arc<AppState>>,
    ctx: SecondStep,
) -> Response {
    let (notice, form) = ctx
        .flash
        .as_ref()
        .map_or((None, None), |f| (Some(&f.notice), f.form));
    let page = pages::other_way(
        &ctx.chrome(&state),
        &ctx.csrf(&state),
        notice,
        form,
        ctx.status(),
    );
    respond(&state, &ctx.session, page)
}

/// Back to the fallback page with a notice under one of its forms.
pub(super) fn fallback_notice(
    state: &AppState,
    ctx: &Ctx,
    which: Fallback,
    msg: Msg,
    status: u16,
) -> Response {
    let flash = Flash::error(msg, status).for_form(which);
    ctx.back(state, "/other-way", flash)
}

pub(super) async fn other_way_totp(
    State(state): State<Arc<AppState>>,
    ctx: SecondStep,
    Form(form): Form<CodeForm>,
) -> Result<Response, Response> {
    ctx.check_csrf(&state, &form.csrf)?;
    let user = &ctx.user;
    // The door's own pause first: a paused door answers without touching the
    // account's ceiling (nothing is compared, so nothing is counted).
    let paused = state
        .accounts()
        .get(user.as_str())
        .and_then(|a| a.fallback_failures.locked(ctx.now));
    if let Some(minutes) = paused {
        let msg = Msg::FallbackLocked { minutes };
        return Ok(fallback_notice(&state, &ctx, Fallback::Totp, msg, 429));
    }
    let binding = match door_gate(&state, user).await {
        Ok(binding) => binding,
        Err((msg, status)) => {
            return Ok(fallback_notice(&state, &ctx, Fallback::Totp, msg, status));
        }
    };
    let outcome = {
        let mut accounts = state.accounts();
        let Some(account) = accounts.get_mut(user) else {
            return Ok(ended(&state, &ctx));
        };
        if let Some(minutes) = account.fallback_failures.locked(ctx.now) {
            Err((Msg::FallbackLocked { minutes }, 429))
        } else {
            // Checked and recorded under one lock: two requests with the same code
            // cannot both pass.
            match account
                .totp
                .verify(&form.code, ctx.now, account.last_totp_step)
            {
                Ok(step) => {
                    account.last_totp_step = Some(step.0);
                    account.fallback_failures.succeed();
                    Ok(())
                }
                Err(OtpError::Malformed) => Err((Msg::TotpMalformed, 200)),
                Err(e) => {
                    tracing::info!(client = %ctx.client, error = %e, "authenticator code refused");
                    account.fallback_failures.fail(ctx.now);
                    Err((Msg::TotpWrong, 200))
                }
            }
        }
    };
    match outcome {
        Ok(()) => {
            door_opened(&state, binding.as_ref()).await;
            Ok(passed_another_way(&state, &ctx, Method::Totp).await)
        }
        Err((msg, status)) => Ok(fallback_notice(&state, &ctx, Fallback::Totp, msg, status)),
    }
}

pub(super) async fn other_way_recovery(
    State(state): State<Arc<AppState>>,
    ctx: SecondStep,
    Form(form): Form<CodeForm>,
) -> Result<Response, Response> {
    ctx.check_csrf(&state, &form.csrf)?;
    let user = &ctx.user;
    let refuse =
        |msg: Msg, status: u16| fallback_notice(&state, &ctx, Fallback::Recovery, msg, status);
    // Count before compare, as at the password door: the door's own count first (a
    // paused door answers without touching the account's ceiling), then the ceiling.
    let before = {
        let mut accounts = state.accounts();
        let Some(account) = accounts.get_mut(user) else {
            return Ok(ended(&state, &ctx));
        };
        if let Err(minutes) = account.fallback_failures.reserve(ctx.now) {
            return Ok(refuse(Msg::FallbackLocked { minutes }, 429));
        }
        account.recovery.clone()
    };
    let binding = match door_gate(&state, user).await {
        Ok(binding) => binding,
        Err((msg, status)) => {
            // Not compared: the door's own count gets its attempt back.
            if let Some(account) = state.accounts().get_mut(user) {
                account.fallback_failures.give_back(ctx.now);
            }
            return Ok(refuse(msg, status));
        }
    };
    let typed = form.code;
    let stored = before.clone();
    // Up to ten Argon2id checks: off the async workers, without holding the lock, and
    // under the same cap on concurrent hashing as the password door.
    let Ok(_permit) = state.hashing.acquire().await else {
        return Ok(refuse(Msg::StoreDown, 503));
    };
    let redeemed = tokio::task::spawn_blocking(move || {
        let mut set = RecoverySet::from_stored(&stored)?;
        set.redeem(&typed).map(|_| set.to_stored())
    })
    .await
    .unwrap_or(Err(RecoveryError::Hashing));
    let msg = {
        let mut accounts = state.accounts();
        let Some(account) = accounts.get_mut(user) else {
            return Ok(ended(&state, &ctx));
        };
        match redeemed {
            // Compare-and-set: if another request changed the set meanwhile, this one
            // lost the race (perhaps for the same code) and fails.
            Ok(after) if account.recovery == before => {
                account.recovery = after;
                account.fallback_failures.succeed();
                None
            }
            Ok(_) => Some(Msg::RecoveryWrong),
            // Nothing was compared: the attempt counted up front goes back.
            Err(RecoveryError::Malformed) => {
                account.fallback_failures.give_back(ctx.now);
                Some(Msg::RecoveryMalformed)
            }
            Err(RecoveryError::Exhausted) => {
                account.fallback_failures.give_back(ctx.now);
                Some(Msg::RecoveryExhausted)
            }
            Err(e) => {
                tracing::info!(client = %ctx.client, error = %e, "recovery code refused");
                Some(Msg::RecoveryWrong)
            }
        }
    };
    match msg {
        None => {
            door_opened(&state, binding.as_ref()).await;
            Ok(passed_another_way(&state, &ctx, Method::Recovery).await)
        }
        Some(msg) => Ok(refuse(msg, 200)),
    }
}

/// Signed in another way: the SMS challenge is cancelled, and the account's SMS
/// failure count is cleared, since the person has now proved who they are.
pub(super) async fn passed_another_way(
    state: &AppState,
    ctx: &SecondStep,
    method: Method,
) -> Response {
    let user = &ctx.user;
    if let Some(id) = &ctx.challenge
        && let Err(e) = state.en.cancel(id).await
    {
        // It expires on its own within minutes.
        tracing::warn!(error = %e, "could not cancel the SMS challenge");
    }
    if let Some(binding) = state.binding(user)
        && let Err(e) = state.en.reset_subject(&binding).await
    {
        tracing::warn!(error = %e, "could not reset the SMS failure count");
    }
    finish(state, ctx, user, method)
}
