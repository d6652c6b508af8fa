//! Plugging in your own SMS gateway: one trait, one method.
//!
//! ```text
//! cargo run --example custom_transport
//! ```

use smsotp::transport::{Receipt, Sms, SmsTransport, TransportError, TransportErrorKind};
use smsotp::{Binding, PhoneNumber, Purpose, Secret, Verifier};

/// Sends through the company's in-house gateway (here: pretends to).
#[derive(Debug)]
struct InHouseGateway {
    allowed_country: u16,
}

#[async_trait::async_trait]
impl SmsTransport for InHouseGateway {
    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        if sms.to().calling_code() != self.allowed_country {
            // Permanent and about the number: no retry, no failover.
            return Err(TransportError::new(
                TransportErrorKind::InvalidNumber,
                "in-house",
                "country not served",
            ));
        }
        // A real gateway call goes here: POST sms.to().as_e164() and sms.body().expose().
        println!("gateway: {} part(s) to {}", sms.segments(), sms.to());
        Ok(Receipt::new(
            "in-house",
            format!("gw-{}", sms.idempotency_key()),
        ))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let verifier = Verifier::builder(Secret::generate())
        .transport(InHouseGateway {
            allowed_country: 81,
        })
        .build()?;
    let who = Binding::new(PhoneNumber::parse_e164("+819012345678")?, Purpose::login());
    let pending = verifier.start(&who).await?;
    println!(
        "sent; challenge {} expires at {}",
        pending.id, pending.expires_at
    );
    let abroad = Binding::new(PhoneNumber::parse_e164("+14155552671")?, Purpose::login());
    println!("abroad: {}", verifier.start(&abroad).await.unwrap_err());
    Ok(())
}
