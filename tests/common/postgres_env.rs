//! Helpers for tests (and the store_postgres bench) that need a real PostgreSQL.
//!
//! The gate: `DATABASE_URL` names the database to use. Unset, a test prints
//! "SKIPPED <test> (no PostgreSQL)" to stderr, past the harness's capture, and passes, except
//! under `CI=true`, where it fails, as it does whenever the database it names cannot be
//! reached. Each store gets a schema of its own, so tests run in parallel on one
//! database.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub
)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use smsotp::store::PostgresStore;
use smsotp::store::deadpool_postgres::tokio_postgres::{self, NoTls};
use smsotp::{ChallengeId, Clock, SystemClock};

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The database URL to test against, or `None` (after printing why) when tests should
/// skip. Panics under `CI=true` without one, and whenever the named database is down.
pub async fn database_url() -> Option<String> {
    let url = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ if in_ci() => {
            panic!("CI=true but DATABASE_URL is not set: these tests need a PostgreSQL")
        }
        _ => {
            // Straight to stderr, past the test harness's capture: a skip must be seen
            // in `cargo test` output, not mistaken for a pass.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {} (no PostgreSQL): DATABASE_URL is not set; set it to run the PostgreSQL tests",
                std::thread::current().name().unwrap_or("a test")
            );
            return None;
        }
    };
    let reachable = async {
        let client = raw_client(&url).await?;
        client.simple_query("SELECT 1").await.map(|_| ())
    };
    match tokio::time::timeout(Duration::from_secs(5), reachable).await {
        Ok(Ok(())) => Some(url),
        Ok(Err(e)) => panic!("DATABASE_URL is set but PostgreSQL cannot be reached: {e}"),
        Err(_) => panic!("DATABASE_URL is set but PostgreSQL did not answer within 5 s"),
    }
}

/// The prefix of every schema the tests make.
const TEST_SCHEMA: &str = "smsotp_test_";

/// A schema name no other test uses: the prefix, the time it was made (unix seconds,
/// so leftovers can be told by age) and 64 random bits.
pub fn unique_schema() -> String {
    let hex: String = ChallengeId::random()
        .as_bytes()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let made = SystemClock.now().unix_timestamp();
    format!("{TEST_SCHEMA}{made}_{hex}")
}

/// A migrated store in a fresh schema.
pub async fn store(url: &str) -> PostgresStore {
    drop_old_test_schemas(url).await;
    store_in(url, &unique_schema()).await
}

/// Drops test schemas made over an hour ago: the ones tests that share a store
/// (`stores()`) or failed half-way left behind. No test runs that long, so none is in
/// use. Best effort: two test binaries may race to drop the same one.
pub async fn drop_old_test_schemas(url: &str) {
    let Ok(client) = raw_client(url).await else {
        return;
    };
    let Ok(rows) = client
        .query(
            "SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1)",
            &[&TEST_SCHEMA],
        )
        .await
    else {
        return;
    };
    let hour_ago = SystemClock.now().unix_timestamp() - 3600;
    for row in rows {
        let name: String = row.get(0);
        let made = name
            .strip_prefix(TEST_SCHEMA)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<i64>().ok());
        // Schemas of an older naming (no time in the name) count as old.
        if made.is_none_or(|made| made < hour_ago) {
            let _ = client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
                .await;
        }
    }
}

/// A migrated store in `schema`.
pub async fn store_in(url: &str, schema: &str) -> PostgresStore {
    let store = PostgresStore::builder(url)
        .schema(schema)
        // Generous: CI machines are shared and the race tests queue 200 checks on one
        // row lock.
        .timeout(time::Duration::seconds(10))
        .build()
        .expect("store builds");
    store.migrate().await.expect("migrates");
    store
}

/// A plain connection for looking behind the store's back.
pub async fn raw_client(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Takes the challenge's row lock in a transaction of `client`'s own, as another
/// session would; the lock holds until the transaction ends.
pub async fn lock_challenge_row<'a>(
    client: &'a mut tokio_postgres::Client,
    schema: &str,
    id: &ChallengeId,
) -> tokio_postgres::Transaction<'a> {
    let tx = client.transaction().await.unwrap();
    tx.execute(
        &format!("SELECT 1 FROM \"{schema}\".challenges WHERE id = $1 FOR UPDATE"),
        &[&&id.as_bytes()[..]],
    )
    .await
    .unwrap();
    tx
}

