//! Vonage SMS API delivery receipts (signed DLRs).

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;
use secrecy::{ExposeSecret, SecretString};
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use time::{Duration, OffsetDateTime};

use crate::transport::http::{self, TransportConfigError, Vars};

use super::{
    Callback, DeliveryReceipts, DeliveryReport, DeliveryStatus, ReceiptError, form_pairs, fresh,
    hex, same_bytes,
};

const PROVIDER: &str = "vonage";

/// How the account signs its callbacks (the dashboard's "signature method").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum VonageSignatureMethod {
    /// MD5 of the parameter string followed by the secret (Vonage's default).
    #[default]
    Md5Hash,
    /// HMAC-MD5 keyed with the secret.
    HmacMd5,
    /// HMAC-SHA1 keyed with the secret.
    HmacSha1,
    /// HMAC-SHA256 keyed with the secret.
    HmacSha256,
    /// HMAC-SHA512 keyed with the secret.
    HmacSha512,
}

impl VonageSignatureMethod {
    /// The method by its dashboard name: `md5hash`, `md5`, `sha1`, `sha256` or
    /// `sha512` (case-insensitive).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "md5hash" => Some(Self::Md5Hash),
            "md5" => Some(Self::HmacMd5),
            "sha1" => Some(Self::HmacSha1),
            "sha256" => Some(Self::HmacSha256),
            "sha512" => Some(Self::HmacSha512),
            _ => None,
        }
    }
}

/// Authenticates and reads Vonage SMS API delivery receipts.
///
/// Parameters come from the query string (GET callbacks) and from the body, form-
/// encoded or JSON (POST callbacks). The `sig` parameter must match the signature
/// over the other parameters: sorted by name, each written `&name=value` with any
/// `&` or `=` in the value replaced by `_`, then hashed per
/// [`VonageSignatureMethod`] with the account's *signature* secret (not its API
/// secret); hex is compared case-insensitively. The signed `timestamp` must be within
/// five minutes of `now`. Unsigned receipts are refused: turn signing on for the
/// account.
///
/// `status` maps to `delivered` → Delivered; `accepted`, `buffered`, `unknown` →
/// Pending; `expired` → Failed (transient); `failed`, `rejected` → Failed, transient
/// for `err-code` 1, 2, 7, 8 and 99 (unknown, absent subscriber, busy, network
/// error, general), otherwise permanent.
pub struct VonageReceipts {
    secret: SecretString,
    method: VonageSignatureMethod,
    tolerance: Duration,
}

impl fmt::Debug for VonageReceipts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VonageReceipts")
            .field("secret", &"[REDACTED]")
            .field("method", &self.method)
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

impl VonageReceipts {
    /// A parser for receipts signed with this signature secret and method.
    #[must_use]
    pub fn new(signature_secret: SecretString, method: VonageSignatureMethod) -> Self {
        Self {
            secret: signature_secret,
            method,
            tolerance: Duration::minutes(5),
        }
    }

    /// A parser keyed with `VONAGE_SIGNATURE_SECRET`, using `VONAGE_SIGNATURE_METHOD`
    /// (`md5hash` when unset).
    ///
    /// # Errors
    /// [`TransportConfigError`] naming the missing or malformed variable.
    pub fn from_env() -> Result<Self, TransportConfigError> {
        let mut vars = Vars::new(http::process_env);
        let secret = vars.required("VONAGE_SIGNATURE_SECRET")?;
        let method = match vars.optional("VONAGE_SIGNATURE_METHOD")? {
            None => VonageSignatureMethod::default(),
            Some(name) => VonageSignatureMethod::from_name(&name).ok_or(
                TransportConfigError::MalformedVar {
                    var: "VONAGE_SIGNATURE_METHOD",
                    reason: "must be md5hash, md5, sha1, sha256 or sha512",
                },
            )?,
        };
        Ok(Self::new(SecretString::from(secret), method))
    }

