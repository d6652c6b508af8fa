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
/// name. Callbacks with a JSON body instead carry `bodySHA256` in the URL; then the
/// URL alone is signed and the body's SHA-256 must match. The URL is also tried with
/// the default port added or removed, as Twilio may sign either form.
///
/// `MessageStatus` maps to `delivered`/`read` → Delivered; `failed`, `undelivered`,
/// `canceled` → Failed (transient for error codes 30001, 30003 and 30008, otherwise
/// permanent); everything else, including statuses Twilio adds later, → Pending.
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

    fn signature_matches(&self, data: &[u8], expected: &[u8]) -> bool {
        let Ok(mut mac) =
            <Hmac<Sha1> as KeyInit>::new_from_slice(self.auth_token.expose_secret().as_bytes())
        else {
            return false;
        };
        mac.update(data);
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
        params.sort();
        let signed_params: String = params
            .iter()
            .flat_map(|(k, v)| [k.as_str(), v.as_str()])
            .collect();

        let signed = url_variants(callback.url()).iter().any(|url| {
            let mut data = url.clone().into_bytes();
            data.extend_from_slice(signed_params.as_bytes());
            self.signature_matches(&data, &expected)
        });
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

/// The URL as given, and with the scheme's default port toggled (added when absent,
/// dropped when present).
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_owned()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return variants;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return variants,
    };
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (Some(authority), Some(tail)) = (rest.get(..authority_len), rest.get(authority_len..))
    else {
        return variants;
    };
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let userinfo = authority
        .get(..authority.len() - host_port.len())
        .unwrap_or("");
    // The port follows the last ':' that is not inside an IPv6 literal.
    let port_at = host_port
        .rfind(':')
        .filter(|at| host_port.get(*at..).is_some_and(|p| !p.contains(']')));
    let toggled = match port_at {
        Some(at) => {
            let (host, port) = (host_port.get(..at), host_port.get(at + 1..));
            match (host, port) {
                (Some(host), Some(port)) if port == default_port => Some(host.to_owned()),
                _ => None,
            }
        }
        None => Some(format!("{host_port}:{default_port}")),
    };
    if let Some(host_port) = toggled {
        variants.push(format!("{scheme}://{userinfo}{host_port}{tail}"));
    }
    variants
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

fn get<'p>(params: &'p [(String, String)], names: &[&str]) -> Option<&'p str> {
    names.iter().find_map(|name| {
        params
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    })
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
        let message_id = get(&params, &["MessageSid", "SmsSid"])
            .ok_or(ReceiptError::MissingField("MessageSid"))?;
        let status = get(&params, &["MessageStatus", "SmsStatus"])
            .ok_or(ReceiptError::MissingField("MessageStatus"))?;
        let error_code = get(&params, &["ErrorCode"])
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
