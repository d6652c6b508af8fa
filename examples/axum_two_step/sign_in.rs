//! The first step: the sign-in page and its password.

use super::*;

pub(super) async fn home(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    match &ctx.session.stage {
        Stage::SecondStep { .. } => redirect(&state, &ctx.passing_on(), "/verify"),
        Stage::SignedIn { .. } => redirect(&state, &ctx.passing_on(), "/account"),
        Stage::Anonymous => {
            let page = pages::sign_in(
                &ctx.chrome(&state),
                &ctx.csrf(&state),
                ctx.typed(),
                ctx.notice_for(None),
                ctx.status(),
            );
            respond(&state, &ctx.session, page)
        }
    }
}

/// An anonymous session whose next page says the sign-in ended.
pub(super) fn ended(state: &AppState, ctx: &Ctx) -> Response {
    let session = Session::anonymous(ctx.now).with_flash(Flash::info(Msg::SessionEnded));
    redirect(state, &session, "/")
}

pub(super) async fn sign_in(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(form): Form<SignInForm>,
) -> Result<Response, Response> {
    ctx.check_csrf(&state, &form.csrf)?;
    let username = form.username.trim().to_lowercase();
    // Every answer but the right password goes back to the sign-in page, the name kept
    // (a username is no secret; it rides one redirect in the signed cookie).
    let back = |msg: Msg, status: u16| {
        ctx.back(&state, "/", Flash::error(msg, status).with_typed(&username))
    };

    // Count before compare: the attempt is recorded as a failure under the lock that
    // checks the pause, before Argon2 runs; a right password clears it below.
    // The pause is per username *and* client, for every username typed, known or not:
    // unknown names pause exactly like real ones (the answer cannot tell them apart),
    // and an attacker elsewhere cannot lock the owner out. Then the client's count
    // across every username (credential stuffing), which names no account either.
    // Wrong passwords do not count against the account's ceiling across doors: that
    // would let anyone lock anyone out (Login.gov's lesson). The ceiling guards the
    // second factor, which only the password opens.
    let pair = (username.clone(), ctx.client.clone());
    let paused = match state.sign_in_throttles.reserve(pair.clone(), ctx.now) {
        Err(minutes) => Some(Msg::PasswordLocked { minutes }),
        Ok(()) => match state.client_throttles.reserve(ctx.client.clone(), ctx.now) {
            Err(minutes) => {
                // Nothing is compared: the pair's attempt goes back.
                state.sign_in_throttles.give_back(&pair, ctx.now);
                Some(Msg::ClientPaused { minutes })
            }
            Ok(()) => None,
        },
    };
    let stored = state
        .accounts()
        .get(&username)
        .map(|a| a.password_hash.clone());
    if let Some(msg) = paused {
        return Ok(back(msg, 429));
    }
    let known = stored.is_some();
    // The per-account part: past the free failures for this username from anywhere,
    // each attempt waits longer before it is compared (count before compare here too),
    // for every username typed alike. It slows a botnet spread over many addresses and
    // never refuses, so the owner still gets in.
    let strikes = state.account_strikes.strike(username.clone(), ctx.now);
    let beyond = (strikes + 1).saturating_sub(FREE_ACCOUNT_FAILURES);
    if beyond > 0 {
        let wait = (state.password_delay_step * beyond).min(MAX_PASSWORD_DELAY);
        tokio::time::sleep(wait.unsigned_abs()).await;
    }
    let hash = stored.unwrap_or_else(|| state.dummy_hash.clone());
    let password = form.password;
    // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    // Each Argon2 check holds about 19 MiB: at most HASH_PERMITS run at once, the rest
    // wait their turn, so a flood of sign-ins queues instead of exhausting memory.
    let Ok(_permit) = state.hashing.acquire().await else {
        return Ok(back(Msg::StoreDown, 503));
    };
    let matched = tokio::task::spawn_blocking(move || password_matches(&password, &hash))
        .await
        .unwrap_or(false);
    if !(known && matched) {
        tracing::info!(client = %ctx.client, "sign-in: wrong username or password");
        return Ok(back(Msg::WrongPassword, 200));
    }
    // The failure counted before the comparison is cleared with this client's others,
    // and the password reopens a second step that had locked. It does not clear the
    // account's failures in a row across doors: it is only the first factor, and
    // knowing it must not reset the second factor's ceiling; a completed sign-in does.
    state.sign_in_throttles.succeed(&pair);
    state.account_strikes.forgive(&username);
    // The client's count across usernames only gets this attempt back: one account's
    // success must not wipe what a stuffer sharing the address has run up.
    state.client_throttles.give_back(&ctx.client, ctx.now);
    if let Some(account) = state.accounts().get_mut(&username) {
        account.second_step_locked = None;
    }

    let preferred = state.preferred(&username);
    let ctx = SecondStep::begin(ctx, username);
    // Nothing is sent before the person said how the second factor should come: the
    // way they used last time, or the question.
    Ok(match preferred {
        Some(Method::Sms) => send_by_sms(&state, &ctx).await,
        Some(_) => redirect(&state, &ctx.session, "/other-way"),
        None => redirect(&state, &ctx.session, "/choose"),
    })
}
