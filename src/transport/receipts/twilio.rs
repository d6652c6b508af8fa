//! Twilio status callbacks.

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha1::Sha1;
use time::OffsetDateTime;

use super::{
    Callback, DeliveryReceipts, DeliveryReport, DeliveryStatus, ReceiptError, form_pairs, hex,
    same_bytes,
};
use crate::transport::http::{self, TransportConfigError, Vars};

const PROVIDER: &str = "twilio";

/// Authenticates and reads Twilio's message status callbacks (`StatusCallback`).
///
/// The `X-Twilio-Signature` header must be base64 HMAC-SHA1, keyed with the auth
/// token, of the URL followed by every form parameter's name and value, sorted by
/// name, each distinct value of a repeated name once, in sorted order. Callbacks
/// with a JSON body instead carry `bodySHA256` in the URL; then the URL alone is
/// signed and the body's SHA-256 must match. As the official validators do, the URL
/// is also tried with any port removed and with the default port added, and with a
/// `'` in its query written either raw or as `%27` (see the module docs for what is
/// accepted and refused, and why).
///
/// A field the report is read from (`MessageSid`, `MessageStatus`, `ErrorCode`, and
/// their `Sms…` aliases) that carries two different values is refused as malformed.
///
/// `MessageStatus` maps to `delivered`/`read` → Delivered; `failed`, `undelivered`,
/// `canceled` → Failed (transient for error codes 30001, 30003 and 30008, otherwise
/// permanent); everything else, including statuses Twilio adds later, → Pending.
///
/// A voice call's callback (`CallSid`, `CallStatus`) maps `completed` → Delivered (the
/// call was answered and the code read), `busy`, `no-answer`, `failed`, `canceled` →
/// Failed (transient: a later call may be answered), anything else → Pending.
pub struct TwilioReceipts {
    auth_token: SecretString,
}

impl fmt::Debug for TwilioReceipts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TwilioReceipts { auth_token: [REDACTED] }")
    }
}

impl TwilioReceipts {
    /// A parser for callbacks signed with this account's auth token.
    #[must_use]
    pub fn new(auth_token: SecretString) -> Self {
        Self { auth_token }
    }

    /// A parser keyed with `TWILIO_AUTH_TOKEN`.
    ///
    /// # Errors
    /// [`TransportConfigError::MissingVar`] when it is unset.
    pub fn from_env() -> Result<Self, TransportConfigError> {
        let mut vars = Vars::new(http::process_env);
        Ok(Self::new(SecretString::from(
            vars.required("TWILIO_AUTH_TOKEN")?,
        )))
    }

    /// Checks the signature only, for callbacks other than message status (or to
    /// authenticate before reading the body yourself).
    ///
    /// # Errors
    /// [`ReceiptError::MissingSignature`] or [`ReceiptError::BadSignature`].
    pub fn verify(&self, callback: &Callback<'_>) -> Result<(), ReceiptError> {
        self.verified_params(callback).map(|_| ())
    }

    /// Whether `expected` is the MAC of `url` followed by `params`.
    fn signature_matches(&self, url: &str, params: &str, expected: &[u8]) -> bool {
        let Ok(mut mac) =
            <Hmac<Sha1> as KeyInit>::new_from_slice(self.auth_token.expose_secret().as_bytes())
        else {
            return false;
        };
        mac.update(url.as_bytes());
        mac.update(params.as_bytes());
        mac.verify_slice(expected).is_ok()
    }

    /// Verifies the signature and returns the callback's parameters.
    fn verified_params(
        &self,
        callback: &Callback<'_>,
    ) -> Result<Vec<(String, String)>, ReceiptError> {
        let header = callback
            .header("X-Twilio-Signature")
            .ok_or(ReceiptError::MissingSignature)?;
        let expected = base64::engine::general_purpose::STANDARD
            .decode(header.trim())
            .map_err(|_| ReceiptError::BadSignature)?;
        let body_hash = query_param(callback.url(), "bodySHA256");

        let mut params = match body_hash {
            Some(_) => Vec::new(),
            None => form_pairs(callback.body()),
        };
        // Each distinct value once per name, names and values sorted, as both
        // official validators sign (twilio-python `compute_signature`, twilio-node
        // `toFormUrlEncodedParam`).
        params.sort();
        params.dedup();
        let signed_params: String = params
            .iter()
            .flat_map(|(k, v)| [k.as_str(), v.as_str()])
            .collect();

        let signed = url_variants(callback.url())
            .iter()
            .any(|url| self.signature_matches(url, &signed_params, &expected));
        if !signed {
            return Err(ReceiptError::BadSignature);
        }
        if let Some(claimed) = body_hash {
            use sha2::Digest as _;
            let actual = hex(&sha2::Sha256::digest(callback.body()));
            if !same_bytes(actual.as_bytes(), claimed.to_ascii_lowercase().as_bytes()) {
                return Err(ReceiptError::BadSignature);
            }
            return json_params(callback.body());
        }
        Ok(params)
    }
}

