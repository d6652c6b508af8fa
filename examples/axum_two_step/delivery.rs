//! Where the latest SMS got to: the code page's live line, and the providers' signed
//! delivery reports.

use super::*;

/// Where the latest SMS of a pending challenge got to, and whether the page should
/// say what to check. A report that arrived before the latest SMS was sent is about an
/// earlier one, so the latest counts as still sending.
pub(super) fn delivery_view(
    st: &Status,
    reported_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
    voice: bool,
) -> DeliveryView {
    let sent_at = st.resend_at - RESEND_COOLDOWN;
    let current = reported_at.is_none_or(|at| at >= sent_at);
    let state = match st.delivery.filter(|_| current) {
        Some(DeliveryStatus::Delivered) => DeliveryState::Delivered,
        Some(DeliveryStatus::Failed { .. }) => DeliveryState::Failed,
        _ => DeliveryState::Sending,
    };
    let waited = now - sent_at;
    let help = match state {
        DeliveryState::Failed => Help::Failed,
        DeliveryState::Sending if waited >= HELP_AFTER => Help::NotConfirmed,
        DeliveryState::Delivered if waited >= HELP_AFTER_DELIVERED => Help::DeliveredNotTyped,
        _ => Help::Hidden,
    };
    DeliveryView {
        state,
        help,
        can_resend: st.sends_left > 0,
        can_call: voice && st.sends_left > 0,
    }
}

/// The code page's delivery line as JSON, for its script to refresh without a reload:
/// `{"state": "failed", "text": "...", "help": true, "help_title": "..."}`.
pub(super) async fn delivery_json(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let Stage::SecondStep {
        challenge: Some(id),
        ..
    } = &ctx.session.stage
    else {
        return json_response(StatusCode::NOT_FOUND, &serde_json::json!({"state": "gone"}));
    };
    let view = match state.en.status(id).await {
        Ok(Some(st)) if st.phase == Phase::Pending => {
            delivery_view(&st, state.reported_at(id), ctx.now, state.voice)
        }
        Ok(_) => {
            return json_response(StatusCode::NOT_FOUND, &serde_json::json!({"state": "gone"}));
        }
        Err(e) => {
            tracing::warn!(error = %e, "challenge status unavailable");
            return json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &serde_json::json!({"state": "unknown"}),
            );
        }
    };
    let l = ctx.lang;
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "state": view.state.as_str(),
            "text": view.state.msg().text(l),
            "help": view.help != Help::Hidden,
            "help_title": view.help.title().text(l),
        }),
    )
}

pub(super) fn json_response(status: StatusCode, value: &serde_json::Value) -> Response {
    let mut response = (status, value.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A provider's status callback: authenticated by the provider's parser (signature,
/// and freshness where the provider signs a time) before anything in it is believed,
/// then recorded against the challenge whose SMS it is about. The body carries full
/// phone numbers, so it is never logged.
pub(super) async fn receipt(
    State(state): State<Arc<AppState>>,
    Path(provider): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((_, parser)) = state.receipts.iter().find(|(name, _)| *name == provider) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // The URL exactly as the provider was told to call it: Twilio signs it.
    let url = format!(
        "{}{}",
        state.public_url,
        uri.path_and_query().map_or("", |p| p.as_str())
    );
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let callback = Callback::new(&url, pairs, &body);
    let now = state.clock.now();
    let report = match parser.parse(&callback, now) {
        Ok(report) => report,
        Err(e) => {
            tracing::warn!(provider = %provider, error = %e, "delivery report refused");
            let status = match e {
                ReceiptError::MissingSignature
                | ReceiptError::BadSignature
                | ReceiptError::StaleTimestamp => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_REQUEST,
            };
            return status.into_response();
        }
    };
    match state.en.record_report(&report).await {
        Ok(Some(id)) => {
            let mut reports = state.reports.lock().unwrap_or_else(PoisonError::into_inner);
            reports.retain(|_, at| now - *at <= SECOND_STEP_TTL);
            reports.insert(id, now);
            StatusCode::NO_CONTENT.into_response()
        }
        // A report about a finished or unknown message: accepted, nothing to show.
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        // Not recorded: the provider should try again later.
        Err(e) => {
            tracing::warn!(error = %e, "delivery report not recorded");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
