//! Helpers shared by the transport tests.
#![allow(dead_code, unreachable_pub)]

use smsotp::PhoneNumber;
use smsotp::message::Body;
use smsotp::transport::Sms;

/// An SMS to `to` with `text`, valid five minutes.
pub fn sms(to: &str, text: &str) -> Sms {
    sms_valid(to, text, time::Duration::minutes(5))
}

/// An SMS with a given validity.
pub fn sms_valid(to: &str, text: &str, validity: time::Duration) -> Sms {
    Sms::new(
        PhoneNumber::parse_e164(to).expect("test number is E.164"),
        Body::new(text),
        validity,
        "idem-0123456789abcdef".to_owned(),
    )
}

/// The decoded `name=value` pairs of a form body.
#[cfg(feature = "http")]
pub fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The value of `name` in a decoded form.
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A port on 127.0.0.1 that nothing listens on: bound, then released.
pub fn refused_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
