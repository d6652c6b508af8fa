//! A country policy per purpose: enrolment stricter than signing in.

use smsotp::policy::CountryPolicy;
use smsotp::transport::RecordingTransport;
use smsotp::{Binding, PhoneNumber, Purpose, Secret, Verifier};
use std::sync::Arc;

fn verifier(sms: Arc<RecordingTransport>) -> Verifier {
    Verifier::builder(Secret::generate())
        .transport(sms)
        .countries(CountryPolicy::allow([81, 44]))
        .countries_for(
            Purpose::new("add-phone").unwrap(),
            CountryPolicy::allow([81]),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn enrolment_is_stricter_than_sign_in() {
    let sms = Arc::new(RecordingTransport::new());
    let v = verifier(sms.clone());
    let uk = PhoneNumber::parse_e164("+447700900123").unwrap();
    let jp = PhoneNumber::parse_e164("+819012345678").unwrap();
    let add = Purpose::new("add-phone").unwrap();

    // Signing in to a confirmed UK number: sent.
    v.start(&Binding::new(uk.clone(), Purpose::login()))
        .await
        .unwrap();
    assert_eq!(sms.count(), 1);
    // Adding the same UK number: refused by the purpose's policy. The answer is the
    // same Pending a good number gets; only the SMS is not sent.
    let pending = v
        .start(&Binding::new(uk.clone(), add.clone()))
        .await
        .unwrap();
    assert_eq!(pending.destination, uk.masked());
    assert_eq!(sms.count(), 1);
    // Adding a Japanese number: sent.
    v.start(&Binding::new(jp, add)).await.unwrap();
    assert_eq!(sms.count(), 2);
    // A purpose without its own policy uses the default one.
    let other = Purpose::new("change-email").unwrap();
    v.start(&Binding::new(uk, other)).await.unwrap();
    assert_eq!(sms.count(), 3);
}

#[tokio::test]
async fn the_last_policy_set_for_a_purpose_wins() {
    let sms = Arc::new(RecordingTransport::new());
    let add = Purpose::new("add-phone").unwrap();
    let v = Verifier::builder(Secret::generate())
        .transport(sms.clone())
        .countries_for(add.clone(), CountryPolicy::allow([81]))
        .countries_for(add.clone(), CountryPolicy::allow([44]))
        .build()
        .unwrap();
    let jp = PhoneNumber::parse_e164("+819012345678").unwrap();
    v.start(&Binding::new(jp.clone(), add)).await.unwrap();
    assert_eq!(sms.count(), 0);
    v.start(&Binding::new(jp, Purpose::login())).await.unwrap();
    assert_eq!(sms.count(), 1);
}
