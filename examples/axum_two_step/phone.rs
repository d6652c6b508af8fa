//! Adding or changing the phone number: typed, confirmed, then proved by a code.

use super::*;

#[derive(Deserialize)]
pub(super) struct PhoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
}

/// Why a typed number cannot be added, as the person should hear it.
pub(super) fn phone_refusal(error: &PhoneError) -> Msg {
    match error {
        PhoneError::NotSmsCapable { kind } => match kind {
            NumberKind::IpPhone => Msg::PhoneIpPhone,
            NumberKind::FixedLine => Msg::PhoneLandline,
            NumberKind::M2m => Msg::PhoneM2m,
            NumberKind::TollFree | NumberKind::PremiumRate | NumberKind::SharedCost => {
                Msg::PhoneService
            }
            _ => Msg::PhoneCannotSms,
        },
        _ => Msg::PhoneNotANumber,
    }
}

/// The number being added, and its challenge once a code went to it.
pub(super) fn pending_phone(
    state: &AppState,
    user: &str,
) -> Option<(PhoneNumber, Option<ChallengeId>)> {
    state.accounts().get(user)?.pending_phone.clone()
}

pub(super) async fn phone_page(State(state): State<Arc<AppState>>, ctx: SignedIn) -> Response {
    let user = &ctx.user;
    let page = pages::phone_form(
        &ctx.chrome(&state),
        &ctx.csrf(&state),
        &state.masked_phone(user),
        ctx.typed(),
        ctx.notice_for(None),
        ctx.status(),
    );
    respond(&state, &ctx.session, page)
}

/// The typed number, parsed with Japan as the default region: refused with the
/// reason (and kept in the field), or normalised and masked for the person to confirm.
pub(super) async fn phone_submit(
    State(state): State<Arc<AppState>>,
    ctx: SignedIn,
    Form(form): Form<PhoneForm>,
) -> Result<Response, Response> {
    ctx.check_csrf(&state, &form.csrf)?;
    let user = &ctx.user;
    let typed = form.phone.trim();
    // The number is not carried back into the field: a full number must not ride in
    // a cookie (and into every proxy's log of cookies).
    let refuse = |msg: Msg| ctx.back(&state, "/phone", Flash::error(msg, 422));
    let number = match PhoneNumber::parse(typed, Region::JP) {
        Ok(number) => number,
        Err(e) => return Ok(refuse(phone_refusal(&e))),
    };
    // Checked here to tell the person; the verifier enforces the same policy for the
    // change-phone purpose (a refused number would get a code that never comes).
    if !CountryPolicy::allow(ADD_NUMBER_COUNTRIES).permits(number.calling_code()) {
        return Ok(refuse(Msg::PhoneCountry));
    }
    {
        let mut accounts = state.accounts();
        let Some(account) = accounts.get_mut(user) else {
            return Ok(ended(&state, &ctx));
        };
        if account.phone == number {
            drop(accounts);
            return Ok(refuse(Msg::PhoneSame));
        }
        account.pending_phone = Some((number, None));
    }
    Ok(redirect(&state, &ctx.session, "/phone/confirm"))
}

/// "Is this +81 80-****-6789?"
pub(super) async fn phone_confirm_page(
    State(state): State<Arc<AppState>>,
    ctx: SignedIn,
) -> Response {
    let user = &ctx.user;
    let Some((number, _)) = pending_phone(&state, user) else {
        return redirect(&state, &ctx.session, "/phone");
    };
    let page = pages::phone_confirm(
        &ctx.chrome(&state),
        &ctx.csrf(&state),
        &number.masked(),
        ctx.notice_for(None),
        ctx.status(),
    );
    respond(&state, &ctx.session, page)
}

