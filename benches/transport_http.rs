//! Send throughput through the Twilio adapter against a minimal local HTTP server,
//! next to raw reqwest POSTs of the same form to the same server in the same run, at
//! concurrency 1, 16 and 64; and the cost of failover when the first route refuses
//! connections.
//!
//! `cargo bench --bench transport_http --features twilio`

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use secrecy::SecretString;
use smsotp::PhoneNumber;
use smsotp::message::Body;
use smsotp::transport::{Failover, HttpClient, HttpOptions, Sms, SmsTransport, TwilioTransport};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "bench-token";
const ANSWER: &[u8] =
    br#"{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued","num_segments":"1"}"#;

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the whole request, as a real server would before answering.
    let _ = request.into_body().collect().await;
    let mut response = Response::new(Full::new(Bytes::from_static(ANSWER)));
    *response.status_mut() = hyper::StatusCode::CREATED;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// A keep-alive HTTP/1.1 server on 127.0.0.1 that answers every request like Twilio's
/// 201; it lives as long as the runtime.
async fn start_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, hyper::service::service_fn(answer))
                    .await;
            });
        }
    });
    addr
}

fn sms() -> Sms {
    Sms::new(
        PhoneNumber::parse_e164("+819012345678").expect("E.164"),
        Body::new("Your code is 4F7K2Q. Valid 5 min. Do not share it."),
        time::Duration::minutes(5),
        "bench-idempotency-key".to_owned(),
    )
}

fn twilio(base: &str, http: &HttpClient) -> TwilioTransport {
    TwilioTransport::builder(SID, SecretString::from(TOKEN))
        .from("+15005550006")
        .base_url(base)
        .http_client(http.clone())
        .build()
        .expect("config")
}

/// What the adapter does, by hand: the same form, the same auth, the body read.
async fn raw_post(client: &reqwest::Client, url: &str) {
    let form = [
        ("To", "+819012345678"),
        ("From", "+15005550006"),
        ("Body", "Your code is 4F7K2Q. Valid 5 min. Do not share it."),
        ("ValidityPeriod", "300"),
    ];
    let response = client
        .post(url)
        .basic_auth(SID, Some(TOKEN))
        .form(&form)
        .send()
        .await
        .expect("raw send");
    assert_eq!(response.status().as_u16(), 201);
    let _ = response.bytes().await.expect("raw body");
}

fn throughput(c: &mut Criterion) {
    // Both clients use the same TLS provider (unused here: the server is plain HTTP).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let addr = rt.block_on(start_server());
    let base = format!("http://{addr}");
    let url = format!("{base}/2010-04-01/Accounts/{SID}/Messages.json");
    let http = rt.block_on(async { HttpClient::new().expect("client") });
    let adapter = Arc::new(twilio(&base, &http));
    // The same client settings as `HttpClient::new()` (timeouts arm a timer per
    // request), so the comparison measures what the adapter adds.
    let defaults = HttpOptions::default();
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::try_from(defaults.connect_limit()).unwrap())
        .timeout(std::time::Duration::try_from(defaults.request_limit()).unwrap())
        .build()
        .expect("raw client");
    let message = Arc::new(sms());

    let mut group = c.benchmark_group("send");
    for concurrency in [1_usize, 16, 64] {
        group.throughput(Throughput::Elements(concurrency as u64));
        group.bench_with_input(
            BenchmarkId::new("twilio", concurrency),
            &concurrency,
            |b, &n| {
                b.to_async(&rt).iter(|| {
                    let adapter = adapter.clone();
                    let message = message.clone();
                    async move {
                        let mut tasks = tokio::task::JoinSet::new();
                        for _ in 0..n {
                            let adapter = adapter.clone();
                            let message = message.clone();
                            tasks.spawn(async move { adapter.send(&message).await });
                        }
                        while let Some(done) = tasks.join_next().await {
                            done.expect("task").expect("accepted");
                        }
                    }
                });
            },
        );
        group.bench_with_input(
            BenchmarkId::new("raw", concurrency),
            &concurrency,
            |b, &n| {
                b.to_async(&rt).iter(|| {
                    let raw = raw.clone();
                    let url = url.clone();
                    async move {
                        let mut tasks = tokio::task::JoinSet::new();
                        for _ in 0..n {
                            let raw = raw.clone();
                            let url = url.clone();
                            tasks.spawn(async move { raw_post(&raw, &url).await });
                        }
                        while let Some(done) = tasks.join_next().await {
                            done.expect("task");
                        }
                    }
                });
            },
        );
    }
    group.finish();

    // Failover: the first route refuses connections (a port bound, then released).
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        format!("http://127.0.0.1:{port}")
    };
    let direct = twilio(&base, &http);
    let failover = Failover::new(twilio(&refused, &http)).then(twilio(&base, &http));
    let mut group = c.benchmark_group("failover");
    group.bench_function("direct", |b| {
        b.to_async(&rt)
            .iter(|| async { direct.send(&message).await.expect("accepted") });
    });
    group.bench_function("first_route_refused", |b| {
        b.to_async(&rt)
            .iter(|| async { failover.send(&message).await.expect("second route") });
    });
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
