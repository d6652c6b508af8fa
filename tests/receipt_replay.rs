//! A delivery report is taken once and never moves a challenge's status backwards,
//! on every store: a replayed signed webhook (within its 5-minute tolerance) or a
//! provider's retry changes nothing, and an old `failed` cannot override a later
//! `delivered`.

mod common;

use std::sync::Arc;

use common::{login, secret, stores};
use smsotp::transport::RecordingTransport;
use smsotp::{DeliveryStatus, ManualClock, Verifier};
use time::{Duration, macros::datetime};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_report_is_taken_once_and_status_never_goes_backwards() {
    for (name, store) in stores().await {
        let sms = Arc::new(RecordingTransport::new());
        let clock = ManualClock::new(datetime!(2026-11-25 09:00 UTC));
        let v = Verifier::builder(secret())
            .store(store.clone())
            .transport(sms.clone())
            .clock(clock.clone())
            .build()
            .unwrap();
        let who = login("09012345678");
        let p = v.start(&who).await.unwrap();
        let failed = DeliveryStatus::Failed { permanent: false };

        // The provider first says "failed" (a transient carrier error), then
        // "delivered" when its own retry got through.
        assert_eq!(
            v.record_delivery("recording", "rec-1", failed)
                .await
                .unwrap(),
            Some(p.id),
            "{name}"
        );
        clock.advance(Duration::seconds(20));
        assert_eq!(
            v.record_delivery("recording", "rec-1", DeliveryStatus::Delivered)
                .await
                .unwrap(),
            Some(p.id),
            "{name}"
        );
        // An attacker replays the captured "failed" within the tolerance window.
        clock.advance(Duration::seconds(30));
        assert_eq!(
            v.record_delivery("recording", "rec-1", failed)
                .await
                .unwrap(),
            None,
            "{name}: a report already taken is refused"
        );
        assert_eq!(
            v.status(&p.id).await.unwrap().unwrap().delivery,
            Some(DeliveryStatus::Delivered),
            "{name}: delivered stays delivered"
        );
        // A stale "failed" never seen before (delivered out of order) cannot lower it
        // either: the store keeps the report that got furthest.
        assert_eq!(
            v.record_delivery(
                "recording",
                "rec-1",
                DeliveryStatus::Failed { permanent: true }
            )
            .await
            .unwrap(),
            Some(p.id),
            "{name}"
        );
        assert_eq!(
            v.status(&p.id).await.unwrap().unwrap().delivery,
            Some(DeliveryStatus::Delivered),
            "{name}: an out-of-order failure does not override delivered"
        );
    }
}