    /// Changes the allowed distance between the signed timestamp and now (default
    /// five minutes).
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance.abs();
        self
    }

    /// Checks the signature and the timestamp only (for signed callbacks other than
    /// delivery receipts, such as inbound messages).
    ///
    /// # Errors
    /// [`ReceiptError`] when `sig` is missing or wrong, or `timestamp` is missing or
    /// stale.
    pub fn verify(&self, callback: &Callback<'_>, now: OffsetDateTime) -> Result<(), ReceiptError> {
        self.verified_params(callback, now).map(|_| ())
    }

    fn verified_params(
        &self,
        callback: &Callback<'_>,
        now: OffsetDateTime,
    ) -> Result<Vec<(String, String)>, ReceiptError> {
        let mut params = params(callback)?;
        let mut names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w.first() == w.get(1)) {
            // Which of two values was signed is ambiguous: refuse rather than guess.
            return Err(ReceiptError::Malformed("a parameter appears twice"));
        }
        let sig_at = params
            .iter()
            .position(|(k, _)| k == "sig")
            .ok_or(ReceiptError::MissingSignature)?;
        let (_, sig) = params.swap_remove(sig_at);
        let expected = self.expected(&signing_string(&params));
        if !same_bytes(
            sig.trim().to_ascii_lowercase().as_bytes(),
            expected.as_bytes(),
        ) {
            return Err(ReceiptError::BadSignature);
        }
        let timestamp = get(&params, "timestamp").ok_or(ReceiptError::MissingField("timestamp"))?;
        fresh(timestamp, now, self.tolerance)?;

        Ok(params)
    }

    fn expected(&self, data: &str) -> String {
        let key = self.secret.expose_secret().as_bytes();
        match self.method {
            VonageSignatureMethod::Md5Hash => {
                use md5::Digest as _;
                let mut hasher = Md5::new();
                hasher.update(data.as_bytes());
                hasher.update(key);
                hex(&hasher.finalize())
            }
            VonageSignatureMethod::HmacMd5 => hmac_hex::<Hmac<Md5>>(key, data),
            VonageSignatureMethod::HmacSha1 => hmac_hex::<Hmac<Sha1>>(key, data),
            VonageSignatureMethod::HmacSha256 => hmac_hex::<Hmac<Sha256>>(key, data),
            VonageSignatureMethod::HmacSha512 => hmac_hex::<Hmac<Sha512>>(key, data),
        }
    }
}

fn hmac_hex<M: Mac + KeyInit>(key: &[u8], data: &str) -> String {
    match <M as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data.as_bytes());
            hex(&mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; an empty expectation never matches a sig.
        Err(_) => String::new(),
    }
}

/// Every parameter of the callback: query string, then body.
fn params(callback: &Callback<'_>) -> Result<Vec<(String, String)>, ReceiptError> {
    let mut params = callback
        .url()
        .split_once('?')
        .map(|(_, q)| form_pairs(q.split('#').next().unwrap_or(q).as_bytes()))
        .unwrap_or_default();
    let body = callback.body();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(params);
    }
    let is_json = callback
        .header("content-type")
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    if is_json {
        let json: serde_json::Value = serde_json::from_slice(body)
            .map_err(|_| ReceiptError::Malformed("body is not JSON"))?;
        let object = json
            .as_object()
            .ok_or(ReceiptError::Malformed("body is not a JSON object"))?;
        for (k, v) in object {
            let value = match v {
                serde_json::Value::Null => continue,
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                    return Err(ReceiptError::Malformed("a field is not a plain value"));
                }
            };
            params.push((k.clone(), value));
        }
    } else {
        params.extend(form_pairs(body));
    }
    Ok(params)
}

/// `&k=v&k=v…` over the sorted parameters, `&` and `=` in values replaced by `_`.
fn signing_string(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted.iter().fold(String::new(), |mut out, (k, v)| {
        out.push('&');
        out.push_str(k);
        out.push('=');
        out.extend(
            v.chars()
                .map(|c| if c == '&' || c == '=' { '_' } else { c }),
        );
        out
    })
}

fn get<'p>(params: &'p [(String, String)], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// DLR error codes after which sending again could still work.
fn transient(code: Option<&str>) -> bool {
    matches!(code, Some("1" | "2" | "7" | "8" | "99"))
}

impl DeliveryReceipts for VonageReceipts {
    fn parse(
        &self,
        callback: &Callback<'_>,
        now: OffsetDateTime,
    ) -> Result<DeliveryReport, ReceiptError> {
        let params = self.verified_params(callback, now)?;
        let message_id =
            get(&params, "messageId").ok_or(ReceiptError::MissingField("messageId"))?;
        let status = get(&params, "status").ok_or(ReceiptError::MissingField("status"))?;
        let error_code = get(&params, "err-code")
            .filter(|c| *c != "0")
            .map(str::to_owned);
        let status = match status {
            "delivered" => DeliveryStatus::Delivered,
            "expired" => DeliveryStatus::Failed { permanent: false },
            "failed" | "rejected" => DeliveryStatus::Failed {
                permanent: !transient(error_code.as_deref()),
            },
            _ => DeliveryStatus::Pending,
        };
        Ok(DeliveryReport::new(
            PROVIDER, message_id, status, error_code,
        ))
    }
}