/// Drops `schema` and everything in it.
pub async fn drop_schema(url: &str, schema: &str) {
    let client = raw_client(url).await.unwrap();
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
        .await
        .unwrap();
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The newest installed PostgreSQL server binary called `name`.
fn pg_bin(name: &str) -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries in /usr/lib/postgresql (apt-get install postgresql)")
        .filter_map(|e| {
            let e = e.ok()?;
            let v = e.file_name().to_str()?.parse().ok()?;
            Some((v, e.path().join("bin").join(name)))
        })
        .filter(|(_, p)| p.exists())
        .collect();
    versions.sort();
    versions.pop().expect("a PostgreSQL server is installed").1
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a PostgreSQL server binary; as root, as the `postgres` user (the server
/// refuses to run as root).
fn run_pg(bin: &str, args: &[&str]) -> bool {
    let path = pg_bin(bin);
    let mut command = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(path);
        c
    } else {
        Command::new(path)
    };
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A throwaway PostgreSQL server of its own (initdb, pg_ctl) on a free port, with trust
/// authentication, to stop and start again.
pub struct Throwaway {
    port: u16,
    dir: PathBuf,
}

impl Throwaway {
    /// Makes a cluster in a fresh directory and starts it.
    pub fn start() -> Self {
        let port = free_port();
        let suffix = unique_schema().split_off(TEST_SCHEMA.len());
        let dir = std::env::temp_dir().join(format!("smsotp-pg-{suffix}"));
        let data = dir.to_str().unwrap().to_owned();
        assert!(
            run_pg(
                "initdb",
                &[
                    "-D",
                    &data,
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
            ),
            "initdb failed"
        );
        let server = Self { port, dir };
        server.resume();
        server
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops it at once (`-m immediate`: no goodbye to clients, like a crash).
    pub fn stop(&self) {
        let data = self.dir.to_str().unwrap();
        run_pg("pg_ctl", &["-D", data, "-m", "immediate", "-w", "stop"]);
    }

    /// Starts it again on the same port, and waits until it accepts connections.
    pub fn resume(&self) {
        let data = self.dir.to_str().unwrap();
        let log = self.dir.join("server.log");
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {data} -c fsync=off",
            self.port
        );
        assert!(
            run_pg(
                "pg_ctl",
                &[
                    "-D",
                    data,
                    "-o",
                    &options,
                    "-l",
                    log.to_str().unwrap(),
                    "-w",
                    "start"
                ],
            ),
            "pg_ctl start failed"
        );
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A TCP proxy in front of a PostgreSQL that counts the round trips clients make
/// through it: each `Sync` (extended protocol) or `Query` (simple protocol) message is
/// one request the client then waits on.
pub struct CountingProxy {
    port: u16,
    round_trips: Arc<AtomicUsize>,
}

impl CountingProxy {
    /// Starts a proxy to the PostgreSQL at `upstream` (host:port).
    pub fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let round_trips = Arc::new(AtomicUsize::new(0));
        let count = round_trips.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (mut c_read, mut s_write) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (mut s_read, mut c_write) = (server, client);
                let count = count.clone();
                thread::spawn(move || {
                    let mut pending = Vec::new();
                    let mut startup = true;
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n @ 1..) = c_read.read(&mut buf) {
                        pending.extend_from_slice(&buf[..n]);
                        count_messages(&mut pending, &mut startup, &count);
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
        Self { port, round_trips }
    }

    /// A URL for clients, as `postgres://user@127.0.0.1:<proxy port>/<database>`.
    pub fn url(&self, user: &str, database: &str) -> String {
        format!("postgres://{user}@127.0.0.1:{}/{database}", self.port)
    }

    /// Round trips seen so far.
    pub fn round_trips(&self) -> usize {
        self.round_trips.load(Ordering::SeqCst)
    }
}

/// Takes complete frontend messages off the front of `buf`, counting `Sync` and
/// `Query`. The first messages have no type byte (startup, or an SSL or GSS request
/// before it).
fn count_messages(buf: &mut Vec<u8>, startup: &mut bool, count: &AtomicUsize) {
    loop {
        let (header, kind) = if *startup {
            (0, None)
        } else {
            (1, buf.first().copied())
        };
        let Some(len) = buf
            .get(header..header + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        else {
            return;
        };
        let total = header + len;
        if buf.len() < total {
            return;
        }
        match kind {
            None => {
                let code = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
                // 80877103: SSLRequest, 80877104: GSSENCRequest; a startup follows them.
                if code != 80_877_103 && code != 80_877_104 {
                    *startup = false;
                }
            }
            Some(b'S' | b'Q') => {
                count.fetch_add(1, Ordering::SeqCst);
            }
            Some(_) => {}
        }
        buf.drain(..total);
    }
}

/// `host:port` of a `postgres://user@host:port/db` URL.
pub fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let hp = rest.split(['/', '?']).next().unwrap_or(rest);
    if hp.contains(':') {
        hp.to_owned()
    } else {
        format!("{hp}:5432")
    }
}
