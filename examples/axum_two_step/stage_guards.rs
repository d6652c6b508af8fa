//! Extractors that admit a request only at its stage of signing in: a handler of the
//! second step takes [`SecondStep`], a page for signed-in people takes [`SignedIn`],
//! and a request from any other stage is sent to the start page before the handler
//! runs (which then shows the page for the stage the person is really at).
//!
//! Each derefs to the request's [`Ctx`], so a handler uses one value for both.

use std::ops::Deref;

use super::*;

/// A request from someone who gave the right password and has the second step to do.
pub(super) struct SecondStep {
    ctx: Ctx,
    /// The account.
    pub(super) user: String,
    /// The challenge of this sign-in, once a code was sent.
    pub(super) challenge: Option<ChallengeId>,
    /// The latest code was read out by a call.
    pub(super) called: bool,
}

/// A request from someone signed in.
pub(super) struct SignedIn {
    ctx: Ctx,
    /// The account.
    pub(super) user: String,
    /// How they passed the second step.
    pub(super) method: Method,
}

impl SecondStep {
    /// The second step of `user`, who just gave the right password: a new session id
    /// (and so a new CSRF token) for the new privilege, so no session fixation.
    pub(super) fn begin(ctx: Ctx, user: String) -> Self {
        let session = Session::fresh(
            ctx.now,
            Stage::SecondStep {
                user: user.clone(),
                challenge: None,
                since: ctx.now.unix_timestamp(),
                called: false,
            },
        );
        Self {
            ctx: Ctx { session, ..ctx },
            user,
            challenge: None,
            called: false,
        }
    }
}

impl Deref for SecondStep {
    type Target = Ctx;

    fn deref(&self) -> &Ctx {
        &self.ctx
    }
}

impl Deref for SignedIn {
    type Target = Ctx;

    fn deref(&self) -> &Ctx {
        &self.ctx
    }
}

impl FromRequestParts<Arc<AppState>> for SecondStep {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let Ok(ctx) = Ctx::from_request_parts(parts, state).await;
        match &ctx.session.stage {
            Stage::SecondStep {
                user,
                challenge,
                called,
                ..
            } => Ok(Self {
                user: user.clone(),
                challenge: *challenge,
                called: *called,
                ctx,
            }),
            _ => Err(redirect(state, &ctx.passing_on(), "/")),
        }
    }
}

impl FromRequestParts<Arc<AppState>> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let Ok(ctx) = Ctx::from_request_parts(parts, state).await;
        match &ctx.session.stage {
            Stage::SignedIn { user, method, .. } => Ok(Self {
                user: user.clone(),
                method: *method,
                ctx,
            }),
            _ => Err(redirect(state, &ctx.passing_on(), "/")),
        }
    }
}