/// Every form of the URL that Twilio may have signed, the URL as given among them.
///
/// Twilio's signing is inconsistent about ports and quotes, and both official
/// validators (twilio-python's `RequestValidator.validate`, twilio-node's
/// `validateRequest`) compensate: they try the URL with any port removed and with the
/// scheme's default port added when it has none. twilio-node also tries the query
/// with `'` written as `%27` (how WHATWG URL serialisation writes it) and with `%27`
/// decoded (its "legacy querystring" form). We try the same ports and only that quote
/// change: the legacy form re-encodes the whole query (and can reorder repeated
/// names), which is more than the published vectors need; a `'` and `%27` decode to
/// the same query, so accepting either cannot change what the application reads.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = Vec::with_capacity(6);
    for base in port_variants(url) {
        for form in quote_variants(&base) {
            if !variants.contains(&form) {
                variants.push(form);
            }
        }
    }
    variants
}

/// The URL without a port, and with its port (the default one when it has none).
fn port_variants(url: &str) -> Vec<String> {
    let as_given = vec![url.to_owned()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return as_given;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return as_given,
    };
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (Some(authority), Some(tail)) = (rest.get(..authority_len), rest.get(authority_len..))
    else {
        return as_given;
    };
    // Credentials stay as they are (twilio-node keeps them; the vectors sign them).
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((user, host_port)) => (format!("{user}@"), host_port),
        None => (String::new(), authority),
    };
    // The port follows the last ':' that is not inside an IPv6 literal.
    let port_at = host_port
        .rfind(':')
        .filter(|at| host_port.get(*at..).is_some_and(|p| !p.contains(']')));
    let (host, port) = match port_at {
        Some(at) => (
            host_port.get(..at).unwrap_or(host_port),
            host_port.get(at + 1..).unwrap_or(""),
        ),
        None => (host_port, ""),
    };
    let port = if port.is_empty() { default_port } else { port };
    vec![
        format!("{scheme}://{userinfo}{host}{tail}"),
        format!("{scheme}://{userinfo}{host}:{port}{tail}"),
    ]
}

/// The URL as it is, with every `'` in its query written `%27`, and with every
/// `%27` in its query written `'`.
fn quote_variants(url: &str) -> Vec<String> {
    let Some((before, query)) = url.split_once('?') else {
        return vec![url.to_owned()];
    };
    let mut forms = vec![url.to_owned()];
    for query in [query.replace('\'', "%27"), query.replace("%27", "'")] {
        let form = format!("{before}?{query}");
        if !forms.contains(&form) {
            forms.push(form);
        }
    }
    forms
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    form_pairs(query.as_bytes())
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The string fields of a JSON object body, as parameters.
fn json_params(body: &[u8]) -> Result<Vec<(String, String)>, ReceiptError> {
    let json: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| ReceiptError::Malformed("body is not JSON"))?;
    let object = json
        .as_object()
        .ok_or(ReceiptError::Malformed("body is not a JSON object"))?;
    Ok(object
        .iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k.clone(), s.clone())),
            serde_json::Value::Number(n) => Some((k.clone(), n.to_string())),
            _ => None,
        })
        .collect())
}

/// The value of the first of `names` that is present and not empty.
///
/// # Errors
/// [`ReceiptError::Malformed`] when that name carries two different values: the
/// signature covers each distinct value once, in sorted order, so it cannot say
/// which one Twilio meant, and we refuse to guess.
fn get<'p>(
    params: &'p [(String, String)],
    names: &[&str],
) -> Result<Option<&'p str>, ReceiptError> {
    for name in names {
        let mut values = params
            .iter()
            .filter(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str());
        if let Some(first) = values.next() {
            if values.any(|other| other != first) {
                return Err(ReceiptError::Malformed("a field has two different values"));
            }
            return Ok(Some(first));
        }
    }
    Ok(None)
}

/// Asynchronous error codes after which sending again could still work.
fn transient(code: Option<&str>) -> bool {
    matches!(code, Some("30001" | "30003" | "30008"))
}

impl DeliveryReceipts for TwilioReceipts {
    fn parse(
        &self,
        callback: &Callback<'_>,
        _now: OffsetDateTime,
    ) -> Result<DeliveryReport, ReceiptError> {
        let params = self.verified_params(callback)?;
        // A voice call's status callback (Programmable Voice) names a CallSid and a
        // CallStatus; it maps to the same per-challenge delivery status as an SMS.
        if let Some(call_id) = get(&params, &["CallSid"])? {
            let status =
                get(&params, &["CallStatus"])?.ok_or(ReceiptError::MissingField("CallStatus"))?;
            return Ok(DeliveryReport::new(
                PROVIDER,
                call_id,
                call_status(status),
                None,
            ));
        }
        let message_id = get(&params, &["MessageSid", "SmsSid"])?
            .ok_or(ReceiptError::MissingField("MessageSid"))?;
        let status = get(&params, &["MessageStatus", "SmsStatus"])?
            .ok_or(ReceiptError::MissingField("MessageStatus"))?;
        let error_code = get(&params, &["ErrorCode"])?
            .filter(|c| *c != "0")
            .map(str::to_owned);
        let status = match status {
            "delivered" | "read" => DeliveryStatus::Delivered,
            "failed" | "undelivered" | "canceled" => DeliveryStatus::Failed {
                permanent: !transient(error_code.as_deref()),
            },
            _ => DeliveryStatus::Pending,
        };
        Ok(DeliveryReport::new(
            PROVIDER, message_id, status, error_code,
        ))
    }
}

/// A Programmable Voice `CallStatus` as a delivery status.
fn call_status(status: &str) -> DeliveryStatus {
    match status {
        "completed" => DeliveryStatus::Delivered,
        "busy" | "no-answer" | "failed" | "canceled" => DeliveryStatus::Failed { permanent: false },
        _ => DeliveryStatus::Pending,
    }
}
