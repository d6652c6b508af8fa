//! Codes, secrets and full numbers never show in logs, Debug, Display or errors.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{login, rig, wrong_code};
use smsotp::transport::TransportErrorKind;
use smsotp::{CodeSpec, Secret};
use time::Duration;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_whole_flow_leaks_nothing() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut seen = Vec::<String>::new();
    let r = rig();
    let who = login("090-1234-5678");
    let codes = rt.block_on(async {
        let p = r.verifier.start(&who).await.unwrap();
        seen.push(format!("{p:?}"));
        let first = r.sms.last_code(who.destination()).unwrap();
        let wrong = wrong_code(std::slice::from_ref(&first));
        let v = r.verifier.check(&p.id, &who, &wrong).await.unwrap();
        seen.push(format!("{v:?}"));
        let e = r.verifier.resend(&p.id, &who).await.unwrap_err();
        seen.push(format!("{e:?} {e}"));
        r.clock.advance(Duration::seconds(60));
        r.sms.fail_next(TransportErrorKind::Unauthorized);
        let e = r.verifier.resend(&p.id, &who).await.unwrap_err();
        seen.push(format!("{e:?} {e}"));
        r.clock.advance(Duration::seconds(60));
        r.verifier.resend(&p.id, &who).await.unwrap();
        let second = r.sms.last_code(who.destination()).unwrap();
        seen.push(format!("{:?}", r.verifier.status(&p.id).await.unwrap()));
        for sms in r.sms.messages() {
            seen.push(format!("{sms:?}"));
            seen.push(format!("{} {:?}", sms.to(), sms.to()));
        }
        seen.push(format!("{who:?}"));
        let v = r.verifier.check(&p.id, &who, &second).await.unwrap();
        seen.push(format!("{v:?}"));
        seen.push(format!("{:?}", r.verifier));
        vec![first, second]
    });
    let letters = Secret::new(vec![0x41u8; 32]).unwrap();
    assert_eq!(format!("{letters:?}"), "Secret([REDACTED])");
    seen.push(format!("{letters:?} {:#?}", common::secret()));
    seen.push(format!("{:?}", smsotp::Keyring::from(common::secret())));
    let code = CodeSpec::default().generate();
    seen.push(format!("{code:?}"));

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("challenge started"),
        "the flow was logged: {logs}"
    );
    assert!(logs.contains("5678"), "masked numbers are logged");
    let all = format!("{logs}\n{}", seen.join("\n"));
    for c in codes.iter().map(String::as_str).chain([code.expose()]) {
        assert!(!all.contains(c), "code {c} leaked:\n{all}");
    }
    // The full number, and the two keys in every form a derived `Debug`, a hex dump or
    // base64 would give them: the verifier's own key is 32 bytes of 7, the other 32 of
    // 0x41 ("A").
    let key_forms = [
        "AAAAAAAAAAAAAAAAAAAAAAAA",
        "65, 65, 65, 65",
        "41414141",
        "QUFBQUFB",
        "7, 7, 7, 7",
        "07070707",
        "BwcHBwcH",
    ];
    for secret in ["9012345678"].into_iter().chain(key_forms) {
        assert!(!all.contains(secret), "{secret} leaked:\n{all}");
    }
}
