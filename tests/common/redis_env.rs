//! Helpers for tests (and the store_redis bench) that need a real Redis.
//!
//! The gate: `REDIS_URL` names the Redis to use. Unset, a test prints
//! "SKIPPED <test> (no Redis)" to stderr, past the harness's capture, and passes, except under `CI=true`, where it fails, as
//! it does whenever the Redis it names cannot be reached. `REDIS_CLUSTER_URLS`
//! (comma-separated seeds) gates the Redis Cluster tests the same way, printing
//! "SKIPPED <test> (no Redis Cluster)"; `.ci/redis-cluster` starts a local cluster, and
//! [`ThrowawayCluster`] one of its own for tests that kill nodes.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use smsotp::ChallengeId;
use smsotp::store::RedisStore;

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The Redis URL to test against, or `None` (after printing why) when tests should
/// skip. Panics under `CI=true` without one, and whenever the named Redis is down.
pub async fn redis_url() -> Option<String> {
    let url = match std::env::var("REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ if in_ci() => panic!("CI=true but REDIS_URL is not set: these tests need a Redis"),
        _ => {
            // Straight to stderr, past the test harness's capture: a skip must be seen
            // in `cargo test` output, not mistaken for a pass.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {} (no Redis): REDIS_URL is not set; set it to run the Redis tests",
                std::thread::current().name().unwrap_or("a test")
            );
            return None;
        }
    };
    let reachable = async {
        let mut conn = raw_connection(&url).await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match tokio::time::timeout(Duration::from_secs(5), reachable).await {
        Ok(Ok(_)) => Some(url),
        Ok(Err(e)) => panic!("REDIS_URL is set but Redis cannot be reached: {e}"),
        Err(_) => panic!("REDIS_URL is set but Redis did not answer PING within 5 s"),
    }
}

/// A key prefix no other test uses, so tests run in parallel on one Redis.
pub fn unique_prefix() -> String {
    let hex: String = ChallengeId::random()
        .as_bytes()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("smsotp-test-{hex}")
}

/// A store under a fresh prefix.
pub async fn store(url: &str) -> RedisStore {
    RedisStore::builder(url)
        .prefix(unique_prefix())
        .build()
        .await
        .expect("store builds")
}

/// A plain connection for looking behind the store's back.
pub async fn raw_connection(url: &str) -> redis::RedisResult<MultiplexedConnection> {
    redis::Client::open(url)?
        .get_multiplexed_async_connection()
        .await
}