/// "Yes, send a code": a challenge for the new number under its own purpose.
pub(super) async fn phone_confirm(
    State(state): State<Arc<AppState>>,
    ctx: SignedIn,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, Response> {
    ctx.check_csrf(&state, &form.csrf)?;
    let user = &ctx.user;
    let Some((number, _)) = pending_phone(&state, user) else {
        return Ok(ctx.back(&state, "/phone", Flash::error(Msg::PhoneChangeGone, 409)));
    };
    let binding = Binding::new(number.clone(), state.change_phone.clone()).with_subject(user);
    let options = StartOptions::client(ctx.client.clone());
    match state
        .enrol_verifier(ctx.lang)
        .start_with(&binding, &options)
        .await
    {
        Ok(started) => {
            if let Some(account) = state.accounts().get_mut(user) {
                account.pending_phone = Some((number, Some(started.id)));
            }
            Ok(redirect(&state, &ctx.session, "/phone/verify"))
        }
        Err(e) => {
            let failure = send_failure(&e, ctx.now);
            Ok(ctx.back(&state, "/phone", Flash::error(failure.msg, failure.status)))
        }
    }
}

pub(super) async fn phone_code_page(State(state): State<Arc<AppState>>, ctx: SignedIn) -> Response {
    let user = &ctx.user;
    let Some((number, Some(_))) = pending_phone(&state, user) else {
        return redirect(&state, &ctx.session, "/phone");
    };
    let page = pages::phone_code(
        &ctx.chrome(&state),
        &ctx.csrf(&state),
        &number.masked(),
        state.input,
        ctx.notice_for(None),
        ctx.status(),
    );
    respond(&state, &ctx.session, page)
}

/// The code for the new number: only an approval replaces the old number, and the old
/// number is then told of the change.
pub(super) async fn phone_verify(
    State(state): State<Arc<AppState>>,
    ctx: SignedIn,
    Form(form): Form<CodeForm>,
) -> Result<Response, Response> {
    ctx.check_csrf(&state, &form.csrf)?;
    let user = &ctx.user;
    let Some((number, Some(id))) = pending_phone(&state, user) else {
        return Ok(redirect(&state, &ctx.session, "/phone"));
    };
    let binding = Binding::new(number.clone(), state.change_phone.clone()).with_subject(user);
    let masked = number.masked();
    let refusal = match state.enrol_en.check(&id, &binding, &form.code).await {
        Ok(Verdict::Approved) => None,
        // The last attempt spent locks the code: say what to do, not "0 attempts left".
        Ok(Verdict::Rejected { attempts_left: 0 }) => Some(Msg::PhoneCodeLocked),
        Ok(Verdict::Rejected { attempts_left }) => Some(Msg::WrongCode { attempts_left }),
        Ok(Verdict::Malformed) => Some(Msg::MalformedCode {
            length: state.input.length,
            digits_only: state.input.digits_only,
        }),
        Ok(Verdict::Expired) => Some(Msg::CodeExpired),
        Ok(Verdict::Locked | Verdict::TooManyFailures) => Some(Msg::PhoneCodeLocked),
        Ok(_) => Some(Msg::PhoneChangeGone),
        Err(e) => {
            tracing::warn!(error = %e, "code check failed");
            Some(Msg::StoreDown)
        }
    };
    if let Some(msg) = refusal {
        // Our failure, not the person's input.
        let status = if msg == Msg::StoreDown { 503 } else { 422 };
        return Ok(ctx.back(&state, "/phone/verify", Flash::error(msg, status)));
    }
    let old = {
        let mut accounts = state.accounts();
        let Some(account) = accounts.get_mut(user) else {
            return Ok(ended(&state, &ctx));
        };
        account.pending_phone = None;
        std::mem::replace(&mut account.phone, number)
    };
    tell_old_number(&state, &ctx, user, &old, &masked).await;
    let flash = Flash::info(Msg::PhoneChanged { to: masked });
    Ok(ctx.back(&state, "/account", flash))
}

/// A plain SMS (no code) to the number that was replaced, so a change the owner did
/// not make does not go unnoticed. A failure is logged: the change itself stands.
pub(super) async fn tell_old_number(
    state: &AppState,
    ctx: &Ctx,
    user: &str,
    old: &PhoneNumber,
    new_masked: &str,
) {
    let text = Msg::OldNumberNotice {
        brand: state.brand.clone(),
        to: new_masked.to_owned(),
    }
    .text(ctx.lang);
    let key = format!("phone-changed-{user}-{}", ctx.now.unix_timestamp());
    let sms = Sms::new(old.clone(), Body::new(text), Duration::hours(1), key);
    if let Err(e) = state.transport.send(&sms).await {
        tracing::warn!(to = %old, error = %e, "could not tell the old number of the change");
    }
}
