//! Delivery reports reach their challenge, and a resend after a failed delivery takes
//! the next route.

mod common;

use std::sync::Arc;

use common::{login, secret};
use smsotp::transport::receipts::DeliveryReport;
use smsotp::transport::{
    Failover, Provider, Receipt, RecordingTransport, Sms, SmsTransport, TransportError,
};
use smsotp::{DeliveryStatus, ManualClock, Verdict, Verifier};
use time::{Duration, macros::datetime};

/// A recording route with a provider name, as a real adapter has.
#[derive(Debug)]
struct Named(&'static str, Arc<RecordingTransport>);

#[async_trait::async_trait]
impl SmsTransport for Named {
    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        let receipt = self.1.send(sms).await?;
        Ok(Receipt::new(self.0, receipt.message_id()))
    }
    fn provider_name(&self) -> Option<Provider> {
        Some(Provider::new(self.0))
    }
}

#[tokio::test]
async fn failed_delivery_is_shown_and_the_resend_takes_the_next_route() {
    let (a, b) = (
        Arc::new(RecordingTransport::new()),
        Arc::new(RecordingTransport::new()),
    );
    let clock = ManualClock::new(datetime!(2026-11-25 09:00 UTC));
    let verifier = Verifier::builder(secret())
        .transport(Failover::new(Named("alpha", a.clone())).then(Named("beta", b.clone())))
        .clock(clock.clone())
        .build()
        .unwrap();
    let who = login("09012345678");
    let p = verifier.start(&who).await.unwrap();
    assert_eq!(
        (a.count(), b.count()),
        (1, 0),
        "the first route sends first"
    );

    // The carrier filtered the international route: alpha reports a failure.
    let report = DeliveryReport::new(
        "alpha",
        "rec-1",
        DeliveryStatus::Failed { permanent: false },
        Some("30007".into()),
    );
    // Reports name the provider of the receipt; a wrong provider finds nothing.
    assert_eq!(
        verifier
            .record_delivery("beta", "rec-1", DeliveryStatus::Delivered)
            .await
            .unwrap(),
        None
    );
    assert_eq!(verifier.record_report(&report).await.unwrap(), Some(p.id));
    let status = verifier.status(&p.id).await.unwrap().unwrap();
    assert_eq!(
        status.delivery,
        Some(DeliveryStatus::Failed { permanent: false })
    );

    clock.advance(Duration::seconds(60));
    verifier.resend(&p.id, &who).await.unwrap();
    assert_eq!(
        (a.count(), b.count()),
        (1, 1),
        "the resend avoided the failed route"
    );

    let code = b.last_code(who.destination()).unwrap();
    assert_eq!(
        verifier.check(&p.id, &who, &code).await.unwrap(),
        Verdict::Approved
    );
    // Reports for a finished challenge find nothing.
    assert_eq!(verifier.record_report(&report).await.unwrap(), None);
}

#[tokio::test]
async fn delivered_report_shows_in_status() {
    let sms = Arc::new(RecordingTransport::new());
    let verifier = Verifier::builder(secret())
        .transport(sms.clone())
        .build()
        .unwrap();
    let who = login("09012345678");
    let p = verifier.start(&who).await.unwrap();
    assert_eq!(
        verifier.status(&p.id).await.unwrap().unwrap().delivery,
        None
    );
    verifier
        .record_delivery("recording", "rec-1", DeliveryStatus::Delivered)
        .await
        .unwrap();
    assert_eq!(
        verifier.status(&p.id).await.unwrap().unwrap().delivery,
        Some(DeliveryStatus::Delivered)
    );
}