/// Every key under `prefix`, found with SCAN.
pub async fn keys_under(url: &str, prefix: &str) -> Vec<Vec<u8>> {
    let mut conn = raw_connection(url).await.unwrap();
    let pattern = format!("{prefix}:*");
    let mut cursor: u64 = 0;
    let mut keys = Vec::new();
    loop {
        let (next, batch): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await
            .unwrap();
        keys.extend(batch);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Deletes every key under `prefix`.
pub async fn cleanup(url: &str, prefix: &str) {
    let keys = keys_under(url, prefix).await;
    if keys.is_empty() {
        return;
    }
    let mut conn = raw_connection(url).await.unwrap();
    // In batches: one DEL of a benchmark's hundreds of thousands of keys outlasts the
    // client's timeout.
    for batch in keys.chunks(1000) {
        let mut del = redis::cmd("UNLINK");
        for key in batch {
            del.arg(key.as_slice());
        }
        let _: i64 = del.query_async(&mut conn).await.unwrap();
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A throwaway `redis-server` child process with no persistence, to kill and restart.
pub struct Throwaway {
    port: u16,
    child: Option<Child>,
}

impl Throwaway {
    /// Starts one on a free port and waits until it answers.
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// Starts one on `port` and waits until it answers.
    pub fn start_on(port: u16) -> Self {
        let mut server = Self { port, child: None };
        server.restart();
        server
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills it (SIGKILL: no goodbye to clients) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (empty: nothing was persisted).
    pub fn restart(&mut self) {
        self.kill();
        let port = self.port.to_string();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (apt-get install redis-server)");
        self.child = Some(child);
        // Poll until it answers PING; it normally takes a few milliseconds.
        for _ in 0..500 {
            if ping(self.port) {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
        panic!("throwaway redis-server on port {} did not start", self.port);
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        self.kill();
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
    if s.write_all(b"*1\r\n$4\r\nPING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

/// Splits complete RESP requests (arrays of bulk strings, as clients send) off the
/// front of `buf`, returning each request's arguments.
fn take_requests(buf: &mut Vec<u8>) -> Vec<Vec<Vec<u8>>> {
    fn line(buf: &[u8], at: usize) -> Option<(i64, usize)> {
        let end = buf.get(at..)?.windows(2).position(|w| w == b"\r\n")? + at;
        let n = std::str::from_utf8(buf.get(at + 1..end)?)
            .ok()?
            .parse()
            .ok()?;
        Some((n, end + 2))
    }
    fn one(buf: &[u8]) -> Option<(Vec<Vec<u8>>, usize)> {
        if buf.first()? != &b'*' {
            return None;
        }
        let (n, mut at) = line(buf, 0)?;
        let mut args = Vec::new();
        for _ in 0..n {
            if buf.get(at)? != &b'$' {
                return None;
            }
            let (len, start) = line(buf, at)?;
            let end = start + usize::try_from(len).ok()?;
            args.push(buf.get(start..end)?.to_vec());
            at = end + 2;
            if buf.len() < at {
                return None;
            }
        }
        Some((args, at))
    }
    let mut out = Vec::new();
    while let Some((args, used)) = one(buf) {
        out.push(args);
        buf.drain(..used);
    }
    out
}

/// A TCP proxy in front of a Redis that counts the requests clients send through it:
/// each request is one round trip.
pub struct CountingProxy {
    port: u16,
    requests: Arc<AtomicUsize>,
    log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl CountingProxy {
    /// Starts a proxy to the Redis at `upstream` (host:port).
    pub fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (count, names) = (requests.clone(), log.clone());
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (mut c_read, mut s_write) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (mut s_read, mut c_write) = (server, client);
                let (count, names) = (count.clone(), names.clone());
                thread::spawn(move || {
                    let mut pending = Vec::new();
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n @ 1..) = c_read.read(&mut buf) {
                        pending.extend_from_slice(&buf[..n]);
                        for request in take_requests(&mut pending) {
                            count.fetch_add(1, Ordering::SeqCst);
                            let name = String::from_utf8_lossy(&request[0]).to_uppercase();
                            names.lock().unwrap().push(name);
                        }
                        if s_write.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = s_write.shutdown(Shutdown::Both);
                });
                thread::spawn(move || {
                    let _ = std::io::copy(&mut s_read, &mut c_write);
                    let _ = c_write.shutdown(Shutdown::Both);
                });
            }
        });
        Self {
            port,
            requests,
            log,
        }
    }

    /// The URL to give clients.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Requests seen so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// The command names seen so far, in order.
    pub fn commands(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

/// `host:port` of a `redis://host:port/...` URL.
pub fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let hp = rest.split('/').next().unwrap_or(rest);
    if hp.contains(':') {
        hp.to_owned()
    } else {
        format!("{hp}:6379")
    }
}

/// A fake Redis that answers every request (except connection set-up commands) with
/// the same canned bytes, or never answers at all.
pub struct FakeRedis {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl FakeRedis {
    /// Answers each request with `reply` (raw RESP, or any garbage); `None` never answers.
    pub fn start(reply: Option<&'static [u8]>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut conn) = conn else { return };
                thread::spawn(move || {
                    let mut pending = Vec::new();
                    let mut buf = [0u8; 16 * 1024];
                    loop {
                        match conn.read(&mut buf) {
                            Ok(0) => return,
                            Ok(n) => pending.extend_from_slice(&buf[..n]),
                            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                            Err(_) => return,
                        }
                        for request in take_requests(&mut pending) {
                            let setup = request[0].eq_ignore_ascii_case(b"CLIENT")
                                || request[0].eq_ignore_ascii_case(b"HELLO");
                            let answer: &[u8] = match reply {
                                _ if setup => b"+OK\r\n",
                                Some(reply) => reply,
                                None => continue,
                            };
                            if conn.write_all(answer).is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        Self { port, stop }
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for FakeRedis {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

// ---------------------------------------------------------------------------------------
// Redis Cluster: `REDIS_CLUSTER_URLS` (comma-separated `redis://host:port` seeds).

/// The cluster's seed URLs, or `None` (after printing why) when cluster tests should
/// skip. Panics under `CI=true` without them, and whenever the named cluster is not
/// `cluster_state:ok`.
pub async fn cluster_urls() -> Option<Vec<String>> {
    let urls: Vec<String> = match std::env::var("REDIS_CLUSTER_URLS") {
        Ok(list) if !list.trim().is_empty() => list
            .split(',')
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty())
            .collect(),
        _ if in_ci() => {
            panic!("CI=true but REDIS_CLUSTER_URLS is not set: these tests need a Redis Cluster")
        }
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {} (no Redis Cluster): REDIS_CLUSTER_URLS is not set; `.ci/redis-cluster` starts one",
                std::thread::current().name().unwrap_or("a test")
            );
            return None;
        }
    };
    let state = async {
        let mut conn = raw_connection(&urls[0]).await?;
        redis::cmd("CLUSTER")
            .arg("INFO")
            .query_async::<String>(&mut conn)
            .await
    };
    match tokio::time::timeout(Duration::from_secs(5), state).await {
        Ok(Ok(info)) if info.contains("cluster_state:ok") => Some(urls),
        Ok(Ok(info)) => panic!("REDIS_CLUSTER_URLS names a cluster that is not ok: {info}"),
        Ok(Err(e)) => panic!("REDIS_CLUSTER_URLS is set but the cluster cannot be reached: {e}"),
        Err(_) => panic!("REDIS_CLUSTER_URLS is set but the cluster did not answer within 5 s"),
    }
}

/// Where a test's store lives: one server or a cluster.
#[derive(Debug, Clone)]
pub enum Target {
    Single(String),
    Cluster(Vec<String>),
}

impl Target {
    /// The single server at REDIS_URL, if the gate lets the test run.
    pub async fn single() -> Option<Self> {
        redis_url().await.map(Self::Single)
    }

    /// The cluster at REDIS_CLUSTER_URLS, if the gate lets the test run.
    pub async fn cluster() -> Option<Self> {
        cluster_urls().await.map(Self::Cluster)
    }

    /// A builder for a store on it.
    pub fn builder(&self) -> smsotp::store::RedisStoreBuilder {
        match self {
            Self::Single(url) => RedisStore::builder(url),
            Self::Cluster(urls) => RedisStore::cluster(urls),
        }
    }

    /// A store under a fresh prefix.
    pub async fn store(&self) -> RedisStore {
        self.builder()
            .prefix(unique_prefix())
            .build()
            .await
            .expect("store builds")
    }

    /// A plain connection for looking behind the store's back; on a cluster it routes
    /// each command by its key.
    pub async fn raw(&self) -> Raw {
        match self {
            Self::Single(url) => Raw::Single(raw_connection(url).await.unwrap()),
            Self::Cluster(urls) => Raw::Cluster(
                redis::cluster::ClusterClient::new(urls.clone())
                    .unwrap()
                    .get_async_connection()
                    .await
                    .unwrap(),
            ),
        }
    }

    /// Every key under `prefix`: SCAN on the server, or on every primary of the cluster.
    pub async fn keys_under(&self, prefix: &str) -> Vec<Vec<u8>> {
        match self {
            Self::Single(url) => keys_under(url, prefix).await,
            Self::Cluster(urls) => {
                let mut keys = Vec::new();
                for node in primaries(&urls[0]).await {
                    keys.extend(keys_under(&node, prefix).await);
                }
                keys.sort();
                keys.dedup();
                keys
            }
        }
    }

    /// Deletes every key under `prefix`, one key per command on a cluster.
    pub async fn cleanup(&self, prefix: &str) {
        match self {
            Self::Single(url) => cleanup(url, prefix).await,
            Self::Cluster(urls) => {
                // Each primary deletes the keys it holds, a pipeline of single-key
                // UNLINKs at a time (one UNLINK of keys in several slots is refused).
                for node in primaries(&urls[0]).await {
                    let keys = keys_under(&node, prefix).await;
                    let mut conn = raw_connection(&node).await.unwrap();
                    for batch in keys.chunks(1000) {
                        let mut pipe = redis::pipe();
                        for key in batch {
                            pipe.cmd("UNLINK").arg(key.as_slice()).ignore();
                        }
                        let _: () = pipe.query_async(&mut conn).await.unwrap();
                    }
                }
            }
        }
    }
}

/// The `redis://` URLs of the cluster's primaries, from CLUSTER NODES on `seed`.
pub async fn primaries(seed: &str) -> Vec<String> {
    let mut conn = raw_connection(seed).await.unwrap();
    let nodes: String = redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(&mut conn)
        .await
        .unwrap();
    nodes
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let flags = fields.get(2)?;
            let addr = fields.get(1)?.split('@').next()?;
            (flags.contains("master") && !flags.contains("fail"))
                .then(|| format!("redis://{addr}/"))
        })
        .collect()
}

/// A single server's or a cluster's raw connection, as one type.
#[derive(Clone)]
pub enum Raw {
    Single(MultiplexedConnection),
    Cluster(redis::cluster_async::ClusterConnection),
}

impl redis::aio::ConnectionLike for Raw {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }
    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }
    fn get_db(&self) -> i64 {
        0
    }
}

/// A throwaway Redis Cluster of three primaries and three replicas on free ports, for
/// tests that kill nodes. Shut down on drop.
pub struct ThrowawayCluster {
    base: u16,
    nodes: u16,
    dir: std::path::PathBuf,
}

impl ThrowawayCluster {
    /// Starts one with `.ci/redis-cluster` on six consecutive free ports: three
    /// primaries, three replicas.
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// Starts `primaries` primaries (1 to 3) and no replicas.
    pub fn with_primaries(primaries: u16) -> Self {
        Self::start_with(Some(primaries))
    }

    /// Starts three primaries and three replicas on `base`..`base + 5` (see
    /// [`free_cluster_base`]).
    pub fn start_at(base: u16) -> Self {
        Self::start_with_base(base, None)
    }

    fn start_with(primaries: Option<u16>) -> Self {
        Self::start_with_base(free_run_of_ports(primaries.unwrap_or(6)), primaries)
    }

    fn start_with_base(base: u16, primaries: Option<u16>) -> Self {
        let nodes = primaries.unwrap_or(6);
        let dir = std::env::temp_dir().join(format!("smsotp-throwaway-cluster-{base}"));
        let _ = std::fs::remove_dir_all(&dir);
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/redis-cluster");
        let mut command = Command::new("bash");
        command
            .arg(script)
            .arg(base.to_string())
            .env("SMSOTP_CLUSTER_DIR", &dir);
        if let Some(n) = primaries {
            command.env("SMSOTP_CLUSTER_PRIMARIES", n.to_string());
        }
        let out = command.output().expect("bash runs .ci/redis-cluster");
        assert!(
            out.status.success(),
            "throwaway cluster did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self { base, nodes, dir }
    }

    /// The seed URLs of every node.
    pub fn urls(&self) -> Vec<String> {
        (self.base..self.base + self.nodes)
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect()
    }

    /// Kills (SIGKILL) the node on `port`; returns its pid file's pid.
    pub fn kill(&self, port: u16) {
        let pid = std::fs::read_to_string(self.dir.join(format!("{port}.pid")))
            .expect("pid file")
            .trim()
            .to_owned();
        let status = Command::new("kill").args(["-9", &pid]).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for ThrowawayCluster {
    fn drop(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/redis-cluster");
        let _ = Command::new("bash")
            .args([script, "stop", &self.base.to_string()])
            .env("SMSOTP_CLUSTER_PRIMARIES", self.nodes.to_string())
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The first of six consecutive free ports (and their bus ports), for
/// [`ThrowawayCluster::start_at`].
pub fn free_cluster_base() -> u16 {
    free_run_of_ports(6)
}

/// The first of `n` consecutive ports that are free, as are their cluster bus ports
/// (port + 10000), searched from a random start.
fn free_run_of_ports(n: u16) -> u16 {
    let seed = u16::from_le_bytes([ChallengeId::random().as_bytes()[0], 0]);
    let mut base = 20_000 + seed * 64 % 20_000;
    loop {
        let free = (base..base + n).all(|p| {
            TcpListener::bind(("127.0.0.1", p)).is_ok()
                && TcpListener::bind(("127.0.0.1", p + 10_000)).is_ok()
        });
        if free {
            return base;
        }
        base = 20_000 + (base - 20_000 + n) % 20_000;
    }
}
