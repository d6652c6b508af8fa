//! The signed-in page, and signing out.

use super::*;

pub(super) async fn account_page(State(state): State<Arc<AppState>>, ctx: SignedIn) -> Response {
    let (user, method) = (&ctx.user, ctx.method);
    let recovery_left = (method == Method::Recovery)
        .then(|| {
            let accounts = state.accounts();
            let stored = accounts.get(user)?.recovery.clone();
            RecoverySet::from_stored(&stored)
                .ok()
                .map(|s| s.remaining())
        })
        .flatten();
    let mut page = pages::account(
        &ctx.chrome(&state),
        &ctx.csrf(&state),
        user,
        method,
        recovery_left,
        ctx.notice_for(None),
    );
    // A refused form that led here (a forged "Sign out") answers with its status.
    page.status = ctx.status();
    respond(&state, &ctx.session, page)
}

pub(super) async fn sign_out(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, Response> {
    ctx.check_csrf(&state, &form.csrf)?;
    let flash = match &ctx.session.stage {
        Stage::SignedIn { user, .. } => {
            if let Some(account) = state.accounts().get_mut(user) {
                account.epoch += 1;
            }
            Some(Flash::info(Msg::SignedOut))
        }
        Stage::SecondStep {
            challenge: Some(id),
            ..
        } => {
            if let Err(e) = state.en.cancel(id).await {
                tracing::warn!(error = %e, "could not cancel the SMS challenge");
            }
            None
        }
        _ => None,
    };
    let mut session = Session::anonymous(ctx.now);
    session.flash = flash;
    Ok(redirect(&state, &session, "/"))
}
